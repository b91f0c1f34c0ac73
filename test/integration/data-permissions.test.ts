// The data directory is private whatever the umask (hardening issue, defect 7): folders 0700,
// files 0600 (the DB with the token signing key, its -wal and -shm, blobs, uploads, temp files),
// for the server and for offline CLI commands alike, and an older, looser directory is tightened
// at start. The signing key can come from a file or the environment instead of the DB: then the
// DB holds no private key, and tokens verify with the supplied key only.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { chmod, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { importSPKI, jwtVerify } from 'jose';
import { digestOf } from '../../src/core/digest.ts';
import { berth, ok } from '../helpers/berth-cli.ts';
import { startBerth } from '../helpers/berth-process.ts';

const PASSWORD = 'perm-Admin-pa55';
const basic = `Basic ${Buffer.from(`admin:${PASSWORD}`).toString('base64')}`;

/** Every path under dir with its mode, dir itself included. */
async function modes(dir: string): Promise<{ path: string; dir: boolean; mode: number }[]> {
  const out = [{ path: '.', dir: true, mode: (await stat(dir)).mode & 0o777 }];
  for (const e of await readdir(dir, { recursive: true, withFileTypes: true })) {
    const full = join(e.parentPath ?? e.path, e.name);
    out.push({ path: full.slice(dir.length + 1), dir: e.isDirectory(), mode: (await stat(full)).mode & 0o777 });
  }
  return out;
}

function expectPrivate(list: { path: string; dir: boolean; mode: number }[], what: string): void {
  const loose = list.filter((e) => e.mode !== (e.dir ? 0o700 : 0o600)).map((e) => `${e.path} ${e.mode.toString(8)}`);
  assert.deepEqual(loose, [], `${what}: not private`);
}

describe('a private data directory and a signing key outside the DB', { timeout: 300_000 }, () => {
  let base: string;
  let oldUmask: number;
  before(async () => {
    base = await mkdtemp(join(tmpdir(), 'berth-perms-'));
    // The usual umask, which leaves new files readable by everyone unless Berth says otherwise.
    oldUmask = process.umask(0o022);
  });
  after(async () => {
    process.umask(oldUmask);
    await rm(base, { recursive: true, force: true });
  });

  it('under umask 022: the offline CLI, the server, a push and an upload in progress leave only 0700 folders and 0600 files', async () => {
    const data = join(base, 'fresh');
    ok(await berth(['user', 'add', 'alice', '--data', data, '--password-stdin'], { stdin: 'alice-password\n' }));
    expectPrivate(await modes(data), 'after an offline user add');
    const server = await startBerth({ auth: 'builtin', dataDir: data, env: { BERTH_ADMIN_PASSWORD: PASSWORD } });
    try {
      const blob = Buffer.from('private bytes');
      assert.equal((await fetch(`${server.url}/v2/admin/app/blobs/uploads/?digest=${digestOf(blob)}`, { method: 'POST', headers: { authorization: basic }, body: blob })).status, 201);
      const start = await fetch(`${server.url}/v2/admin/app/blobs/uploads/`, { method: 'POST', headers: { authorization: basic } });
      const loc = new URL(start.headers.get('location')!, server.url);
      assert.equal((await fetch(loc, { method: 'PATCH', headers: { authorization: basic }, body: 'partial' })).status, 202);
      const list = await modes(data);
      assert.ok(list.some((e) => e.path === 'berth.db-wal'), 'the WAL exists (it is checked too)');
      assert.ok(list.some((e) => e.path.startsWith('storage/uploads/')), 'the upload in progress is checked too');
      expectPrivate(list, 'while serving');
    } finally {
      await server.stop();
    }
  });

  it('a directory an older version made 0755 with a 0644 DB is tightened at start', async () => {
    const data = join(base, 'old');
    ok(await berth(['user', 'add', 'bob', '--data', data, '--password-stdin'], { stdin: 'bob-password\n' }));
    await chmod(data, 0o755);
    await chmod(join(data, 'berth.db'), 0o644);
    const server = await startBerth({ auth: 'builtin', dataDir: data, env: { BERTH_ADMIN_PASSWORD: PASSWORD } });
    try {
      assert.equal((await stat(data)).mode & 0o777, 0o700);
      assert.equal((await stat(join(data, 'berth.db'))).mode & 0o777, 0o600);
    } finally {
      await server.stop();
    }
  });

  for (const source of ['file', 'environment'] as const) {
    it(`the signing key from ${source === 'file' ? 'a file' : 'the environment'}: tokens verify with it, and the DB holds no private key`, async () => {
      const data = join(base, `key-${source}`);
      const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
      const keyFile = join(base, `key-${source}.pem`);
      await writeFile(keyFile, pem, { mode: 0o600 });
      const env: Record<string, string> = { BERTH_ADMIN_PASSWORD: PASSWORD, ...(source === 'file' ? { BERTH_AUTH_SIGNING_KEY_FILE: keyFile } : { BERTH_AUTH_SIGNING_KEY: pem }) };
      const server = await startBerth({ auth: 'builtin', dataDir: data, env });
      try {
        const res = await fetch(`${server.url}/auth/token?service=berth&scope=repository:admin/app:pull`, { headers: { authorization: basic } });
        const { token } = await res.json() as { token: string };
        const spki = publicKey.export({ type: 'spki', format: 'pem' }) as string;
        const { payload } = await jwtVerify(token, await importSPKI(spki, 'ES256'), { issuer: 'berth', audience: 'berth' });
        assert.equal(payload.sub, 'admin');
        const ping = await fetch(`${server.url}/v2/`, { headers: { authorization: `Bearer ${token}` } });
        assert.equal(ping.status, 200);
        assert.doesNotMatch(server.logs(), /BEGIN PRIVATE KEY/, 'the key is never logged');
      } finally {
        await server.stop();
      }
      const db = await readFile(join(data, 'berth.db'));
      const wal = await readFile(join(data, 'berth.db-wal')).catch(() => Buffer.alloc(0));
      const d = (privateKey.export({ format: 'jwk' }) as { d: string }).d;
      for (const bytes of [db, wal]) {
        assert.ok(!bytes.includes('"d":'), 'no private JWK is stored in the DB');
        assert.ok(!bytes.includes(d), 'the supplied key is not stored in the DB');
      }
    });
  }

  it('a key file others can read is warned about; a key that is not P-256 stops the start with what to do', async () => {
    const loose = join(base, 'loose.pem');
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    await writeFile(loose, privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, { mode: 0o644 });
    await chmod(loose, 0o644);
    const server = await startBerth({ auth: 'builtin', dataDir: join(base, 'loose'), env: { BERTH_ADMIN_PASSWORD: PASSWORD, BERTH_AUTH_SIGNING_KEY_FILE: loose } });
    try {
      for (let i = 0; i < 50 && !/readable by other local users/.test(server.logs()); i++) await new Promise((r) => setTimeout(r, 100));
      assert.match(server.logs(), /readable by other local users: chmod 600/);
    } finally {
      await server.stop();
    }
    const rsa = join(base, 'rsa.pem');
    const { privateKey: rsaKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    await writeFile(rsa, rsaKey.export({ type: 'pkcs8', format: 'pem' }) as string, { mode: 0o600 });
    const refused = await berth(['serve', '--listen', '127.0.0.1:0', '--data', join(base, 'rsa'), '--auth', 'builtin'], { env: { BERTH_AUTH_SIGNING_KEY_FILE: rsa } });
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /ECDSA P-256 private key.*openssl ecparam/);
  });
});
