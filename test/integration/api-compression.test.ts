// API JSON answers are compressed above a small size (issue 17): br or gzip as the client asks,
// with Vary: Accept-Encoding, the same JSON once decoded; small answers and clients that ask for
// no coding get plain JSON. Read with node:http, which (unlike fetch) does not decode for us.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import type { BerthProcess } from '../helpers/berth-process.ts';
import { pickEncoding } from '../../src/http/api/compress.ts';
import { ADMIN, basic, call, expectStatus, startApiServer } from './api-helpers.ts';

function get(server: BerthProcess, path: string, acceptEncoding?: string): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(`${server.url}/api/v1${path}`, {
      headers: { authorization: basic(ADMIN), ...(acceptEncoding !== undefined ? { 'accept-encoding': acceptEncoding } : {}) },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('api: compressed JSON answers', () => {
  let server: BerthProcess;

  before(async () => {
    server = await startApiServer();
    // Enough users that the user list is well over the threshold.
    for (let i = 0; i < 30; i++) expectStatus(await call(server, 'POST', '/users', { as: ADMIN, body: { name: `user-${i}`, password: `user-${i}-password-ok` } }), 201);
  });
  after(async () => {
    await server?.stop();
  });

  it('sends br to a client that accepts br and gzip, and the body decodes to the same JSON', async () => {
    const plain = await get(server, '/users');
    assert.equal(plain.status, 200);
    assert.equal(plain.headers['content-encoding'], undefined, 'no Accept-Encoding: no coding');
    assert.ok(plain.body.length > 2048, `the user list is large: ${plain.body.length} bytes`);
    const br = await get(server, '/users', 'gzip, deflate, br');
    assert.equal(br.status, 200);
    assert.equal(br.headers['content-encoding'], 'br');
    assert.match(String(br.headers.vary), /Accept-Encoding/i);
    assert.match(String(br.headers['content-type']), /application\/json/);
    assert.ok(br.body.length < plain.body.length / 2, `br ${br.body.length} < half of ${plain.body.length}`);
    assert.deepEqual(JSON.parse(brotliDecompressSync(br.body).toString('utf8')), JSON.parse(plain.body.toString('utf8')));
  });

  it('sends gzip to a client that accepts only gzip, and none when both are refused', async () => {
    const gz = await get(server, '/users', 'gzip');
    assert.equal(gz.headers['content-encoding'], 'gzip');
    assert.equal(JSON.parse(gunzipSync(gz.body).toString('utf8')).users.length, 31);
    const refused = await get(server, '/users', 'br;q=0, gzip;q=0');
    assert.equal(refused.headers['content-encoding'], undefined);
    assert.equal(JSON.parse(refused.body.toString('utf8')).users.length, 31);
  });

  it('leaves small answers alone', async () => {
    const small = await get(server, '/capabilities', 'gzip, br');
    assert.equal(small.status, 200);
    assert.ok(small.body.length < 1024);
    assert.equal(small.headers['content-encoding'], undefined);
    assert.ok(JSON.parse(small.body.toString('utf8')).features);
  });

  it('compresses error bodies only when large, and the OpenAPI document', async () => {
    const doc = await get(server, '/openapi.json', 'br');
    assert.equal(doc.headers['content-encoding'], 'br');
    assert.equal(JSON.parse(brotliDecompressSync(doc.body).toString('utf8')).openapi, '3.1.0');
    const missing = await get(server, '/projects/nope', 'gzip, br');
    assert.equal(missing.status, 404);
    assert.equal(missing.headers['content-encoding'], undefined);
  });

  it('reads Accept-Encoding weights', () => {
    assert.equal(pickEncoding(undefined), undefined);
    assert.equal(pickEncoding('identity'), undefined);
    assert.equal(pickEncoding('gzip;q=0.5, br;q=0.1'), 'br');
    assert.equal(pickEncoding('br;q=0, gzip'), 'gzip');
    assert.equal(pickEncoding('*'), 'br');
    assert.equal(pickEncoding('*;q=0'), undefined);
    assert.equal(pickEncoding('GZIP'), 'gzip');
  });
});
