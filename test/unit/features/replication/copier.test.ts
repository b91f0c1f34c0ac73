// The copier against in-memory registries (a unit test: the real ones are in test/integration):
// the writes a target sees and their order, a rerun that writes nothing, referrers through the tag
// schema for a target without the referrers API, and deletions on a target that deletes manifests
// but not tags (Distribution 2.8): the manifest goes unless another tag still points at it.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { Copier, type ArtifactResult } from '../../../../src/features/replication/copier.ts';
import type { Endpoint, FetchedManifest } from '../../../../src/features/replication/peers.ts';
import { UpstreamError, type ReferrerDescriptor } from '../../../../src/registry-client/index.ts';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const sha = (b: Buffer | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** A registry in memory; `writes` logs every write in order. */
class Memory implements Endpoint {
  readonly label = 'memory';
  readonly blobs = new Map<string, Buffer>();
  readonly manifests = new Map<string, FetchedManifest>();
  readonly tagMap = new Map<string, Map<string, string>>();
  readonly writes: string[] = [];
  constructor(readonly referrersApi: boolean, readonly tagDeletes = true) {}

  async hasReferrersApi(): Promise<boolean> { return this.referrersApi; }
  async repositories(): Promise<string[]> { return [...this.tagMap.keys()]; }
  async tags(repo: string): Promise<string[]> { return [...(this.tagMap.get(repo)?.keys() ?? [])]; }
  async head(repo: string, ref: string): Promise<string | undefined> {
    if (ref.includes(':')) return this.manifests.has(ref) ? ref : undefined;
    return this.tagMap.get(repo)?.get(ref);
  }
  async manifest(repo: string, ref: string): Promise<FetchedManifest> {
    const d = await this.head(repo, ref);
    if (!d) throw new UpstreamError('not-found', `no ${ref}`, 404);
    return this.manifests.get(d)!;
  }
  async hasBlob(_r: string, d: string): Promise<boolean> { return this.blobs.has(d); }
  async openBlob(_r: string, d: string) { return { size: this.blobs.get(d)!.length, stream: Readable.from([this.blobs.get(d)!]) }; }
  async putBlob(_r: string, d: string, _s: number, stream: Readable): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of stream) chunks.push(c as Buffer);
    this.blobs.set(d, Buffer.concat(chunks));
    this.writes.push(`blob ${d.slice(7, 13)}`);
  }
  async mount(): Promise<boolean> { return false; }
  async putManifest(repo: string, ref: string, body: Buffer, mediaType: string): Promise<{ indexed: boolean }> {
    const digest = sha(body);
    this.manifests.set(digest, { digest, mediaType, body });
    if (!ref.includes(':')) this.tag(repo, ref, digest);
    this.writes.push(`manifest ${ref.includes(':') ? ref.slice(7, 13) : ref}`);
    return { indexed: this.referrersApi && Boolean((JSON.parse(body.toString()) as { subject?: unknown }).subject) };
  }
  async referrers(_repo: string, digest: string): Promise<ReferrerDescriptor[]> {
    const out: ReferrerDescriptor[] = [];
    for (const m of this.manifests.values()) {
      const p = JSON.parse(m.body.toString()) as { subject?: { digest: string } };
      if (p.subject?.digest === digest) out.push({ mediaType: m.mediaType, digest: m.digest, size: m.body.length });
    }
    return out;
  }
  async deleteTag(repo: string, tag: string): Promise<boolean> {
    if (!this.tagDeletes) throw new UpstreamError('invalid', 'tags cannot be deleted', 400);
    this.writes.push(`untag ${tag}`);
    return this.tagMap.get(repo)!.delete(tag);
  }
  async deleteManifest(repo: string, digest: string): Promise<boolean> {
    this.writes.push(`delete ${digest.slice(7, 13)}`);
    for (const [t, d] of this.tagMap.get(repo) ?? []) if (d === digest) this.tagMap.get(repo)!.delete(t);
    return this.manifests.delete(digest);
  }
  tag(repo: string, tag: string, digest: string): void {
    if (!this.tagMap.has(repo)) this.tagMap.set(repo, new Map());
    this.tagMap.get(repo)!.set(tag, digest);
  }
  add(body: object, mediaType: string): string {
    const b = Buffer.from(JSON.stringify(body));
    this.manifests.set(sha(b), { digest: sha(b), mediaType, body: b });
    return sha(b);
  }
  blob(content: string): { mediaType: string; digest: string; size: number } {
    const b = Buffer.from(content);
    this.blobs.set(sha(b), b);
    return { mediaType: 'application/octet-stream', digest: sha(b), size: b.length };
  }
}

