// LDAP sign-in (issue 19) against a real OpenLDAP (Debian's slapd, test/helpers/slapd.ts) and a
// real `berth serve` with auth.providers [builtin, ldap]: users sign in at /auth/token with their
// directory password; group mappings give project roles and system administrator at each
// sign-in; leaving a group removes push at the next sign-in; wrong passwords, LDAP injection,
// names held locally or by a project, and a directory that went away are each refused with 401
// while the server keeps serving; failed logins are limited and audited; a refresh token of a
// user removed from the directory stops within checkIntervalSeconds. On SQLite and on PostgreSQL.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { startBerth, type BerthProcess } from '../helpers/berth-process.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.ts';
import { startSlapd, type Slapd } from '../helpers/slapd.ts';

const ADMIN = ['admin', 'ldap-it-Admin-pa55'] as const;
const ALICE = ['alice', 'alice-directory-pw'] as const;
const GUS = ['gus', 'gus-directory-pw'] as const;
const CAROL = ['carol', 'carol-directory-pw'] as const;
const PROJECT = 'lteam';
const PEOPLE = 'ou=people,dc=example,dc=org';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- API answers of many shapes, checked field by field
type Json = any;
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

for (const dialect of ['sqlite', 'postgres'] as const) describe(`LDAP identity provider (${dialect})`, { timeout: 120_000 }, () => {
  let slapd: Slapd;
  let berth: BerthProcess;
  let pg: TestDatabase | undefined;

  async function token(user: string, password: string, scope = `repository:${PROJECT}/app:pull,push`): Promise<{ status: number; actions: string[]; body: Record<string, unknown> }> {
    const res = await fetch(`${berth.url}/auth/token?service=berth&scope=${encodeURIComponent(scope)}`, { headers: { authorization: basic(user, password) } });
    const body = (await res.json()) as Record<string, unknown>;
    if (res.status !== 200) return { status: res.status, actions: [], body };
    const access = (decodeJwt(String(body.token)).access ?? []) as { actions: string[] }[];
    return { status: 200, actions: access.flatMap((a) => a.actions).sort(), body };
  }

  async function api(method: string, path: string, auth: readonly [string, string], body?: unknown): Promise<{ status: number; json: Json }> {
    const res = await fetch(`${berth.url}/api/v1${path}`, {
      method,
      headers: { authorization: basic(auth[0], auth[1]), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, json: text ? JSON.parse(text) : undefined };
  }

  const reason = (r: { body: Record<string, unknown> }) => JSON.stringify(r.body);

  before(async () => {
    slapd = await startSlapd();
    if (dialect === 'postgres') pg = await createTestDatabase('berth_ldap');
    berth = await startBerth({
      auth: 'builtin',
      env: { BERTH_ADMIN_PASSWORD: ADMIN[1], ...(pg ? { BERTH_DATABASE_DIALECT: 'postgres', BERTH_DATABASE_URL: pg.url } : {}) },
      config: {
        auth: {
          loginMaxFailures: 4,
          providers: [
            { type: 'builtin' },
            {
              name: 'corp', type: 'ldap', url: slapd.url,
              bindDN: 'cn=admin,dc=example,dc=org', bindPassword: 'secret',
              userBase: PEOPLE, userFilter: '(uid={username})',
              groupBase: 'ou=groups,dc=example,dc=org', groupFilter: '(member={dn})',
              checkIntervalSeconds: 1, timeoutMs: 2000,
            },
          ],
        },
      },
    });
    assert.equal((await api('POST', '/projects', ADMIN, { name: PROJECT, visibility: 'private' })).status, 201);
    for (const [group, role] of [['developers', 'developer'], ['guests', 'guest']] as const) {
      const r = await api('PUT', `/projects/${PROJECT}/group-mappings`, ADMIN, { provider: 'corp', group, role });
      assert.equal(r.status, 200, JSON.stringify(r.json));
    }
    assert.equal((await api('PUT', '/group-mappings/admins', ADMIN, { provider: 'corp', group: 'registry-admins' })).status, 200);
  });
  after(async () => {
    await berth?.stop();
    await slapd?.stop();
    await pg?.drop();
  });

  it('lists the providers for the sign-in page', async () => {
    const r = await fetch(`${berth.url}/api/v1/identity-providers`);
    const body = (await r.json()) as { providers: { name: string; type: string }[] };
    assert.deepEqual(body.providers.map((p) => `${p.name}:${p.type}`), ['builtin:builtin', 'corp:ldap']);
  });

  it('a directory user signs in at /auth/token with their directory password; a developer group may push', async () => {
    const t = await token(...ALICE);
    assert.equal(t.status, 200, reason(t));
    assert.deepEqual(t.actions, ['pull', 'push']);
    // Created on first sign-in, with a personal project.
    const me = await api('GET', '/users/alice', ADMIN);
    assert.equal(me.status, 200);
    assert.ok(me.json.projects.some((p: { name: string; role: string }) => p.name === 'alice' && p.role === 'owner'), JSON.stringify(me.json));
    assert.ok(me.json.projects.some((p: { name: string; role: string }) => p.name === PROJECT && p.role === 'developer'), JSON.stringify(me.json));
  });

  it('a guest group may pull but not push', async () => {
    const t = await token(...GUS);
    assert.equal(t.status, 200, reason(t));
    assert.deepEqual(t.actions, ['pull']);
  });

  it('a group mapped to system administrator makes one', async () => {
    assert.equal((await token(...CAROL)).status, 200);
    const users = await api('GET', '/users', CAROL);
    assert.equal(users.status, 200, JSON.stringify(users.json));
  });

  it('wrong passwords, an empty password and LDAP injection in the name are refused with 401', async () => {
    assert.equal((await token('alice', 'not-her-password')).status, 401);
    assert.equal((await token('alice', '')).status, 401);
    for (const name of ['*)(uid=*', '*', 'alice)(|(uid=*', 'al*']) {
      const t = await token(name, ALICE[1]);
      assert.equal(t.status, 401, `${name}: ${reason(t)}`);
    }
    const v2 = await fetch(`${berth.url}/v2/`);
    assert.equal(v2.status, 401);
  });

  it('failed directory logins count against the login limiter and are audited', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await token('nobody-here', `guess-${i}`)).status);
    assert.deepEqual(statuses, [401, 401, 401, 401, 429]);
    // The audit log is written in batches: wait for it.
    let actors: string[] = [];
    for (const deadline = Date.now() + 10_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 200))) {
      const audit = await api('GET', '/audit?action=login_failed&limit=200', ADMIN);
      assert.equal(audit.status, 200);
      actors = audit.json.entries.map((e: { actor: string }) => e.actor);
      if (actors.includes('nobody-here') && actors.includes('*)(uid=*')) break;
    }
    assert.ok(actors.includes('nobody-here'), JSON.stringify(actors));
    assert.ok(actors.includes('*)(uid=*'), JSON.stringify(actors));
  });

  it('a directory name held by a local account or a project is refused, with a message saying so', async () => {
    assert.equal((await api('POST', '/users', ADMIN, { name: 'bob', password: 'local-bob-pa55' })).status, 201);
    const ldapBob = await token('bob', 'bob-directory-pw');
    assert.equal(ldapBob.status, 401);
    assert.match(reason(ldapBob), /bob is a local account/);
    assert.equal((await token('bob', 'local-bob-pa55')).status, 200, 'the local bob still signs in');
    assert.equal((await api('POST', '/projects', ADMIN, { name: 'teamx', visibility: 'private' })).status, 201);
    const teamx = await token('teamx', 'teamx-directory-pw');
    assert.equal(teamx.status, 401);
    assert.match(reason(teamx), /taken by a project/);
  });

  it('a directory user cannot be given a local password', async () => {
    const r = await api('PUT', '/users/alice/password', ADMIN, { password: 'a-local-password' });
    assert.equal(r.status, 400, JSON.stringify(r.json));
  });

  it('moving a user out of the developer group removes push at the next sign-in', async () => {
    await slapd.modify('cn=developers,ou=groups,dc=example,dc=org', [{ operation: 'delete', type: 'member', values: [`uid=alice,${PEOPLE}`] }]);
    const t = await token(...ALICE);
    assert.equal(t.status, 200);
    assert.deepEqual(t.actions, ['pull'], 'still a guest through the guests group');
    await slapd.modify('cn=guests,ou=groups,dc=example,dc=org', [{ operation: 'delete', type: 'member', values: [`uid=alice,${PEOPLE}`] }]);
    const t2 = await token(...ALICE);
    assert.equal(t2.status, 200);
    assert.deepEqual(t2.actions, [], 'no group maps her into the project any more');
    const members = await api('GET', `/projects/${PROJECT}/members`, ADMIN);
    assert.ok(!members.json.members.some((m: { user: string }) => m.user === 'alice'), JSON.stringify(members.json));
  });

  it('a membership given by hand is left alone by the mappings', async () => {
    assert.equal((await api('PUT', `/projects/${PROJECT}/members/alice`, ADMIN, { role: 'maintainer' })).status, 200);
    const t = await token(...ALICE);
    assert.deepEqual(t.actions, ['pull', 'push']);
    assert.equal((await api('DELETE', `/projects/${PROJECT}/members/alice`, ADMIN)).status, 204);
  });

  it('a refresh token and a session of a user removed from the directory stop within checkIntervalSeconds', async () => {
    const res = await fetch(`${berth.url}/auth/token`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'password', username: GUS[0], password: GUS[1], service: 'berth', access_type: 'offline', scope: `repository:${PROJECT}/app:pull` }),
    });
    assert.equal(res.status, 200);
    const refresh = String(((await res.json()) as { refresh_token: string }).refresh_token);
    const session = await fetch(`${berth.url}/api/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: GUS[0], password: GUS[1] }) });
    assert.equal(session.status, 200);
    const cookie = String(session.headers.get('set-cookie')).split(';')[0]!;
    const useRefresh = () => fetch(`${berth.url}/auth/token`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refresh, service: 'berth', scope: `repository:${PROJECT}/app:pull` }),
    });
    await new Promise((r) => setTimeout(r, 1100));
    assert.equal((await useRefresh()).status, 200, 'still in the directory: the refresh token works after a check');
    await slapd.remove(`uid=gus,${PEOPLE}`);
    await new Promise((r) => setTimeout(r, 1100));
    assert.equal((await useRefresh()).status, 401);
    const who = await fetch(`${berth.url}/api/v1/session`, { headers: { cookie } });
    assert.deepEqual(await who.json(), { user: null });
  });

  it('a directory that cannot be reached is refused with 401, and the server keeps serving local accounts', async () => {
    await slapd.stop();
    const t = await token(...CAROL);
    assert.equal(t.status, 401);
    assert.match(reason(t), /could not be reached/);
    const fresh = await token('someone-new', 'whatever-pw');
    assert.equal(fresh.status, 401);
    assert.equal((await token(...ADMIN)).status, 200);
    assert.equal((await fetch(`${berth.url}/v2/`, { headers: { authorization: basic(...ADMIN) } })).status, 200);
  });
});
