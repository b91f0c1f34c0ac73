// The OpenID Connect relying party (src/auth/oidc/oidc-client.ts, issue 19) against a real
// OpenID provider on loopback (oidc-provider, test/helpers/oidc-server.ts): discovery; the
// authorization code flow with PKCE, state and nonce driven in Debian's chromium; the id token's
// checks (a token signed by the wrong key, or with the wrong aud, iss or nonce, or expired, is
// refused; the same token with the right claims passes, so each refusal is that claim's); and a
// user disabled at the provider whose refresh token stops working; and a refresh that reads the
// user's groups again, from the refreshed id token, after they changed at the provider.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SignJWT, generateKeyPair, importJWK, type CryptoKey, type JWK } from 'jose';
import { chromium } from 'playwright-core';
import { OidcClient } from '../../src/auth/oidc/oidc-client.ts';
import { oidcProviderSchema } from '../../src/core/config.ts';
import { CLIENT_ID, CLIENT_SECRET, startOidcServer, type OidcServer } from '../helpers/oidc-server.ts';
import { freePort } from '../helpers/slapd.ts';

const CHROMIUM = process.env.BERTH_TEST_CHROMIUM ?? '/usr/bin/chromium';

describe('OIDC relying party against oidc-provider', { timeout: 120_000 }, () => {
  let op: OidcServer;
  let client: OidcClient;
  let callbackServer: Server;
  let redirectUri: string;
  const received: URLSearchParams[] = [];

  before(async () => {
    const port = await freePort();
    redirectUri = `http://127.0.0.1:${port}/callback`;
    callbackServer = createServer((req, res) => {
      const url = new URL(req.url ?? '/', redirectUri);
      if (url.pathname === '/callback') received.push(url.searchParams);
      res.writeHead(200, { 'content-type': 'text/plain' }).end('signed in');
    });
    await new Promise<void>((resolve) => callbackServer.listen(port, '127.0.0.1', resolve));
    op = await startOidcServer({ redirectUris: [redirectUri], accounts: { oscar: { groups: ['developers', 'staff'], email: 'oscar@example.org' } } });
    client = new OidcClient(oidcProviderSchema.parse({
      name: 'sso', type: 'oidc', issuer: op.issuer, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET,
      scopes: ['openid', 'profile', 'email', 'groups', 'offline_access'], groupsClaim: 'groups', clockSkewSeconds: 5,
    }));
  });
  after(async () => {
    await op?.stop();
    await new Promise((r) => callbackServer?.close(r));
  });

  it('discovers the provider, and refuses a discovery document naming another issuer', async () => {
    const d = await client.discover();
    assert.equal(d.issuer, op.issuer);
    assert.ok(d.code_challenge_methods_supported?.includes('S256'));
    const wrong = new OidcClient(oidcProviderSchema.parse({ name: 'x', type: 'oidc', issuer: `${op.issuer}/`, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET }));
    await assert.rejects(wrong.discover(), /names the issuer/);
  });

  it('signs in through the browser with PKCE, state and nonce; the id token carries the user and their groups', async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`chromium is missing: ${CHROMIUM} not found (Debian's chromium package; scripts/install-tools.sh installs it)`);
    const request = await client.authorizationRequest(redirectUri);
    const url = new URL(request.url);
    assert.equal(url.searchParams.get('code_challenge_method'), 'S256');
    assert.ok(url.searchParams.get('nonce') && url.searchParams.get('state'));
    const profile = await mkdtemp(join(tmpdir(), 'berth-oidc-profile-'));
    const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'] });
    try {
      const page = await context.newPage();
      await page.goto(request.url);
      await page.fill('input[name=login]', 'oscar');
      await page.fill('input[name=password]', 'anything');
      await page.click('button[type=submit]');
      await page.waitForLoadState();
      if (!page.url().startsWith(redirectUri)) await page.click('button[type=submit]'); // the consent page
      await page.waitForURL((u) => u.toString().startsWith(redirectUri));
    } finally {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    }
    const params = received.at(-1)!;
    assert.ok(params.get('code'), `the callback got a code: ${params.toString()}`);
    // A callback with another state is refused before the code is used.
    const forged = await client.callback(new URLSearchParams({ code: params.get('code')!, state: 'not-the-state' }), { ...request, redirectUri });
    assert.equal(forged.ok, false);
    const result = await client.callback(params, { ...request, redirectUri });
    assert.ok(result.ok, result.ok ? '' : result.reason);
    assert.equal(result.identity.username, 'oscar');
    assert.deepEqual(result.identity.groups, ['developers', 'staff']);
    assert.equal(result.identity.email, 'oscar@example.org');
    assert.ok(result.refreshToken, 'a refresh token, to check the user later');
    const check = await client.refresh(result.refreshToken!, 'oscar');
    assert.equal(check.status, 'ok');
    assert.deepEqual(check.status === 'ok' && check.groups, ['developers', 'staff'], 'the refresh says the groups too');
    let latest = (check.status === 'ok' && check.refreshToken) || result.refreshToken!;
    // Removed from a group at the provider: the next refresh says so.
    op.setGroups('oscar', ['staff']);
    const moved = await client.refresh(latest, 'oscar');
    assert.equal(moved.status, 'ok');
    assert.deepEqual(moved.status === 'ok' && moved.groups, ['staff']);
    assert.equal(moved.status === 'ok' && moved.email, 'oscar@example.org');
    latest = (moved.status === 'ok' && moved.refreshToken) || latest;
    // A refresh token whose id token names another subject than the one Berth linked is not that user's.
    const other = await client.refresh(latest, 'mallory');
    assert.equal(other.status, 'gone');
    op.disable('oscar');
    assert.equal((await client.refresh(latest)).status, 'gone', 'disabled at the provider: the refresh token is refused');
    // The code was spent: using it again is refused by the provider.
    const again = await client.callback(params, { ...request, redirectUri });
    assert.equal(again.ok, false);
  });

  describe('id token checks', () => {
    const NONCE = 'the-nonce-of-this-sign-in';
    let key: CryptoKey;
    const token = async (claims: Record<string, unknown>, options: { exp?: number; signWith?: CryptoKey } = {}) => {
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({ nonce: NONCE, preferred_username: 'oscar', groups: ['developers'], ...claims })
        .setProtectedHeader({ alg: 'RS256', kid: 'test-key' })
        .setIssuer(String(claims.iss ?? op.issuer)).setAudience((claims.aud as string) ?? CLIENT_ID).setSubject('oscar')
        .setIssuedAt(now - 10).setExpirationTime(options.exp ?? now + 300)
        .sign(options.signWith ?? key);
    };
    before(async () => { key = (await importJWK(op.signingKey as JWK, 'RS256')) as CryptoKey; });

    it('accepts a token with the right key and claims (so each refusal below is about its claim)', async () => {
      const r = await client.verifyIdToken(await token({}), NONCE);
      assert.ok(r.ok, r.ok ? '' : r.reason);
    });

    it('refuses a token signed by another key', async () => {
      const { privateKey } = await generateKeyPair('RS256', { extractable: true });
      const r = await client.verifyIdToken(await token({}, { signWith: privateKey as CryptoKey }), NONCE);
      assert.equal(r.ok, false);
      assert.match(r.ok ? '' : r.reason, /signature/);
    });

    it('refuses the wrong aud, iss or nonce, and an expired token', async () => {
      const cases: [string, Promise<string>, RegExp][] = [
        ['aud', token({ aud: 'another-client' }), /aud/],
        ['iss', token({ iss: 'http://127.0.0.1:1/evil' }), /iss/],
        ['nonce', token({ nonce: 'a-replayed-nonce' }), /nonce/],
        ['expired', token({}, { exp: Math.floor(Date.now() / 1000) - 60 }), /exp/],
      ];
      for (const [what, t, why] of cases) {
        const r = await client.verifyIdToken(await t, NONCE);
        assert.equal(r.ok, false, `${what} must be refused`);
        assert.match(r.ok ? '' : r.reason, why, what);
      }
    });

    it('allows clockSkewSeconds of skew, and no more', async () => {
      const now = Math.floor(Date.now() / 1000);
      assert.ok((await client.verifyIdToken(await token({}, { exp: now - 2 }), NONCE)).ok, 'expired 2 s ago, within a skew of 5 s');
      assert.equal((await client.verifyIdToken(await token({}, { exp: now - 20 }), NONCE)).ok, false);
    });
  });
});
