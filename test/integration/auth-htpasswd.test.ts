// auth.mode htpasswd over real HTTP: Basic challenge, logins, and refusals in the OCI error form.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { startBerth, type BerthProcess } from '../helpers/berth-process.ts';
import { digestOf } from '../../src/core/digest.ts';

const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;

describe('auth.mode htpasswd', () => {
  let dir: string;
  let server: BerthProcess;
  const good = basic('alice', 'correct horse');

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-htpasswd-'));
    const file = join(dir, 'htpasswd');
    await writeFile(file, `alice:${bcrypt.hashSync('correct horse', 5).replace(/^\$2b\$/, '$2y$')}\n# a comment\nbob:{SHA}notbcrypt\n`);
    server = await startBerth({ dataDir: join(dir, 'data'), auth: 'htpasswd', config: { auth: { htpasswdFile: file } } });
  });
  after(async () => {
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('GET /v2/ without credentials answers 401 with a Basic challenge and an OCI body', async () => {
    const res = await fetch(`${server.url}/v2/`);
    assert.equal(res.status, 401);
    assert.match(res.headers.get('www-authenticate') ?? '', /^Basic realm="[^"]+"$/);
    const body = (await res.json()) as { errors: { code: string }[] };
    assert.equal(body.errors[0]!.code, 'UNAUTHORIZED');
  });

  it('a wrong password, an unknown user and a non-bcrypt entry answer 401', async () => {
    for (const auth of [basic('alice', 'wrong'), basic('mallory', 'correct horse'), basic('bob', 'notbcrypt'), 'Basic !!!', 'Bearer abc']) {
      const res = await fetch(`${server.url}/v2/`, { headers: { authorization: auth } });
      assert.equal(res.status, 401, auth);
      await res.arrayBuffer();
    }
  });

  it('the right password answers 200', async () => {
    const res = await fetch(`${server.url}/v2/`, { headers: { authorization: good } });
    assert.equal(res.status, 200);
  });

  it('an anonymous push is refused with 401 and "requested access to the resource is denied", and creates nothing', async () => {
    const res = await fetch(`${server.url}/v2/team/app/blobs/uploads/`, { method: 'POST' });
    assert.equal(res.status, 401);
    const body = (await res.json()) as { errors: { code: string; message: string }[] };
    assert.equal(body.errors[0]!.message, 'requested access to the resource is denied');
    const catalog = await fetch(`${server.url}/v2/_catalog`, { headers: { authorization: good } });
    assert.deepEqual(((await catalog.json()) as { repositories: string[] }).repositories, []);
  });

  it('an anonymous pull is refused; a logged-in push and pull work', async () => {
    const blob = Buffer.from('hello htpasswd');
    const digest = digestOf(blob);
    const push = await fetch(`${server.url}/v2/team/app/blobs/uploads/?digest=${digest}`, {
      method: 'POST', headers: { authorization: good, 'content-type': 'application/octet-stream' }, body: blob,
    });
    assert.equal(push.status, 201);
    const anon = await fetch(`${server.url}/v2/team/app/blobs/${digest}`);
    assert.equal(anon.status, 401);
    await anon.arrayBuffer();
    const pull = await fetch(`${server.url}/v2/team/app/blobs/${digest}`, { headers: { authorization: good } });
    assert.equal(pull.status, 200);
    assert.deepEqual(Buffer.from(await pull.arrayBuffer()), blob);
  });

  it('never writes the Authorization header or the password to the logs', () => {
    const logs = server.logs();
    assert.ok(logs.length > 0);
    assert.ok(!logs.includes('correct horse'));
    assert.ok(!logs.includes(good.slice(6)));
  });
});
