// The compact tags table (issue 17, section 2) in chromium: tags sharing a digest are grouped,
// a multi-arch tag shows one chip per platform (each opening its image page), and bulk delete
// removes exactly the selected tags, after a confirmation that lists them; the rest stay, and so
// do the images. A guest sees no selection. Screenshots: test-output/ui/tags-table-*.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { MediaType } from '../../src/core/mediatypes.ts';
import { startBerth, type BerthProcess } from '../helpers/berth-process.ts';
import { launch, screenshot, signInAs, type Browser } from './helpers/browser.ts';
import { contrastProblems } from './helpers/contrast.ts';
import { repoApi, Seeder } from './helpers/seed.ts';

const ADMIN_PASSWORD = 'ui-Table-pa55word';

describe('the compact tags table in chromium', { timeout: 600_000 }, () => {
  let server: BerthProcess;
  let browser: Browser;
  let page: Page;
  let seed: Seeder;
  let shared: Awaited<ReturnType<Seeder['image']>>;
  let index: Awaited<ReturnType<Seeder['index']>>;
  const url = (path: string) => `${server.url}${path}`;
  const tagsNow = async () => (await seed.api<{ tags: { name: string }[] }>('GET', `${repoApi('acme/app')}/tags?sort=name&n=100`)).tags.map((t) => t.name);

  before(async () => {
    server = await startBerth({ auth: 'builtin', env: { BERTH_ADMIN_PASSWORD: ADMIN_PASSWORD } });
    seed = new Seeder(server.url, ['admin', ADMIN_PASSWORD]);
    await seed.api('POST', '/projects', { name: 'acme', visibility: 'public' });
    // v1.0, v1 and stable share one image; latest and edge share an index; old and rc are alone.
    shared = await seed.image('acme/app', { os: 'linux', architecture: 'amd64' }, { tag: 'v1.0' });
    for (const t of ['v1', 'stable']) await seed.tag('acme/app', t, shared.bytes, MediaType.OciManifest);
    index = await seed.index('acme/app', 'latest', [{ os: 'linux', architecture: 'amd64' }, { os: 'linux', architecture: 'arm64', variant: 'v8' }, { os: 'windows', architecture: 'amd64' }]);
    const bytes = Buffer.from(await (await fetch(`${server.url}/v2/acme/app/manifests/latest`, { headers: { authorization: `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}`, accept: MediaType.OciIndex } })).arrayBuffer());
    await seed.tag('acme/app', 'edge', bytes, MediaType.OciIndex);
    await seed.image('acme/app', { os: 'linux', architecture: 'arm', variant: 'v7' }, { tag: 'old' });
    await seed.image('acme/app', { os: 'linux', architecture: 'amd64' }, { tag: 'rc' });
    await seed.api('POST', '/users', { name: 'gus', password: 'gus-pa55word-ok' });
    await seed.api('PUT', '/projects/acme/members/gus', { role: 'guest' });
    browser = await launch();
    page = await browser.newPage();
    await signInAs(browser, page, server.url, ['admin', ADMIN_PASSWORD]);
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('groups tags by digest and shows a chip per platform', async () => {
    // The compact table is the default view; the cards are one click away, and back.
    await page.goto(url('/r/acme/app/-/tags?sort=name'));
    await page.locator('table.tag-table').waitFor();
    assert.equal(await page.getByRole('button', { name: 'Compact' }).getAttribute('aria-pressed'), 'true');
    await page.getByRole('button', { name: 'Cards' }).click();
    await page.waitForURL(/view=cards/);
    await page.locator('.tag[data-tag="latest"]').waitFor();
    await page.getByRole('button', { name: 'Compact' }).click();
    await page.waitForURL((u) => !u.search.includes('view='));
    await page.locator('table.tag-table tbody.tag-group').first().waitFor();
    const groups = await page.locator('table.tag-table tbody.tag-group').evaluateAll((bodies) => bodies.map((b) => ({
      digest: b.getAttribute('data-digest'),
      tags: [...b.querySelectorAll('tr')].map((tr) => tr.getAttribute('data-tag')),
      chips: [...b.querySelectorAll('.platform-chip')].map((c) => c.textContent),
    })));
    // Sorted by name: edge, latest, old, rc, stable, v1, v1.0; grouped where first seen.
    assert.deepEqual(groups.map((g) => g.tags), [['edge', 'latest'], ['old'], ['rc'], ['stable', 'v1', 'v1.0']]);
    assert.equal(groups[0]!.digest, index.digest);
    assert.deepEqual(groups[0]!.chips, ['amd64', 'arm64/v8', 'windows/amd64']);
    assert.deepEqual(groups[1]!.chips, ['arm/v7']);
    assert.equal(groups[3]!.digest, shared.digest);
    const chip = page.locator('tbody.tag-group').first().locator('.platform-chip', { hasText: 'arm64/v8' });
    assert.equal(await chip.getAttribute('href'), `/r/acme/app/-/images/${index.children[1]!.digest}`);
    // (The view buttons fade between their colours for 0.12 s: measured after that.)
    await page.waitForTimeout(300);
    await screenshot(page, 'tags-table-1280');
    const { problems } = await contrastProblems(page);
    assert.deepEqual(problems, []);
  });

  it('bulk delete removes exactly the selected tags, after listing them', async () => {
    await page.goto(url('/r/acme/app/-/tags?sort=name'));
    await page.locator('table.tag-table').waitFor();
    for (const t of ['latest', 'old', 'v1']) await page.getByRole('checkbox', { name: `Select ${t}`, exact: true }).check();
    await page.getByRole('button', { name: 'Delete 3 tags' }).click();
    const listed = await page.getByRole('list', { name: 'Tags to delete' }).locator('code').allTextContents();
    assert.deepEqual(listed, ['acme/app:latest', 'acme/app:old', 'acme/app:v1']);
    await screenshot(page, 'tags-table-bulk-delete-1280', false);
    await page.locator('dialog[open]').getByRole('button', { name: 'Delete 3 tags' }).click();
    await page.locator('dialog[open]').waitFor({ state: 'detached' }).catch(() => undefined);
    await page.locator('tr[data-tag="latest"]').waitFor({ state: 'detached' });
    assert.deepEqual(await tagsNow(), ['edge', 'rc', 'stable', 'v1.0']);
    const shown = await page.locator('table.tag-table tr.tag-row').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-tag')));
    assert.deepEqual(shown, ['edge', 'rc', 'stable', 'v1.0']);
    // The images stay: the index is still pullable by digest.
    await seed.pull('acme/app', index.digest);
    // Select the page, then cancel: nothing goes.
    await page.getByRole('checkbox', { name: 'Select every tag on this page' }).check();
    await page.getByRole('button', { name: 'Delete 4 tags' }).click();
    await page.locator('dialog[open]').getByRole('button', { name: 'Cancel' }).click();
    assert.deepEqual(await tagsNow(), ['edge', 'rc', 'stable', 'v1.0']);
  });

  it('at 390 px the table stacks, and a guest gets no selection', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(url('/r/acme/app/-/tags?sort=name'));
    await page.locator('table.tag-table').waitFor();
    const wide = await page.evaluate('document.documentElement.scrollWidth') as number;
    assert.ok(wide <= 390, `the page is ${wide}px wide`);
    await screenshot(page, 'tags-table-390');
    await page.setViewportSize({ width: 1280, height: 860 });
    await signInAs(browser, page, server.url, ['gus', 'gus-pa55word-ok']);
    await page.goto(url('/r/acme/app/-/tags'));
    await page.locator('table.tag-table').waitFor();
    assert.equal(await page.getByRole('checkbox').count(), 0);
  });

  it('left no page errors or CSP violations', () => {
    assert.deepEqual(browser.problems, []);
  });
});
