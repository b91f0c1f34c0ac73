// `podman search HOST/term` against a real `berth serve` (auth builtin). podman 4.3 calls
// GET /v1/search first, never with credentials, and shows Berth's answer, descriptions and stars
// included; on any other answer than 200 it lists /v2/_catalog instead, with its login, and
// filters the names on its side (docs/protocol.md, "podman search for a signed-in user").
//
// - While every repository is public, /v1/search answers anonymous podman: a repository found
//   only by its description is listed, the log shows /v1/search and no /v2/_catalog, and parts
//   of names match ("ootfs" finds debian-rootfs).
// - Once a repository is private, /v1/search answers anonymous callers 401, registry-wide (never
//   per query, so it tells nothing about which names are private). podman then lists the catalog:
//   a member who ran `podman login` finds the private repository, a signed-in stranger and an
//   anonymous user find the public ones.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { BerthProcess } from '../helpers/berth-process.ts';
import { ADMIN, ADMIN_PASSWORD, addUser, call, expectStatus, startApiServer, type Creds } from '../integration/api-helpers.ts';
import { sqliteRepoEditor, type RepoEditor } from '../integration/search-helpers.ts';
import { createClientEnv, type ClientEnv } from './helpers/client-env.ts';
import { buildBusyboxLayout, type ImageFixture } from './helpers/fixtures.ts';
import { requireTools } from './helpers/tools.ts';

const T = { timeout: 300_000 };
const TLS = '--tls-verify=false';

interface PodmanSearchResult {
  Index: string;
  Name: string;
  Description: string;
  Stars: number;
  Official: string;
  Automated: string;
}

