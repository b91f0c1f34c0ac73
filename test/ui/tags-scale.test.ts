// 5,000 tags in one repository: the Tags tab shows one page at a time (filtered, sorted and paged
// by the server), so the browser renders 25 tags however many there are, pages to the end, and
// filters by name.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MediaType } from '../../src/core/mediatypes.ts';
import { startBerth, type BerthProcess } from '../helpers/berth-process.ts';
import { launch, screenshot, type Browser } from './helpers/browser.ts';
import { Seeder } from './helpers/seed.ts';

const ADMIN_PASSWORD = 'ui-Scale-pa55word';
const TAGS = 5000;

describe('the Tags tab with 5,000 tags', { timeout: 600_000 }, () => {
  let server: BerthProcess;
  let browser: Browser;

  before(async () => {
    server = await startBerth({ auth: 'builtin', env: { BERTH_ADMIN_PASSWORD: ADMIN_PASSWORD, BERTH_LOG_LEVEL: 'warn' } });
    const seed = new Seeder(server.url, ['admin', ADMIN_PASSWORD]);
    const img = await seed.image('library/busy', { os: 'linux', architecture: 'amd64' }, { tag: 'v0000' });
    let next = 1;
    const worker = async () => {
      while (next < TAGS) {
        const i = next++;
        await seed.tag('library/busy', `v${String(i).padStart(4, '0')}`, img.bytes, MediaType.OciManifest);
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    browser = await launch();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('renders one page, pages to the last tag, and filters', async () => {
    const page = await browser.newPage();
    const started = Date.now();
    await page.goto(`${server.url}/r/library/busy/-/tags?view=cards&sort=name`);
    await page.locator('.tag').first().waitFor();
    console.log(`tags tab with ${TAGS} tags: first page shown in ${Date.now() - started} ms`);
    assert.equal(await page.locator('.tag').count(), 25);
    assert.equal(await page.locator('.pagination-info').textContent(), `1–25 of ${TAGS.toLocaleString('en')}`);
    assert.equal(await page.locator('.tag').first().getAttribute('data-tag'), 'v0000');
    assert.equal(await page.locator('.tab-count').textContent(), TAGS.toLocaleString('en'));

    await page.getByRole('button', { name: `Page ${TAGS / 25}` }).click();
    await page.waitForURL(/page=200/);
    await page.locator('.tag[data-tag="v4999"]').waitFor();
    assert.equal(await page.locator('.tag').count(), 25);

    await page.getByLabel('Filter tags').fill('v123');
    await page.waitForURL(/q=v123/);
    await page.locator('.tag[data-tag="v1230"]').waitFor();
    const shown = await page.locator('.tag').evaluateAll((els) => els.map((e) => e.getAttribute('data-tag')));
    assert.deepEqual(shown, ['v1230', 'v1231', 'v1232', 'v1233', 'v1234', 'v1235', 'v1236', 'v1237', 'v1238', 'v1239', 'v123']
      .filter((t) => t !== 'v123'));
    await page.getByLabel('Filter tags').fill('');
    await page.getByLabel('Per page').selectOption('100');
    await page.waitForURL(/n=100/);
    // (Polled from here: the UI's CSP forbids the string evaluation page.waitForFunction would use.)
    for (let i = 0; (await page.locator('.tag').count()) !== 100; i++) {
      assert.ok(i < 100, 'the page shows 100 tags');
      await new Promise((r) => setTimeout(r, 100));
    }
    await screenshot(page, 'tags-5000', false);
    await page.close();
  });

  it('the compact table shows a page of 100 as one group (they share a digest), and pages on', async () => {
    const page = await browser.newPage();
    const started = Date.now();
    await page.goto(`${server.url}/r/library/busy/-/tags?sort=name&view=compact&n=100`);
    await page.locator('table.tag-table tr.tag-row').first().waitFor();
    console.log(`compact tags table with ${TAGS} tags: first page of 100 shown in ${Date.now() - started} ms`);
    assert.equal(await page.locator('table.tag-table tr.tag-row').count(), 100);
    assert.equal(await page.locator('table.tag-table tbody.tag-group').count(), 1);
    assert.equal(await page.locator('.pagination-info').textContent(), `1–100 of ${TAGS.toLocaleString('en')}`);
    await page.getByRole('button', { name: `Page ${TAGS / 100}` }).click();
    await page.locator('tr.tag-row[data-tag="v4999"]').waitFor();
    await screenshot(page, 'tags-5000-compact', false);
    await page.close();
  });
});