/** A source with app:v1 = index(amd64, arm64) and a signature of the index. */
function source(): { src: Memory; index: string; sig: string; kids: string[] } {
  const src = new Memory(true);
  const kids = ['amd64', 'arm64'].map((arch) => src.add({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: src.blob(`cfg-${arch}`), layers: [src.blob('shared-base'), src.blob(`layer-${arch}`)] }, OCI_MANIFEST));
  const index = src.add({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: kids.map((d) => ({ mediaType: OCI_MANIFEST, digest: d, size: src.manifests.get(d)!.body.length })) }, OCI_INDEX);
  src.tag('library/app', 'v1', index);
  const sig = src.add({ schemaVersion: 2, mediaType: OCI_MANIFEST, artifactType: 'application/x-sig', config: src.blob('{}'), layers: [src.blob('sig-payload')], subject: { mediaType: OCI_INDEX, digest: index, size: src.manifests.get(index)!.body.length } }, OCI_MANIFEST);
  return { src, index, sig, kids };
}

function copier(src: Endpoint, dst: Endpoint, results: ArtifactResult[], deletions = false): Copier {
  return new Copier({ source: src, target: dst, direction: 'push', filter: { repos: 'library/*', tags: '**' }, deletions, onResult: (r) => { results.push(r); } });
}

