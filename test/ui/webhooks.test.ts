// A project's Webhooks tab (issue 17, section 3) in chromium against a real receiver: add a
// webhook (the secret shown once), edit its filter, pause it (a push then waits) and resume it,
// see the push's delivery, redeliver it (the receiver gets the same event id again), remove it.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { startBerth, type BerthProcess } from '../helpers/berth-process.ts';
import { launch, screenshot, signInAs, type Browser } from './helpers/browser.ts';
import { Seeder } from './helpers/seed.ts';

const ADMIN_PASSWORD = 'ui-Hooks-pa55word';

describe('the webhooks tab in chromium', { timeout: 600_000 }, () => {
  let server: BerthProcess;
  let receiver: Server;
  let hookUrl: string;
  const received: { id: string; body: string }[] = [];
  let browser: Browser;
  let page: Page;
  let seed: Seeder;
  const url = (path: string) => `${server.url}${path}`;
  const until = async (what: string, ok: () => boolean | Promise<boolean>) => {
    for (let i = 0; !(await ok()); i++) {
      assert.ok(i < 150, `waited for ${what}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  before(async () => {
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({ id: String(req.headers['berth-event-id'] ?? ''), body: Buffer.concat(chunks).toString('utf8') });
        res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    const address = receiver.address();
    hookUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/hook`;
    server = await startBerth({ auth: 'builtin', env: { BERTH_ADMIN_PASSWORD: ADMIN_PASSWORD } });
    seed = new Seeder(server.url, ['admin', ADMIN_PASSWORD]);
    await seed.api('POST', '/projects', { name: 'acme', visibility: 'public' });
    browser = await launch();
    page = await browser.newPage();
    await signInAs(browser, page, server.url, ['admin', ADMIN_PASSWORD]);
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
    receiver?.close();
  });

  it('adds, edits, pauses, resumes, shows deliveries, redelivers and removes', async () => {
    await page.goto(url('/projects/acme'));
    await page.getByRole('link', { name: 'Webhooks' }).click();
    await page.waitForURL(/\/projects\/acme\/webhooks$/);
    const form = page.locator('form[aria-label="New webhook"]');
    await form.getByLabel('Payload URL').fill(hookUrl);
    await form.getByLabel('Allow loopback and private addresses').check();
    await form.getByRole('button', { name: 'Add webhook' }).click();
    await page.getByText('Copy it now').waitFor();
    const row = page.locator('table.webhooks-table tbody tr').first();
    await row.waitFor();
    assert.match(await row.textContent() ?? '', /Active/);

    await page.getByRole('button', { name: `Edit ${hookUrl}` }).click();
    await page.locator('dialog[open]').getByLabel('Repository filter').fill('acme/app*');
    await page.locator('dialog[open]').getByRole('button', { name: 'Save webhook' }).click();
    await page.locator('table.webhooks-table').getByText('filter: acme/app*').waitFor();

    await page.getByRole('button', { name: `Pause ${hookUrl}` }).click();
    await row.locator('.webhook-state', { hasText: 'Paused' }).waitFor();
    await seed.image('acme/app', { os: 'linux', architecture: 'amd64' }, { tag: 'v1' });
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(received.length, 0, 'a paused webhook delivers nothing');
    await page.getByRole('button', { name: `Resume ${hookUrl}` }).click();
    await row.locator('.webhook-state', { hasText: 'Active' }).waitFor();
    await seed.image('acme/app', { os: 'linux', architecture: 'amd64' }, { tag: 'v2' });
    await until('the push to arrive', () => received.some((r) => r.body.includes('v2')));

    await page.getByRole('button', { name: `Deliveries of ${hookUrl}` }).click();
    const deliveries = page.locator('table[aria-label="Webhook deliveries"] tbody tr');
    await until('a delivered row', async () => {
      await page.locator('.webhook-deliveries').getByRole('button', { name: 'Refresh' }).click();
      await new Promise((r) => setTimeout(r, 200));
      return (await page.locator('table[aria-label="Webhook deliveries"] tr[data-status="delivered"]').count()) > 0;
    });
    const delivered = deliveries.and(page.locator('[data-status="delivered"]')).first();
    assert.match(await delivered.textContent() ?? '', /acme\/app/);
    assert.match(await delivered.textContent() ?? '', /HTTP 200/);
    await screenshot(page, 'webhooks-1280');
    const before = received.length;
    await delivered.getByRole('button', { name: /^Redeliver push of acme\/app$/ }).click();
    await until('the redelivery', () => received.length > before);
    const last = received[received.length - 1]!;
    assert.ok(received.slice(0, -1).some((r) => r.id === last.id), 'a redelivery carries the same event id');

    await page.getByRole('button', { name: `Remove ${hookUrl}` }).click();
    await page.locator('dialog[open]').getByRole('button', { name: 'Remove webhook' }).click();
    await page.getByText('No webhooks.').waitFor();
    const left = await seed.api<{ webhooks: unknown[] }>('GET', '/projects/acme/webhooks');
    assert.deepEqual(left.webhooks, []);
  });

  it('left no page errors or CSP violations', () => {
    assert.deepEqual(browser.problems, []);
  });
});
