// The search behaviour every metadata dialect must show (SQLite in api-search.test.ts,
// PostgreSQL in search-postgres.test.ts): relevance, prefixes, filters, sorts, paging,
// visibility (in SQL: never a private repository in a page or in `total`), hostile queries,
// untagged repositories, and index freshness after a description changes.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { BerthProcess } from '../helpers/berth-process.ts';
import { ADMIN, addUser, call, expectStatus, type ApiResponse, type Creds } from './api-helpers.ts';
import { basicHeader, pushTinyImage, type RepoEditor, type RepoFacts } from './search-helpers.ts';

export interface SearchFixture {
  readonly server: BerthProcess;
  readonly editor: RepoEditor;
  stop(): Promise<void>;
}

/**
 * Tagged repositories and the facts the suite gives them; acme is private. The exporter mentions
 * nginx in its name, labels and description, so it outscores library/nginx on text alone: only
 * the exact-name rule puts library/nginx first.
 */
export const REPOS: Record<string, RepoFacts> = {
  'library/nginx': { description: 'Official build of Nginx.', labels: 'web server', pull_count: 1000, star_count: 50, updated_at: 1_700_000_000_005 },
  'library/redis': { description: 'Redis is an in-memory data store', labels: 'database cache', pull_count: 5000, star_count: 10, updated_at: 1_700_000_000_001 },
  'open/nginx-exporter': { description: 'Prometheus exporter for NGINX metrics (nginx, nginx plus)', labels: 'monitoring nginx', pull_count: 300, star_count: 70, updated_at: 1_700_000_000_007 },
  'open/webapp': { description: 'Serves the zebrafish dashboard', labels: 'frontend', pull_count: 40, star_count: 1, updated_at: 1_700_000_000_003 },
  'open/toolbox': { description: 'Handy tools', labels: 'kubernetes helm', pull_count: 30, star_count: 2, updated_at: 1_700_000_000_002 },
  'vendor/agent': { description: 'Monitoring agent', pull_count: 10, star_count: 3, updated_at: 1_700_000_000_004 },
  'oss/lib': { description: 'Open source library', pull_count: 20, star_count: 4, updated_at: 1_700_000_000_006 },
  'acme/nginx-secret': { description: 'Secret nginx build', labels: 'web helm', pull_count: 999_999, star_count: 999, updated_at: 1_700_000_000_009 },
};
const PUBLIC = Object.keys(REPOS).filter((n) => !n.startsWith('acme/'));
const ALL = Object.keys(REPOS);

const names = (res: ApiResponse, key = 'results'): string[] => (res.body[key] as { name: string }[]).map((r) => r.name);

