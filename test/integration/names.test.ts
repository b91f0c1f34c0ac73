// Repository names (distribution-spec v1.1: <name> grammar). Invalid names are refused with
// 400 NAME_INVALID before anything is stored; `nginx` and `library/nginx` are one repository.
// Paths go through node:http unchanged, so `..`, `%2e%2e` and `//` reach the server as written.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  berthOnly, call, digestOf, expectBlob, expectManifest, expectRawError, expectStatus, isBerth,
  MediaType, pushImage, raw, randomBlob, startServer, uploadBlob, type RawResponse, type Server,
} from './helpers.ts';

const INVALID: [string, string][] = [
  ['uppercase', 'Upper/Case'],
  ['uppercase in the second component', 'lower/Case'],
  ['a .. component', 'ok/../evil'],
  ['%2e%2e traversal', 'ok/%2e%2e/evil'],
  ['%2E%2E traversal', 'ok/%2E%2E/evil'],
  ['an empty component (//)', 'ok//evil'],
  ['a leading slash component', '/evil'],
  ['a trailing separator', 'evil-'],
  ['a leading separator', '_evil'],
  ['two dots inside a component', 'ok/a..b'],
  ['a space', 'ok/a%20b'],
  ['256 characters', `${'a'.repeat(128)}/${'b'.repeat(127)}`],
];

/** Berth answers 400 NAME_INVALID; Distribution (development only) routes such names to 404. */
function expectNameRefused(r: RawResponse, what: string): void {
  if (isBerth) {
    expectRawError(r, 400, 'NAME_INVALID', what);
  } else {
    // Go's router answers 301 to a path it would clean (.., //).
    assert.ok([301, 400, 404].includes(r.status), `${what}: expected 400, 404 or 301, got ${r.status}`);
  }
}

async function catalog(srv: Server): Promise<string[]> {
  const res = await call(srv, 'GET', '/v2/_catalog?n=1000');
  const body = JSON.parse((await expectStatus(res, 200, 'GET /v2/_catalog')).toString()) as { repositories: string[] };
  return body.repositories;
}

describe('repository names', () => {
  let srv: Server;
  before(async () => {
    srv = await startServer();
    await pushImage(srv, 'base/repo', { tag: 'v1', layers: 1 });
  });
  after(async () => { await srv?.stop(); });

  it('a 255-character name is valid', async () => {
    const name = `${'a'.repeat(127)}/${'b'.repeat(127)}`;
    assert.equal(name.length, 255);
    const data = randomBlob(10);
    const d = await uploadBlob(srv, name, data);
    await expectBlob(srv, name, data, d);
  });

  it('names with separators the grammar allows are valid', async () => {
    for (const name of ['a0/b-c', 'a.b/c_d', 'a__b/c---d', '0/1/2/3']) {
      const data = randomBlob(10);
      await expectBlob(srv, name, data, await uploadBlob(srv, name, data), `name ${name}`);
    }
  });

  for (const [label, name] of INVALID) {
    it(`a name with ${label} is refused on every endpoint and nothing is created`, async () => {
      const before1 = await catalog(srv);
      const data = randomBlob(64);
      const digest = digestOf(data);
      const manifest = JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciManifest, config: { mediaType: MediaType.OciConfig, digest, size: 64 }, layers: [] });
      const requests: [string, string, Record<string, string>, Buffer | string | undefined][] = [
        ['POST', `/v2/${name}/blobs/uploads/?digest=${digest}`, { 'content-type': 'application/octet-stream' }, data],
        ['POST', `/v2/${name}/blobs/uploads/`, { 'content-length': '0' }, undefined],
        ['PUT', `/v2/${name}/manifests/latest`, { 'content-type': MediaType.OciManifest }, manifest],
        ['GET', `/v2/${name}/manifests/latest`, {}, undefined],
        ['GET', `/v2/${name}/blobs/${digest}`, {}, undefined],
        ['GET', `/v2/${name}/tags/list`, {}, undefined],
        ['DELETE', `/v2/${name}/manifests/${digest}`, {}, undefined],
      ];
      for (const [method, path, headers, body] of requests) {
        const r = await raw(srv, method, path, headers, body);
        expectNameRefused(r, `${method} ${path.slice(0, 120)}`);
      }
      // Nothing was created, neither under the name nor under what it might normalize to.
      assert.deepEqual(await catalog(srv), before1, 'the catalog changed after requests with an invalid name');
      for (const candidate of ['evil', 'ok/evil', 'upper/case', 'lower/case', 'ok/ab', 'ok/a/b']) {
        const r = await raw(srv, 'HEAD', `/v2/${candidate}/blobs/${digest}`);
        assert.equal(r.status, 404, `HEAD /v2/${candidate}/blobs/<digest> after ${label}: expected 404, got ${r.status}`);
      }
      await expectStatus(await call(srv, 'GET', '/v2/'), 200, 'server still serving');
    });
  }

  it('a %2e%2e traversal out of /v2 is not served', async () => {
    const r = await raw(srv, 'GET', '/v2/%2e%2e/%2e%2e/etc/passwd');
    assert.ok(r.status === 400 || r.status === 404 || (!isBerth && r.status === 301), `expected 400 or 404, got ${r.status}`);
    assert.ok(!r.body.toString().includes('root:'), 'the response leaks a file');
  });

  it('`nginx` and `library/nginx` are the same repository', berthOnly('Distribution keeps them apart'), async () => {
    const img = await pushImage(srv, 'nginx', { tag: 'short' });
    await expectManifest(srv, 'library/nginx', 'short', img.manifest, MediaType.OciManifest, 'pushed as nginx, pulled as library/nginx:');
    for (const l of img.layers) await expectBlob(srv, 'library/nginx', l.data, l.digest, 'blob via library/nginx:');
    const img2 = await pushImage(srv, 'library/nginx', { tag: 'long' });
    await expectManifest(srv, 'nginx', 'long', img2.manifest, MediaType.OciManifest, 'pushed as library/nginx, pulled as nginx:');
    for (const name of ['nginx', 'library/nginx']) {
      const res = await call(srv, 'GET', `/v2/${name}/tags/list`);
      const body = JSON.parse((await expectStatus(res, 200, `tags of ${name}`)).toString()) as { tags: string[] };
      assert.deepEqual(body.tags, ['long', 'short'], `tags of ${name}`);
    }
    const repos = await catalog(srv);
    const listed = repos.filter((r) => r === 'nginx' || r === 'library/nginx');
    assert.equal(listed.length, 1, `the catalog lists ${JSON.stringify(listed)}; expected one repository`);
  });
});
