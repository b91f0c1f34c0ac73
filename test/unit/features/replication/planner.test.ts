// The copy planner: blobs before their manifest, platforms before their index, referrers after
// their subject (and theirs after them), each digest once; covered closures of present manifests.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { coveredBy, planCopy, PlanError, type ManifestNode } from '../../../../src/features/replication/planner.ts';

const node = (digest: string, o: Partial<ManifestNode> = {}): ManifestNode => ({ digest, mediaType: o.children?.length ? 'index' : 'manifest', blobs: [], children: [], referrers: [], ...o });
const graphOf = (...nodes: ManifestNode[]) => new Map(nodes.map((n) => [n.digest, n]));
const names = (steps: ReturnType<typeof planCopy>) => steps.map((s) => (s.kind === 'blob' ? `blob ${s.digest}` : `${s.role} ${s.digest}${s.tag ? `:${s.tag}` : ''}`));

describe('replication planner', () => {
  it('an image: config and layers, then the manifest under its tag', () => {
    const g = graphOf(node('img', { blobs: [{ digest: 'cfg', size: 1 }, { digest: 'l1', size: 2 }] }));
    assert.deepEqual(names(planCopy(g, 'img', 'v1')), ['blob cfg', 'blob l1', 'root img:v1']);
  });

  it('an index: each platform with its blobs first, a shared layer once, then the index, then referrers', () => {
    const g = graphOf(
      node('idx', { children: ['amd', 'arm'], referrers: ['sig'] }),
      node('amd', { blobs: [{ digest: 'c1', size: 1 }, { digest: 'base', size: 9 }] }),
      node('arm', { blobs: [{ digest: 'c2', size: 1 }, { digest: 'base', size: 9 }], referrers: ['sbom'] }),
      node('sig', { blobs: [{ digest: 'empty', size: 2 }, { digest: 'payload', size: 3 }], referrers: ['sig-of-sig'] }),
      node('sbom', { blobs: [{ digest: 'empty', size: 2 }, { digest: 'spdx', size: 3 }] }),
      node('sig-of-sig', { blobs: [{ digest: 'p2', size: 3 }] }),
    );
    const steps = names(planCopy(g, 'idx', 'v1'));
    assert.deepEqual(steps, [
      'blob c1', 'blob base', 'child amd', 'blob c2', 'child arm', 'root idx:v1',
      // A platform's referrers were queued when it was placed, before the index's.
      'blob empty', 'blob spdx', 'referrer sbom', 'blob payload', 'referrer sig', 'blob p2', 'referrer sig-of-sig',
    ]);
    // The invariant, stated generally: nothing comes before what it references.
    const at = new Map(steps.map((s, i) => [s.split(' ')[1]!.split(':')[0]!, i]));
    for (const n of g.values()) {
      for (const b of n.blobs) assert.ok(at.get(b.digest)! < at.get(n.digest)!, `${b.digest} before ${n.digest}`);
      for (const c of n.children) assert.ok(at.get(c)! < at.get(n.digest)!, `${c} before ${n.digest}`);
      for (const r of n.referrers) assert.ok(at.get(n.digest)! < at.get(r)!, `${n.digest} before its referrer ${r}`);
    }
  });

  it('a platform shared by two indexes of the graph, and a referrer that is also a child, are placed once', () => {
    const g = graphOf(node('top', { children: ['a', 'b'] }), node('a', { children: ['leaf'] }), node('b', { children: ['leaf'] }), node('leaf', { referrers: ['a'] }));
    assert.deepEqual(names(planCopy(g, 'top')), ['child leaf', 'child a', 'child b', 'root top']);
  });

  it('refuses a missing node and a cycle', () => {
    assert.throws(() => planCopy(graphOf(node('idx', { children: ['gone'] })), 'idx'), PlanError);
    assert.throws(() => planCopy(graphOf(node('x', { children: ['y'] }), node('y', { children: ['x'] })), 'x'), /cycle/);
  });

  it('a manifest on the target covers its platforms and blobs, not its referrers', () => {
    const g = graphOf(node('idx', { children: ['amd'], referrers: ['sig'] }), node('amd', { blobs: [{ digest: 'l', size: 1 }] }), node('sig', { blobs: [{ digest: 'p', size: 1 }] }));
    const covered = coveredBy(g, new Set(['idx']));
    assert.deepEqual([...covered].sort(), ['amd', 'blob:l', 'idx']);
    assert.deepEqual([...coveredBy(g, new Set(['amd']))].sort(), ['amd', 'blob:l']);
  });
});