export function describeSearch(label: string, start: () => Promise<SearchFixture>): void {
  describe(`search (${label})`, () => {
    let fx: SearchFixture;
    let alice: Creds;
    let bob: Creds;
    let robot: Creds;
    let aliceOpenToken: Creds;
    let aliceAcmeToken: Creds;
    let alicePushToken: Creds;
    const search = async (query: string, as?: Creds): Promise<ApiResponse> =>
      expectStatus(await call(fx.server, 'GET', `/search${query}`, as ? { as } : {}), 200);

    before(async () => {
      fx = await start();
      const { server } = fx;
      alice = await addUser(server, 'alice');
      bob = await addUser(server, 'bob');
      expectStatus(await call(server, 'POST', '/projects', { as: alice, body: { name: 'acme', visibility: 'private' } }), 201);
      for (const p of ['open', 'vendor', 'oss']) expectStatus(await call(server, 'POST', '/projects', { as: ADMIN, body: { name: p, visibility: 'public' } }), 201);
      expectStatus(await call(server, 'PATCH', '/projects/vendor', { as: ADMIN, body: { verified: true } }), 200);
      expectStatus(await call(server, 'PATCH', '/projects/oss', { as: ADMIN, body: { sponsored: true } }), 200);
      const r = expectStatus(await call(server, 'POST', '/projects/acme/robots', { as: alice, body: { name: 'reader', permissions: ['pull'] } }), 201).body;
      robot = [r.robot.name, r.secret];
      const token = async (name: string, permissions: string[], projects?: string[]): Promise<Creds> => {
        const t = expectStatus(await call(server, 'POST', '/users/alice/tokens', { as: alice, body: { name, permissions, ...(projects ? { projects } : {}) } }), 201).body;
        return ['alice', t.secret];
      };
      aliceOpenToken = await token('open-only', ['pull'], ['open']);
      aliceAcmeToken = await token('acme-only', ['pull'], ['acme']);
      alicePushToken = await token('push-only', ['push']);
      const admin = basicHeader(...ADMIN);
      for (const name of ALL) await pushTinyImage(server.url, name, 'latest', admin);
      // A repository with a manifest but no tag, whose text matches: it must never appear.
      await pushTinyImage(server.url, 'open/ghost', undefined, admin);
      await fx.editor.set('open/ghost', { description: 'nginx zebrafish helm ghost', pull_count: 1_000_000 });
      for (const [name, facts] of Object.entries(REPOS)) await fx.editor.set(name, facts);
    });
    after(async () => { await fx?.stop(); });

    it('an exact name comes first; other matches follow; private and untagged repositories do not', async () => {
      for (const q of ['nginx', 'NGINX', ' nginx ']) {
        const res = await search(`?q=${encodeURIComponent(q)}`);
        assert.deepEqual(names(res), ['library/nginx', 'open/nginx-exporter'], q);
        assert.equal(res.body.total, 2);
      }
      // The full name is exact too.
      assert.equal(names(await search('?q=open/nginx-exporter'))[0], 'open/nginx-exporter');
    });

    it('matches prefixes as the user types, every word must match', async () => {
      assert.deepEqual(names(await search('?q=ngi')).sort(), ['library/nginx', 'open/nginx-exporter']);
      assert.deepEqual(names(await search('?q=nginx%20exp')), ['open/nginx-exporter']);
      assert.deepEqual(names(await search('?q=red')), ['library/redis']);
      assert.deepEqual(names(await search('?q=nginx%20redis')), []);
    });

    it('matches descriptions, labels and project names', async () => {
      assert.deepEqual(names(await search('?q=zebrafish')), ['open/webapp']);
      assert.deepEqual(names(await search('?q=zebra')), ['open/webapp']);
      assert.deepEqual(names(await search('?q=helm')), ['open/toolbox']);
      assert.deepEqual(names(await search('?q=vendor')), ['vendor/agent']);
      // "monitoring" is vendor/agent's description and the exporter's label.
      assert.deepEqual(names(await search('?q=monitoring')).sort(), ['open/nginx-exporter', 'vendor/agent']);
    });

    it('answers the RepositorySummary shape with badges and counts', async () => {
      const res = await search('?q=nginx');
      const nginx = res.body.results[0];
      assert.deepEqual({ ...nginx, updatedAt: undefined }, {
        name: 'library/nginx', project: 'library', repository: 'nginx', description: 'Official build of Nginx.', shortDescription: '', labels: ['web', 'server'],
        badges: { official: true, verifiedPublisher: false, sponsoredOss: false }, pullCount: 1000, starCount: 50, tagCount: 1,
        updatedAt: undefined, lastPulledAt: null, visibility: 'public',
      });
      assert.equal(nginx.updatedAt, new Date(1_700_000_000_005).toISOString());
      assert.deepEqual({ page: res.body.page, n: res.body.n }, { page: 1, n: 25 });
      const agent = (await search('?q=agent')).body.results[0];
      assert.deepEqual(agent.badges, { official: false, verifiedPublisher: true, sponsoredOss: false });
      const lib = (await search('?q=lib&project=oss')).body.results[0];
      assert.deepEqual(lib.badges, { official: false, verifiedPublisher: false, sponsoredOss: true });
      const secret = (await search('?q=secret', ADMIN)).body.results[0];
      assert.equal(secret.visibility, 'private');
    });

    it('filters: official, verified, sponsored, project, label', async () => {
      assert.deepEqual(names(await search('?official=true')), ['library/redis', 'library/nginx']);
      assert.deepEqual(names(await search('?official=false&sort=name')), PUBLIC.filter((n) => !n.startsWith('library/')).sort());
      assert.deepEqual(names(await search('?verified=true')), ['vendor/agent']);
      assert.deepEqual(names(await search('?sponsored=1')), ['oss/lib']);
      assert.equal((await search('?verified=false')).body.total, PUBLIC.length - 1);
      assert.deepEqual(names(await search('?project=open&sort=name')), ['open/nginx-exporter', 'open/toolbox', 'open/webapp']);
      assert.deepEqual(names(await search('?label=helm')), ['open/toolbox']);
      assert.deepEqual(names(await search('?label=helm', ADMIN)), ['acme/nginx-secret', 'open/toolbox']);
      assert.deepEqual(names(await search('?label=hel')), [], 'a label matches whole');
      assert.deepEqual(names(await search('?label=%25')), [], 'LIKE wildcards are text');
      assert.deepEqual(names(await search('?q=nginx&official=true')), ['library/nginx']);
      expectStatus(await call(fx.server, 'GET', '/search?official=maybe'), 400, 'INVALID_REQUEST');
    });

    it('sorts: pulls by default without a query, stars, updated, name; relevance without a query falls back to pulls', async () => {
      const byPulls = [...PUBLIC].sort((a, b) => REPOS[b]!.pull_count! - REPOS[a]!.pull_count!);
      assert.deepEqual(names(await search('')), byPulls);
      assert.deepEqual(names(await search('?sort=relevance')), byPulls);
      assert.deepEqual(names(await search('?sort=pulls')), byPulls);
      assert.deepEqual(names(await search('?sort=stars')), [...PUBLIC].sort((a, b) => REPOS[b]!.star_count! - REPOS[a]!.star_count!));
      assert.deepEqual(names(await search('?sort=updated')), [...PUBLIC].sort((a, b) => REPOS[b]!.updated_at! - REPOS[a]!.updated_at!));
      assert.deepEqual(names(await search('?sort=name')), [...PUBLIC].sort());
      assert.deepEqual(names(await search('?q=nginx&sort=pulls')), ['library/nginx', 'open/nginx-exporter']);
      assert.deepEqual(names(await search('?q=nginx&sort=stars')), ['open/nginx-exporter', 'library/nginx']);
      expectStatus(await call(fx.server, 'GET', '/search?sort=random'), 400, 'INVALID_REQUEST');
    });

    it('pages: n and page walk the whole list once; total counts all; bad values are 400', async () => {
      const seen: string[] = [];
      for (let page = 1; page <= 4; page++) {
        const res = await search(`?sort=name&n=2&page=${page}`);
        assert.equal(res.body.total, PUBLIC.length);
        assert.deepEqual({ page: res.body.page, n: res.body.n }, { page, n: 2 });
        assert.ok(res.body.results.length <= 2);
        seen.push(...names(res));
      }
      assert.deepEqual(seen, [...PUBLIC].sort());
      const beyond = await search('?sort=name&n=2&page=50');
      assert.deepEqual({ total: beyond.body.total, results: beyond.body.results }, { total: PUBLIC.length, results: [] });
      expectStatus(await call(fx.server, 'GET', '/search?n=100'), 200);
      for (const bad of ['n=101', 'n=0', 'n=-1', 'n=abc', 'page=0', 'page=x', 'n=2.5']) {
        expectStatus(await call(fx.server, 'GET', `/search?${bad}`), 400, 'INVALID_REQUEST');
      }
    });

    it('visibility: anonymous and outsiders see public projects; members, admins, robots and tokens as their rights say', async () => {
      const visible = async (as?: Creds) => {
        const res = await search('?sort=name&n=100', as);
        assert.equal(res.body.total, res.body.results.length);
        return names(res);
      };
      assert.deepEqual(await visible(), [...PUBLIC].sort());
      assert.deepEqual(await visible(bob), [...PUBLIC].sort());
      assert.deepEqual(await visible(alice), [...ALL].sort());
      assert.deepEqual(await visible(ADMIN), [...ALL].sort());
      assert.deepEqual(await visible(robot), [...ALL].sort());
      assert.deepEqual(await visible(aliceOpenToken), [...PUBLIC].sort());
      assert.deepEqual(await visible(aliceAcmeToken), [...ALL].sort());
      // A token without pull may pull nothing, not even public images (the Authorizer's rule).
      assert.deepEqual(await visible(alicePushToken), []);
      // Private text is not even counted.
      for (const q of ['secret', 'nginx-secret', 'acme']) {
        const res = await search(`?q=${q}`, bob);
        assert.deepEqual({ total: res.body.total, results: res.body.results }, { total: 0, results: [] }, q);
      }
      assert.equal((await search('?q=nginx')).body.total, 2);
      assert.equal((await search('?q=nginx', alice)).body.total, 3);
      // Bad credentials are refused, not treated as anonymous.
      expectStatus(await call(fx.server, 'GET', '/search?q=nginx', { as: ['alice', 'wrong-password'] }), 401, 'UNAUTHORIZED');
    });

    it('GET /projects/{project}/repositories: readers only; q, sort and paging', async () => {
      const list = async (path: string, as?: Creds) => expectStatus(await call(fx.server, 'GET', path, as ? { as } : {}), 200);
      const open = await list('/projects/open/repositories?sort=name');
      assert.deepEqual(names(open, 'repositories'), ['open/nginx-exporter', 'open/toolbox', 'open/webapp']);
      assert.equal(open.body.total, 3);
      assert.deepEqual(names(await list('/projects/open/repositories?q=zebra'), 'repositories'), ['open/webapp']);
      assert.deepEqual(names(await list('/projects/open/repositories?sort=name&n=1&page=2'), 'repositories'), ['open/toolbox']);
      expectStatus(await call(fx.server, 'GET', '/projects/acme/repositories'), 404, 'NOT_FOUND');
      expectStatus(await call(fx.server, 'GET', '/projects/acme/repositories', { as: bob }), 404, 'NOT_FOUND');
      expectStatus(await call(fx.server, 'GET', '/projects/nothing/repositories', { as: ADMIN }), 404, 'NOT_FOUND');
      assert.deepEqual(names(await list('/projects/acme/repositories', alice), 'repositories'), ['acme/nginx-secret']);
      assert.deepEqual(names(await list('/projects/acme/repositories', robot), 'repositories'), ['acme/nginx-secret']);
      expectStatus(await call(fx.server, 'GET', '/projects/acme/repositories', { as: aliceOpenToken }), 404, 'NOT_FOUND');
      // An empty project the caller may read is an empty list.
      const empty = await list('/projects/bob/repositories', bob);
      assert.deepEqual({ total: empty.body.total, repositories: empty.body.repositories }, { total: 0, repositories: [] });
      expectStatus(await call(fx.server, 'GET', '/projects/open/repositories?n=500'), 400, 'INVALID_REQUEST');
    });

    it('hostile queries are text: never a 500, and never a match on syntax', async () => {
      const hostile = ['"', '""', '*', 'AND', 'OR', 'NOT', 'AND OR', 'NEAR(', 'NEAR(nginx redis)', '"nginx', 'nginx"*', '^nginx', '-nginx',
        'name:nginx', '{name}:nginx', 'nginx:*', 'nginx & redis', '!nginx', '(nginx', 'nginx)', "'", "';--", '\\', '%', '_', '\u0000', 'ngïnx', '日本語', '🙂'];
      for (const q of hostile) {
        const res = await call(fx.server, 'GET', `/search?q=${encodeURIComponent(q)}`);
        assert.ok(res.status === 200 || res.status === 400, `${JSON.stringify(q)}: ${res.status} ${res.text}`);
        if (res.status === 200) assert.ok(res.body.results.every((r: { name: string }) => PUBLIC.includes(r.name)), JSON.stringify(q));
      }
      // Words inside syntax still match as words; operators are words too, so they narrow.
      assert.deepEqual(names(await search(`?q=${encodeURIComponent('"nginx')}`)), ['library/nginx', 'open/nginx-exporter']);
      assert.deepEqual(names(await search(`?q=${encodeURIComponent('name:nginx')}`)), []);
      assert.deepEqual(names(await search('?q=*')), []);
      const long = await call(fx.server, 'GET', `/search?q=${'a'.repeat(2000)}`);
      expectStatus(long, 400, 'INVALID_REQUEST');
      const many = await call(fx.server, 'GET', `/search?q=${encodeURIComponent(Array.from({ length: 120 }, (_, i) => `w${i}`).join(' '))}`);
      assert.ok(many.status === 200 || many.status === 400, many.text);
    });

    it('repositories without tags never appear, not even for administrators; losing the last tag hides one', async () => {
      for (const as of [undefined, ADMIN]) {
        const res = await search('?q=ghost', as);
        assert.deepEqual({ total: res.body.total, results: res.body.results }, { total: 0, results: [] });
        assert.ok(!names(await search('?n=100', as)).includes('open/ghost'));
      }
      const admin = basicHeader(...ADMIN);
      await pushTinyImage(fx.server.url, 'open/ephemeral', 'v1', admin);
      assert.deepEqual(names(await search('?q=ephemeral')), ['open/ephemeral']);
      const del = await fetch(`${fx.server.url}/v2/open/ephemeral/manifests/v1`, { method: 'DELETE', headers: { authorization: admin } });
      assert.equal(del.status, 202, await del.text());
      assert.deepEqual(names(await search('?q=ephemeral')), []);
    });

    it('a description change is searchable at once; the old words stop matching', async () => {
      assert.deepEqual(names(await search('?q=quokka')), []);
      await fx.editor.set('library/redis', { description: 'Now mentions a quokka' });
      assert.deepEqual(names(await search('?q=quokka')), ['library/redis']);
      assert.deepEqual(names(await search('?q=memory')), []);
      await fx.editor.set('library/redis', { labels: 'kv store' });
      assert.deepEqual(names(await search('?label=kv')), ['library/redis']);
      assert.deepEqual(names(await search('?q=database')), []);
      // Through the API as well (PATCH /repositories/...): the index follows in the same transaction.
      expectStatus(await call(fx.server, 'PATCH', '/repositories/open/webapp', { as: ADMIN, body: { description: 'Now about the walrus colony', labels: ['marine'] } }), 200);
      const walrus = await search('?q=walrus');
      assert.deepEqual(names(walrus), ['open/webapp']);
      assert.equal(walrus.body.results[0].description, 'Now about the walrus colony');
      assert.deepEqual(walrus.body.results[0].labels, ['marine']);
      assert.deepEqual(names(await search('?q=zebrafish')), []);
      assert.deepEqual(names(await search('?label=marine')), ['open/webapp']);
      assert.deepEqual(names(await search('?label=frontend')), []);
    });

    it('matches parts of names: exact first, then word prefixes, then substrings; private names stay hidden', async () => {
      const admin = basicHeader(...ADMIN);
      const extra: Record<string, RepoFacts> = {
        'open/rootfs': { description: 'Plain base', pull_count: 1 },
        'open/rootfs-tools': { description: 'Utilities for images', pull_count: 2 },
        'library/debian-rootfs': { description: 'A Debian base', pull_count: 3 },
        'vendor/myrootfs': { description: 'Another base', pull_count: 400 },
        'acme/secret-rootfs': { description: 'Hidden base', pull_count: 500 },
      };
      for (const [name, facts] of Object.entries(extra)) {
        await pushTinyImage(fx.server.url, name, 'latest', admin);
        await fx.editor.set(name, facts);
      }
      // The part "ootfs" begins no word: every rootfs is a substring match (by pulls), the private one only for its readers.
      assert.deepEqual(names(await search('?q=ootfs')), ['vendor/myrootfs', 'library/debian-rootfs', 'open/rootfs-tools', 'open/rootfs']);
      assert.equal((await search('?q=ootfs')).body.total, 4);
      assert.deepEqual(names(await search('?q=ootfs', bob)), ['vendor/myrootfs', 'library/debian-rootfs', 'open/rootfs-tools', 'open/rootfs']);
      assert.deepEqual(names(await search('?q=ootfs', alice))[0], 'acme/secret-rootfs');
      assert.equal((await search('?q=ootfs', alice)).body.total, 5);
      // "rootfs": the exact name, then the names with a word starting so (by score), then myrootfs, a substring.
      const rootfs = names(await search('?q=rootfs'));
      assert.equal(rootfs[0], 'open/rootfs');
      assert.deepEqual(rootfs.slice(1, 3).sort(), ['library/debian-rootfs', 'open/rootfs-tools']);
      assert.deepEqual(rootfs.slice(3), ['vendor/myrootfs']);
      // The whole text as a name: "n-roo" spans two words of debian-rootfs.
      assert.deepEqual(names(await search('?q=n-roo')), ['library/debian-rootfs']);
      assert.deepEqual(names(await search(`?q=${encodeURIComponent('fs-to')}`)), ['open/rootfs-tools']);
      // An underscore is a character, not a LIKE wildcard.
      assert.deepEqual(names(await search('?q=fs_to')), []);
      // Each word matches either way: "deb" as a prefix, "ootfs" as a substring.
      assert.deepEqual(names(await search('?q=deb%20ootfs')), ['library/debian-rootfs']);
      // Under three characters, only word prefixes match ("ro" begins rootfs, not myrootfs).
      assert.deepEqual(names(await search('?q=ro')).sort(), ['library/debian-rootfs', 'open/rootfs', 'open/rootfs-tools']);
      // Substrings are of names only, not of descriptions or labels ("tilities" is in a description).
      assert.deepEqual(names(await search('?q=tilities')), []);
      assert.deepEqual(names(await search('?q=utilities')), ['open/rootfs-tools']);
      // The project name is part of the short name, except library's.
      assert.deepEqual(names(await search('?q=endor')), ['vendor/myrootfs', 'vendor/agent']);
      assert.deepEqual(names(await search('?q=ibrary')), []);
      // Other sorts and filters apply to substring matches as to any.
      assert.deepEqual(names(await search('?q=ootfs&sort=name')), ['library/debian-rootfs', 'open/rootfs', 'open/rootfs-tools', 'vendor/myrootfs']);
      assert.deepEqual(names(await search('?q=ootfs&official=true')), ['library/debian-rootfs']);
      assert.deepEqual(names(await search('?q=ootfs&n=2&page=2')), ['open/rootfs-tools', 'open/rootfs']);
      // Losing its last tag hides a repository from substring matches too.
      const del = await fetch(`${fx.server.url}/v2/open/rootfs/manifests/latest`, { method: 'DELETE', headers: { authorization: admin } });
      assert.equal(del.status, 202, await del.text());
      assert.ok(!names(await search('?q=ootfs')).includes('open/rootfs'), 'an untagged repository is not found by a substring either');
    });
  });
}
