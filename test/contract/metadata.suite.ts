// The metadata dialect contract (DESIGN.md, Tests: contract suites; Scale-out: SQL stays
// dialect-neutral). Every dialect proves itself by calling metadataContract from a three-line
// test. The scenario runs the query modules in src/metadata/ against one fresh database, in
// order; results must be identical on SQLite and PostgreSQL (types, sort order, conflicts).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { MetadataDb } from '../../src/metadata/db.ts';
import { findBlob, findLinkedBlob, insertBlob, linkBlob, linkedDigests, unlinkBlob } from '../../src/metadata/blobs.ts';
import { callOffByteDelete, lockDigests, postponeReview, queueReviews, settleByteDelete } from '../../src/metadata/gc-queues.ts';
import {
  findLinkedManifest, insertManifest, linkManifest, linkedManifestDigests, listReferrers, unlinkManifest,
  type ManifestRecord,
} from '../../src/metadata/manifests.ts';
import { ensureRepository, findRepository, listCatalogNames, listRepositoryNames, touchRepository } from '../../src/metadata/repositories.ts';
import { deleteTag, deleteTagsOf, listTags, resolveTag, setTag } from '../../src/metadata/tags.ts';
import { advanceUpload, claimUpload, deleteUpload, findUpload, insertUpload, releaseUpload, renewUpload, staleUploads } from '../../src/metadata/uploads.ts';

export interface MetadataFixture {
  meta: MetadataDb;
  /** Closes the database and removes everything the fixture created. */
  cleanup: () => Promise<void>;
}

const digest = (c: string, alg: 'sha256' | 'sha512' = 'sha256') => `${alg}:${c.repeat(alg === 'sha256' ? 64 : 128)}`;
/** Plain byte order, which both dialects must use for names and tags. */
const byteOrder = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));
const T0 = 1_700_000_000_000; // epoch ms: beyond int32, so it exercises the bigint columns
const BIG = 5_000_000_000; // a blob larger than 4 GiB

