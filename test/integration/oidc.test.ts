// OpenID Connect sign-in (issue 19) end to end, with builtin, LDAP and OIDC enabled together: a
// real OpenID provider (oidc-provider, test/helpers/oidc-server.ts), a real slapd, and a real
// berth serve. The browser sign-in is driven in Debian's chromium: "Sign in with sso" creates
// the user and a web UI session, and applies the group mapping; a CLI secret made once works as
// the docker/podman password (podman login too), is revocable, and stops when the user is
// disabled at the provider (within checkIntervalSeconds); a name already held by an LDAP user is
// refused with a message saying so.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { chromium, type BrowserContext } from 'playwright-core';
import { startBerth, type BerthProcess } from '../helpers/berth-process.ts';
import { CLIENT_ID, CLIENT_SECRET, startOidcServer, type OidcServer } from '../helpers/oidc-server.ts';
import { freePort, startSlapd, type Slapd } from '../helpers/slapd.ts';

const CHROMIUM = process.env.BERTH_TEST_CHROMIUM ?? '/usr/bin/chromium';
const ADMIN = ['admin', 'oidc-it-Admin-pa55'] as const;
function run(command: string, args: string[], input: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.once('error', (e) => reject(new Error(`${command} is missing (Debian's ${command} package; scripts/install-tools.sh installs it): ${e.message}`)));
    child.once('close', (status) => resolve({ status, stdout, stderr }));
    child.stdin.end(input);
  });
}
const basic = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;

