// Bad input to the scan feature changes nothing and stops nothing: a layer that is not what its
// media type says, a truncated layer, a garbled package database, and feed uploads that are not
// feeds (garbage, a cut-off zip, JSON of the wrong shape, deep nesting, an upload that ends
// early). Each gets a failed report or a 400, the active feed stays, and the server keeps serving.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import type { BerthProcess } from '../helpers/berth-process.ts';
import { ADMIN, addUser, basic, call, expectStatus, startApiServer, type Creds } from './api-helpers.ts';
import { BOOKWORM_OS_RELEASE, importFeed, layerOf, pushLayers, trackerFixture, waitReport } from './scan-helpers.ts';

describe('bad input to scanning and to feed imports', { timeout: 300_000 }, () => {
  let server: BerthProcess;
  let alice: Creds;
  let feedDigest: string;

  before(async () => {
    server = await startApiServer();
    alice = await addUser(server, 'alice');
    feedDigest = (await importFeed(server, ADMIN, trackerFixture(), 'application/json')).digest;
  });
  after(async () => { await server?.stop(); });

  const alive = async () => {
    const r = await fetch(`${server.url}/healthz`);
    assert.equal(r.status, 200, 'the server still serves');
    const status = expectStatus(await call(server, 'GET', '/vulndb', { as: ADMIN }), 200).body;
    assert.equal(status.active.imports.find((i: { source: string }) => i.source === 'debian-tracker').digest, feedDigest, 'the active feed is unchanged');
  };

  it('layers that are not what they say fail the scan with a reason, and nothing else', async () => {
    const gz = layerOf({ 'etc/os-release': BOOKWORM_OS_RELEASE, 'var/lib/dpkg/status': 'Package: tar\nStatus: install ok installed\nVersion: 1.34+dfsg-1.2+deb12u1\n' });
    const cases: [string, Buffer][] = [
      ['random bytes', randomBytes(4096)],
      ['a truncated gzip', gz.subarray(0, Math.floor(gz.length / 2))],
      ['gzip of random bytes', layerOf({}).subarray(0, 10)],
    ];
    for (const [what, layer] of cases) {
      const tag = what.replace(/\W+/g, '-');
      await pushLayers(server, alice, 'alice/bad', tag, [layer]);
      const report = await waitReport(server, alice, 'alice/bad', tag);
      assert.equal(report.status, 'failed', `${what}: ${JSON.stringify(report).slice(0, 300)}`);
      assert.ok(report.error && report.error.length > 5, `${what}: the report says why`);
    }
    await alive();
  });

  it('a garbled package database is read as far as it makes sense', async () => {
    const garbled = layerOf({
      'etc/os-release': BOOKWORM_OS_RELEASE,
      'var/lib/dpkg/status': `${'\u0000\uffff'.repeat(1000)}\nPackage: tar\nStatus: install ok installed\nVersion: 1.34+dfsg-1.2+deb12u1\n\nPackage:\nVersion:\n\n${'Package: x\n'.repeat(5000)}`,
      'usr/lib/python3/dist-packages/broken.dist-info/METADATA': randomBytes(3000),
      'app/node_modules/evil/package.json': '{"name": {"not": "a string"}, "version": [1,2,3]}',
      'app/package-lock.json': '['.repeat(100_000),
    });
    await pushLayers(server, alice, 'alice/garbled', '1', [garbled]);
    const report = await waitReport(server, alice, 'alice/garbled', '1');
    assert.equal(report.status, 'done', report.error);
    assert.ok(report.packages.some((p: { name: string; version: string }) => p.name === 'tar' && p.version === '1.34+dfsg-1.2+deb12u1'), JSON.stringify(report.packages).slice(0, 400));
    assert.deepEqual(report.vulnerabilities.map((v: { id: string }) => v.id), ['CVE-2005-2541']);
    await alive();
  });

  it('feed uploads that are not feeds get 400 and change nothing', async () => {
    const bodies: [string, Buffer, string][] = [
      ['garbage', randomBytes(10_000), 'application/octet-stream'],
      ['a cut-off zip', Buffer.concat([Buffer.from('PK\u0003\u0004'), randomBytes(500)]), 'application/zip'],
      ['a JSON number', Buffer.from('42'), 'application/json'],
      ['JSON of the wrong shape', Buffer.from('[{"id": 5}, "x", null, {"affected": "nope"}]'), 'application/json'],
      ['deep nesting', Buffer.from('['.repeat(200_000)), 'application/json'],
      ['an empty body', Buffer.alloc(0), 'application/json'],
      ['a gzip that is not a tar', Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3]), 'application/gzip'],
    ];
    for (const [what, body, type] of bodies) {
      const res = await fetch(`${server.url}/api/v1/vulndb/imports`, { method: 'POST', headers: { authorization: basic(ADMIN), 'content-type': type }, body });
      const text = await res.text();
      assert.equal(res.status, 400, `${what}: ${res.status} ${text}`);
      assert.equal(JSON.parse(text).errors[0].code, 'INVALID_REQUEST', what);
    }
    await alive();
  });

  it('an upload that ends before its Content-Length changes nothing', async () => {
    await new Promise<void>((resolve) => {
      const url = new URL(`${server.url}/api/v1/vulndb/imports`);
      const req = request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { authorization: basic(ADMIN), 'content-type': 'application/json', 'content-length': '100000' } });
      req.on('error', () => resolve());
      req.on('response', (res) => { res.resume(); res.on('end', () => resolve()); });
      req.write(trackerFixture().subarray(0, 500));
      setTimeout(() => { req.destroy(); resolve(); }, 300);
    });
    await new Promise((r) => setTimeout(r, 500));
    await alive();
  });

  it('an import through oci:// of something that is not there, or not a feed, is a 400', async () => {
    for (const reference of [`oci://${server.host}/alice/nothing:here`, 'oci://127.0.0.1:9/x/y:z', 'not-a-reference']) {
      const r = await call(server, 'POST', '/vulndb/imports/oci', { as: ADMIN, body: { reference } });
      assert.equal(r.status, 400, `${reference}: ${r.text}`);
    }
    await pushLayers(server, alice, 'alice/notfeed', '1', [layerOf({ 'etc/os-release': BOOKWORM_OS_RELEASE })]);
    const r = await call(server, 'POST', '/vulndb/imports/oci', { as: ADMIN, body: { reference: `oci://${server.host}/alice/notfeed:1`, username: 'alice', password: alice[1] } });
    assert.equal(r.status, 400, r.text);
    await alive();
  });
});
