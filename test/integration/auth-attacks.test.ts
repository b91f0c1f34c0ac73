// auth.mode builtin under attack, over real HTTP against a real `berth serve`: wrong passwords,
// password guessing (rate limit per account and address), forged and tampered tokens, odd scope
// strings, stale rights, robots that expired, were disabled or rotated, and secrets leaking into
// logs or responses.
//
// State is set up through the directory services on the server's own SQLite file (WAL mode lets
// the test and the server share it), acting as SYSTEM. The same file holds the token signing key,
// which lets this test sign well-formed tokens with the server's own key: the control case proves
// a crafted token is accepted when nothing is wrong with it, so each refusal below is for the one
// thing that is wrong.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SignJWT, decodeJwt, decodeProtectedHeader, generateKeyPair, importJWK, type CryptoKey, type JWK, type JWTPayload } from 'jose';
import { directoryServices } from '../../src/auth/builtin.ts';
import { SYSTEM } from '../../src/auth/directory/actor.ts';
import { digestOf } from '../../src/core/digest.ts';
import { openMetadata, type MetadataDb } from '../../src/metadata/db.ts';
import { encodeCredential, secretVersion } from '../../src/auth/credential.ts';
import { currentSigningKey } from '../../src/metadata/identity/signing-keys.ts';
import { findUserByName } from '../../src/metadata/identity/users.ts';
import { startBerth, type BerthProcess } from '../helpers/berth-process.ts';

const ADMIN_PASSWORD = 'attack-Admin-pa55';
const PASSWORD = 'attack-User-pa55';
const WRONG = 'attack-Wrong-guess';
const LOCK_SECONDS = 2;
const MAX_FAILURES = 3;
const MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
type Grant = { type: string; name: string; actions: string[] };

interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
}

