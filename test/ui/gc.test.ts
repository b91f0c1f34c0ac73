// The garbage-collection panel of the Admin page in a real chromium against a real Berth (auth
// builtin): an administrator sees the status (worker, protection, last run, queues, bytes freed,
// next run), runs a dry run and then a pass that frees a deleted image's blobs (checked through
// the registry), and sees the run in the list; a non-administrator gets no panel and the API
// refuses them; no page errors or CSP violations.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { startBerth, type BerthProcess } from '../helpers/berth-process.ts';
import { ADMIN, ADMIN_PASSWORD, addUser, basic, call, expectStatus, type Creds } from '../integration/api-helpers.ts';
import { launch, screenshot, type Browser, signInAs } from './helpers/browser.ts';
import { Seeder } from './helpers/seed.ts';

describe('garbage collection UI in chromium', { timeout: 300_000 }, () => {
  let server: BerthProcess;
  let browser: Browser;
  let page: Page;
  let alice: Creds;
  let deleted: { digest: string };

  before(async () => {
    server = await startBerth({
      auth: 'builtin',
      env: { BERTH_ADMIN_PASSWORD: ADMIN_PASSWORD, BERTH_GC_REVIEW_DELAY_SECONDS: '1', BERTH_GC_BYTE_DELETE_DELAY_SECONDS: '0', BERTH_GC_INTERVAL_SECONDS: '3600' },
      config: { scan: { enabled: false } },
    });
    alice = await addUser(server, 'alice');
    const seeder = new Seeder(server.url, alice);
    await seeder.image('alice/app', { os: 'linux', architecture: 'amd64' }, { tag: 'keep', layerSize: 40_000 });
    deleted = await seeder.image('alice/app', { os: 'linux', architecture: 'arm64' }, { tag: 'old', layerSize: 50_000 });
    await new Promise((r) => setTimeout(r, 1300));
    const res = await fetch(`${server.url}/v2/alice/app/manifests/${deleted.digest}`, { method: 'DELETE', headers: { authorization: basic(alice) } });
    assert.equal(res.status, 202);
    browser = await launch();
    page = await browser.newPage();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  const url = (path: string) => `${server.url}${path}`;
  const signIn = (creds: Creds) => signInAs(browser, page, url(''), creds);

  it('shows the status, runs a dry run and a pass, and lists the runs', async () => {
    await signIn(ADMIN);
    await page.goto(url('/admin/gc'));
    const panel = page.getByRole('region', { name: 'Garbage collection' });
    await panel.getByRole('heading', { name: 'Garbage collection' }).waitFor();
    assert.match(await panel.textContent() ?? '', /Runs continuously, every 60 min/);
    assert.match(await page.getByTestId('gc-queue').textContent() ?? '', /manifest and \d+ blob candidates/);

    await panel.getByRole('button', { name: 'Dry run' }).click();
    const outcome = page.getByTestId('gc-outcome');
    await outcome.waitFor({ timeout: 30_000 });
    assert.match(await outcome.textContent() ?? '', /^Would free 1 manifest, 2 blobs, /);
    // The dry run changed nothing: the layer still answers.
    const layerStill = expectStatus(await call(server, 'GET', '/gc', { as: ADMIN }), 200).body as { queue: { manifests: number } };
    assert.ok(layerStill.queue.manifests >= 1, 'the deleted manifest is still queued after a dry run');

    await panel.getByRole('button', { name: 'Run now' }).click();
    await page.getByText(/^Freed 1 manifest, 2 blobs, /).waitFor({ timeout: 30_000 });
    await page.getByTestId('gc-last-collection').getByText(/1 manifests, 2 blobs/).waitFor();
    assert.doesNotMatch(await page.getByTestId('gc-freed').textContent() ?? '', /^0 B$/);
    const table = page.getByRole('table', { name: 'Recent garbage collection runs' });
    await table.getByText('api (dry run)').waitFor();
    assert.ok(await table.getByRole('row').count() >= 3, 'header, the pass and the dry run');
    const status = expectStatus(await call(server, 'GET', '/gc', { as: ADMIN }), 200).body as { lastCollection: { blobs: number } };
    assert.equal(status.lastCollection.blobs, 2, 'the API agrees with the page');
    await screenshot(page, 'gc-admin');
  });

  it('is not there for anyone else, and works at 390 px', async () => {
    await signIn(alice);
    await page.goto(url('/admin/gc'));
    await page.getByText(/not found|no such page/i).first().waitFor();
    assert.equal(await page.getByRole('region', { name: 'Garbage collection' }).count(), 0);
    await signIn(ADMIN);
    await page.setViewportSize({ width: 390, height: 800 });
    await page.goto(url('/admin/gc'));
    await page.getByRole('button', { name: 'Run now' }).waitFor();
    const scroll = await page.evaluate('document.documentElement.scrollWidth') as number;
    assert.ok(scroll <= 390, `no sideways scrolling at 390 px (${scroll})`);
    await page.setViewportSize({ width: 1280, height: 860 });
    assert.deepEqual(browser.problems, []);
  });
});
