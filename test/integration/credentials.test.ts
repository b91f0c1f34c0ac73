// Credentials die with their source (hardening issue, defects 2, 9 and 12). For every kind of
// credential (a password, a personal access token, a robot secret) and every way it can end
// (revoked, rotated, disabled, expired, password changed, user disabled or deleted), the refresh
// tokens, access tokens and browser sessions minted from it stop. A refresh token never grants
// more than its credential: an access token limited to pull on one project stays limited after a
// refresh, on /v2 and in the catalog.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { digestOf } from '../../src/core/digest.ts';
import { openMetadata, type MetadataDb } from '../../src/metadata/db.ts';
import { startBerth, type BerthProcess } from '../helpers/berth-process.ts';
import { ADMIN, addUser, basic, call, expectStatus, type Creds } from './api-helpers.ts';

const MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
type Grant = { type: string; name: string; actions: string[] };
/** Longer than the server's live-credential check interval (2 s). */
const SETTLE_MS = 2600;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('tokens, refresh tokens and sessions end with the credential they came from', { timeout: 300_000 }, () => {
  let server: BerthProcess;
  let meta: MetadataDb;
  let alice: Creds;
  let carol: Creds;

  before(async () => {
    server = await startBerth({ auth: 'builtin', env: { BERTH_ADMIN_PASSWORD: ADMIN[1] } });
    meta = await openMetadata({ dialect: 'sqlite', location: join(server.dataDir, 'berth.db') });
    alice = await addUser(server, 'alice');
    carol = await addUser(server, 'carol');
    expectStatus(await call(server, 'POST', '/projects', { as: alice, body: { name: 'team' } }), 201);
    expectStatus(await call(server, 'PUT', '/projects/team/members/carol', { as: alice, body: { role: 'developer' } }), 200);
    for (const repo of ['team/app', 'carol/x', 'alice/own']) await push(repo, ADMIN);
  });
  after(async () => {
    await meta?.close();
    await server?.stop();
  });

  async function push(repo: string, creds: Creds): Promise<number> {
    const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, repo, at: Date.now() }));
    const auth = { authorization: basic(creds) };
    const up = await fetch(`${server.url}/v2/${repo}/blobs/uploads/?digest=${digestOf(config)}`, { method: 'POST', headers: auth, body: config });
    if (up.status !== 201) return up.status;
    const manifest = JSON.stringify({ schemaVersion: 2, mediaType: MANIFEST, config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: digestOf(config), size: config.length }, layers: [] });
    return (await fetch(`${server.url}/v2/${repo}/manifests/v1`, { method: 'PUT', headers: { ...auth, 'content-type': MANIFEST }, body: manifest })).status;
  }

  /** POST /auth/token (the OAuth2 form docker and podman use). */
  async function oauth(form: Record<string, string>, scopes: string[]): Promise<{ status: number; body: Record<string, unknown> }> {
    const params = new URLSearchParams({ service: 'berth', client_id: 'test', ...form });
    for (const s of scopes) params.append('scope', s);
    const res = await fetch(`${server.url}/auth/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: params.toString() });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) as Record<string, unknown> : {} };
  }

  async function login(creds: Creds, scopes: string[]): Promise<{ access: string; refresh: string }> {
    const r = await oauth({ grant_type: 'password', username: creds[0], password: creds[1], access_type: 'offline' }, scopes);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(typeof r.body.refresh_token, 'string', 'offline access gives a refresh token');
    return { access: r.body.access_token as string, refresh: r.body.refresh_token as string };
  }

  const refresh = (token: string, scopes: string[]) => oauth({ grant_type: 'refresh_token', refresh_token: token }, scopes);
  const grantsOf = (token: string) => (decodeJwt(token).access ?? []) as Grant[];
  const pullWith = async (token: string, repo: string) => {
    const res = await fetch(`${server.url}/v2/${repo}/manifests/v1`, { headers: { authorization: `Bearer ${token}`, accept: MANIFEST } });
    await res.arrayBuffer();
    return res.status;
  };

  const ALL_SCOPES = ['repository:team/app:pull,push', 'repository:carol/x:pull,push,delete', 'repository:alice/own:pull', 'registry:catalog:*'];

  it('a pull-only token limited to team stays limited after a refresh; pushing with it is refused', async () => {
    const made = expectStatus(await call(server, 'POST', '/users/carol/tokens', { as: carol, body: { name: 'ci', permissions: 'pull', projects: ['team'] } }), 201).body;
    const pat: Creds = ['carol', made.secret];
    const { access, refresh: r } = await login(pat, ALL_SCOPES);
    const expectOnlyTeamPull = (token: string, what: string) => {
      const repos = grantsOf(token).filter((g) => g.type === 'repository');
      assert.deepEqual(repos, [{ type: 'repository', name: 'team/app', actions: ['pull'] }], `${what}: ${JSON.stringify(grantsOf(token))}`);
    };
    expectOnlyTeamPull(access, 'the first token');
    const refreshed = await refresh(r, ALL_SCOPES);
    assert.equal(refreshed.status, 200);
    expectOnlyTeamPull(refreshed.body.access_token as string, 'the refreshed token');
    // With the refreshed token: a push is refused, carol's own project is out of reach.
    const bearer = { authorization: `Bearer ${refreshed.body.access_token as string}` };
    const start = await fetch(`${server.url}/v2/team/app/blobs/uploads/`, { method: 'POST', headers: bearer });
    assert.ok([401, 403].includes(start.status), `push with the refreshed token: ${start.status}`);
    // 403, not 401: no new token from this credential could grant it.
    assert.equal(await pullWith(refreshed.body.access_token as string, 'carol/x'), 403);
    // The catalog through the token lists the token's project only (defect 12), as Basic does.
    const catalogToken = (await refresh(r, ['registry:catalog:*'])).body.access_token as string;
    const viaToken = await (await fetch(`${server.url}/v2/_catalog`, { headers: { authorization: `Bearer ${catalogToken}` } })).json() as { repositories: string[] };
    const viaBasic = await (await fetch(`${server.url}/v2/_catalog`, { headers: { authorization: basic(pat) } })).json() as { repositories: string[] };
    assert.deepEqual(viaToken.repositories, ['team/app']);
    assert.deepEqual(viaBasic.repositories, viaToken.repositories);
  });

  /** Every way a credential ends, and how to get one of that kind first. */
  const endings: { name: string; make: () => Promise<Creds>; end: (c: Creds) => Promise<void>; repo: string }[] = [
    {
      name: 'an access token is revoked',
      repo: 'team/app',
      make: async () => {
        const made = expectStatus(await call(server, 'POST', '/users/carol/tokens', { as: carol, body: { name: `t${Date.now()}`, permissions: 'pull,push' } }), 201).body;
        tokenIds.set(made.secret, made.token.id);
        return ['carol', made.secret];
      },
      end: async (c) => { expectStatus(await call(server, 'DELETE', `/users/carol/tokens/${tokenIds.get(c[1])}`, { as: carol }), 204); },
    },
    {
      name: 'an access token expires',
      repo: 'team/app',
      make: async () => {
        const made = expectStatus(await call(server, 'POST', '/users/carol/tokens', { as: carol, body: { name: `e${Date.now()}`, permissions: 'pull' } }), 201).body;
        tokenIds.set(made.secret, made.token.id);
        return ['carol', made.secret];
      },
      end: async (c) => { await meta.db.updateTable('access_tokens').set({ expires_at: Date.now() - 1000 }).where('id', '=', tokenIds.get(c[1])!).execute(); },
    },
    ...(['rotated', 'disabled', 'deleted', 'expires'] as const).map((how) => ({
      name: `a robot is ${how === 'expires' ? 'past its expiry' : how}`,
      repo: 'team/app',
      make: async (): Promise<Creds> => {
        const made = expectStatus(await call(server, 'POST', '/projects/team/robots', { as: alice, body: { name: `r-${how}`, permissions: 'pull,push' } }), 201).body;
        return [made.robot.name, made.secret];
      },
      end: async (c: Creds) => {
        const path = `/robots/${encodeURIComponent(c[0])}`;
        if (how === 'rotated') expectStatus(await call(server, 'POST', `${path}/rotate`, { as: alice }), 200);
        if (how === 'disabled') expectStatus(await call(server, 'PATCH', path, { as: alice, body: { disabled: true } }), 200);
        if (how === 'deleted') expectStatus(await call(server, 'DELETE', path, { as: alice }), 204);
        if (how === 'expires') await meta.db.updateTable('robots').set({ expires_at: Date.now() - 1000 }).where('name', '=', c[0]).execute();
      },
    })),
    ...(['password changed by the user', 'password reset by an admin', 'user disabled', 'user deleted'] as const).map((how, i) => ({
      name: `a user's ${how}`,
      repo: `dora${i}/r`,
      make: async (): Promise<Creds> => {
        const c = await addUser(server, `dora${i}`);
        assert.equal(await push(`dora${i}/r`, c), 201);
        return c;
      },
      end: async (c: Creds) => {
        if (how === 'password changed by the user') expectStatus(await call(server, 'PUT', `/users/${c[0]}/password`, { as: c, body: { password: 'a-brand-new-pass' } }), 204);
        if (how === 'password reset by an admin') expectStatus(await call(server, 'PUT', `/users/${c[0]}/password`, { as: ADMIN, body: { password: 'a-brand-new-pass' } }), 204);
        if (how === 'user disabled') expectStatus(await call(server, 'PATCH', `/users/${c[0]}`, { as: ADMIN, body: { disabled: true } }), 200);
        if (how === 'user deleted') expectStatus(await call(server, 'DELETE', `/users/${c[0]}?personalProject=delete`, { as: ADMIN }), 200);
      },
    })),
  ];
  const tokenIds = new Map<string, number>();

  for (const e of endings) {
    it(`when ${e.name}: its refresh token, its access token and the credential itself stop`, async () => {
      const creds = await e.make();
      const scopes = [`repository:${e.repo}:pull`];
      const { access, refresh: r } = await login(creds, scopes);
      assert.equal(await pullWith(access, e.repo), 200, 'the access token works before');
      assert.equal((await refresh(r, scopes)).status, 200, 'the refresh token works before');
      await e.end(creds);
      await sleep(SETTLE_MS);
      const after = await refresh(r, scopes);
      assert.equal(after.status, 401, `the refresh token after: ${JSON.stringify(after.body)}`);
      assert.equal(await pullWith(access, e.repo), 401, 'the access token after');
      const basicAfter = await fetch(`${server.url}/v2/`, { headers: { authorization: basic(creds) } });
      await basicAfter.arrayBuffer();
      assert.equal(basicAfter.status, 401, 'the credential itself after');
    });
  }

  async function signIn(creds: Creds): Promise<string> {
    const res = await fetch(`${server.url}/api/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-berth-csrf': '1' }, body: JSON.stringify({ username: creds[0], password: creds[1] }) });
    assert.equal(res.status, 200, await res.text());
    return /berth_session=([^;]+)/.exec(res.headers.get('set-cookie') ?? '')![1]!;
  }
  const whoami = async (cookie: string) => (await (await fetch(`${server.url}/api/v1/session`, { headers: { cookie: `berth_session=${cookie}` } })).json() as { user: { name: string } | null }).user?.name ?? null;

  it('a password change ends every other browser session and keeps the one that made it; the stolen cookie cannot mint tokens', async () => {
    const eve = await addUser(server, 'eve', 'eve-old-password');
    const mine = await signIn(eve);
    const stolen = await signIn(eve);
    assert.equal(await whoami(stolen), 'eve');
    const change = await fetch(`${server.url}/api/v1/users/eve/password`, {
      method: 'PUT', headers: { cookie: `berth_session=${mine}`, 'x-berth-csrf': '1', 'content-type': 'application/json' },
      body: JSON.stringify({ password: 'eve-new-password', currentPassword: 'eve-old-password' }),
    });
    assert.equal(change.status, 204, await change.text());
    assert.equal(await whoami(mine), 'eve', 'the session that changed the password goes on');
    assert.equal(await whoami(stolen), null, 'the other session ended');
    const mint = await fetch(`${server.url}/api/v1/users/eve/tokens`, {
      method: 'POST', headers: { cookie: `berth_session=${stolen}`, 'x-berth-csrf': '1', 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'backdoor', permissions: 'pull,push' }),
    });
    assert.equal(mint.status, 401, 'the stolen cookie mints nothing');
  });

  it('disabling or deleting a user ends all their sessions', async () => {
    for (const how of ['disable', 'delete'] as const) {
      const name = `sid-${how}`;
      const creds = await addUser(server, name);
      const cookie = await signIn(creds);
      assert.equal(await whoami(cookie), name);
      if (how === 'disable') expectStatus(await call(server, 'PATCH', `/users/${name}`, { as: ADMIN, body: { disabled: true } }), 200);
      else expectStatus(await call(server, 'DELETE', `/users/${name}`, { as: ADMIN }), 200);
      assert.equal(await whoami(cookie), null, `after ${how}`);
      const rows = await meta.db.selectFrom('sessions').selectAll().execute();
      assert.ok(rows.every((r) => r.user_id !== undefined), 'sessions table readable');
      if (how === 'disable') {
        // Enabling the user again does not bring the session back.
        expectStatus(await call(server, 'PATCH', `/users/${name}`, { as: ADMIN, body: { disabled: false } }), 200);
        assert.equal(await whoami(cookie), null, 'still ended after enabling');
      }
    }
  });

  it('a re-enabled robot or token does not revive refresh tokens minted before a rotation', async () => {
    const made = expectStatus(await call(server, 'POST', '/projects/team/robots', { as: alice, body: { name: 'phoenix', permissions: 'pull' } }), 201).body;
    const creds: Creds = [made.robot.name, made.secret];
    const { refresh: r } = await login(creds, ['repository:team/app:pull']);
    expectStatus(await call(server, 'POST', `/robots/${encodeURIComponent(creds[0])}/rotate`, { as: alice }), 200);
    assert.equal((await refresh(r, ['repository:team/app:pull'])).status, 401);
    // A refresh token is not an access token, and an access token is not a refresh token.
    const fresh = await login(['robot$team+phoenix', (expectStatus(await call(server, 'POST', `/robots/${encodeURIComponent(creds[0])}/rotate`, { as: alice }), 200).body as { secret: string }).secret], ['repository:team/app:pull']);
    assert.equal((await refresh(fresh.access, [])).status, 401);
    assert.equal(await pullWith(fresh.refresh, 'team/app'), 401);
  });
});