describe('OIDC sign-in, with builtin and LDAP at once', { timeout: 180_000 }, () => {
  let op: OidcServer;
  let slapd: Slapd;
  let berth: BerthProcess;
  let profile: string;
  let browser: BrowserContext;

  async function signInWithBrowser(user: string): Promise<{ status: number; text: string; session?: string }> {
    await browser.clearCookies();
    const page = await browser.newPage();
    try {
      const answers: { url: string; status: number }[] = [];
      page.on('response', (r) => answers.push({ url: r.url(), status: r.status() }));
      await page.goto(`${berth.url}/auth/oidc/sso/login`);
      await page.fill('input[name=login]', user);
      await page.fill('input[name=password]', 'anything');
      await page.click('button[type=submit]');
      await page.waitForLoadState();
      if (page.url().startsWith(op.issuer)) await page.click('button[type=submit]'); // consent
      await page.waitForURL((u) => u.toString().startsWith(berth.url));
      await page.waitForLoadState();
      const callback = answers.find((a) => a.url.startsWith(`${berth.url}/auth/oidc/sso/callback`));
      const session = (await browser.cookies(berth.url)).find((c) => c.name === 'berth_session')?.value;
      return { status: callback?.status ?? 0, text: await page.content(), ...(session ? { session } : {}) };
    } finally {
      await page.close();
    }
  }

  async function token(user: string, password: string): Promise<{ status: number; actions: string[]; text: string }> {
    const res = await fetch(`${berth.url}/auth/token?service=berth&scope=repository:oteam/app:pull,push`, { headers: { authorization: basic(user, password) } });
    const text = await res.text();
    if (res.status !== 200) return { status: res.status, actions: [], text };
    const access = (decodeJwt(String((JSON.parse(text) as { token: string }).token)).access ?? []) as { actions: string[] }[];
    return { status: 200, actions: access.flatMap((a) => a.actions).sort(), text };
  }

  before(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`chromium is missing: ${CHROMIUM} not found (Debian's chromium package; scripts/install-tools.sh installs it)`);
    const port = await freePort();
    op = await startOidcServer({
      redirectUris: [`http://127.0.0.1:${port}/auth/oidc/sso/callback`],
      accounts: { oscar: { groups: ['developers'], email: 'oscar@example.org' }, alice: { groups: [] }, carol: { groups: [] } },
    });
    slapd = await startSlapd();
    berth = await startBerth({
      auth: 'builtin', listen: `127.0.0.1:${port}`,
      env: { BERTH_ADMIN_PASSWORD: ADMIN[1] },
      config: {
        auth: {
          providers: [
            { type: 'builtin' },
            { name: 'corp', type: 'ldap', url: slapd.url, bindDN: 'cn=admin,dc=example,dc=org', bindPassword: 'secret', userBase: 'ou=people,dc=example,dc=org', groupBase: 'ou=groups,dc=example,dc=org' },
            {
              name: 'sso', type: 'oidc', displayName: 'Example SSO', issuer: op.issuer, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET,
              scopes: ['openid', 'profile', 'email', 'groups', 'offline_access'], groupsClaim: 'groups', checkIntervalSeconds: 1,
            },
          ],
        },
      },
    });
    const api = (method: string, path: string, body: unknown) => fetch(`${berth.url}/api/v1${path}`, { method, headers: { authorization: basic(...ADMIN), 'content-type': 'application/json' }, body: JSON.stringify(body) });
    assert.equal((await api('POST', '/projects', { name: 'oteam' })).status, 201);
    assert.equal((await api('PUT', '/projects/oteam/group-mappings', { provider: 'sso', group: 'developers', role: 'developer' })).status, 200);
    profile = await mkdtemp(join(tmpdir(), 'berth-oidc-it-'));
    browser = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'] });
  });
  after(async () => {
    await browser?.close();
    if (profile) await rm(profile, { recursive: true, force: true });
    await berth?.stop();
    await op?.stop();
    await slapd?.stop();
  });

  it('lists the OIDC provider for the sign-in page', async () => {
    const body = (await (await fetch(`${berth.url}/api/v1/identity-providers`)).json()) as { providers: { name: string; type: string; displayName: string }[] };
    assert.deepEqual(body.providers.map((p) => `${p.name}:${p.type}`), ['builtin:builtin', 'corp:ldap', 'sso:oidc']);
    assert.equal(body.providers[2]!.displayName, 'Example SSO');
  });

  let session = '';
  let cliSecret = '';

  it('the browser signs in with the provider: a session, the user created, the group mapping applied', async () => {
    const r = await signInWithBrowser('oscar');
    assert.ok(r.session, `a berth_session cookie (callback answered ${r.status}): ${r.text.slice(0, 300)}`);
    session = r.session!;
    const who = (await (await fetch(`${berth.url}/api/v1/session`, { headers: { cookie: `berth_session=${session}` } })).json()) as { user: { name: string; projects: { name: string; role: string }[] } | null };
    assert.equal(who.user?.name, 'oscar');
    assert.ok(who.user!.projects.some((p) => p.name === 'oteam' && p.role === 'developer'), JSON.stringify(who.user));
    assert.ok(who.user!.projects.some((p) => p.name === 'oscar' && p.role === 'owner'), 'with a personal project');
    // /me says so (the account page offers a CLI secret on it); a builtin user is not an OIDC user.
    const me = (await (await fetch(`${berth.url}/api/v1/me`, { headers: { cookie: `berth_session=${session}` } })).json()) as { oidc?: boolean };
    assert.equal(me.oidc, true);
    const adminMe = (await (await fetch(`${berth.url}/api/v1/me`, { headers: { authorization: basic(...ADMIN) } })).json()) as { oidc?: boolean };
    assert.equal(adminMe.oidc, false);
  });

  it('a callback this browser did not start is refused', async () => {
    const res = await fetch(`${berth.url}/auth/oidc/sso/callback?code=forged&state=forged`);
    assert.equal(res.status, 401);
  });

  it('a CLI secret, shown once, is the docker/podman password; a wrong one is refused', async () => {
    const res = await fetch(`${berth.url}/api/v1/me/cli-secret`, { method: 'POST', headers: { cookie: `berth_session=${session}`, 'x-berth-csrf': '1' } });
    assert.equal(res.status, 201, await res.clone().text());
    cliSecret = ((await res.json()) as { secret: string }).secret;
    assert.match(cliSecret, /^bcli_/);
    const t = await token('oscar', cliSecret);
    assert.equal(t.status, 200, t.text);
    assert.deepEqual(t.actions, ['pull', 'push']);
    assert.equal((await token('oscar', 'bcli_not-the-secret')).status, 401);
    // podman login with it, as the issue asks.
    const authDir = await mkdtemp(join(tmpdir(), 'berth-oidc-podman-'));
    try {
      // Not spawnSync: the OpenID provider runs in this process and must keep answering meanwhile.
      const login = await run('podman', ['login', '--tls-verify=false', '--authfile', join(authDir, 'auth.json'), '-u', 'oscar', '--password-stdin', berth.host], cliSecret);
      assert.equal(login.status, 0, login.stderr);
      assert.match(login.stdout, /Login Succeeded/);
    } finally {
      await rm(authDir, { recursive: true, force: true });
    }
  });

  it('a name an LDAP user already holds is refused for the OIDC user of that name, saying so', async () => {
    assert.equal((await token('alice', 'alice-directory-pw')).status, 200, 'alice signs in through LDAP first');
    const r = await signInWithBrowser('alice');
    assert.equal(r.status, 401);
    assert.match(r.text, /the name alice already belongs to a user of provider corp/);
    assert.equal(r.session, undefined);
    // And the other way round: carol signs in through OIDC first; the LDAP carol is then refused, saying why.
    assert.ok((await signInWithBrowser('carol')).session, 'the OIDC carol signs in');
    const ldapCarol = await token('carol', 'carol-directory-pw');
    assert.equal(ldapCarol.status, 401);
    assert.match(ldapCarol.text, /the name carol already belongs to a user of provider sso/);
  });

  it('a revoked CLI secret stops, with the refresh tokens minted from it; a new one works', async () => {
    const form = await fetch(`${berth.url}/auth/token`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'password', username: 'oscar', password: cliSecret, service: 'berth', access_type: 'offline' }),
    });
    assert.equal(form.status, 200);
    const refresh = ((await form.json()) as { refresh_token: string }).refresh_token;
    const useRefresh = async () => (await fetch(`${berth.url}/auth/token`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refresh, service: 'berth' }),
    })).status;
    assert.equal(await useRefresh(), 200);
    const del = await fetch(`${berth.url}/api/v1/me/cli-secret`, { method: 'DELETE', headers: { cookie: `berth_session=${session}`, 'x-berth-csrf': '1' } });
    assert.equal(del.status, 204);
    assert.equal((await token('oscar', cliSecret)).status, 401);
    assert.equal(await useRefresh(), 401, 'the refresh token minted from the revoked secret stops too');
    const res = await fetch(`${berth.url}/api/v1/me/cli-secret`, { method: 'POST', headers: { cookie: `berth_session=${session}`, 'x-berth-csrf': '1' } });
    cliSecret = ((await res.json()) as { secret: string }).secret;
    assert.equal((await token('oscar', cliSecret)).status, 200);
  });

  it('a user disabled at the provider loses CLI access and the session within checkIntervalSeconds', async () => {
    await new Promise((r) => setTimeout(r, 1100));
    assert.equal((await token('oscar', cliSecret)).status, 200, 'still enabled: the check with the refresh token passes');
    op.disable('oscar');
    await new Promise((r) => setTimeout(r, 1100));
    const t = await token('oscar', cliSecret);
    assert.equal(t.status, 401);
    assert.match(t.text, /sign-in at sso has ended/);
    const who = (await (await fetch(`${berth.url}/api/v1/session`, { headers: { cookie: `berth_session=${session}` } })).json()) as { user: unknown };
    assert.equal(who.user, null);
  });

  it('sign-ins, refusals and CLI secrets are in the audit log, without the secret', async () => {
    type Entry = { actor: string; action: string; detail: string | null };
    let entries: Entry[] = [];
    const want = (e: Entry[]) => ['login', 'login_failed', 'cli-secret.create', 'cli-secret.revoke'].every((a) => e.some((x) => x.action === a && (x.actor === 'oscar' || x.actor === 'alice')));
    for (const deadline = Date.now() + 10_000; Date.now() < deadline && !want(entries); await new Promise((r) => setTimeout(r, 200))) {
      const res = await fetch(`${berth.url}/api/v1/audit?limit=500`, { headers: { authorization: basic(...ADMIN) } });
      entries = ((await res.json()) as { entries: Entry[] }).entries;
    }
    assert.ok(want(entries), JSON.stringify(entries.map((e) => `${e.actor} ${e.action}`)));
    assert.ok(entries.some((e) => e.action === 'login' && e.actor === 'oscar' && (e.detail ?? '').includes('oidc:sso')));
    assert.ok(!JSON.stringify(entries).includes(cliSecret), 'no CLI secret in the audit log');
  });
});
