// The pull counter (features/pulls): which manifest GETs count, the multi-arch rule, per-tag
// counts, bounded memory, and the feature's flush (one write per interval, at close, and a
// failed write's counts kept for the next one), with made-up events and a fake writer.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MediaType } from '../../../../src/core/mediatypes.ts';
import { enablePullCounts, MULTI_ARCH_WINDOW_MS, PullCounter } from '../../../../src/features/pulls/index.ts';
import type { PullBatch } from '../../../../src/features/pulls/counter.ts';
import { EventBus } from '../../../../src/registry/event-bus.ts';
import type { Kysely } from 'kysely';
import type { Database } from '../../../../src/metadata/schema.ts';

const IMAGE = MediaType.OciManifest;
const INDEX = MediaType.OciIndex;
const T0 = 1_700_000_000_000;

function counts(batch: PullBatch): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, c] of batch.repositories) out[name] = c.count;
  for (const [name, tags] of batch.tags) for (const [tag, c] of tags) out[`${name}:${tag}`] = c.count;
  return out;
}

describe('PullCounter', () => {
  it('counts each GET by tag for the repository and the tag; by digest for the repository only', () => {
    const c = new PullCounter();
    for (let i = 0; i < 3; i++) assert.equal(c.record({ repository: 'acme/app', digest: 'sha256:a', mediaType: IMAGE, tag: 'latest', address: '10.0.0.1', at: T0 + i }), true);
    c.record({ repository: 'acme/app', digest: 'sha256:a', mediaType: IMAGE, address: '10.0.0.1', at: T0 + 10 });
    c.record({ repository: 'acme/other', digest: 'sha256:b', mediaType: IMAGE, tag: 'v1', at: T0 + 20 });
    const batch = c.take();
    assert.deepEqual(counts(batch), { 'acme/app': 4, 'acme/other': 1, 'acme/app:latest': 3, 'acme/other:v1': 1 });
    assert.equal(batch.repositories.get('acme/app')!.last, T0 + 10);
    assert.equal(batch.tags.get('acme/app')!.get('latest')!.last, T0 + 2);
    assert.equal(c.pending, 0);
    assert.deepEqual(counts(c.take()), {});
  });

  it('an index GET and a by-digest platform manifest GET from the same address and repository within 30 s count once', () => {
    const c = new PullCounter();
    assert.equal(c.record({ repository: 'r/a', digest: 'sha256:i', mediaType: INDEX, tag: 'latest', address: 'A', at: T0 }), true);
    assert.equal(c.record({ repository: 'r/a', digest: 'sha256:p', mediaType: IMAGE, address: 'A', at: T0 + 500 }), false);
    // Another address, another repository, by tag, or after the window: each counts.
    assert.equal(c.record({ repository: 'r/a', digest: 'sha256:p', mediaType: IMAGE, address: 'B', at: T0 + 600 }), true);
    assert.equal(c.record({ repository: 'r/b', digest: 'sha256:p', mediaType: IMAGE, address: 'A', at: T0 + 700 }), true);
    assert.equal(c.record({ repository: 'r/a', digest: 'sha256:p', mediaType: IMAGE, tag: 'amd64', address: 'A', at: T0 + 800 }), true);
    assert.equal(c.record({ repository: 'r/a', digest: 'sha256:p', mediaType: IMAGE, address: 'A', at: T0 + MULTI_ARCH_WINDOW_MS + 1 }), true);
    // A second index GET counts again and opens a new window.
    assert.equal(c.record({ repository: 'r/a', digest: 'sha256:i', mediaType: MediaType.DockerManifestList, address: 'A', at: T0 + 40_000 }), true);
    assert.equal(c.record({ repository: 'r/a', digest: 'sha256:p', mediaType: MediaType.DockerManifest, address: 'A', at: T0 + 40_001 }), false);
    assert.deepEqual(counts(c.take()), { 'r/a': 5, 'r/b': 1, 'r/a:latest': 1, 'r/a:amd64': 1 });
  });

  it('memory stays bounded: distinct keys beyond the limit are dropped and counted as dropped; the index memory forgets the oldest', () => {
    const c = new PullCounter({ maxKeys: 10, maxRecentIndexes: 5 });
    for (let i = 0; i < 20; i++) c.record({ repository: `r/${i}`, digest: 'sha256:a', mediaType: IMAGE, at: T0 });
    assert.equal(c.pending, 10);
    assert.equal(c.dropped, 10);
    c.take();
    for (let i = 0; i < 8; i++) c.record({ repository: 'x/y', digest: 'sha256:i', mediaType: INDEX, address: `a${i}`, at: T0 + i });
    // a0 (the oldest) was forgotten, a7 remembered.
    assert.equal(c.record({ repository: 'x/y', digest: 'sha256:p', mediaType: IMAGE, address: 'a0', at: T0 + 100 }), true);
    assert.equal(c.record({ repository: 'x/y', digest: 'sha256:p', mediaType: IMAGE, address: 'a7', at: T0 + 100 }), false);
  });

  it('restore merges a failed batch back into what arrived meanwhile', () => {
    const c = new PullCounter();
    c.record({ repository: 'r/a', digest: 'sha256:a', mediaType: IMAGE, tag: 't', at: T0 });
    const failed = c.take();
    c.record({ repository: 'r/a', digest: 'sha256:a', mediaType: IMAGE, tag: 't', at: T0 + 5 });
    c.restore(failed);
    const batch = c.take();
    assert.deepEqual(counts(batch), { 'r/a': 2, 'r/a:t': 2 });
    assert.equal(batch.repositories.get('r/a')!.last, T0 + 5);
  });
});