describe('podman search', { timeout: 900_000 }, () => {
  let server: BerthProcess;
  let editor: RepoEditor;
  let client: ClientEnv;
  let busybox: ImageFixture;
  let member: Creds;
  let stranger: Creds;

  const search = async (env: ClientEnv, term: string, ...flags: string[]): Promise<PodmanSearchResult[]> => {
    const { stdout } = await env.run('podman', ['search', TLS, '--no-trunc', '--format', 'json', ...flags, `${server.host}/${term}`]);
    return JSON.parse(stdout || '[]') as PodmanSearchResult[];
  };
  const push = (repo: string) =>
    client.run('skopeo', ['copy', '--retry-times=0', '--dest-tls-verify=false', '--dest-creds', `admin:${ADMIN_PASSWORD}`, busybox.source, `docker://${server.host}/${repo}:latest`]);
  /** The server's log lines written while `fn` ran. */
  const logsOf = async (fn: () => Promise<unknown>): Promise<string> => {
    const from = server.logs().length;
    await fn();
    return server.logs().slice(from);
  };
  const host = (name: string) => `${server.host}/${name}`;

  before(async () => {
    requireTools('podman', 'skopeo', 'tar', 'busybox');
    server = await startApiServer();
    editor = sqliteRepoEditor(server.dataDir);
    client = await createClientEnv(server.host);
    busybox = await buildBusyboxLayout(await client.scratch('busybox'));
    member = await addUser(server, 'hana');
    stranger = await addUser(server, 'mallory');
    expectStatus(await call(server, 'POST', '/projects', { as: ADMIN, body: { name: 'acme', visibility: 'public' } }), 201);
    expectStatus(await call(server, 'POST', '/projects', { as: ADMIN, body: { name: 'hidden', visibility: 'private' } }), 201);
    expectStatus(await call(server, 'PUT', '/projects/hidden/members/hana', { as: ADMIN, body: { role: 'developer' } }), 200);
    for (const repo of ['library/busybox', 'acme/busybox-tools', 'acme/shell', 'library/debian-rootfs']) await push(repo);
    await editor.set('library/busybox', { description: 'Busybox base image.', star_count: 77, pull_count: 500 });
    await editor.set('acme/busybox-tools', { description: 'Extra tools for busybox', star_count: 5, pull_count: 20 });
    // Found only through its description: the client-side catalog fallback filters on names.
    await editor.set('acme/shell', { description: 'A tiny shell built from busybox', star_count: 2, pull_count: 1 });
    await editor.set('library/debian-rootfs', { description: 'A Debian root file system', star_count: 3, pull_count: 2 });
  });

  after(async () => {
    await client?.cleanup();
    await editor?.close();
    await server?.stop();
  });

  it('with every repository public: lists what /v1/search answers, with descriptions and stars, official image first', T, async () => {
    let results: PodmanSearchResult[] = [];
    const logs = await logsOf(async () => { results = await search(client, 'busybox'); });
    const rows = results.map((r) => ({ name: r.Name, description: r.Description, stars: r.Stars, official: r.Official }));
    assert.deepEqual(rows, [
      { name: host('busybox'), description: 'Busybox base image.', stars: 77, official: '[OK]' },
      { name: host('acme/busybox-tools'), description: 'Extra tools for busybox', stars: 5, official: '' },
      { name: host('acme/shell'), description: 'A tiny shell built from busybox', stars: 2, official: '' },
    ]);
    assert.match(logs, /"url":"\/v1\/search","status":200/, 'podman called /v1/search');
    assert.doesNotMatch(logs, /"url":"\/v2\/_catalog"/, 'podman did not fall back to the catalog');
  });

  it('matches prefixes and parts of names, honours --limit, and a term matching nothing lists nothing', T, async () => {
    assert.deepEqual((await search(client, 'tiny')).map((r) => r.Name), [host('acme/shell')]);
    assert.deepEqual((await search(client, 'busy', '--limit', '1')).map((r) => r.Name), [host('busybox')]);
    assert.deepEqual(await search(client, 'nomatchatall'), []);
    let found: PodmanSearchResult[] = [];
    const logs = await logsOf(async () => { found = await search(client, 'ootfs'); });
    assert.deepEqual(found.map((r) => ({ name: r.Name, description: r.Description })), [{ name: host('debian-rootfs'), description: 'A Debian root file system' }]);
    assert.doesNotMatch(logs, /"url":"\/v2\/_catalog"/, 'found by Berth\'s search, not by podman\'s own filter of the catalog');
  });

  describe('once a repository is private', () => {
    before(async () => {
      await push('hidden/busybox-secret');
      await editor.set('hidden/busybox-secret', { description: 'busybox, privately', star_count: 1000 });
      // /v1/search rechecks whether anything is hidden at most every 5 s.
      await new Promise((r) => setTimeout(r, 5500));
    });

    it('an anonymous /v1/search is 401 with a Basic challenge, whatever the text; with credentials it is 200', T, async () => {
      for (const q of ['busybox', 'nomatchatall', 'secret']) {
        const res = await fetch(`${server.url}/v1/search?q=${q}`);
        assert.equal(res.status, 401, `${q}: ${await res.text()}`);
        assert.equal(res.headers.get('www-authenticate'), 'Basic realm="Berth Registry"');
      }
      const res = await fetch(`${server.url}/v1/search?q=busybox`, { headers: { authorization: `Basic ${Buffer.from(`${member[0]}:${member[1]}`).toString('base64')}` } });
      assert.equal(res.status, 200);
      assert.ok(((await res.json()) as { results: { name: string }[] }).results.some((r) => r.name === 'hidden/busybox-secret'));
    });

    it('a member who ran podman login finds the private repository (podman lists the catalog with its login)', T, async () => {
      const env = await createClientEnv(server.host);
      try {
        await env.run('podman', ['login', TLS, '-u', member[0], '--password-stdin', server.host], { input: member[1] });
        let results: PodmanSearchResult[] = [];
        const logs = await logsOf(async () => { results = await search(env, 'busybox'); });
        assert.deepEqual(results.map((r) => r.Name).sort(), [host('acme/busybox-tools'), host('busybox'), host('hidden/busybox-secret')]);
        assert.match(logs, /"url":"\/v1\/search","status":401/);
        assert.match(logs, /"url":"\/v2\/_catalog[^"]*","status":200/, 'podman listed the catalog');
        // Parts of names are podman's own filter here (it keeps names containing the text).
        assert.deepEqual((await search(env, 'ecre')).map((r) => r.Name), [host('hidden/busybox-secret')]);
      } finally {
        await env.cleanup();
      }
    });

    it('a signed-in stranger and an anonymous user find the public repositories only (names: podman filters the catalog)', T, async () => {
      const env = await createClientEnv(server.host);
      try {
        await env.run('podman', ['login', TLS, '-u', stranger[0], '--password-stdin', server.host], { input: stranger[1] });
        assert.deepEqual((await search(env, 'busybox')).map((r) => r.Name).sort(), [host('acme/busybox-tools'), host('busybox')]);
      } finally {
        await env.cleanup();
      }
      assert.deepEqual((await search(client, 'busybox')).map((r) => r.Name).sort(), [host('acme/busybox-tools'), host('busybox')]);
      assert.deepEqual((await search(client, 'secret')).map((r) => r.Name), []);
    });
  });
});
