// `podman search HOST/term` against a real `berth serve` (auth builtin): podman calls
// GET /v1/search first and shows Berth's answer, descriptions and stars included. The proof that
// it did not fall back to the catalog (which podman filters by name on the client): a repository
// found only by its description is listed, the server's log shows /v1/search and no
// /v2/_catalog, and a private repository is not listed to an anonymous search.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { BerthProcess } from '../helpers/berth-process.ts';
import { ADMIN, ADMIN_PASSWORD, call, expectStatus, startApiServer } from '../integration/api-helpers.ts';
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

  const search = async (term: string, ...flags: string[]): Promise<PodmanSearchResult[]> => {
    const { stdout } = await client.run('podman', ['search', TLS, '--no-trunc', '--format', 'json', ...flags, `${server.host}/${term}`]);
    return JSON.parse(stdout || '[]') as PodmanSearchResult[];
  };

  before(async () => {
    requireTools('podman', 'skopeo', 'tar', 'busybox');
    server = await startApiServer();
    editor = sqliteRepoEditor(server.dataDir);
    client = await createClientEnv(server.host);
    busybox = await buildBusyboxLayout(await client.scratch('busybox'));
    expectStatus(await call(server, 'POST', '/projects', { as: ADMIN, body: { name: 'acme', visibility: 'public' } }), 201);
    expectStatus(await call(server, 'POST', '/projects', { as: ADMIN, body: { name: 'hidden', visibility: 'private' } }), 201);
    for (const repo of ['library/busybox', 'acme/busybox-tools', 'acme/shell', 'hidden/busybox-secret']) {
      await client.run('skopeo', ['copy', '--retry-times=0', '--dest-tls-verify=false', '--dest-creds', `admin:${ADMIN_PASSWORD}`, busybox.source, `docker://${server.host}/${repo}:latest`]);
    }
    await editor.set('library/busybox', { description: 'Busybox base image.', star_count: 77, pull_count: 500 });
    await editor.set('acme/busybox-tools', { description: 'Extra tools for busybox', star_count: 5, pull_count: 20 });
    // Found only through its description: the client-side catalog fallback filters on names.
    await editor.set('acme/shell', { description: 'A tiny shell built from busybox', star_count: 2, pull_count: 1 });
    await editor.set('hidden/busybox-secret', { description: 'busybox, privately', star_count: 1000 });
  });

  after(async () => {
    await client?.cleanup();
    await editor?.close();
    await server?.stop();
  });

  it('lists what /v1/search answers, with descriptions and stars, official image first', T, async () => {
    const results = await search('busybox');
    const rows = results.map((r) => ({ name: r.Name, description: r.Description, stars: r.Stars, official: r.Official }));
    assert.deepEqual(rows, [
      { name: `${server.host}/busybox`, description: 'Busybox base image.', stars: 77, official: '[OK]' },
      { name: `${server.host}/acme/busybox-tools`, description: 'Extra tools for busybox', stars: 5, official: '' },
      { name: `${server.host}/acme/shell`, description: 'A tiny shell built from busybox', stars: 2, official: '' },
    ]);
    const logs = server.logs();
    assert.match(logs, /"url":"\/v1\/search","status":200/, 'podman called /v1/search');
    assert.doesNotMatch(logs, /"url":"\/v2\/_catalog"/, 'podman did not fall back to the catalog');
  });

  it('matches prefixes, honours --limit, and a term matching nothing lists nothing', T, async () => {
    assert.deepEqual((await search('tiny')).map((r) => r.Name), [`${server.host}/acme/shell`]);
    assert.deepEqual((await search('busy', '--limit', '1')).map((r) => r.Name), [`${server.host}/busybox`]);
    assert.deepEqual(await search('nomatchatall'), []);
  });
});