describe('enablePullCounts', () => {
  const db = {} as Kysely<Database>;
  const pull = (bus: EventBus, tag?: string) => bus.emit({ type: 'pull', repository: 'r/a', digest: 'sha256:a', mediaType: IMAGE, tag, at: new Date(T0), actor: { address: '1.2.3.4' } });

  it('writes nothing from the event handler; one write per flush with everything counted; close flushes', async () => {
    const bus = new EventBus();
    const writes: Record<string, number>[] = [];
    const pulls = enablePullCounts(db, bus, (e) => { throw e; }, { flushMs: 60_000, write: async (b) => { writes.push(counts(b)); } });
    pull(bus, 'latest');
    pull(bus, 'latest');
    bus.emit({ type: 'push', repository: 'r/a', digest: 'sha256:a', mediaType: IMAGE, size: 1, at: new Date(), actor: {} });
    assert.equal(writes.length, 0);
    await pulls.flush();
    assert.deepEqual(writes, [{ 'r/a': 2, 'r/a:latest': 2 }]);
    await pulls.flush();
    assert.equal(writes.length, 1, 'an empty flush writes nothing');
    pull(bus);
    await pulls.close();
    assert.deepEqual(writes[1], { 'r/a': 1 });
    pull(bus);
    await pulls.flush();
    assert.equal(writes.length, 2, 'no counting after close');
  });

  it('the timer flushes on its own; a failed write is reported and its counts go out with the next', async () => {
    const bus = new EventBus();
    const writes: Record<string, number>[] = [];
    const errors: unknown[] = [];
    let fail = true;
    const pulls = enablePullCounts(db, bus, (e) => errors.push(e), {
      flushMs: 20,
      write: async (b) => {
        if (fail) { fail = false; throw new Error('db down'); }
        writes.push(counts(b));
      },
    });
    pull(bus, 'v1');
    await new Promise((r) => setTimeout(r, 60));
    pull(bus, 'v1');
    await new Promise((r) => setTimeout(r, 60));
    await pulls.close();
    assert.equal(errors.length, 1);
    assert.deepEqual(writes.reduce((a, w) => ({ 'r/a': a['r/a']! + (w['r/a'] ?? 0), 'r/a:v1': a['r/a:v1']! + (w['r/a:v1'] ?? 0) }), { 'r/a': 0, 'r/a:v1': 0 }), { 'r/a': 2, 'r/a:v1': 2 });
  });
});
