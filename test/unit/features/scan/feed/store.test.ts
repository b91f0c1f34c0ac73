// The feed store on a real SQLite file: an import is invisible until it commits, then the feed
// switches to it in one step; an import replaces the parts (releases, ecosystems) it holds and
// keeps the others; the tracker is its own part; a failed import leaves the active feed; restore
// goes back one version.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { AffectedPackage } from '../../../../../src/features/scan/advisories/types.ts';
import { FeedRestoreError, FeedStore } from '../../../../../src/features/scan/feed/store.ts';
import { openMetadata, type MetadataDb } from '../../../../../src/metadata/db.ts';

const entry = (advisory: string, type: AffectedPackage['type'], name: string, release?: string): AffectedPackage => ({
  advisory, aliases: [], type, name, ...(release ? { release } : {}), ranges: [{ introduced: '0', fixed: '2.0' }], versions: [], severity: 'high', links: [],
});

describe('the feed store', () => {
  let dir: string;
  let meta: MetadataDb;
  let store: FeedStore;
  const names = async () => {
    const feed = (await store.active())!;
    const found = await store.lookup(feed, [{ type: 'npm', name: 'a' }, { type: 'pypi', name: 'b' }, { type: 'deb', name: 'c' }, { type: 'deb', name: 'd' }]);
    return found.map((f) => f.advisory).sort();
  };
  const load = async (source: string, entries: AffectedPackage[]) => {
    const l = await store.begin('test');
    l.setSourceAndFormat(source, source.startsWith('osv') ? 'osv' : 'debian-tracker');
    await l.add(entries);
    return l;
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'berth-feed-'));
    meta = await openMetadata({ dialect: 'sqlite', location: join(dir, 'berth.db') });
    store = new FeedStore(meta.db);
  });
  after(async () => {
    await meta.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('nothing is active before the first commit, and a loaded import is invisible until it commits', async () => {
    assert.equal(await store.active(), undefined);
    const l = await load('osv:npm,pypi', [entry('GHSA-1', 'npm', 'a'), entry('GHSA-2', 'pypi', 'b')]);
    assert.equal(await store.active(), undefined);
    const done = await l.commit();
    assert.equal(done.source, 'osv:npm,pypi');
    assert.deepEqual(await names(), ['GHSA-1', 'GHSA-2']);
  });

  it('an import of one part replaces that part only', async () => {
    const l = await load('osv:npm', [entry('GHSA-3', 'npm', 'a')]);
    const done = await l.commit();
    assert.equal(done.source, 'osv:npm,pypi', 'it took over the PyPI rows');
    assert.deepEqual(await names(), ['GHSA-2', 'GHSA-3']);
    const status = (await store.status())!;
    assert.deepEqual(status.imports.map((i) => i.source), ['osv:npm,pypi']);
  });

  it('the tracker is its own part, and OS data of another release is kept', async () => {
    await (await load('debian-tracker', [entry('CVE-1', 'deb', 'c', 'debian:12')])).commit();
    await (await load('osv:debian:11', [entry('DSA-1', 'deb', 'd', 'debian:11')])).commit();
    assert.deepEqual(await names(), ['CVE-1', 'DSA-1', 'GHSA-2', 'GHSA-3']);
  });

  it('an abandoned import changes nothing', async () => {
    const before = (await store.active())!;
    const l = await load('osv:npm', [entry('GHSA-9', 'npm', 'a')]);
    await l.abandon();
    assert.equal((await store.active())!.id, before.id);
    assert.deepEqual(await names(), ['CVE-1', 'DSA-1', 'GHSA-2', 'GHSA-3']);
  });

  it('restore goes back one version, and says so when there is none', async () => {
    await store.restore();
    assert.deepEqual(await names(), ['CVE-1', 'GHSA-2', 'GHSA-3'], 'before the debian:11 import');
    const fresh = new FeedStore(meta.db);
    assert.ok(await fresh.active());
    const other = await openMetadata({ dialect: 'sqlite', location: join(dir, 'empty.db') });
    await assert.rejects(new FeedStore(other.db).restore(), FeedRestoreError);
    await other.close();
  });
});
