// Repository settings in chromium (issue 17, section 3): a maintainer edits the short description
// and sees it in the header (the Overview then shows the README without repeating it); deleting
// the repository needs its name typed, and then it is gone; a guest is offered no Settings tab
// (and the page itself says not found). Screenshots, light and dark, at 1280 and 390 px:
// test-output/ui/repository-settings-*.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { startBerth, type BerthProcess } from '../helpers/berth-process.ts';
import { launch, screenshot, signInAs, type Browser } from './helpers/browser.ts';
import { repoApi, Seeder } from './helpers/seed.ts';

const ADMIN_PASSWORD = 'ui-Settings-pa55word';
const SHORT = 'A tiny static web server, built from scratch.';

describe('repository settings in chromium', { timeout: 600_000 }, () => {
  let server: BerthProcess;
  let browser: Browser;
  let page: Page;
  let seed: Seeder;
  const url = (path: string) => `${server.url}${path}`;

  before(async () => {
    server = await startBerth({ auth: 'builtin', env: { BERTH_ADMIN_PASSWORD: ADMIN_PASSWORD } });
    seed = new Seeder(server.url, ['admin', ADMIN_PASSWORD]);
    await seed.api('POST', '/projects', { name: 'acme', visibility: 'public' });
    for (const repo of ['acme/site', 'acme/doomed']) {
      await seed.image(repo, { os: 'linux', architecture: 'amd64' }, { tag: 'latest' });
      await seed.image(repo, { os: 'linux', architecture: 'arm64' }, { tag: '1.0' });
    }
    await seed.api('PATCH', repoApi('acme/site'), {
      description: `# acme/site\n\n${SHORT}\n\n## Run it\n\n\`\`\`sh\n$ docker run -p 8080:80 acme/site\n\`\`\`\n\nServe a folder by mounting it at \`/srv\`.\n`,
      labels: ['web', 'static'],
    });
    for (const [name, role] of [['max', 'maintainer'], ['gus', 'guest']]) {
      await seed.api('POST', '/users', { name, password: `${name}-pa55word-ok` });
      await seed.api('PUT', `/projects/acme/members/${name}`, { role });
    }
    browser = await launch();
    page = await browser.newPage();
    await signInAs(browser, page, server.url, ['max', 'max-pa55word-ok']);
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('a maintainer edits the short description and sees it in the header', async () => {
    await page.goto(url('/r/acme/site'));
    // No short description yet: the header offers to add one, and does not repeat the README.
    await page.getByRole('link', { name: 'Add a short description' }).waitFor();
    await page.getByRole('link', { name: 'Settings' }).click();
    await page.waitForURL(/\/r\/acme\/site\/-\/settings$/);
    const short = page.getByLabel('Short description');
    await short.fill('x'.repeat(101));
    assert.equal(await page.getByTestId('short-count').textContent(), '101/100');
    assert.ok(await page.getByRole('button', { name: 'Save changes' }).isDisabled(), 'over 100 characters cannot be saved');
    await short.fill(SHORT);
    await page.getByRole('button', { name: 'Preview' }).click();
    await page.locator('.editor-preview .markdown h2', { hasText: 'Run it' }).waitFor();
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    assert.equal(await page.getByTestId('short-description').textContent(), SHORT, 'the header shows it at once');
    const saved = await seed.api<{ shortDescription: string; labels: string[] }>('GET', repoApi('acme/site'));
    assert.equal(saved.shortDescription, SHORT);
    assert.deepEqual(saved.labels, ['web', 'static']);

    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      for (const width of [1280, 390]) {
        await page.setViewportSize({ width, height: 860 });
        await page.goto(url('/r/acme/site/-/settings'));
        await page.getByLabel('Short description').waitFor();
        await screenshot(page, `repository-settings-${scheme}-${width}`);
      }
    }
    await page.emulateMedia({ colorScheme: 'light' });
    await page.setViewportSize({ width: 1280, height: 860 });

    // The Overview: the short description in the header, the README without its first paragraph
    // (the same words) and without an "Overview" heading of its own; code blocks copy.
    await page.goto(url('/r/acme/site'));
    await page.getByTestId('short-description').waitFor();
    const readme = page.locator('.readme .markdown');
    await readme.locator('h2', { hasText: 'Run it' }).waitFor();
    assert.equal(await readme.getByText(SHORT).count(), 0, 'the first paragraph is not repeated');
    assert.equal(await page.locator('.readme h2:not(.sr-only)', { hasText: /^Overview$/ }).count(), 0, 'no visible Overview heading');
    assert.equal(await readme.getByRole('button', { name: 'Copy this code' }).count(), 1);
    await screenshot(page, 'repository-settings-overview-1280');
  });

  it('deletes the repository once its name is typed', async () => {
    await page.goto(url('/r/acme/doomed/-/settings'));
    const button = page.getByRole('button', { name: 'Delete repository' });
    await button.waitFor();
    assert.ok(await button.isDisabled());
    const confirm = page.getByLabel(/to confirm/);
    await confirm.fill('acme/doome');
    assert.ok(await button.isDisabled(), 'a near miss does not delete');
    await confirm.fill('acme/doomed');
    await screenshot(page, 'repository-settings-delete-1280');
    await button.click();
    await page.waitForURL(/\/projects\/acme$/);
    const res = await fetch(url(`/api/v1${repoApi('acme/doomed')}`), { headers: { authorization: `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}` } });
    assert.equal(res.status, 404, 'the repository is gone');
    await page.goto(url('/r/acme/doomed'));
    await page.getByRole('heading', { name: 'Not found' }).waitFor();
    assert.equal((await seed.api<{ tagCount: number }>('GET', repoApi('acme/site'))).tagCount, 2, 'the other repository stays');
  });

  it('offers no Settings tab to a guest', async () => {
    const guest = await browser.newPage();
    await signInAs(browser, guest, server.url, ['gus', 'gus-pa55word-ok']);
    await guest.goto(url('/r/acme/site'));
    await guest.getByTestId('short-description').waitFor();
    await guest.getByRole('link', { name: /^Tags/ }).waitFor();
    assert.equal(await guest.getByRole('navigation', { name: 'Repository sections' }).getByRole('link', { name: 'Settings' }).count(), 0);
    assert.equal(await guest.getByRole('link', { name: 'Add a short description' }).count(), 0);
    await guest.goto(url('/r/acme/site/-/settings'));
    await guest.getByRole('heading', { name: 'Not found' }).waitFor();
    assert.equal(await guest.getByLabel('Short description').count(), 0);
    await guest.close();
    assert.deepEqual(browser.problems, []);
  });
});