export function metadataContract(name: string, open: () => Promise<MetadataFixture>): void {
  describe(`metadata contract: ${name}`, () => {
    let fixture: MetadataFixture | undefined;
    let opened: Error | undefined;
    const db = () => {
      if (!fixture) throw opened ?? new Error('the metadata database did not open');
      return fixture.meta.db;
    };
    /** Every repository name the scenario creates, for the catalog checks. */
    const created = new Set<string>();
    const repo = async (repoName: string, at = T0) => {
      created.add(repoName);
      return ensureRepository(db(), repoName, repoName.includes('/') ? repoName.split('/')[0]! : 'library', at);
    };
    const count = async (table: 'blobs' | 'repository_blobs' | 'manifests' | 'manifest_refs' | 'repository_manifests' | 'tags' | 'uploads' | 'gc_blob_reviews' | 'gc_byte_deletes') => {
      const row = await db().selectFrom(table).select((eb) => eb.fn.countAll<number | string | bigint>().as('n')).executeTakeFirstOrThrow();
      return Number(row.n);
    };

    before(async () => {
      // A fixture that cannot open fails every test with its message (a throwing hook would
      // only mark them cancelled).
      try {
        fixture = await open();
      } catch (error) {
        opened = error as Error;
      }
    });
    after(async () => {
      await fixture?.cleanup();
    });

    it('opens with the requested dialect and migrated tables', async () => {
      if (!fixture) throw opened ?? new Error('the metadata database did not open');
      assert.equal(fixture.meta.dialect, name);
      assert.equal(await count('blobs'), 0);
      assert.equal(await count('uploads'), 0);
    });

    describe('repositories', () => {
      it('ensureRepository creates once and is idempotent', async () => {
        assert.equal(await findRepository(db(), 'library/alpine'), undefined);
        const first = await repo('library/alpine');
        assert.equal(typeof first.id, 'number', 'ids are numbers on every dialect');
        assert.equal(first.name, 'library/alpine');
        assert.equal(first.project, 'library');
        const again = await ensureRepository(db(), 'library/alpine', 'library', T0 + 1);
        assert.deepEqual(again, first);
        assert.deepEqual(await findRepository(db(), 'library/alpine'), first);
      });

      it('concurrent ensureRepository calls agree on one row', async () => {
        const rows = await Promise.all(Array.from({ length: 8 }, () => repo('team/concurrent')));
        const ids = new Set(rows.map((r) => r.id));
        assert.equal(ids.size, 1);
        const all = await db().selectFrom('repositories').select('id').where('name', '=', 'team/concurrent').execute();
        assert.equal(all.length, 1);
      });

      it('different names get different ids', async () => {
        const a = await repo('team/one');
        const b = await repo('team/two');
        assert.notEqual(a.id, b.id);
        assert.equal(b.project, 'team');
      });

      it('touchRepository updates updated_at only', async () => {
        const r = await repo('team/touched');
        await touchRepository(db(), r.id, T0 + 99);
        const row = await db().selectFrom('repositories').select(['created_at', 'updated_at']).where('id', '=', r.id).executeTakeFirstOrThrow();
        assert.deepEqual(row, { created_at: T0, updated_at: T0 + 99 });
        assert.equal(typeof row.updated_at, 'number');
      });
    });

    describe('blobs', () => {
      it('insertBlob twice is one row, and the first size wins', async () => {
        await insertBlob(db(), digest('1'), BIG, T0);
        await insertBlob(db(), digest('1'), BIG, T0 + 1);
        await insertBlob(db(), digest('1'), 7, T0 + 2);
        assert.equal(await count('blobs'), 1);
        assert.deepEqual(await findBlob(db(), digest('1')), { digest: digest('1'), size: BIG });
        assert.equal(await findBlob(db(), digest('9')), undefined);
      });

      it('a sha512 blob is its own row', async () => {
        await insertBlob(db(), digest('1', 'sha512'), 10, T0);
        assert.equal(await count('blobs'), 2);
        assert.deepEqual(await findBlob(db(), digest('1', 'sha512')), { digest: digest('1', 'sha512'), size: 10 });
      });

      it('link, link again, and unlink per repository', async () => {
        const a = await repo('library/alpine');
        const b = await repo('team/one');
        assert.equal(await findLinkedBlob(db(), a.id, digest('1')), undefined);
        await linkBlob(db(), a.id, digest('1'), T0);
        await linkBlob(db(), a.id, digest('1'), T0 + 1);
        assert.equal(await count('repository_blobs'), 1);
        assert.deepEqual(await findLinkedBlob(db(), a.id, digest('1')), { digest: digest('1'), size: BIG, review_after: null });
        assert.equal(await findLinkedBlob(db(), b.id, digest('1')), undefined, 'a link is access: b does not link it');

        assert.deepEqual(await linkedDigests(db(), a.id, [digest('1'), digest('1'), digest('1', 'sha512'), digest('9')]), new Set([digest('1')]));
        assert.deepEqual(await linkedDigests(db(), a.id, []), new Set());

        await linkBlob(db(), b.id, digest('1'), T0);
        assert.equal(await unlinkBlob(db(), a.id, digest('1')), true);
        assert.equal(await unlinkBlob(db(), a.id, digest('1')), false);
        assert.equal(await findLinkedBlob(db(), a.id, digest('1')), undefined);
        assert.ok(await findLinkedBlob(db(), b.id, digest('1')), 'unlinking from a leaves b');
        assert.ok(await findBlob(db(), digest('1')), 'the blob row stays until GC');
        await linkBlob(db(), a.id, digest('1'), T0);
      });

      it('GC reviews: a queued link shows its review time, a re-queue keeps the later time, a lookup postpones it', async () => {
        const a = await repo('library/alpine');
        await linkBlob(db(), a.id, digest('1'), T0);
        await queueReviews(db(), 'gc_blob_reviews', a.id, [digest('1'), digest('1')], 'upload', T0 + 100);
        assert.equal((await findLinkedBlob(db(), a.id, digest('1')))?.review_after, T0 + 100);
        await queueReviews(db(), 'gc_blob_reviews', a.id, [digest('1')], 'manifest', T0 + 50);
        assert.equal((await findLinkedBlob(db(), a.id, digest('1')))?.review_after, T0 + 100, 'an earlier time never hurries a protected candidate');
        await queueReviews(db(), 'gc_blob_reviews', a.id, [digest('1')], 'lookup', T0 + 200);
        assert.equal((await findLinkedBlob(db(), a.id, digest('1')))?.review_after, T0 + 200);
        await postponeReview(db(), 'gc_blob_reviews', a.id, digest('1'), T0 + 150);
        assert.equal((await findLinkedBlob(db(), a.id, digest('1')))?.review_after, T0 + 200, 'a postponement never brings it forward');
        await postponeReview(db(), 'gc_blob_reviews', a.id, digest('1'), T0 + 300);
        assert.equal((await findLinkedBlob(db(), a.id, digest('1')))?.review_after, T0 + 300);
        assert.equal(await count('gc_blob_reviews'), 1);
        await db().deleteFrom('gc_blob_reviews').execute();
      });

      it('GC byte deletions: a queued one is called off by a push, a done one (a tombstone) is reported to the push that settles it', async () => {
        await db().insertInto('gc_byte_deletes').values({ digest: digest('5'), size: 5, due_at: T0, done_at: null }).execute();
        await callOffByteDelete(db(), digest('5'));
        assert.equal(await count('gc_byte_deletes'), 0, 'called off before it ran');
        await db().insertInto('gc_byte_deletes').values({ digest: digest('6'), size: 6, due_at: T0, done_at: T0 + 1 }).execute();
        await callOffByteDelete(db(), digest('6'));
        assert.equal(await count('gc_byte_deletes'), 1, 'a done deletion cannot be called off');
        await db().transaction().execute(async (trx) => {
          await lockDigests(trx, [digest('6'), digest('5')]);
          assert.equal(await settleByteDelete(trx, digest('6')), true, 'the bytes may be gone: the push must check them');
          assert.equal(await settleByteDelete(trx, digest('5')), false);
        });
        assert.equal(await count('gc_byte_deletes'), 0, 'settled');
      });

      it('a link to an unknown blob is rejected', async () => {
        const a = await repo('library/alpine');
        await assert.rejects(linkBlob(db(), a.id, digest('8'), T0));
        assert.equal(await findLinkedBlob(db(), a.id, digest('8')), undefined);
      });

      it('a transaction that fails leaves no rows', async () => {
        const a = await repo('library/alpine');
        await assert.rejects(db().transaction().execute(async (trx) => {
          await insertBlob(trx, digest('7'), 70, T0);
          await linkBlob(trx, a.id, digest('7'), T0);
          assert.ok(await findLinkedBlob(trx, a.id, digest('7')), 'visible inside the transaction');
          throw new Error('rollback');
        }), /rollback/);
        assert.equal(await findBlob(db(), digest('7')), undefined);
        assert.equal(await findLinkedBlob(db(), a.id, digest('7')), undefined);
      });
    });

    describe('manifests', () => {
      const config = digest('c');
      const layer = digest('1');
      const image: ManifestRecord = {
        digest: digest('a'),
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        configDigest: config,
        size: 1234,
        annotations: { 'org.opencontainers.image.created': '2024-01-01T00:00:00Z' },
        refs: [
          { kind: 'config', digest: config, mediaType: 'application/vnd.oci.image.config.v1+json', size: 300 },
          { kind: 'layer', digest: layer, mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', size: BIG },
        ],
      };
      const index: ManifestRecord = {
        digest: digest('b'),
        mediaType: 'application/vnd.oci.image.index.v1+json',
        size: 500,
        refs: [{ kind: 'manifest', digest: image.digest, mediaType: image.mediaType, size: image.size, platform: { os: 'linux', architecture: 'amd64' } }],
      };

      it('insertManifest writes the row and its refs once', async () => {
        await insertManifest(db(), image, T0);
        await insertManifest(db(), image, T0 + 1);
        await insertManifest(db(), { ...image, refs: [...image.refs, { kind: 'layer', digest: digest('2'), mediaType: 'x', size: 1 }] }, T0 + 2);
        assert.equal(await count('manifests'), 1);
        assert.equal(await count('manifest_refs'), 2, 'a second insert of the same digest does not duplicate refs');

        const row = await db().selectFrom('manifests').selectAll().where('digest', '=', image.digest).executeTakeFirstOrThrow();
        assert.deepEqual(row, {
          digest: image.digest,
          media_type: image.mediaType,
          artifact_type: null,
          subject_digest: null,
          config_digest: config,
          size: 1234,
          annotations: JSON.stringify(image.annotations),
          created_at: T0,
        });
        const refs = await db().selectFrom('manifest_refs').selectAll().where('manifest_digest', '=', image.digest).orderBy('position').execute();
        assert.deepEqual(refs, [
          { manifest_digest: image.digest, position: 0, kind: 'config', child_digest: config, media_type: 'application/vnd.oci.image.config.v1+json', size: 300, platform: null },
          { manifest_digest: image.digest, position: 1, kind: 'layer', child_digest: layer, media_type: 'application/vnd.oci.image.layer.v1.tar+gzip', size: BIG, platform: null },
        ]);
      });

      it('an index stores its children with their platform', async () => {
        await insertManifest(db(), index, T0);
        const refs = await db().selectFrom('manifest_refs').select(['kind', 'child_digest', 'platform']).where('manifest_digest', '=', index.digest).execute();
        assert.deepEqual(refs, [{ kind: 'manifest', child_digest: image.digest, platform: JSON.stringify({ os: 'linux', architecture: 'amd64' }) }]);
        assert.equal(await count('manifest_refs'), 3);
      });

      it('a manifest without refs is one row', async () => {
        await insertManifest(db(), { digest: digest('d'), mediaType: index.mediaType, size: 50, refs: [] }, T0);
        assert.equal(await count('manifests'), 3);
        assert.equal(await count('manifest_refs'), 3);
      });

      it('linkManifest / unlinkManifest per repository', async () => {
        const a = await repo('library/alpine');
        const b = await repo('team/one');
        assert.equal(await findLinkedManifest(db(), a.id, image.digest), undefined);
        await linkManifest(db(), a.id, image.digest, undefined, T0);
        await linkManifest(db(), a.id, image.digest, undefined, T0 + 5);
        await linkManifest(db(), a.id, index.digest, undefined, T0);
        assert.equal(await count('repository_manifests'), 2);
        const pushed = await db().selectFrom('repository_manifests').select('pushed_at').where('repository_id', '=', a.id).where('digest', '=', image.digest).executeTakeFirstOrThrow();
        assert.equal(pushed.pushed_at, T0 + 5, 'linking again refreshes pushed_at');

        assert.deepEqual(await findLinkedManifest(db(), a.id, image.digest), { digest: image.digest, media_type: image.mediaType, size: 1234, review_after: null });
        assert.equal(await findLinkedManifest(db(), b.id, image.digest), undefined);
        assert.deepEqual(await linkedManifestDigests(db(), a.id, [image.digest, index.digest, digest('d'), digest('e')]), new Set([image.digest, index.digest]));
        assert.deepEqual(await linkedManifestDigests(db(), b.id, [image.digest]), new Set());
        assert.deepEqual(await linkedManifestDigests(db(), a.id, []), new Set());

        assert.equal(await unlinkManifest(db(), a.id, index.digest), true);
        assert.equal(await unlinkManifest(db(), a.id, index.digest), false);
        assert.equal(await findLinkedManifest(db(), a.id, index.digest), undefined);
        assert.equal(await count('manifests'), 3, 'unlinking keeps the manifest row');
      });

      it('a link to an unknown manifest is rejected', async () => {
        const a = await repo('library/alpine');
        await assert.rejects(linkManifest(db(), a.id, digest('e'), undefined, T0));
      });
    });

    describe('tags', () => {
      const m1 = digest('a');
      const m2 = digest('b');

      it('setTag returns the previous digest; resolveTag follows it', async () => {
        const a = await repo('library/alpine');
        assert.equal(await resolveTag(db(), a.id, 'latest'), undefined);
        assert.equal(await setTag(db(), a.id, 'latest', m1, T0), undefined);
        assert.equal(await resolveTag(db(), a.id, 'latest'), m1);
        assert.equal(await setTag(db(), a.id, 'latest', m1, T0 + 1), m1, 'the same digest again');
        assert.equal(await setTag(db(), a.id, 'latest', m2, T0 + 2), m1, 'moved');
        assert.equal(await resolveTag(db(), a.id, 'latest'), m2);
        assert.equal(await setTag(db(), a.id, 'latest', m1, T0 + 3), m2, 'moved back');
        const rows = await db().selectFrom('tags').select(['digest', 'updated_at']).where('repository_id', '=', a.id).where('name', '=', 'latest').execute();
        assert.deepEqual(rows, [{ digest: m1, updated_at: T0 + 3 }]);
      });

      it('tags are per repository and case-sensitive', async () => {
        const a = await repo('library/alpine');
        const b = await repo('team/one');
        assert.equal(await resolveTag(db(), b.id, 'latest'), undefined);
        await setTag(db(), b.id, 'latest', m2, T0);
        await setTag(db(), a.id, 'Latest', m2, T0);
        assert.equal(await resolveTag(db(), a.id, 'latest'), m1);
        assert.equal(await resolveTag(db(), a.id, 'Latest'), m2);
        assert.equal(await resolveTag(db(), b.id, 'latest'), m2);
      });

      it('deleteTag returns what it pointed at', async () => {
        const a = await repo('library/alpine');
        assert.equal(await deleteTag(db(), a.id, 'Latest'), m2);
        assert.equal(await deleteTag(db(), a.id, 'Latest'), undefined);
        assert.equal(await resolveTag(db(), a.id, 'Latest'), undefined);
        assert.equal(await resolveTag(db(), a.id, 'latest'), m1, 'other tags stay');
      });

      it('deleteTagsOf removes every tag of one digest in one repository', async () => {
        const a = await repo('library/alpine');
        const b = await repo('team/one');
        await setTag(db(), a.id, 'v1', m2, T0);
        await setTag(db(), a.id, 'v1.0', m2, T0);
        await setTag(db(), a.id, 'stable', m1, T0);
        const removed = await deleteTagsOf(db(), a.id, m2);
        assert.deepEqual(removed.sort(byteOrder), ['v1', 'v1.0']);
        assert.equal(await resolveTag(db(), a.id, 'v1'), undefined);
        assert.equal(await resolveTag(db(), a.id, 'stable'), m1);
        assert.equal(await resolveTag(db(), b.id, 'latest'), m2, 'another repository keeps its tag of that digest');
        assert.deepEqual(await deleteTagsOf(db(), a.id, m2), []);
      });

      it('listTags is sorted bytewise and paged with last', async () => {
        const r = await repo('team/sorted');
        const names = ['a', 'B', 'a-b', 'a.b', 'a_b', 'ab', 'z1', 'Z', 'A', '_x', '0', 'a0', 'aB', 'ab.c', 'ab-c', 'v1.10', 'v1.9', 'v1_9'];
        for (const [i, tag] of names.entries()) await setTag(db(), r.id, tag, i % 2 ? m1 : m2, T0 + i);
        const expected = [...names].sort(byteOrder);
        // Spelled out, so a wrong comparator in this test cannot hide a wrong order in the database.
        assert.deepEqual(expected, ['0', 'A', 'B', 'Z', '_x', 'a', 'a-b', 'a.b', 'a0', 'aB', 'a_b', 'ab', 'ab-c', 'ab.c', 'v1.10', 'v1.9', 'v1_9', 'z1']);
        assert.deepEqual(await listTags(db(), r.id, 1000), expected);

        for (const pageSize of [1, 3, 5, 18]) {
          const pages: string[] = [];
          let last: string | undefined;
          for (let guard = 0; guard < 100; guard++) {
            const page = await listTags(db(), r.id, pageSize, last);
            assert.ok(page.length <= pageSize);
            pages.push(...page);
            if (page.length < pageSize) break;
            last = page[page.length - 1];
          }
          assert.deepEqual(pages, expected, `page size ${pageSize}`);
        }
        assert.deepEqual(await listTags(db(), r.id, 3, 'a'), ['a-b', 'a.b', 'a0']);
        assert.deepEqual(await listTags(db(), r.id, 2, 'Z'), ['_x', 'a'], 'last need not be lowercase');
        assert.deepEqual(await listTags(db(), r.id, 3, 'aa'), ['ab', 'ab-c', 'ab.c'], 'last need not exist');
        assert.deepEqual(await listTags(db(), r.id, 3, 'z1'), []);
        assert.deepEqual(await listTags(db(), r.id, 3, '~'), []);
        assert.deepEqual(await listTags(db(), (await repo('team/empty')).id, 10), []);
      });

      it('listRepositoryNames is sorted bytewise and paged with last', async () => {
        for (const n of ['a', 'a-b', 'a.b', 'a_b', 'ab', 'z1', 'a/b', 'a0', 'a__b', 'a--b', 'ab/c', 'ab-c/d', 'library/z', 'z1/a.b']) await repo(n);
        const expected = [...created].sort(byteOrder);
        const all = await listRepositoryNames(db(), 1000);
        assert.deepEqual(all, expected);
        // Spot-check the parts where a locale collation would differ from byte order.
        const sub = all.filter((n) => n.startsWith('a') && !n.startsWith('ab/') && !n.startsWith('ab-c'));
        assert.deepEqual(sub, ['a', 'a--b', 'a-b', 'a.b', 'a/b', 'a0', 'a__b', 'a_b', 'ab']);

        const paged: string[] = [];
        let last: string | undefined;
        for (let guard = 0; guard < 100; guard++) {
          const page = await listRepositoryNames(db(), 4, last);
          paged.push(...page);
          if (page.length < 4) break;
          last = page[page.length - 1];
        }
        assert.deepEqual(paged, expected);
        assert.deepEqual(await listRepositoryNames(db(), 2, 'a.b'), ['a/b', 'a0']);
        assert.deepEqual(await listRepositoryNames(db(), 2, 'z1/a.b'), []);
      });

      it('listCatalogNames sorts official single names by their short name (library/tiny as tiny) and pages with short names', async () => {
        for (const n of ['a/b', 'kit/x', 'library/a-c', 'library/kit', 'library/l-x', 'library/deep/one', 'library/zz', 'library0/x', 'librarz/y', 'm/n', 'tiny/x', 'library/tiny', 'zz/top']) await repo(n);
        const short = (n: string) => (n.startsWith('library/') && !n.slice(8).includes('/') ? n.slice(8) : n);
        const expected = [...created].sort((x, y) => byteOrder(short(x), short(y)));
        const all = await listCatalogNames(db(), 1000);
        assert.deepEqual(all, expected);
        // (Real canonical names all have a slash, so no short name equals another name; this
        // fixture's earlier single-component names do not collide with these either.)
        assert.deepEqual(all.filter((n) => ['library/a-c', 'a/b', 'library/deep/one', 'library/kit', 'kit/x', 'library/tiny', 'tiny/x'].includes(n)),
          ['library/a-c', 'a/b', 'library/kit', 'kit/x', 'library/deep/one', 'library/tiny', 'tiny/x'], 'official single names interleave by short name');
        for (const size of [1, 2, 3, 5]) {
          const paged: string[] = [];
          let last: string | undefined;
          for (let guard = 0; guard < 200; guard++) {
            const page = await listCatalogNames(db(), size, last);
            paged.push(...page);
            if (page.length < size) break;
            last = short(page[page.length - 1]!);
          }
          assert.deepEqual(paged, expected, `page size ${size}`);
        }
        // After "kit" (library/kit's short name) comes kit/x; a canonical last works as a short one.
        assert.equal(expected[expected.indexOf('kit/x') - 1], 'library/kit');
        assert.deepEqual(await listCatalogNames(db(), 2, 'kit'), expected.slice(expected.indexOf('kit/x'), expected.indexOf('kit/x') + 2));
        assert.deepEqual(await listCatalogNames(db(), 2, 'library/kit'), expected.filter((n) => byteOrder(short(n), 'library/kit') > 0).slice(0, 2));
        assert.deepEqual(await listCatalogNames(db(), 3, 'zz/top'), expected.slice(expected.indexOf('zz/top') + 1, expected.indexOf('zz/top') + 4));
      });
    });

    describe('referrers', () => {
      const subject = digest('5');
      const sbom = 'application/vnd.example.sbom+json';
      const sig = 'application/vnd.example.signature';
      const referrer = (c: string, artifactType: string | undefined, size: number): ManifestRecord => ({
        digest: digest(c),
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        artifactType,
        subjectDigest: subject,
        size,
        annotations: { 'org.example.n': c },
        refs: [],
      });

      it('lists referrers of a subject, oldest first, with and without an artifactType filter', async () => {
        const a = await repo('team/referrers');
        const other = await repo('team/other');
        const r1 = referrer('e', sbom, 101);
        const r2 = referrer('f', sig, 102);
        const r3 = referrer('0', sbom, 103); // pushed at the same time as r1: ordered by digest
        const r4 = referrer('6', undefined, 104);
        for (const r of [r1, r2, r3, r4]) await insertManifest(db(), r, T0);
        await linkManifest(db(), a.id, r2.digest, subject, T0 + 1);
        await linkManifest(db(), a.id, r1.digest, subject, T0 + 2);
        await linkManifest(db(), a.id, r3.digest, subject, T0 + 2);
        await linkManifest(db(), a.id, r4.digest, subject, T0 + 3);
        await linkManifest(db(), other.id, r1.digest, subject, T0);
        await linkManifest(db(), a.id, digest('a'), undefined, T0);

        const all = await listReferrers(db(), a.id, subject);
        assert.deepEqual(all, [
          { digest: r2.digest, media_type: r2.mediaType, size: 102, artifact_type: sig, annotations: JSON.stringify(r2.annotations) },
          { digest: r3.digest, media_type: r3.mediaType, size: 103, artifact_type: sbom, annotations: JSON.stringify(r3.annotations) },
          { digest: r1.digest, media_type: r1.mediaType, size: 101, artifact_type: sbom, annotations: JSON.stringify(r1.annotations) },
          { digest: r4.digest, media_type: r4.mediaType, size: 104, artifact_type: null, annotations: JSON.stringify(r4.annotations) },
        ]);
        assert.deepEqual((await listReferrers(db(), a.id, subject, sbom)).map((r) => r.digest), [r3.digest, r1.digest]);
        assert.deepEqual((await listReferrers(db(), a.id, subject, sig)).map((r) => r.digest), [r2.digest]);
        assert.deepEqual(await listReferrers(db(), a.id, subject, 'application/unknown'), []);
        assert.deepEqual((await listReferrers(db(), other.id, subject)).map((r) => r.digest), [r1.digest]);
        assert.deepEqual(await listReferrers(db(), a.id, digest('9')), []);

        assert.equal(await unlinkManifest(db(), a.id, r2.digest), true);
        assert.deepEqual((await listReferrers(db(), a.id, subject)).map((r) => r.digest), [r3.digest, r1.digest, r4.digest]);
      });
    });

    describe('uploads', () => {
      it('insert, find, and advance with compare-and-set', async () => {
        const a = await repo('library/alpine');
        const fresh = { hash_state: null, writer: null, writer_until: null };
        /** Claims the lease at `from` and advances to `to`, as a request does. */
        const step = async (id: string, from: number, to: number, at: number, state: Uint8Array | null = null) =>
          (await claimUpload(db(), id, from, 'w', at, at + 1000)) && advanceUpload(db(), id, from, to, at, state, 'w');
        await insertUpload(db(), 'upload-1', a.id, T0);
        assert.deepEqual(await findUpload(db(), 'upload-1'), { id: 'upload-1', repository_id: a.id, size: 0, started_at: T0, updated_at: T0, ...fresh });
        assert.equal(await step('upload-1', 0, 100, T0 + 1, Buffer.from([1, 2, 3])), true);
        assert.equal(await step('upload-1', 0, 200, T0 + 2), false, 'a stale offset fails');
        assert.deepEqual(await findUpload(db(), 'upload-1'), {
          id: 'upload-1', repository_id: a.id, size: 100, started_at: T0, updated_at: T0 + 1, ...fresh, hash_state: Buffer.from([1, 2, 3]),
        }, 'the hash state is stored with the offset, and the lease ended');
        assert.equal(await step('upload-1', 100, BIG, T0 + 3), true);
        assert.equal(await step('upload-1', BIG, BIG + 1, T0 + 4), true, 'offsets beyond 4 GiB compare exactly');
        assert.equal((await findUpload(db(), 'upload-1'))?.size, BIG + 1);
        assert.equal((await findUpload(db(), 'upload-1'))?.hash_state, null, 'a step without a state clears the old one');
        assert.equal(await step('no-such-upload', 0, 1, T0), false);
        assert.equal(await findUpload(db(), 'no-such-upload'), undefined);
      });

      it('the writer lease: one holder at a time, at the recorded offset, until it ends or runs out', async () => {
        const a = await repo('library/alpine');
        await insertUpload(db(), 'upload-lease', a.id, T0);
        assert.equal(await claimUpload(db(), 'upload-lease', 5, 'w1', T0, T0 + 100), false, 'not at the recorded offset');
        assert.equal(await claimUpload(db(), 'upload-lease', 0, 'w1', T0, T0 + 100), true);
        assert.equal(await claimUpload(db(), 'upload-lease', 0, 'w2', T0 + 50, T0 + 150), false, 'held');
        assert.equal(await claimUpload(db(), 'upload-lease', 0, 'w1', T0 + 50, T0 + 100), true, 'its holder may take it again (a lease of its own is left over)');
        assert.equal(await advanceUpload(db(), 'upload-lease', 0, 10, T0 + 50, null, 'w2'), false, 'only the holder advances');
        assert.equal(await renewUpload(db(), 'upload-lease', 'w2', T0 + 300), false, 'only the holder renews');
        assert.equal(await renewUpload(db(), 'upload-lease', 'w1', T0 + 200), true);
        assert.equal(await claimUpload(db(), 'upload-lease', 0, 'w2', T0 + 150, T0 + 250), false, 'renewed: still held at T0+150');
        assert.equal(await claimUpload(db(), 'upload-lease', 0, 'w2', T0 + 201, T0 + 300), true, 'run out: another writer takes it');
        assert.equal(await advanceUpload(db(), 'upload-lease', 0, 10, T0 + 210, null, 'w1'), false, 'the old holder lost it');
        await releaseUpload(db(), 'upload-lease', 'w1');
        assert.equal((await findUpload(db(), 'upload-lease'))?.writer, 'w2', "a release by a non-holder changes nothing");
        await releaseUpload(db(), 'upload-lease', 'w2');
        assert.equal(await claimUpload(db(), 'upload-lease', 0, 'w3', T0 + 220, T0 + 320), true, 'released: free again');
        assert.equal(await advanceUpload(db(), 'upload-lease', 0, 10, T0 + 230, null, 'w3'), true);
        assert.equal((await findUpload(db(), 'upload-lease'))?.writer, null);
      });

      it('a duplicate upload id is rejected', async () => {
        const a = await repo('library/alpine');
        await assert.rejects(insertUpload(db(), 'upload-1', a.id, T0));
      });

      it('concurrent advances from one offset: exactly one wins', async () => {
        const a = await repo('library/alpine');
        await insertUpload(db(), 'upload-race', a.id, T0);
        const claims = await Promise.all(Array.from({ length: 6 }, (_, i) => claimUpload(db(), 'upload-race', 0, `w${i}`, T0 + 1, T0 + 1000)));
        assert.equal(claims.filter(Boolean).length, 1, 'exactly one writer gets the lease');
        const results = await Promise.all(Array.from({ length: 6 }, (_, i) => advanceUpload(db(), 'upload-race', 0, 10 + i, T0 + 1, null, `w${i}`)));
        assert.equal(results.filter(Boolean).length, 1);
        const winner = results.indexOf(true);
        assert.equal(winner, claims.indexOf(true), 'and only it advances');
        assert.equal((await findUpload(db(), 'upload-race'))?.size, 10 + winner);
      });

      it('staleUploads lists uploads untouched since a time, up to a limit', async () => {
        const a = await repo('library/alpine');
        await insertUpload(db(), 'old-1', a.id, T0 - 3000);
        await insertUpload(db(), 'old-2', a.id, T0 - 2000);
        await insertUpload(db(), 'fresh', a.id, T0 - 1000);
        await claimUpload(db(), 'old-2', 0, 'w', T0 - 1500, T0 - 500);
        await advanceUpload(db(), 'old-2', 0, 5, T0 - 1500, null, 'w');
        // upload-1 was advanced at T0 + 4, upload-race at T0 + 1.
        assert.deepEqual((await staleUploads(db(), T0 - 1000, 10)).sort(), ['old-1', 'old-2']);
        assert.deepEqual((await staleUploads(db(), T0 - 999, 10)).sort(), ['fresh', 'old-1', 'old-2']);
        assert.deepEqual(await staleUploads(db(), T0 - 3000, 10), [], 'strictly before');
        const limited = await staleUploads(db(), T0 + 100, 2);
        assert.equal(limited.length, 2);
        assert.deepEqual((await staleUploads(db(), T0 + 100, 100)).sort(), ['fresh', 'old-1', 'old-2', 'upload-1', 'upload-race']);
      });

      it('deleteUpload removes the session; nothing is left behind', async () => {
        for (const id of ['upload-1', 'upload-lease', 'upload-race', 'old-1', 'old-2', 'fresh']) await deleteUpload(db(), id);
        await deleteUpload(db(), 'upload-1');
        assert.equal(await findUpload(db(), 'upload-1'), undefined);
        assert.deepEqual(await staleUploads(db(), Number.MAX_SAFE_INTEGER, 100), []);
        assert.equal(await count('uploads'), 0);
      });
    });
  });
}
