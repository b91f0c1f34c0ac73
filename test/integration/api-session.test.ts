// /api/v1/session and cookie sign-ins over real HTTP (docs/discovery.md, Cookie sessions and
// CSRF): the cookie's flags, the /me answer, CSRF for cookie writes, no Basic challenge for
// browser requests, bad passwords (401, rate limit, audit), robots and access tokens refused,
// sign-out, sessions that survive a restart, expired, slid, forged and disabled-user sessions.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openMetadata } from '../../src/metadata/db.ts';
import { startBerth, type BerthProcess } from '../helpers/berth-process.ts';
import { ADMIN, ADMIN_PASSWORD, addUser, call, expectStatus, type Creds } from './api-helpers.ts';

interface Reply { status: number; headers: Headers; body: any; text: string } // eslint-disable-line @typescript-eslint/no-explicit-any

/** A browser-like request: a cookie, maybe the CSRF header, maybe a JSON body. */
async function browser(server: BerthProcess, method: string, path: string, o: { cookie?: string; csrf?: boolean; body?: unknown } = {}): Promise<Reply> {
  const headers: Record<string, string> = {};
  if (o.cookie !== undefined) headers.cookie = `theme=dark; berth_session=${o.cookie}`;
  if (o.csrf) headers['x-berth-csrf'] = '1';
  if (o.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${server.url}/api/v1${path}`, { method, headers, ...(o.body !== undefined ? { body: JSON.stringify(o.body) } : {}) });
  const text = await res.text();
  let body: unknown;
  try { body = text ? JSON.parse(text) : undefined; } catch { body = undefined; }
  return { status: res.status, headers: res.headers, body, text };
}

function cookieOf(r: Reply): { value: string; attributes: string[] } {
  const set = r.headers.get('set-cookie');
  assert.ok(set, `no Set-Cookie in ${r.status} ${r.text}`);
  const [pair, ...attributes] = set.split(';').map((s) => s.trim());
  assert.ok(pair!.startsWith('berth_session='), set);
  return { value: pair!.slice('berth_session='.length), attributes };
}

async function signIn(server: BerthProcess, [username, password]: Creds): Promise<string> {
  const r = await browser(server, 'POST', '/session', { body: { username, password }, csrf: true });
  assert.equal(r.status, 200, r.text);
  return cookieOf(r).value;
}

async function withDb<T>(server: BerthProcess, fn: (db: Awaited<ReturnType<typeof openMetadata>>['db']) => Promise<T>): Promise<T> {
  const m = await openMetadata({ dialect: 'sqlite', location: join(server.dataDir, 'berth.db') });
  try { return await fn(m.db); } finally { await m.close(); }
}

describe('api: browser sessions', () => {
  let server: BerthProcess;
  let sue: Creds;
  before(async () => {
    server = await startBerth({ auth: 'builtin', env: { BERTH_ADMIN_PASSWORD: ADMIN_PASSWORD, BERTH_LOG_LEVEL: 'info', BERTH_AUTH_LOGIN_MAX_FAILURES: '3' } });
    sue = await addUser(server, 'sue');
  });
  after(async () => { await server?.stop(); });

  it('POST /session: sets an HttpOnly, SameSite=Strict cookie for the whole site and answers the /me shape', async () => {
    const r = await browser(server, 'POST', '/session', { body: { username: 'sue', password: sue[1] } });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body, { kind: 'user', name: 'sue', admin: false, via: 'password', projects: [{ name: 'sue', role: 'owner' }] });
    const c = cookieOf(r);
    assert.match(c.value, /^[A-Za-z0-9_-]{43}$/);
    assert.ok(c.attributes.includes('HttpOnly'), c.attributes.join('; '));
    assert.ok(c.attributes.includes('SameSite=Strict'));
    assert.ok(c.attributes.includes('Path=/'));
    assert.ok(c.attributes.includes(`Max-Age=${12 * 3600}`));
    assert.ok(!c.attributes.includes('Secure'), 'no Secure over plain http');
    const me = await browser(server, 'GET', '/me', { cookie: c.value });
    assert.equal(me.status, 200, me.text);
    assert.equal(me.body.name, 'sue');
    // GET /session: who the UI is signed in as, and a plain 200 with user null for nobody.
    const who = await browser(server, 'GET', '/session', { cookie: c.value });
    assert.equal(who.status, 200, who.text);
    assert.equal(who.body.user.name, 'sue');
    const nobody = await browser(server, 'GET', '/session');
    assert.deepEqual([nobody.status, nobody.body], [200, { user: null }]);
    const forged = await browser(server, 'GET', '/session', { cookie: 'A'.repeat(43) });
    assert.deepEqual([forged.status, forged.body], [200, { user: null }]);
    // Only a hash is stored, and the secret never reaches the logs.
    const rows = await withDb(server, (db) => db.selectFrom('sessions').select('id_hash').execute());
    assert.ok(rows.every((row) => row.id_hash !== c.value && /^[0-9a-f]{64}$/.test(row.id_hash)));
    assert.ok(!server.logs().includes(c.value), 'the cookie secret appears in the logs');
  });

  it('a cookie write needs X-Berth-CSRF: 1 (403 without); reads do not', async () => {
    const cookie = await signIn(server, sue);
    const denied = await browser(server, 'POST', '/projects', { cookie, body: { name: 'sues-team' } });
    assert.equal(denied.status, 403, denied.text);
    assert.equal(denied.body.errors[0].code, 'DENIED');
    assert.equal((await browser(server, 'POST', '/projects', { cookie, body: { name: 'sues-team' }, csrf: true })).status, 201);
    assert.equal((await browser(server, 'GET', '/projects/sues-team', { cookie })).status, 200);
    assert.equal((await browser(server, 'DELETE', '/projects/sues-team', { cookie })).status, 403);
    assert.equal((await browser(server, 'DELETE', '/projects/sues-team', { cookie, csrf: true })).status, 204);
    // Basic credentials are not cookie sign-ins: no CSRF header needed.
    expectStatus(await call(server, 'POST', '/projects', { as: sue, body: { name: 'sues-other' } }), 201);
  });

  it('401 answers carry no WWW-Authenticate: Basic when the request carries X-Berth-CSRF', async () => {
    const plain = await browser(server, 'GET', '/me');
    assert.equal(plain.status, 401);
    assert.match(plain.headers.get('www-authenticate') ?? '', /^Basic/);
    const fromUi = await browser(server, 'GET', '/me', { csrf: true });
    assert.equal(fromUi.status, 401);
    assert.equal(fromUi.headers.get('www-authenticate'), null);
    const badLogin = await browser(server, 'POST', '/session', { csrf: true, body: { username: 'sue', password: 'wrong' } });
    assert.equal(badLogin.status, 401);
    assert.equal(badLogin.headers.get('www-authenticate'), null);
  });

  it('bad passwords: 401 and no cookie, audited as login_failed; then 429 with Retry-After while locked, even for the right password', async () => {
    const mia = await addUser(server, 'mia');
    for (let i = 0; i < 3; i++) {
      const r = await browser(server, 'POST', '/session', { body: { username: 'mia', password: `wrong-${i}` } });
      assert.equal(r.status, 401, r.text);
      assert.equal(r.body.errors[0].code, 'UNAUTHORIZED');
      assert.equal(r.headers.get('set-cookie'), null);
    }
    const locked = await browser(server, 'POST', '/session', { body: { username: 'mia', password: mia[1] } });
    assert.equal(locked.status, 429, locked.text);
    assert.ok(Number(locked.headers.get('retry-after')) > 0);
    assert.equal(locked.headers.get('set-cookie'), null);
    // The lock is shared with Basic logins.
    expectStatus(await call(server, 'GET', '/me', { as: mia }), 429);
    const deadline = Date.now() + 3000;
    let entries: { action: string; actor: string; detail: string | null }[] = [];
    while (Date.now() < deadline) {
      entries = expectStatus(await call(server, 'GET', '/audit?action=login_failed&actor=mia', { as: ADMIN }), 200).body.entries;
      if (entries.length >= 3) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(entries.length >= 3, JSON.stringify(entries));
    assert.ok(entries.some((e) => JSON.parse(e.detail ?? '{}').via === 'session'));
    expectStatus(await call(server, 'POST', '/session', { body: { username: 'nobody', password: 'x' } }), 401, 'UNAUTHORIZED');
    expectStatus(await call(server, 'POST', '/session', { body: { username: 'sue' } }), 400, 'INVALID_REQUEST');
  });

  it('robots and access tokens cannot sign in (403)', async () => {
    const robot = expectStatus(await call(server, 'POST', '/projects/sue/robots', { as: sue, body: { name: 'ci', permissions: ['pull'] } }), 201).body;
    const r = await browser(server, 'POST', '/session', { body: { username: robot.robot.name, password: robot.secret } });
    assert.equal(r.status, 403, r.text);
    assert.equal(r.headers.get('set-cookie'), null);
    const token = expectStatus(await call(server, 'POST', '/users/sue/tokens', { as: sue, body: { name: 'ui', permissions: ['pull'] } }), 201).body.secret;
    const t = await browser(server, 'POST', '/session', { body: { username: 'sue', password: token } });
    assert.equal(t.status, 403, t.text);
    assert.equal(t.headers.get('set-cookie'), null);
  });

  it('DELETE /session signs out: the row is gone, the cookie cleared, and the old cookie is anonymous', async () => {
    const cookie = await signIn(server, sue);
    assert.equal((await browser(server, 'DELETE', '/session', { cookie })).status, 403, 'signing out with the cookie is a write: CSRF header needed');
    const out = await browser(server, 'DELETE', '/session', { cookie, csrf: true });
    assert.equal(out.status, 204, out.text);
    const cleared = cookieOf(out);
    assert.equal(cleared.value, '');
    assert.ok(cleared.attributes.includes('Max-Age=0'));
    const idHash = createHash('sha256').update(cookie).digest('hex');
    assert.equal(await withDb(server, (db) => db.selectFrom('sessions').select('id_hash').where('id_hash', '=', idHash).executeTakeFirst()), undefined);
    const after = await browser(server, 'GET', '/me', { cookie, csrf: true });
    assert.equal(after.status, 401);
    // Anonymous reads still work with a dead cookie, and it is cleared.
    const projects = await browser(server, 'GET', '/projects', { cookie });
    assert.equal(projects.status, 200);
    assert.equal(cookieOf(projects).value, '');
    assert.equal((await browser(server, 'DELETE', '/session', { csrf: true })).status, 204, 'signing out without a session is fine');
  });

  it('forged cookies are anonymous', async () => {
    for (const forged of ['A'.repeat(43), 'not-a-session', '', `${'x'.repeat(42)}%`]) {
      const r = await browser(server, 'GET', '/me', { cookie: forged, csrf: true });
      assert.equal(r.status, 401, `cookie ${forged}: ${r.text}`);
      assert.equal((await browser(server, 'GET', '/projects/sue', { cookie: forged })).status, 404, 'a private project stays hidden');
    }
  });

  it('expired sessions are anonymous and removed; a used session slides its expiry (at most once a minute) and re-sends the cookie', async () => {
    const cookie = await signIn(server, sue);
    const first = await browser(server, 'GET', '/me', { cookie });
    assert.equal(first.status, 200);
    assert.equal(first.headers.get('set-cookie'), null, 'no refresh within the first minute');
    const idHash = createHash('sha256').update(cookie).digest('hex');
    const now = Date.now();
    await withDb(server, (db) => db.updateTable('sessions').set({ last_seen_at: now - 120_000, expires_at: now + 60_000 }).where('id_hash', '=', idHash).execute());
    const slid = await browser(server, 'GET', '/me', { cookie });
    assert.equal(slid.status, 200);
    assert.equal(cookieOf(slid).value, cookie);
    const row = await withDb(server, (db) => db.selectFrom('sessions').select(['expires_at', 'last_seen_at']).where('id_hash', '=', idHash).executeTakeFirstOrThrow());
    assert.ok(Number(row.expires_at) > now + 11 * 3600_000 && Number(row.last_seen_at) >= now, JSON.stringify(row));
    await withDb(server, (db) => db.updateTable('sessions').set({ expires_at: Date.now() - 1 }).where('id_hash', '=', idHash).execute());
    assert.equal((await browser(server, 'GET', '/me', { cookie })).status, 401);
    assert.equal(await withDb(server, (db) => db.selectFrom('sessions').select('id_hash').where('id_hash', '=', idHash).executeTakeFirst()), undefined, 'the expired row is removed');
  });

  it('a session changing its own password must give the current one (a left-open browser cannot take the account)', async () => {
    const [name, password] = await addUser(server, 'pat');
    const cookie = await signIn(server, [name, password]);
    const without = await browser(server, 'PUT', `/users/${name}/password`, { cookie, csrf: true, body: { password: 'a-new-password-1' } });
    assert.equal(without.status, 400, without.text);
    assert.match(without.body.errors[0].message, /currentPassword/);
    const wrong = await browser(server, 'PUT', `/users/${name}/password`, { cookie, csrf: true, body: { password: 'a-new-password-1', currentPassword: 'not-it' } });
    assert.equal(wrong.status, 403, wrong.text);
    // Neither refusal changed anything: the old password still signs in.
    expectStatus(await call(server, 'GET', '/me', { as: [name, password] }), 200);
    const right = await browser(server, 'PUT', `/users/${name}/password`, { cookie, csrf: true, body: { password: 'a-new-password-1', currentPassword: password } });
    assert.equal(right.status, 204, right.text);
    expectStatus(await call(server, 'GET', '/me', { as: [name, 'a-new-password-1'] }), 200);
    // Basic credentials already prove the password (the CLI's berth user passwd --url).
    expectStatus(await call(server, 'PUT', `/users/${name}/password`, { as: [name, 'a-new-password-1'], body: { password: 'a-new-password-2' } }), 204);
  });

  it('a disabled user\'s session is anonymous', async () => {
    const zed = await addUser(server, 'zed');
    const cookie = await signIn(server, zed);
    assert.equal((await browser(server, 'GET', '/me', { cookie })).status, 200);
    expectStatus(await call(server, 'PATCH', '/users/zed', { as: ADMIN, body: { disabled: true } }), 200);
    assert.equal((await browser(server, 'GET', '/me', { cookie })).status, 401);
  });

  it('a session survives a restart (it lives in the DB)', async () => {
    const cookie = await signIn(server, sue);
    server = await server.restart();
    const me = await browser(server, 'GET', '/me', { cookie });
    assert.equal(me.status, 200, me.text);
    assert.equal(me.body.name, 'sue');
  });
});

describe('api: browser sessions behind https', () => {
  let server: BerthProcess;
  before(async () => {
    server = await startBerth({ auth: 'builtin', env: { BERTH_ADMIN_PASSWORD: ADMIN_PASSWORD, BERTH_SERVER_PUBLIC_URL: 'https://registry.example.com' } });
  });
  after(async () => { await server?.stop(); });

  it('cookies are Secure when server.publicUrl is https, and pull commands name its host', async () => {
    const r = await browser(server, 'POST', '/session', { body: { username: 'admin', password: ADMIN_PASSWORD } });
    assert.equal(r.status, 200, r.text);
    assert.ok(cookieOf(r).attributes.includes('Secure'));
    const out = await browser(server, 'DELETE', '/session', { cookie: cookieOf(r).value, csrf: true });
    assert.ok(cookieOf(out).attributes.includes('Secure'));
    const { pushImageAs } = await import('./discovery-helpers.ts');
    await pushImageAs(server, ADMIN, 'library/busybox', { tag: 'latest' });
    const d = expectStatus(await call(server, 'GET', '/repositories/library/busybox'), 200).body;
    assert.equal(d.pullCommand, 'docker pull registry.example.com/library/busybox:latest');
    assert.equal(d.shortPullCommand, 'docker pull registry.example.com/busybox:latest');
  });
});