describe('auth.mode builtin under attack', { timeout: 600_000 }, () => {
  let server: BerthProcess;
  let meta: MetadataDb;
  let dir: ReturnType<typeof directoryServices>;
  let serverKey: { kid: string; privateKey: CryptoKey; publicJwk: JWK };
  /** The "cred" claim a token minted from the admin's password carries (credential.ts). */
  let adminCredential: string;
  /** Every response the server gave: none may contain a password or secret. */
  const answers: string[] = [];
  /** Every password and secret the test used: none may appear in responses or logs. */
  const secrets = new Set<string>([ADMIN_PASSWORD, PASSWORD, WRONG]);
  /** Credentials in transit (Authorization values, tokens): none may appear in the logs. */
  const credentials = new Set<string>();

  const url = (path: string) => `${server.url}${path}`;

  async function call(method: string, path: string, headers: Record<string, string> = {}, body?: string | Buffer): Promise<Answer> {
    if (headers.authorization) credentials.add(headers.authorization.replace(/^\S+\s+/, ''));
    const res = await fetch(url(path), { method, headers, ...(body !== undefined ? { body } : {}) });
    const text = await res.text();
    answers.push(`${method} ${path} -> ${res.status}\n${[...res.headers].map(([k, v]) => `${k}: ${v}`).join('\n')}\n\n${text}`);
    return { status: res.status, headers: res.headers, text };
  }

  /** GET /auth/token; `creds` undefined is anonymous. */
  async function tokenCall(scopes: string[], creds?: { user: string; password: string }, extra: Record<string, string> = {}): Promise<Answer> {
    const q = new URLSearchParams({ service: 'berth', ...extra });
    for (const s of scopes) q.append('scope', s);
    return call('GET', `/auth/token?${q}`, creds ? { authorization: basic(creds.user, creds.password) } : {});
  }

  async function token(scopes: string[], creds?: { user: string; password: string }): Promise<{ token: string; access: Grant[]; claims: JWTPayload; body: Record<string, unknown> }> {
    const res = await tokenCall(scopes, creds);
    assert.equal(res.status, 200, `GET /auth/token ${scopes.join(' ')} as ${creds?.user ?? 'anonymous'}: ${res.text}`);
    const body = JSON.parse(res.text) as Record<string, unknown> & { token: string };
    credentials.add(body.token);
    const claims = decodeJwt(body.token);
    return { token: body.token, access: (claims.access ?? []) as Grant[], claims, body };
  }

  async function postToken(form: Record<string, string>): Promise<Answer> {
    return call('POST', '/auth/token', { 'content-type': 'application/x-www-form-urlencoded' }, new URLSearchParams(form).toString());
  }

  const bearer = (t: string) => {
    credentials.add(t);
    return { authorization: `Bearer ${t}` };
  };
  const pullPath = (repo: string) => `/v2/${repo}/manifests/v1`;
  const pull = (repo: string, auth: Record<string, string>) => call('GET', pullPath(repo), { ...auth, accept: MANIFEST });

  function expectCode(res: Answer, status: number, code: string, what: string): void {
    assert.equal(res.status, status, `${what}: expected ${status} ${code}, got ${res.status} ${res.text}`);
    const errors = (JSON.parse(res.text) as { errors?: { code: string }[] }).errors ?? [];
    assert.equal(errors[0]?.code, code, `${what}: ${res.text}`);
  }

  function expectUnauthorized(res: Answer, what: string): void {
    expectCode(res, 401, 'UNAUTHORIZED', what);
    assert.match(res.headers.get('www-authenticate') ?? '', /^(Bearer realm="[^"]+\/auth\/token",service="berth"|Basic realm=)/, `${what}: a 401 carries a challenge`);
  }

  /** A config blob and a manifest, pushed by `auth` (defaults to the admin). */
  async function pushImage(repo: string, tag: string, auth: Record<string, string> = { authorization: basic('admin', ADMIN_PASSWORD) }): Promise<Answer> {
    const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, config: { Labels: { ref: `${repo}:${tag}` } } }));
    const start = await call('POST', `/v2/${repo}/blobs/uploads/`, auth);
    if (start.status !== 202) return start;
    const loc = new URL(start.headers.get('location')!, server.url);
    loc.searchParams.set('digest', digestOf(config));
    const put = await call('PUT', loc.pathname + loc.search, { ...auth, 'content-type': 'application/octet-stream' }, config);
    if (put.status !== 201) return put;
    const manifest = JSON.stringify({ schemaVersion: 2, mediaType: MANIFEST, config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: digestOf(config), size: config.length }, layers: [] });
    return call('PUT', `/v2/${repo}/manifests/${tag}`, { ...auth, 'content-type': MANIFEST }, manifest);
  }

  /** A token signed with the server's own key, with the claims a real one has, then `changes`. */
  async function serverSigned(changes: JWTPayload, header: Record<string, unknown> = {}): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const claims: JWTPayload = { iss: 'berth', aud: 'berth', sub: 'admin', iat: now, nbf: now - 1, exp: now + 300, jti: `t-${now}-${Math.random()}`, access: [{ type: 'repository', name: 'atteam/app', actions: ['pull'] }], cred: adminCredential, ...changes };
    return new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid: serverKey.kid, typ: 'JWT', ...header }).sign(serverKey.privateKey);
  }

  /** GET on the server from another loopback source address (127.0.0.2). */
  function getFrom(localAddress: string, path: string, headers: Record<string, string>): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; text: string }> {
    return new Promise((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port: server.port, path, headers, localAddress }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => {
          answers.push(`GET ${path} (from ${localAddress}) -> ${res.statusCode}\n${JSON.stringify(res.headers)}\n\n${text}`);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text });
        });
      });
      req.on('error', reject);
      req.end();
    });
  }

  before(async () => {
    server = await startBerth({
      auth: 'builtin' as never,
      env: { BERTH_ADMIN_PASSWORD: ADMIN_PASSWORD, BERTH_LOG_LEVEL: 'trace' },
      config: { auth: { loginMaxFailures: MAX_FAILURES, loginLockSeconds: LOCK_SECONDS } },
    });
    meta = await openMetadata({ dialect: 'sqlite', location: join(server.dataDir, 'berth.db') });
    dir = directoryServices(meta.db);
    for (const u of ['at-dev', 'at-wrong', 'at-victim', 'at-leaver', 'at-gone']) await dir.users.create(SYSTEM, u, PASSWORD);
    await dir.projects.create(SYSTEM, 'atteam', 'private');
    await dir.projects.create(SYSTEM, 'atpub', 'public');
    await dir.projects.create(SYSTEM, 'atother', 'private');
    for (const u of ['at-dev', 'at-leaver', 'at-gone']) await dir.projects.setMember(SYSTEM, 'atteam', u, 'developer');
    for (const repo of ['atteam/app', 'atteam/other', 'atpub/app', 'atother/app']) {
      const r = await pushImage(repo, 'v1');
      assert.equal(r.status, 201, `admin push ${repo}:v1: ${r.text}`);
    }
    const row = await currentSigningKey(meta.db);
    assert.ok(row, 'the server keeps its signing key in the DB');
    const jwk = JSON.parse(row.private_jwk) as JWK;
    const { d: _d, ...publicJwk } = jwk;
    serverKey = { kid: row.kid, privateKey: (await importJWK(jwk, 'ES256')) as CryptoKey, publicJwk };
    const admin = await findUserByName(meta.db, 'admin');
    assert.ok(admin);
    adminCredential = encodeCredential({ kind: 'password', userId: admin.id, version: secretVersion(admin.password_hash) });
  });

  after(async () => {
    await meta?.close();
    await server?.stop();
    if (server) await rm(server.dataDir, { recursive: true, force: true });
  });

  it('GET /v2/ without credentials answers 401 with the Bearer challenge', async () => {
    const res = await call('GET', '/v2/');
    expectCode(res, 401, 'UNAUTHORIZED', 'anonymous GET /v2/');
    assert.equal(res.headers.get('www-authenticate'), `Bearer realm="${server.url}/auth/token",service="berth"`);
    assert.equal(res.headers.get('docker-distribution-api-version'), 'registry/2.0');
  });

  it('a wrong password gets 401 on /v2, GET /auth/token and POST /auth/token', async () => {
    expectUnauthorized(await call('GET', '/v2/', { authorization: basic('at-wrong', WRONG) }), 'GET /v2/ with a wrong password');
    const get = await tokenCall(['repository:atteam/app:pull'], { user: 'at-wrong', password: WRONG });
    expectCode(get, 401, 'UNAUTHORIZED', 'GET /auth/token with a wrong password');
    expectCode(await postToken({ grant_type: 'password', username: 'at-wrong', password: `${WRONG}2`, service: 'berth', client_id: 'test' }), 401, 'UNAUTHORIZED', 'POST /auth/token with a wrong password');
    secrets.add(`${WRONG}2`);
    expectUnauthorized(await call('GET', '/v2/', { authorization: basic('at-nobody', PASSWORD) }), 'GET /v2/ as an unknown user');
    expectUnauthorized(await call('GET', '/v2/', { authorization: 'Basic !!!notbase64' }), 'GET /v2/ with a malformed Basic header');
    expectUnauthorized(await call('GET', '/v2/', { authorization: 'Bearer not.a.jwt' }), 'GET /v2/ with a bearer that is not a JWT');
    // The right password still works for a fresh account (the control).
    assert.equal((await call('GET', '/v2/', { authorization: basic('at-dev', PASSWORD) })).status, 200);
  });

  it('repeated failures lock the account for that address (429 with Retry-After), and the lock expires', async () => {
    const victim = { user: 'at-victim', password: PASSWORD };
    for (let i = 1; i <= MAX_FAILURES; i++) {
      expectUnauthorized(await call('GET', '/v2/', { authorization: basic(victim.user, `${WRONG}-${i}`) }), `wrong password #${i}`);
      secrets.add(`${WRONG}-${i}`);
    }
    const lockedAt = Date.now();
    // Now even the right password is refused, on /v2 and on the token endpoint.
    const v2 = await call('GET', '/v2/', { authorization: basic(victim.user, victim.password) });
    expectCode(v2, 429, 'TOOMANYREQUESTS', 'GET /v2/ while locked');
    const retry = Number(v2.headers.get('retry-after'));
    assert.ok(Number.isInteger(retry) && retry >= 1 && retry <= LOCK_SECONDS, `Retry-After is whole seconds within the lock: ${v2.headers.get('retry-after')}`);
    const tok = await tokenCall(['repository:atteam/app:pull'], victim);
    expectCode(tok, 429, 'TOOMANYREQUESTS', 'GET /auth/token while locked');
    assert.ok(Number(tok.headers.get('retry-after')) >= 1, 'GET /auth/token carries Retry-After');
    const post = await postToken({ grant_type: 'password', username: victim.user, password: victim.password, service: 'berth', client_id: 'test' });
    expectCode(post, 429, 'TOOMANYREQUESTS', 'POST /auth/token while locked');
    // A forwarded-for header does not make the caller someone else.
    expectCode(await call('GET', '/v2/', { authorization: basic(victim.user, victim.password), 'x-forwarded-for': '203.0.113.9' }), 429, 'TOOMANYREQUESTS', 'GET /v2/ while locked, with X-Forwarded-For');
    // The lock is per account and address: another account from here, and this account from
    // another address, still log in.
    assert.equal((await call('GET', '/v2/', { authorization: basic('at-dev', PASSWORD) })).status, 200, 'another account from the same address');
    const elsewhere = await getFrom('127.0.0.2', '/v2/', { authorization: basic(victim.user, victim.password) });
    assert.equal(elsewhere.status, 200, `the same account from 127.0.0.2: ${elsewhere.status} ${elsewhere.text}`);
    // After the lock, the right password works again.
    await sleep(Math.max(0, lockedAt + LOCK_SECONDS * 1000 + 300 - Date.now()));
    const again = await call('GET', '/v2/', { authorization: basic(victim.user, victim.password) });
    assert.equal(again.status, 200, `after the lock expired: ${again.text}`);
  });

  it('a well-formed token signed with the server key is accepted (control for the forgeries)', async () => {
    assert.equal((await pull('atteam/app', bearer(await serverSigned({})))).status, 200);
    const real = await token(['repository:atteam/app:pull'], { user: 'at-dev', password: PASSWORD });
    assert.equal((await pull('atteam/app', bearer(real.token))).status, 200);
    assert.equal(decodeProtectedHeader(real.token).alg, 'ES256');
    assert.equal(real.claims.exp! - real.claims.iat!, 300, 'a token lives 5 minutes');
    assert.equal(real.body.expires_in, 300);
    assert.equal(real.claims.aud, 'berth');
    assert.equal(real.claims.sub, 'at-dev');
  });

  it('forged tokens are refused with 401: alg none, another key, HS256 with the public key, expired, wrong audience or issuer, a refresh token', async () => {
    const now = Math.floor(Date.now() / 1000);
    const everything = [{ type: 'repository', name: 'atteam/app', actions: ['pull', 'push', 'delete'] }, { type: 'registry', name: 'catalog', actions: ['*'] }];
    const claims = { iss: 'berth', aud: 'berth', sub: 'admin', iat: now, nbf: now - 1, exp: now + 300, access: everything };
    const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

    const other = await generateKeyPair('ES256');
    const forged: Record<string, string> = {
      'alg none': `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`,
      'alg none, server kid': `${b64({ alg: 'none', typ: 'JWT', kid: serverKey.kid })}.${b64(claims)}.`,
      'another ES256 key': await new SignJWT(claims).setProtectedHeader({ alg: 'ES256', typ: 'JWT' }).sign(other.privateKey),
      'another ES256 key, server kid': await new SignJWT(claims).setProtectedHeader({ alg: 'ES256', typ: 'JWT', kid: serverKey.kid }).sign(other.privateKey),
      'expired, another key': await new SignJWT({ ...claims, iat: now - 900, nbf: now - 900, exp: now - 600 }).setProtectedHeader({ alg: 'ES256', typ: 'JWT' }).sign(other.privateKey),
      'HS256 keyed with the public key': await new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT', kid: serverKey.kid }).sign(new TextEncoder().encode(JSON.stringify(serverKey.publicJwk))),
      'expired, server key': await serverSigned({ access: everything, iat: now - 400, nbf: now - 400, exp: now - 60 }),
      'not yet valid, server key': await serverSigned({ access: everything, iat: now + 600, nbf: now + 600, exp: now + 900 }),
      'wrong audience, server key': await serverSigned({ access: everything, aud: 'other-registry' }),
      'no audience, server key': await serverSigned({ access: everything, aud: undefined }),
      'wrong issuer, server key': await serverSigned({ access: everything, iss: 'someone-else' }),
      'no expiry, server key': await serverSigned({ access: everything, exp: undefined }),
      'no credential claim, server key': await serverSigned({ access: everything, cred: undefined }),
      'a stale password credential, server key': await serverSigned({ access: everything, cred: adminCredential.replace(/\.[^.]+$/, '.AAAAAAAAAAAAAAAA') }),
      "another user's credential, server key": await serverSigned({ access: everything, cred: adminCredential.replace(/^p\.\d+\./, 'p.999999.') }),
      'a malformed credential, server key': await serverSigned({ access: everything, cred: 'x.1.y' }),
    };
    const refresh = JSON.parse((await postToken({ grant_type: 'password', username: 'at-dev', password: PASSWORD, service: 'berth', client_id: 'test', access_type: 'offline' })).text) as { refresh_token: string };
    credentials.add(refresh.refresh_token);
    forged['a refresh token'] = refresh.refresh_token;

    for (const [what, t] of Object.entries(forged)) {
      expectUnauthorized(await pull('atteam/app', bearer(t)), `${what}: GET manifest`);
      expectUnauthorized(await call('DELETE', `/v2/atteam/app/manifests/v1`, bearer(t)), `${what}: DELETE manifest`);
      expectUnauthorized(await call('GET', '/v2/_catalog', bearer(t)), `${what}: GET /v2/_catalog`);
    }
    assert.equal((await pull('atteam/app', { authorization: basic('admin', ADMIN_PASSWORD) })).status, 200, 'the manifest survived');
    // A token asked for another service is not issued.
    const wrongService = await tokenCall(['repository:atteam/app:pull'], { user: 'at-dev', password: PASSWORD }, { service: 'other-registry' });
    assert.ok(wrongService.status >= 400 && wrongService.status < 500, `GET /auth/token?service=other-registry: ${wrongService.status} ${wrongService.text}`);
  });

  it('a real token with a tampered payload is refused with 401', async () => {
    const real = await token(['repository:atteam/app:pull'], { user: 'at-dev', password: PASSWORD });
    assert.deepEqual(real.access, [{ type: 'repository', name: 'atteam/app', actions: ['pull'] }]);
    const [header, , signature] = real.token.split('.');
    const widen = (payload: JWTPayload) => `${header}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${signature}`;
    const cases: Record<string, string> = {
      'pull widened to push and delete': widen({ ...real.claims, access: [{ type: 'repository', name: 'atteam/app', actions: ['pull', 'push', 'delete'] }] }),
      'repository renamed': widen({ ...real.claims, access: [{ type: 'repository', name: 'atother/app', actions: ['pull'] }] }),
      'subject changed to admin': widen({ ...real.claims, sub: 'admin' }),
      'expiry extended': widen({ ...real.claims, exp: real.claims.exp! + 86400 }),
    };
    for (const [what, t] of Object.entries(cases)) {
      expectUnauthorized(await pull('atteam/app', bearer(t)), `${what}: GET atteam/app`);
      expectUnauthorized(await pull('atother/app', bearer(t)), `${what}: GET atother/app`);
      expectUnauthorized(await call('DELETE', '/v2/atteam/app/manifests/v1', bearer(t)), `${what}: DELETE`);
    }
    assert.equal((await pull('atteam/app', bearer(real.token))).status, 200, 'the untouched token still works');
  });

  it('a token for one repository does not open another', async () => {
    const t = await token(['repository:atteam/app:pull,push'], { user: 'at-dev', password: PASSWORD });
    assert.deepEqual(t.access, [{ type: 'repository', name: 'atteam/app', actions: ['pull', 'push'] }]);
    // at-dev may push to atteam/other with a new token (401, ask again); atother is not theirs (403).
    for (const [repo, status] of [['atteam/other', 401], ['atother/app', 403]] as const) {
      const got = await pull(repo, bearer(t.token));
      assert.equal(got.status, status, `GET ${pullPath(repo)} with a token for atteam/app: ${got.text}`);
      const push = await call('POST', `/v2/${repo}/blobs/uploads/`, bearer(t.token));
      assert.equal(push.status, status, `POST /v2/${repo}/blobs/uploads/ with a token for atteam/app: ${push.text}`);
      const del = await call('DELETE', `/v2/${repo}/manifests/v1`, bearer(t.token));
      assert.ok(del.status === 401 || del.status === 403, `DELETE on ${repo} with a token for atteam/app: ${del.status} ${del.text}`);
    }
    const again = await pull('atteam/other', bearer(t.token));
    assert.match(again.headers.get('www-authenticate') ?? '', /scope="repository:atteam\/other:pull".*error="insufficient_scope"/, 'the 401 says which scope to ask for');
  });

  it('odd scope strings grant nothing beyond what they name', async () => {
    const admin = { user: 'admin', password: ADMIN_PASSWORD };
    // The most each scope may grant (admin may do anything, so only parsing limits it).
    const cases: [string, Grant[]][] = [
      ['repository:atteam/app:pull,push\nx', [{ type: 'repository', name: 'atteam/app', actions: ['pull', 'push'] }]],
      ['repository:atteam/app/../atother:push', []],
      ['repository:atteam/app/../../atother/app:push', []],
      ['repository:ATTEAM/app:push', []],
      ['repository:atteam/app:pull:push', [{ type: 'repository', name: 'atteam/app', actions: ['pull', 'push'] }]],
      ['repository:atteam/*:push', []],
      ['repository:*:push', []],
      ['repository:atteam/app:pull,push,delete,admin', [{ type: 'repository', name: 'atteam/app', actions: ['pull', 'push', 'delete'] }]],
      ['repository:atteam/app\u0000x:push', []],
      ['registry:catalog:pull', []],
      ['repository:atteam/app:pull repository:atother/app:push', [{ type: 'repository', name: 'atteam/app', actions: ['pull'] }, { type: 'repository', name: 'atother/app', actions: ['push'] }]],
    ];
    for (const [scope, most] of cases) {
      const t = await token([scope], admin);
      for (const g of t.access) {
        const allowed = most.find((m) => m.type === g.type && m.name === g.name);
        assert.ok(allowed, `scope ${JSON.stringify(scope)} granted ${JSON.stringify(g)}, which it does not name`);
        for (const a of g.actions) assert.ok(allowed.actions.includes(a), `scope ${JSON.stringify(scope)} granted ${a} on ${g.name}`);
      }
    }
    // Rights still bound a well-formed wildcard: a developer asking for * gets pull and push.
    const dev = await token(['repository:atteam/app:*'], { user: 'at-dev', password: PASSWORD });
    assert.deepEqual(dev.access, [{ type: 'repository', name: 'atteam/app', actions: ['pull', 'push'] }]);
    const odd = await token(['repository:atteam/app:pull,push\nx', 'repository:atteam/app/../atother:push'], { user: 'at-dev', password: PASSWORD });
    assert.ok(odd.access.every((g) => g.name === 'atteam/app' && !g.actions.includes('delete')), JSON.stringify(odd.access));
  });

  it('a user removed from a project loses access at the next token', async () => {
    const leaver = { user: 'at-leaver', password: PASSWORD };
    const before = await token(['repository:atteam/app:pull,push'], leaver);
    assert.deepEqual(before.access, [{ type: 'repository', name: 'atteam/app', actions: ['pull', 'push'] }]);
    assert.equal((await pull('atteam/app', bearer(before.token))).status, 200);
    await dir.projects.removeMember(SYSTEM, 'atteam', 'at-leaver');
    const afterRemoval = await token(['repository:atteam/app:pull,push'], leaver);
    assert.deepEqual(afterRemoval.access, [], 'the next token holds nothing on atteam');
    expectCode(await pull('atteam/app', bearer(afterRemoval.token)), 403, 'DENIED', 'GET with the new token');
    expectCode(await pull('atteam/app', { authorization: basic(leaver.user, leaver.password) }), 403, 'DENIED', 'GET with Basic');
    expectCode(await call('POST', '/v2/atteam/app/blobs/uploads/', { authorization: basic(leaver.user, leaver.password) }), 403, 'DENIED', 'POST upload with Basic');
  });

  it('GET /auth/token without credentials holds only public pulls', async () => {
    const t = await token([
      'repository:atpub/app:pull,push,delete',
      'repository:atteam/app:pull',
      'repository:atother/app:pull,push',
      'repository:library/busybox:pull,push,delete',
    ]);
    assert.deepEqual(t.access, [
      { type: 'repository', name: 'atpub/app', actions: ['pull'] },
      { type: 'repository', name: 'library/busybox', actions: ['pull'] },
    ]);
    assert.equal(t.claims.sub, '', 'an anonymous token names no account');
    assert.equal(t.body.refresh_token, undefined, 'an anonymous caller gets no refresh token');
    assert.equal((await pull('atpub/app', bearer(t.token))).status, 200);
    expectUnauthorized(await pull('atteam/app', bearer(t.token)), 'an anonymous token on a private repository');
    expectUnauthorized(await call('POST', '/v2/atpub/app/blobs/uploads/', bearer(t.token)), 'an anonymous token pushing to a public repository');
  });

  it('POST /auth/token: grant_type=password (refresh_token with access_type=offline) and grant_type=refresh_token', async () => {
    const first = await postToken({ grant_type: 'password', username: 'at-dev', password: PASSWORD, service: 'berth', client_id: 'berth-test', access_type: 'offline', scope: 'repository:atteam/app:pull' });
    assert.equal(first.status, 200, first.text);
    const body = JSON.parse(first.text) as { access_token: string; refresh_token?: string; expires_in: number };
    assert.ok(body.refresh_token, `access_type=offline returns a refresh_token: ${first.text}`);
    credentials.add(body.access_token).add(body.refresh_token);
    assert.deepEqual(decodeJwt(body.access_token).access, [{ type: 'repository', name: 'atteam/app', actions: ['pull'] }]);
    assert.equal((await pull('atteam/app', bearer(body.access_token))).status, 200);

    const refreshed = await postToken({ grant_type: 'refresh_token', refresh_token: body.refresh_token, service: 'berth', client_id: 'berth-test', scope: 'repository:atteam/app:pull,push' });
    assert.equal(refreshed.status, 200, refreshed.text);
    const r = JSON.parse(refreshed.text) as { access_token: string };
    credentials.add(r.access_token);
    assert.deepEqual(decodeJwt(r.access_token).access, [{ type: 'repository', name: 'atteam/app', actions: ['pull', 'push'] }]);
    assert.equal(decodeJwt(r.access_token).sub, 'at-dev');
    assert.equal((await pushImage('atteam/app', 'refreshed', bearer(r.access_token))).status, 201, 'a push with the refreshed token');

    expectCode(await postToken({ grant_type: 'refresh_token', refresh_token: 'garbage', service: 'berth', client_id: 'x' }), 401, 'UNAUTHORIZED', 'a garbage refresh token');
    expectCode(await postToken({ grant_type: 'refresh_token', refresh_token: body.access_token, service: 'berth', client_id: 'x' }), 401, 'UNAUTHORIZED', 'an access token used as a refresh token');

    // A refresh token dies with its account's right to log in.
    const gone = JSON.parse((await postToken({ grant_type: 'password', username: 'at-gone', password: PASSWORD, service: 'berth', client_id: 'x', access_type: 'offline' })).text) as { refresh_token: string };
    credentials.add(gone.refresh_token);
    await dir.users.update(SYSTEM, 'at-gone', { disabled: true });
    expectCode(await postToken({ grant_type: 'refresh_token', refresh_token: gone.refresh_token, service: 'berth', client_id: 'x', scope: 'repository:atteam/app:pull' }), 401, 'UNAUTHORIZED', 'the refresh token of a disabled user');
    expectUnauthorized(await pull('atteam/app', { authorization: basic('at-gone', PASSWORD) }), 'a disabled user with Basic');
  });

  it('robots: an expired one, a disabled one and a rotated secret are refused', async () => {
    const tags = (auth: Record<string, string>) => call('GET', '/v2/atteam/app/tags/list', auth);
    const login = (user: string, password: string) => ({ authorization: basic(user, password) });

    const expiring = await dir.robots.create(SYSTEM, { name: 'short', permissions: [{ project: 'atteam', actions: 'pull' }], expiresIn: '2s' });
    secrets.add(expiring.secret);
    assert.equal(expiring.robot.name, 'robot$atteam+short');
    assert.equal((await tags(login(expiring.robot.name, expiring.secret))).status, 200, 'the robot works before it expires');
    await sleep(Math.max(0, Date.parse(expiring.robot.expiresAt!) - Date.now() + 300));
    expectUnauthorized(await tags(login(expiring.robot.name, expiring.secret)), 'an expired robot with Basic');
    expectCode(await tokenCall(['repository:atteam/app:pull'], { user: expiring.robot.name, password: expiring.secret }), 401, 'UNAUTHORIZED', 'an expired robot at /auth/token');

    const ci = await dir.robots.create(SYSTEM, { name: 'ci', permissions: [{ project: 'atteam', actions: 'pull,push' }] });
    secrets.add(ci.secret);
    assert.equal((await tags(login(ci.robot.name, ci.secret))).status, 200);
    await dir.robots.setDisabled(SYSTEM, ci.robot.name, true);
    expectUnauthorized(await tags(login(ci.robot.name, ci.secret)), 'a disabled robot with Basic');
    expectCode(await tokenCall(['repository:atteam/app:pull'], { user: ci.robot.name, password: ci.secret }), 401, 'UNAUTHORIZED', 'a disabled robot at /auth/token');
    await dir.robots.setDisabled(SYSTEM, ci.robot.name, false);
    assert.equal((await tags(login(ci.robot.name, ci.secret))).status, 200, 'enabled again, it works');

    const rotated = await dir.robots.rotate(SYSTEM, ci.robot.name);
    secrets.add(rotated.secret);
    assert.notEqual(rotated.secret, ci.secret);
    expectUnauthorized(await tags(login(ci.robot.name, ci.secret)), 'the old secret after a rotation');
    assert.equal((await tags(login(ci.robot.name, rotated.secret))).status, 200, 'the new secret works');
    const t = await token(['repository:atteam/app:pull,push,delete'], { user: ci.robot.name, password: rotated.secret });
    assert.deepEqual(t.access, [{ type: 'repository', name: 'atteam/app', actions: ['pull', 'push'] }], 'a robot gets only its permissions');
  });

  it('a personal access token works as a password, within its limits', async () => {
    const pat = await dir.accessTokens.create(SYSTEM, 'at-dev', { name: 'pull-only', actions: 'pull' });
    secrets.add(pat.secret);
    assert.match(pat.secret, /^bpat_\d+_[A-Za-z0-9_-]+$/);
    assert.equal((await pull('atteam/app', { authorization: basic('at-dev', pat.secret) })).status, 200, 'pull with the token as password');
    expectCode(await call('POST', '/v2/atteam/app/blobs/uploads/', { authorization: basic('at-dev', pat.secret) }), 403, 'DENIED', 'push with a pull-only token');
    const t = await token(['repository:atteam/app:pull,push'], { user: 'at-dev', password: pat.secret });
    assert.deepEqual(t.access, [{ type: 'repository', name: 'atteam/app', actions: ['pull'] }]);
    expectUnauthorized(await pull('atteam/app', { authorization: basic('at-leaver', pat.secret) }), 'the token under another user name');

    // A revoked token and an expired one stop working.
    await dir.accessTokens.revoke(SYSTEM, 'at-dev', pat.token.id);
    expectUnauthorized(await pull('atteam/app', { authorization: basic('at-dev', pat.secret) }), 'a revoked access token');
    const brief = await dir.accessTokens.create(SYSTEM, 'at-dev', { name: 'brief', actions: 'pull', expiresIn: '1s' });
    secrets.add(brief.secret);
    assert.equal((await pull('atteam/app', { authorization: basic('at-dev', brief.secret) })).status, 200, 'before it expires');
    await sleep(Math.max(0, Date.parse(brief.token.expiresAt!) - Date.now() + 300));
    expectUnauthorized(await pull('atteam/app', { authorization: basic('at-dev', brief.secret) }), 'an expired access token');
  });

  it('passwords and secrets never appear in responses or logs', async () => {
    // Give the server a moment to flush its last log lines.
    await sleep(200);
    const logs = server.logs();
    assert.ok(logs.includes('/auth/token') && logs.includes('/v2/atteam/app'), 'the server logged the requests of this suite');
    const hashOf = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 12);
    for (const s of secrets) {
      assert.ok(!logs.includes(s), `a secret (sha256 ${hashOf(s)}…) is in the server log`);
      for (const a of answers) assert.ok(!a.includes(s), `a secret (sha256 ${hashOf(s)}…) is in a response:\n${a.slice(0, 400)}`);
    }
    for (const c of credentials) assert.ok(!logs.includes(c), `a credential in transit (${c.slice(0, 12)}…) is in the server log`);
    assert.ok(credentials.size > 20 && secrets.size > 6, 'the suite collected what it checks');
  });
});

