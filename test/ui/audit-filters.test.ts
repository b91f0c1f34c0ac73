// The project audit log's filters (issue 17, section 3) in chromium: by user, action, repository
// and date range, each narrowing the entries to exactly those that match (read back through the
// API), with digests shortened beside a copy button and the exact time on hover.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { startBerth, type BerthProcess } from '../helpers/berth-process.ts';
import { launch, screenshot, signInAs, type Browser } from './helpers/browser.ts';
import { repoApi, Seeder } from './helpers/seed.ts';

const ADMIN_PASSWORD = 'ui-Audit-pa55word';

describe('the audit log filters in chromium', { timeout: 600_000 }, () => {
  let server: BerthProcess;
  let browser: Browser;
  let page: Page;
  const url = (path: string) => `${server.url}${path}`;
  const rows = () => page.locator('table.audit-table tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].slice(1, 4).map((td) => (td.textContent ?? '').trim())));
  /** Waits for the table to settle on `n` rows (the filters are debounced). */
  const settle = async (n: number) => {
    for (let i = 0; ; i++) {
      const count = n === 0 ? await page.getByText('No entries match these filters.').count() : await page.locator('table.audit-table:not(.stale) tbody tr').count();
      if ((n === 0 && count === 1) || (n > 0 && count === n && (await page.locator('.table-scroll.stale').count()) === 0)) return;
      assert.ok(i < 100, `the audit table settles on ${n} rows (has ${count})`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  /**
   * Waits for the table to show exactly `expected` (as `pick` sees each row). Waiting on content,
   * not on a row count: a filter that leaves the count as it was (1 row before, 1 row after) would
   * otherwise be read before its answer arrives.
   */
  const expectRows = async (pick: (row: string[]) => unknown, expected: unknown[]) => {
    let seen: unknown[] = [];
    for (let i = 0; i < 100; i++) {
      if ((await page.locator('.table-scroll.stale, table.audit-table.stale').count()) === 0) {
        seen = (await rows()).map(pick);
        if (JSON.stringify(seen) === JSON.stringify(expected)) return;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.deepEqual(seen, expected);
  };

  before(async () => {
    server = await startBerth({ auth: 'builtin', env: { BERTH_ADMIN_PASSWORD: ADMIN_PASSWORD } });
    const admin = new Seeder(server.url, ['admin', ADMIN_PASSWORD]);
    await admin.api('POST', '/projects', { name: 'acme', visibility: 'private' });
    await admin.api('POST', '/users', { name: 'alice', password: 'alice-pa55word-ok' });
    await admin.api('PUT', '/projects/acme/members/alice', { role: 'maintainer' });
    const alice = new Seeder(server.url, ['alice', 'alice-pa55word-ok']);
    await admin.image('acme/app', { os: 'linux', architecture: 'amd64' }, { tag: 'v1' });
    await alice.image('acme/app', { os: 'linux', architecture: 'amd64' }, { tag: 'v2' });
    await alice.image('acme/web', { os: 'linux', architecture: 'amd64' }, { tag: 'v1' });
    await admin.api('DELETE', `${repoApi('acme/app')}/tags/v1`);
    await new Promise((r) => setTimeout(r, 1500)); // the audit log is written in batches
    browser = await launch();
    page = await browser.newPage();
    await signInAs(browser, page, server.url, ['admin', ADMIN_PASSWORD]);
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('filters by user, action, repository and date range', async () => {
    await page.goto(url('/projects/acme/audit'));
    await page.locator('table.audit-table tbody tr').first().waitFor();
    const all = await rows();
    assert.ok(all.length >= 4, `pushes and the untag: ${JSON.stringify(all)}`);

    await page.getByLabel('User', { exact: true }).fill('alice');
    await expectRows((r) => [r[0], r[1], r[2]!.replace(/@sha256:[0-9a-f]{12}$/, '@DIGEST')], [
      ['alice', 'push', 'acme/web:v1@DIGEST'],
      ['alice', 'push', 'acme/app:v2@DIGEST'],
    ]);
    await page.getByLabel('Repository', { exact: true }).fill('app');
    await expectRows((r) => [r[0], r[1]], [['alice', 'push']]);
    await page.getByLabel('User', { exact: true }).fill('');
    await page.getByLabel('Action', { exact: true }).selectOption('untag');
    await expectRows((r) => [r[0], r[1]], [['admin', 'untag']]);
    await page.getByLabel('Action', { exact: true }).selectOption('');
    await expectRows((r) => r[1], ['untag', 'push', 'push']);

    // The digest is short, with the whole one on hover and in the copy button.
    const code = page.locator('table.audit-table tbody tr').first().locator('code');
    assert.match(await code.textContent() ?? '', /^sha256:[0-9a-f]{12}$/);
    assert.match(await code.getAttribute('title') ?? '', /^sha256:[0-9a-f]{64}$/);
    assert.equal(await page.locator('table.audit-table tbody tr').first().getByRole('button', { name: /^Copy the digest/ }).count(), 1);
    const time = page.locator('table.audit-table tbody tr').first().locator('time');
    assert.ok(await time.getAttribute('title'), 'the exact time on hover');
    await screenshot(page, 'audit-filters-1280');

    // Dates: today holds them all; from tomorrow, or up to yesterday, nothing.
    const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
    await page.getByLabel('From', { exact: true }).fill(day(0));
    await page.getByLabel('To', { exact: true }).fill(day(0));
    await settle(3);
    await page.getByLabel('To', { exact: true }).fill('');
    await page.getByLabel('From', { exact: true }).fill(day(1));
    await settle(0);
    await page.getByLabel('From', { exact: true }).fill('');
    await page.getByLabel('To', { exact: true }).fill(day(-1));
    await settle(0);
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await settle(all.length);
    assert.equal(await page.getByRole('button', { name: 'Clear filters' }).count(), 0, 'nothing left to clear');
  });

  it('the API takes repository and until', async () => {
    const admin = new Seeder(server.url, ['admin', ADMIN_PASSWORD]);
    const web = await admin.api<{ entries: { repository: string }[] }>('GET', '/audit?project=acme&repository=acme/web');
    assert.deepEqual(web.entries.map((e) => e.repository), ['acme/web']);
    const old = await admin.api<{ entries: unknown[] }>('GET', `/audit?project=acme&until=${encodeURIComponent(new Date(Date.now() - 3_600_000).toISOString())}`);
    assert.deepEqual(old.entries, []);
    const res = await fetch(`${server.url}/api/v1/audit?project=acme&until=soon`, { headers: { authorization: `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}` } });
    assert.equal(res.status, 400);
  });

  it('left no page errors or CSP violations', () => {
    assert.deepEqual(browser.problems, []);
  });
});
