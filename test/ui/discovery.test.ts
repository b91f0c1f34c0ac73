// The web UI in a real browser against a real Berth (auth builtin) holding real pushed images:
// a multi-arch Official Image, a single-arch one, a verified publisher's repository and a private
// one. Signed out, the private repository stays hidden; signed in, the admin searches, filters by
// Official Image, opens the repository, sees both platforms of the multi-arch tag with their
// digests, stars it, copies the pull command, and visits the project and admin pages; the same
// pages are checked at 390 px wide. Screenshots go to test-output/ui/.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { startBerth, type BerthProcess } from '../helpers/berth-process.ts';
import { launch, screenshot, type Browser } from './helpers/browser.ts';
import { repoApi, Seeder } from './helpers/seed.ts';

const ADMIN_PASSWORD = 'ui-Admin-pa55word';
const README = [
  '# NGINX',
  '',
  'The **fast** web server and reverse proxy, for testing Berth.',
  '',
  '## How to use this image',
  '',
  '```console',
  '$ docker run --name web -d -p 8080:80 nginx',
  '```',
  '',
  '- [Documentation](https://nginx.org/en/docs/)',
  '- [Click me](javascript:alert(document.domain))',
  '',
  '<script>window.__pwned = true</script>',
  '<img src="x" onerror="window.__pwned = true">',
  '',
  '| Tag | Base |',
  '|---|---|',
  '| latest | debian |',
].join('\n');