describe('first start (auth.mode builtin)', { timeout: 120_000 }, () => {
  it('creates admin with a random password printed once, and a public library', async () => {
    // An empty BERTH_ADMIN_PASSWORD means "generate one" (the variable may be set around us).
    const first = await startBerth({ auth: 'builtin' as never, env: { BERTH_ADMIN_PASSWORD: '' } });
    let current = first;
    try {
      await sleep(200);
      const m = /password:\s+(\S+)/.exec(first.logs());
      assert.ok(m, `the first start prints the admin password:\n${first.logs()}`);
      const password = m[1]!;
      assert.ok(password.length >= 16, 'a generated password is long');
      const login = await fetch(`${first.url}/v2/`, { headers: { authorization: basic('admin', password) } });
      assert.equal(login.status, 200, 'the printed password logs in');
      // library is public: an anonymous read reaches the repository check (404, not 401).
      const lib = await fetch(`${first.url}/v2/library/nothing/tags/list`);
      assert.equal(lib.status, 404, `anonymous read in library: ${await lib.text()}`);
      const adminProject = await fetch(`${first.url}/v2/admin/nothing/tags/list`);
      assert.equal(adminProject.status, 401, 'the admin personal project is private');

      current = await first.restart();
      await sleep(200);
      assert.ok(!current.logs().includes(password), 'a restart does not print the password again');
      assert.doesNotMatch(current.logs(), /First start/);
      const again = await fetch(`${current.url}/v2/`, { headers: { authorization: basic('admin', password) } });
      assert.equal(again.status, 200, 'the password still works after a restart');
    } finally {
      await current.stop();
      await rm(first.dataDir, { recursive: true, force: true });
    }
  });
});
