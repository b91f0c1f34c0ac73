// OIDC sign-in in the web UI (issue 19) in chromium against a real OpenID provider
// (test/helpers/oidc-server.ts): the sign-in page offers "Sign in with <provider>" next to the
// password form; the button goes through the provider's login page and comes back signed in; the
// account page of that user has a CLI secret, shown once, that docker/podman take as the password
// (podman login and a /v2 Basic request), regenerated and revoked with a confirmation.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { startBerth, type BerthProcess } from '../helpers/berth-process.ts';
import { CLIENT_ID, CLIENT_SECRET, startOidcServer, type OidcServer } from '../helpers/oidc-server.ts';
import { freePort } from '../helpers/slapd.ts';
import { launch, screenshot, signInAs, type Browser } from './helpers/browser.ts';
import { contrastProblems } from './helpers/contrast.ts';

const ADMIN = ['admin', 'ui-Oidc-pa55word'] as const;
const basic = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;

/** Not spawnSync: the OpenID provider runs in this process and must keep answering meanwhile. */
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

describe('OIDC sign-in and the CLI secret in chromium', { timeout: 300_000 }, () => {
  let op: OidcServer;
  let berth: BerthProcess;
  let browser: Browser;
  let page: Page;
  const url = (path: string) => `${berth.url}${path}`;
  /** What a registry client gets for GET /v2/ with these Basic credentials. */
  const v2 = async (password: string) => (await fetch(url('/v2/'), { headers: { authorization: basic('oscar', password) } })).status;
  const podmanLogin = async (password: string) => {
    const dir = await mkdtemp(join(tmpdir(), 'berth-ui-oidc-podman-'));
    try {
      return await run('podman', ['login', '--tls-verify=false', '--authfile', join(dir, 'auth.json'), '-u', 'oscar', '--password-stdin', berth.host], password);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  };
  const checkContrast = async (what: string) => {
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      await page.waitForTimeout(300); // buttons fade their colours (transition: 0.12s)
      const r = await contrastProblems(page);
      assert.ok(r.checked > 0, `${what} (${scheme}): some text was measured`);
      assert.deepEqual(r.problems, [], `${what} (${scheme}): text below its contrast ratio`);
    }
    await page.emulateMedia({ colorScheme: 'light' });
  };

  before(async () => {
    const port = await freePort();
    op = await startOidcServer({ redirectUris: [`http://127.0.0.1:${port}/auth/oidc/sso/callback`], accounts: { oscar: { groups: [] } } });
    berth = await startBerth({
      auth: 'builtin', listen: `127.0.0.1:${port}`,
      env: { BERTH_ADMIN_PASSWORD: ADMIN[1] },
      config: {
        auth: {
          providers: [
            { type: 'builtin' },
            {
              name: 'sso', type: 'oidc', displayName: 'Example SSO', issuer: op.issuer, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET,
              scopes: ['openid', 'profile', 'email', 'groups', 'offline_access'], groupsClaim: 'groups',
            },
          ],
        },
      },
    });
    browser = await launch();
    page = await browser.newPage();
  });
  after(async () => {
    await browser?.close();
    await berth?.stop();
    await op?.stop();
  });

  it('the sign-in page has a "Sign in with Example SSO" button beside the password form', async () => {
    await page.goto(url('/signin'));
    const sso = page.getByRole('link', { name: 'Sign in with Example SSO' });
    await sso.waitFor();
    assert.equal(await sso.getAttribute('href'), '/auth/oidc/sso/login');
    assert.equal(await page.getByRole('button', { name: 'Sign in', exact: true }).count(), 1, 'the password form is still there');
    assert.equal(await page.getByLabel('User name').count(), 1);
    assert.equal(await page.getByText('Sign in with builtin').count(), 0, 'only OIDC providers get a button');
    await screenshot(page, 'oidc-signin');
    await checkContrast('the sign-in page');
  });

  it('the password form still signs in a local user (with the SSO button on the page)', async () => {
    await signInAs(browser, page, berth.url, ADMIN);
    await page.goto(url('/account'));
    await page.getByRole('heading', { name: 'Account settings' }).waitFor();
    await page.getByRole('region', { name: 'Access tokens' }).waitFor();
    assert.equal(await page.getByRole('heading', { name: 'CLI secret' }).count(), 0, 'a local user has no CLI secret section');
    assert.equal(await page.getByRole('link', { name: 'Password', exact: true }).count(), 1, 'and keeps the password tab');
  });

  it('the button goes through the provider\'s login page and comes back signed in', async () => {
    await browser.context.clearCookies();
    await page.goto(url('/signin'));
    await page.getByRole('link', { name: 'Sign in with Example SSO' }).click();
    await page.waitForURL((u) => u.toString().startsWith(op.issuer));
    await page.fill('input[name=login]', 'oscar');
    await page.fill('input[name=password]', 'anything');
    await page.click('button[type=submit]');
    await page.waitForLoadState();
    if (page.url().startsWith(op.issuer)) await page.click('button[type=submit]'); // consent
    await page.waitForURL((u) => u.toString().startsWith(berth.url));
    await page.getByRole('button', { name: 'Account: oscar' }).waitFor();
    assert.equal(new URL(page.url()).pathname, '/');
  });

  let secret = '';

  it('the account page makes a CLI secret, shown once, that podman and /v2 take as the password', async () => {
    await page.goto(url('/account'));
    const section = page.getByRole('region', { name: 'CLI secret' });
    await section.waitFor();
    assert.match(await section.innerText(), /password/i);
    assert.equal(await page.getByRole('link', { name: 'Password', exact: true }).count(), 0, 'no password tab for a user of the provider');
    assert.equal(await v2('bcli_not-the-secret'), 401);
    await section.getByRole('button', { name: 'Generate CLI secret' }).click();
    const shown = section.getByTestId('cli-secret');
    await shown.waitFor();
    secret = (await shown.innerText()).trim();
    assert.match(secret, /^bcli_/);
    await section.getByRole('button', { name: 'Copy the CLI secret' }).waitFor();
    assert.match(await section.locator('.note-success').innerText(), /not shown again\. It is your docker\/podman password/);
    await screenshot(page, 'oidc-cli-secret');
    await checkContrast('the account page with a CLI secret');
    await page.setViewportSize({ width: 390, height: 844 });
    const overflow = await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth');
    assert.equal(overflow, 0, 'the secret fits a 390 px screen');
    await page.setViewportSize({ width: 1280, height: 860 });

    assert.equal(await v2(secret), 200, 'GET /v2/ with the secret as the Basic password');
    const login = await podmanLogin(secret);
    assert.equal(login.status, 0, login.stderr);
    assert.match(login.stdout, /Login Succeeded/);

    await page.reload();
    await page.getByRole('region', { name: 'CLI secret' }).getByRole('button', { name: 'Generate CLI secret' }).waitFor();
    assert.equal(await page.getByTestId('cli-secret').count(), 0, 'not shown again');
    assert.ok(!(await page.content()).includes(secret), 'the secret is nowhere on the page once left');
  });

  it('regenerating (confirmed) ends the old secret; revoking (confirmed) ends the new one', async () => {
    const section = page.getByRole('region', { name: 'CLI secret' });
    await section.getByRole('button', { name: 'Generate CLI secret' }).click();
    const first = (await section.getByTestId('cli-secret').innerText()).trim();
    assert.notEqual(first, secret);
    assert.equal(await v2(secret), 401, 'a new secret ends the previous one');

    await section.getByRole('button', { name: 'Regenerate' }).click();
    const ask = page.getByRole('dialog', { name: 'Regenerate the CLI secret?' });
    await ask.getByRole('button', { name: 'Cancel' }).click();
    assert.equal(await v2(first), 200, 'cancelled: the secret still works');
    await section.getByRole('button', { name: 'Regenerate' }).click();
    await ask.getByRole('button', { name: 'Regenerate' }).click();
    let second = first;
    for (let i = 0; second === first; i++) {
      assert.ok(i < 100, 'a new secret is shown after Regenerate');
      await new Promise((r) => setTimeout(r, 100));
      second = (await section.getByTestId('cli-secret').innerText()).trim();
    }
    assert.match(second, /^bcli_/);
    assert.equal(await v2(first), 401);
    assert.equal(await v2(second), 200);

    await section.getByRole('button', { name: 'Revoke the CLI secret' }).click();
    const confirm = page.getByRole('dialog', { name: 'Revoke the CLI secret?' });
    await confirm.getByRole('button', { name: 'Revoke CLI secret' }).click();
    await section.getByText('CLI secret revoked').waitFor();
    assert.equal(await section.getByTestId('cli-secret').count(), 0);
    assert.equal(await v2(second), 401, 'revoked: /v2 refuses it');
    const login = await podmanLogin(second);
    assert.notEqual(login.status, 0, 'revoked: podman login fails');

    // Revoking again says there is none.
    await section.getByRole('button', { name: 'Revoke the CLI secret' }).click();
    await confirm.getByRole('button', { name: 'Revoke CLI secret' }).click();
    await section.getByText('You have no CLI secret.').waitFor();
    assert.deepEqual(browser.problems, []);
  });
});