describe('web UI in chromium', { timeout: 600_000 }, () => {
  let server: BerthProcess;
  let browser: Browser;
  let page: Page;
  let seed: Seeder;
  let nginx: Awaited<ReturnType<Seeder['index']>>;

  before(async () => {
    server = await startBerth({ auth: 'builtin', env: { BERTH_ADMIN_PASSWORD: ADMIN_PASSWORD } });
    seed = new Seeder(server.url, ['admin', ADMIN_PASSWORD]);
    // library: a multi-arch nginx (and an older single-arch tag), and alpine.
    nginx = await seed.index('library/nginx', 'latest', [
      { os: 'linux', architecture: 'amd64' },
      { os: 'linux', architecture: 'arm64', variant: 'v8' },
    ]);
    await seed.image('library/nginx', { os: 'linux', architecture: 'amd64' }, { tag: '1.26' });
    await seed.image('library/alpine', { os: 'linux', architecture: 'amd64' }, { tag: '3.20' });
    await seed.api('PATCH', repoApi('library/nginx'), { description: README, labels: ['web-server', 'proxy'] });
    await seed.api('PATCH', repoApi('library/alpine'), { description: 'A minimal Docker image based on Alpine Linux.' });
    // A verified publisher with a public repository, and a private project.
    await seed.api('POST', '/projects', { name: 'acme', visibility: 'public', description: 'ACME Corporation' });
    await seed.api('PATCH', '/projects/acme', { verified: true });
    await seed.image('acme/nginx-proxy', { os: 'linux', architecture: 'amd64' }, { tag: 'v2' });
    await seed.api('PATCH', repoApi('acme/nginx-proxy'), { description: 'An nginx-based reverse proxy by ACME.' });
    await seed.api('POST', '/projects', { name: 'secret', visibility: 'private', description: 'Internal images' });
    await seed.image('secret/nginx-internal', { os: 'linux', architecture: 'amd64' }, { tag: '1' });
    await seed.api('POST', '/users', { name: 'dana', password: 'dana-pa55word-ok' });
    await seed.api('PUT', '/projects/acme/members/dana', { role: 'developer' });
    // Some pulls, so counts are not all zero.
    for (let i = 0; i < 3; i++) await seed.pull('library/nginx', 'latest');
    await seed.pull('library/alpine', '3.20');
    await new Promise((r) => setTimeout(r, 1500)); // pull counts are flushed every second

    browser = await launch();
    page = await browser.newPage();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  const url = (path: string) => `${server.url}${path}`;
  const resultNames = () => page.locator('.repo-list .repo-link').allTextContents();

  it('signed out: shows public repositories, hides the private one, and no admin or edit controls', async () => {
    await page.goto(url('/'));
    await page.locator('.repo-list').waitFor();
    const names = await resultNames();
    assert.ok(names.includes('nginx'), `explore lists nginx: ${names.join(', ')}`);
    assert.ok(names.includes('acme/nginx-proxy'), `explore lists acme/nginx-proxy: ${names.join(', ')}`);
    assert.ok(!names.some((n) => n.includes('secret')), `a signed-out visitor sees no private repository: ${names.join(', ')}`);
    assert.equal(await page.getByRole('link', { name: 'Admin' }).count(), 0);
    assert.equal(await page.getByRole('link', { name: 'Sign in' }).count(), 1);
    await screenshot(page, 'explore-signed-out');

    await page.locator('#global-search').fill('internal');
    await page.waitForURL(/q=internal/);
    await page.getByText('No repositories match').waitFor();

    await page.goto(url('/r/secret/nginx-internal'));
    await page.getByRole('heading', { name: 'Not found' }).waitFor();
    assert.equal(await page.getByText('nginx-internal:1').count(), 0);

    await page.goto(url('/r/library/nginx'));
    await page.getByRole('heading', { level: 1, name: /nginx/ }).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Edit' }).count(), 0, 'no Edit for a visitor');
    assert.ok(await page.getByRole('link', { name: 'Sign in to star' }).isVisible());
    await page.goto(url('/r/library/nginx/-/tags?view=cards'));
    await page.locator('.tag').first().waitFor();
    assert.equal(await page.getByRole('button', { name: /Delete tag|Retag/ }).count(), 0, 'no tag actions for a visitor');
  });

  it('signs in with the session cookie', async () => {
    await page.goto(url('/'));
    await page.getByRole('link', { name: 'Sign in' }).click();
    await page.getByLabel('User name').waitFor();
    await screenshot(page, 'signin');
    await page.getByLabel('User name').fill('admin');
    await page.getByLabel('Password').fill(ADMIN_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Account: admin' }).waitFor();
    assert.ok(await page.getByRole('link', { name: 'Admin' }).isVisible());
    const cookies = await browser.context.cookies(server.url);
    const session = cookies.find((c) => c.name === 'berth_session');
    assert.ok(session, 'the berth_session cookie is set');
    assert.equal(session.httpOnly, true);
    assert.equal(session.sameSite, 'Strict');
  });

  it('searches as you type, and filters by Official Image', async () => {
    await page.goto(url('/search'));
    await page.locator('#global-search').fill('nginx');
    await page.waitForURL(/q=nginx/);
    await page.locator('.repo-list').waitFor();
    await waitFor(async () => {
      const names = await resultNames();
      return names.includes('nginx') && names.includes('acme/nginx-proxy') && names.includes('secret/nginx-internal');
    }, 'signed in as admin, the search for nginx finds all three');
    const proxyCard = page.locator('.repo-card', { has: page.getByRole('link', { name: 'acme/nginx-proxy' }) });
    assert.ok(await proxyCard.getByText('Verified Publisher').isVisible(), 'the Verified Publisher badge is shown');
    const nginxCard = page.locator('.repo-card', { has: page.getByRole('link', { name: 'nginx', exact: true }) });
    assert.ok(await nginxCard.getByText('Official Image').isVisible(), 'the Official Image badge is shown');
    await screenshot(page, 'explore');

    await page.getByLabel('Official Image').check();
    await page.waitForURL(/official=1/);
    await waitFor(async () => {
      const names = await resultNames();
      return names.length === 1 && names[0] === 'nginx';
    }, 'only the Official Image is left');

    // Sort and the project filter are URL state too.
    await page.getByLabel('Official Image').uncheck();
    await page.locator('#global-search').fill('');
    await page.waitForURL((u) => !u.search.includes('q='));
    await page.getByLabel('Sort by').selectOption('name');
    await waitFor(async () => {
      const names = await resultNames();
      return names.join(',') === 'acme/nginx-proxy,alpine,nginx,secret/nginx-internal';
    }, 'sorted by name');
    await page.getByLabel('Project').selectOption('acme');
    await waitFor(async () => (await resultNames()).join(',') === 'acme/nginx-proxy', 'filtered to the acme project');
  });

  it('opens the repository: safe markdown, pull command, stars and copy', async () => {
    await page.goto(url('/search?q=nginx&official=1'));
    await page.getByRole('link', { name: 'nginx', exact: true }).click();
    await page.waitForURL(/\/r\/library\/nginx$/);
    await page.locator('.markdown').waitFor();
    // Markdown is rendered, raw HTML is not, and javascript: links lose their target.
    assert.ok(await page.locator('.markdown h2', { hasText: 'How to use this image' }).isVisible());
    assert.ok(await page.locator('.markdown strong', { hasText: 'fast' }).isVisible());
    assert.equal(await page.locator('.markdown script, .markdown img[onerror]').count(), 0);
    assert.equal(await page.evaluate('window.__pwned === true'), false);
    const hrefs = await page.locator('.markdown a').evaluateAll((as) => as.map((a) => a.getAttribute('href') ?? ''));
    assert.ok(hrefs.includes('https://nginx.org/en/docs/'));
    assert.ok(!hrefs.some((h) => /^\s*javascript:/i.test(h)), `no javascript: link: ${hrefs.join(' ')}`);

    // The pull command and the library short form.
    const pull = (await page.getByTestId('pull-command').textContent())!;
    assert.equal(pull, `docker pull ${server.host}/library/nginx:latest`);
    assert.equal(await page.getByTestId('short-pull-command').textContent(), `docker pull ${server.host}/nginx:latest`);
    assert.equal(await page.getByTestId('pull-count').textContent(), '3');

    // Star: the count goes up, and stays up after a reload.
    const before = Number(await page.getByTestId('star-count').textContent());
    await page.getByRole('button', { name: 'Star', exact: true }).click();
    await page.getByRole('button', { name: 'Starred' }).waitFor();
    assert.equal(Number(await page.getByTestId('star-count').textContent()), before + 1);
    await page.reload();
    await page.getByRole('button', { name: 'Starred' }).waitFor();
    assert.equal(Number(await page.getByTestId('star-count').textContent()), before + 1);

    // Copy: the clipboard holds the pull command.
    await browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
    await page.getByRole('button', { name: 'Copy the pull command' }).click();
    await page.getByRole('button', { name: 'Copy the pull command' }).getByText('Copied', { exact: true }).waitFor();
    assert.equal(await page.evaluate('navigator.clipboard.readText()'), pull);
    await page.locator('.markdown h2').first().waitFor();
    await screenshot(page, 'repository-overview');
  });

  it('lets a maintainer edit the description in place', async () => {
    await page.goto(url('/r/library/alpine'));
    await page.getByRole('button', { name: 'Edit' }).click();
    await page.getByLabel('Description (Markdown)').fill('# Alpine\n\nA *small* image. See [the wiki](https://wiki.alpinelinux.org/).');
    await page.getByLabel('Labels').fill('minimal base');
    await page.getByRole('button', { name: 'Preview' }).click();
    await page.locator('.editor-preview em', { hasText: 'small' }).waitFor();
    await page.getByRole('button', { name: 'Save' }).click();
    await page.locator('.readme .markdown em', { hasText: 'small' }).waitFor();
    const saved = await seed.api<{ description: string; labels: string[] }>('GET', repoApi('library/alpine'));
    assert.match(saved.description, /A \*small\* image/);
    assert.deepEqual(saved.labels, ['minimal', 'base']);
  });

  it('shows every platform of the multi-arch tag with its digest and size', async () => {
    await page.goto(url('/r/library/nginx'));
    await page.getByRole('link', { name: /^Tags/ }).click();
    await page.waitForURL(/\/r\/library\/nginx\/-\/tags$/);
    // The compact table is the default; the cards show every fact of each tag.
    await page.locator('table.tag-table').waitFor();
    await page.getByRole('button', { name: 'Cards' }).click();
    await page.waitForURL(/view=cards/);
    const latest = page.locator('.tag[data-tag="latest"]');
    await latest.waitFor();
    assert.ok(await latest.getByText('Multi-platform').isVisible());
    assert.equal(await latest.locator('.tag-facts .digest code').getAttribute('title'), nginx.digest);
    const rows = latest.locator('table.platforms tbody tr');
    assert.equal(await rows.count(), 2);
    for (const child of nginx.children) {
      const row = latest.locator(`tr[data-platform="${child.platform}"]`);
      assert.equal(await row.count(), 1, `a row for ${child.platform}`);
      assert.equal(await row.locator('code').getAttribute('title'), child.digest, `${child.platform} digest`);
      assert.equal(await row.locator('code').textContent(), child.digest.slice(0, 'sha256:'.length + 12), `${child.platform} short digest`);
      assert.match((await row.locator('td').last().textContent())!, /\d (B|kB)$/, `${child.platform} size`);
    }
    // A single-platform tag names its platform beside its digest.
    const old = page.locator('.tag[data-tag="1.26"]');
    assert.equal(await old.locator('table.platforms').count(), 0);
    assert.equal(await old.locator('[data-platform="linux/amd64"]').textContent(), 'OS/Archlinux/amd64');
    // The admin may retag and delete.
    assert.ok(await latest.getByRole('button', { name: 'Retag latest' }).isVisible());
    assert.ok(await latest.getByRole('button', { name: 'Delete tag latest' }).isVisible());
    await screenshot(page, 'repository-tags');

    // The filter narrows the list (server-side).
    await page.getByLabel('Filter tags').fill('1.2');
    await waitFor(async () => (await page.locator('.tag').count()) === 1 && (await page.locator('.tag[data-tag="1.26"]').count()) === 1, 'the filter leaves 1.26');
  });

  it('retags and deletes a tag', async () => {
    await page.goto(url('/r/library/nginx/-/tags?view=cards'));
    const old = page.locator('.tag[data-tag="1.26"]');
    await old.getByRole('button', { name: 'Retag 1.26' }).click();
    await page.getByLabel('New tag').fill('1.26-stable');
    await page.getByRole('button', { name: 'Add tag' }).click();
    await page.locator('.tag[data-tag="1.26-stable"]').waitFor();
    await page.locator('.tag[data-tag="1.26-stable"]').getByRole('button', { name: 'Delete tag 1.26-stable' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete tag' }).click();
    await page.locator('.tag[data-tag="1.26-stable"]').waitFor({ state: 'detached' });
    assert.equal(await page.locator('.tag[data-tag="1.26"]').count(), 1, 'the other tag stays');

    // Deleting the image removes the manifest and every tag on it.
    await old.getByRole('button', { name: 'Retag 1.26' }).click();
    await page.getByLabel('New tag').fill('old');
    await page.getByRole('button', { name: 'Add tag' }).click();
    await page.locator('.tag[data-tag="old"]').waitFor();
    const digest = (await old.locator('.tag-facts .digest code').getAttribute('title'))!;
    await page.locator('.tag[data-tag="old"]').getByRole('button', { name: 'Delete tag old' }).click();
    await page.getByRole('dialog').getByLabel(/The image/).check();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete image' }).click();
    await page.locator('.tag[data-tag="old"]').waitFor({ state: 'detached' });
    await page.locator('.tag[data-tag="1.26"]').waitFor({ state: 'detached' });
    assert.equal(await page.locator('.tag[data-tag="latest"]').count(), 1);
    const gone = await fetch(`${server.url}/v2/library/nginx/manifests/${digest}`, { method: 'HEAD', headers: { authorization: `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}` } });
    assert.equal(gone.status, 404, 'the manifest is gone');
  });

  it('shows a project with its repositories, members, robots and audit log', async () => {
    await page.goto(url('/projects/acme'));
    await page.getByRole('link', { name: 'acme/nginx-proxy' }).waitFor();
    assert.ok(await page.getByText('Verified Publisher').first().isVisible());
    await screenshot(page, 'project');
    await page.getByRole('link', { name: 'Members' }).click();
    await page.getByRole('cell', { name: 'dana', exact: true }).waitFor();
    await page.getByRole('link', { name: 'Robot accounts' }).click();
    await page.getByLabel('Robot name').fill('ci');
    await page.getByRole('button', { name: 'Create robot' }).click();
    await page.getByText('robot$acme+ci').first().waitFor();
    await page.getByText('Copy it now').waitFor();
    await screenshot(page, 'project-robots');
    await page.getByRole('link', { name: 'Audit log' }).click();
    await page.locator('table').getByText('push').first().waitFor();
  });

  it('lets the admin mark a project Sponsored OSS, and the badge appears in search', async () => {
    await page.goto(url('/admin/projects'));
    const row = page.getByRole('row', { name: /acme/ });
    await row.waitFor();
    await page.getByLabel('acme: Sponsored OSS').check();
    await waitFor(async () => (await fetchJson(`/projects/acme`)).sponsored === true, 'acme is sponsored');
    await screenshot(page, 'admin-projects');
    await page.getByRole('link', { name: 'Users' }).click();
    await page.getByRole('cell', { name: 'dana', exact: true }).waitFor();
    await screenshot(page, 'admin-users');
    await page.goto(url('/search?q=proxy'));
    const card = page.locator('.repo-card', { has: page.getByRole('link', { name: 'acme/nginx-proxy' }) });
    await card.getByText('Sponsored OSS').waitFor();
  });

  it('works at 390 px wide: no sideways scrolling, search and tags usable', async () => {
    const mobile = await browser.newPage({ width: 390, height: 844 });
    try {
      for (const path of ['/search', '/r/library/nginx', '/r/library/nginx/-/tags?view=cards', '/projects/acme', '/admin']) {
        await mobile.goto(url(path));
        await mobile.locator('main h1, main .repo-list, main .tag').first().waitFor();
        const width = await mobile.evaluate('document.documentElement.scrollWidth');
        assert.ok(Number(width) <= 390, `${path} is ${width} px wide at a 390 px viewport`);
      }
      await mobile.goto(url('/search'));
      await mobile.locator('#global-search').fill('alpine');
      await waitFor(async () => (await mobile.locator('.repo-list .repo-link').allTextContents()).join(',') === 'alpine', 'mobile search finds alpine');
      // The filters fold away behind a button on a phone.
      assert.equal(await mobile.getByLabel('Official Image').isVisible(), false);
      await mobile.getByRole('button', { name: 'Filters' }).click();
      await mobile.getByLabel('Official Image').check();
      await mobile.waitForURL(/official=1/);
      await mobile.getByRole('button', { name: 'Filters (1)' }).waitFor();
      await screenshot(mobile, 'mobile-explore');
      await mobile.goto(url('/r/library/nginx'));
      await mobile.getByTestId('pull-command').waitFor();
      await mobile.locator('.markdown h2').first().waitFor();
      await screenshot(mobile, 'mobile-repository');
      await mobile.goto(url('/r/library/nginx/-/tags?view=cards'));
      await mobile.locator('.tag[data-tag="latest"] tr[data-platform="linux/arm64/v8"]').waitFor();
      await screenshot(mobile, 'mobile-tags');
    } finally {
      await mobile.close();
    }
  });

  it('is keyboard-usable: the search box, its suggestions and visible focus', async () => {
    await page.goto(url('/r/library/alpine'));
    await page.getByRole('heading', { level: 1, name: /alpine/ }).waitFor();
    await page.keyboard.press('/');
    assert.equal(await page.evaluate('document.activeElement && document.activeElement.id'), 'global-search');
    await page.keyboard.type('ngin');
    const options = page.getByRole('option');
    await options.first().waitFor();
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/r\//);
    // Focus rings: a focused button has a visible outline or box-shadow.
    await page.keyboard.press('Tab');
    const ring = await page.evaluate(`(() => { const s = getComputedStyle(document.activeElement); return s.outlineStyle !== 'none' || s.boxShadow !== 'none'; })()`);
    assert.equal(ring, true, 'the focused element shows a focus ring');
  });

  it('creates and revokes a personal access token', async () => {
    await page.goto(url('/'));
    await page.getByRole('button', { name: 'Account: admin' }).click();
    await page.getByRole('menuitem', { name: 'Account settings' }).click();
    await page.getByLabel('Token name').fill('laptop');
    await page.getByRole('button', { name: 'Create token' }).click();
    const secret = (await page.getByTestId('token-secret').textContent())!;
    assert.match(secret, /^bpat_/);
    await page.getByRole('cell', { name: 'laptop', exact: true }).waitFor();
    await screenshot(page, 'account-tokens');
    const v2 = (password: string) => fetch(`${server.url}/v2/`, { headers: { authorization: `Basic ${Buffer.from(`admin:${password}`).toString('base64')}` } });
    assert.equal((await v2(secret)).status, 200, 'the token signs in to /v2');
    await page.getByRole('button', { name: 'Revoke laptop' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Revoke token' }).click();
    await page.getByRole('cell', { name: 'laptop', exact: true }).waitFor({ state: 'detached' });
    assert.equal((await v2(secret)).status, 401, 'a revoked token no longer works');
  });

  it('signs out', async () => {
    await page.goto(url('/'));
    await page.getByRole('button', { name: 'Account: admin' }).click();
    await page.getByRole('menuitem', { name: 'Sign out' }).click();
    await page.getByRole('link', { name: 'Sign in' }).waitFor();
    const cookies = await browser.context.cookies(server.url);
    assert.equal(cookies.find((c) => c.name === 'berth_session'), undefined);
    await page.goto(url('/search?q=internal'));
    await page.getByText('No repositories match').waitFor();
  });

  it('shows a developer only what a developer may do', async () => {
    await page.goto(url('/signin'));
    await page.getByLabel('User name').fill('dana');
    await page.getByLabel('Password').fill('dana-pa55word-ok');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Account: dana' }).waitFor();
    assert.equal(await page.getByRole('link', { name: 'Admin' }).count(), 0, 'no Admin link');
    // acme: a member sees the members, but not robots, audit or settings.
    await page.goto(url('/projects/acme'));
    await page.getByRole('link', { name: 'Members' }).waitFor();
    for (const tab of ['Robot accounts', 'Audit log', 'Settings']) assert.equal(await page.getByRole('link', { name: tab }).count(), 0, `no ${tab} tab`);
    await page.getByRole('link', { name: 'Members' }).click();
    await page.getByRole('cell', { name: 'dana', exact: true }).waitFor();
    assert.equal(await page.getByRole('button', { name: /Remove/ }).count(), 0, 'no member management');
    // Official Images: no edit, retag or delete; the private project stays out of search.
    await page.goto(url('/r/library/nginx/-/tags?view=cards'));
    await page.locator('.tag').first().waitFor();
    assert.equal(await page.getByRole('button', { name: /Retag|Delete tag/ }).count(), 0);
    await page.goto(url('/r/library/nginx'));
    await page.getByRole('button', { name: 'Star', exact: true }).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Edit' }).count(), 0);
    await page.goto(url('/search?q=nginx'));
    await page.locator('.repo-list').waitFor();
    assert.ok(!(await resultNames()).includes('secret/nginx-internal'));
    await page.goto(url('/admin'));
    await page.getByRole('heading', { name: 'Not found' }).waitFor();
  });

  it('changes the password only with the current one', async () => {
    await page.goto(url('/'));
    await page.getByRole('button', { name: 'Account: dana' }).click();
    await page.getByRole('menuitem', { name: 'Account settings' }).click();
    await page.getByRole('link', { name: 'Password' }).click();
    const form = page.getByRole('form', { name: 'Change password' });
    await form.getByLabel('Current password').fill('not-the-password');
    await form.getByLabel('New password', { exact: true }).fill('dana-new-pa55word');
    await form.getByLabel('New password, again').fill('dana-new-pa55word');
    await form.getByRole('button', { name: 'Change password' }).click();
    await form.getByRole('alert').waitFor();
    const v2 = (password: string) => fetch(`${server.url}/v2/`, { headers: { authorization: `Basic ${Buffer.from(`dana:${password}`).toString('base64')}` } });
    assert.equal((await v2('dana-pa55word-ok')).status, 200, 'a wrong current password changes nothing');
    await form.getByLabel('Current password').fill('dana-pa55word-ok');
    await form.getByRole('button', { name: 'Change password' }).click();
    await form.getByRole('status').waitFor();
    assert.equal((await v2('dana-new-pa55word')).status, 200, 'the new password signs in');
    assert.equal((await v2('dana-pa55word-ok')).status, 401, 'the old one no longer does');
  });

  it('raised no page errors and no Content-Security-Policy violations', () => {
    assert.deepEqual(browser.problems, []);
  });

  async function fetchJson(path: string): Promise<Record<string, unknown>> {
    return seed.api('GET', path);
  }
});

async function waitFor(check: () => Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