describe('replication copier', () => {
  it('writes blobs, platforms, the index, then the signature; a shared layer once; a rerun writes nothing', async () => {
    const { src, sig, kids } = source();
    const dst = new Memory(true);
    const results: ArtifactResult[] = [];
    const s = await copier(src, dst, results).runAll();
    assert.deepEqual([s.copied, s.skipped, s.failed, s.blobsCopied], [4, 0, 0, 7]);
    const w = dst.writes;
    const pos = (entry: string) => w.indexOf(entry);
    for (const k of kids) assert.ok(pos(`manifest ${k.slice(7, 13)}`) >= 0 && pos(`manifest ${k.slice(7, 13)}`) < pos('manifest v1'), 'each platform before the index');
    for (const k of kids) {
      const body = JSON.parse(src.manifests.get(k)!.body.toString()) as { config: { digest: string }; layers: { digest: string }[] };
      for (const b of [body.config, ...body.layers]) assert.ok(pos(`blob ${b.digest.slice(7, 13)}`) < pos(`manifest ${k.slice(7, 13)}`), 'blobs before their manifest');
    }
    assert.equal(w.filter((x) => x === `blob ${sha('shared-base').slice(7, 13)}`).length, 1, 'the shared layer is sent once');
    assert.ok(w.indexOf('manifest v1') < w.indexOf(`manifest ${sig.slice(7, 13)}`), 'the signature after the index');
    assert.equal(w.filter((x) => x.startsWith('manifest')).length, 4);
    dst.writes.length = 0;
    const again: ArtifactResult[] = [];
    const s2 = await copier(src, dst, again).runAll();
    assert.deepEqual(dst.writes, [], 'a rerun writes nothing');
    assert.equal(s2.copied, 0);
    assert.ok(again.every((r) => r.status === 'skipped'));
  });

  it('a target without the referrers API gets the signature in the sha256-<hex> index of its subject', async () => {
    const { src, index, sig } = source();
    const dst = new Memory(false);
    await copier(src, dst, []).runAll();
    const fallback = await dst.manifest('library/app', index.replace(':', '-'));
    assert.deepEqual((JSON.parse(fallback.body.toString()) as { manifests: { digest: string; artifactType: string }[] }).manifests.map((m) => [m.digest, m.artifactType]), [[sig, 'application/x-sig']]);
  });

  it('deletions: a tag gone from the source is deleted; on a target that cannot delete tags the manifest goes, unless another tag keeps it', async () => {
    const { src } = source();
    for (const tagDeletes of [true, false]) {
      const dst = new Memory(true, tagDeletes);
      await copier(src, dst, []).runAll();
      const old = dst.add({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: dst.blob('old'), layers: [] }, OCI_MANIFEST);
      dst.tag('library/app', 'old', old);
      dst.tag('library/app', 'old-alias', old);
      // Only old is gone from the source's view when old-alias is on the source too.
      src.tag('library/app', 'old-alias', old);
      src.manifests.set(old, dst.manifests.get(old)!);
      src.blobs.set(sha('old'), Buffer.from('old'));
      const results: ArtifactResult[] = [];
      await copier(src, dst, results, true).runAll();
      const del = results.find((r) => r.kind === 'tag-delete')!;
      if (tagDeletes) {
        assert.equal(del.status, 'deleted');
        assert.ok(!(await dst.tags('library/app')).includes('old'));
      } else {
        assert.equal(del.status, 'skipped', 'old-alias still points at it');
        assert.match(del.error!, /old-alias still points at it/);
        assert.ok(dst.manifests.has(old));
      }
      src.tagMap.get('library/app')!.delete('old-alias');
      const second: ArtifactResult[] = [];
      await copier(src, dst, second, true).runAll();
      if (!tagDeletes) {
        // Both tags are gone from the source now: the manifest goes with them.
        assert.ok(second.some((r) => r.kind === 'tag-delete' && r.status === 'deleted'));
        assert.ok(!dst.manifests.has(old));
      }
    }
  });

  it('without deletions, nothing is ever deleted', async () => {
    const { src } = source();
    const dst = new Memory(true);
    dst.tag('library/app', 'only-here', dst.add({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: dst.blob('x'), layers: [] }, OCI_MANIFEST));
    await copier(src, dst, []).runAll();
    assert.ok((await dst.tags('library/app')).includes('only-here'));
    assert.ok(!dst.writes.some((w) => w.startsWith('untag') || w.startsWith('delete')));
  });
});

describe('replication copier: a peer without a catalog (Docker Hub)', () => {
  class NoCatalog extends Memory {
    override async repositories(): Promise<string[]> { throw new UpstreamError('auth', 'the upstream refused GET catalog: 401', 401); }
  }

  it('a --repos without wildcards is read directly, under its short name too (Distribution keeps app as app)', async () => {
    const { src } = source();
    const peer = new NoCatalog(true);
    for (const [k, v] of src.manifests) peer.manifests.set(k, v);
    for (const [k, v] of src.blobs) peer.blobs.set(k, v);
    peer.tag('app', 'v1', src.tagMap.get('library/app')!.get('v1')!);
    const berth = new Memory(true);
    const s = await new Copier({ source: peer, target: berth, direction: 'pull', filter: { repos: 'library/app', tags: '**' }, deletions: false, onResult: () => {} }).runAll();
    assert.equal(s.copied, 4);
    assert.ok(await berth.head('library/app', 'v1'), 'stored in Berth under the canonical name');
  });

  it('a wildcard pattern says the peer lists nothing and to name one repository', async () => {
    await assert.rejects(
      new Copier({ source: new NoCatalog(true), target: new Memory(true), direction: 'pull', filter: { repos: 'library/*', tags: '**' }, deletions: false, onResult: () => {} }).runAll(),
      /does not list its repositories .*name one repository in --repos, without wildcards/,
    );
  });
});
