// Storage quotas and tag immutability in a real chromium against a real Berth (auth builtin,
// images pushed over /v2): the project page shows the storage used, of which quota, with the
// breakdown and the 80% and 100% marks, to members; an administrator sets, changes and removes the
// quota in the settings (checked through the API, a bad size refused); the owner adds and removes
// immutability rules (the server's refusal of a bad pattern shown; checked through the API), a
// guest reads them; the tags view marks immutable tags; 390 px without sideways scrolling; no page
// errors or CSP violations.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { startBerth, type BerthProcess } from '../helpers/berth-process.ts';
import { ADMIN, ADMIN_PASSWORD, addUser, call, expectStatus, type Creds } from '../integration/api-helpers.ts';
import { launch, requireBrowserAndBuild, screenshot, type Browser, signInAs } from './helpers/browser.ts';
import { Seeder } from './helpers/seed.ts';

const KiB = 1024;
const MiB = 1024 * KiB;

describe('quota and immutability UI in chromium', { timeout: 300_000 }, () => {
  let server: BerthProcess;
  let browser: Browser;
  let page: Page;
  let alice: Creds;
  let gus: Creds;
  let seeder: Seeder;
  let firstRule = 0;

  before(async () => {
    requireBrowserAndBuild();
    server = await startBerth({ auth: 'builtin', env: { BERTH_ADMIN_PASSWORD: ADMIN_PASSWORD }, config: { scan: { enabled: false } } });
    alice = await addUser(server, 'alice');
    gus = await addUser(server, 'gus');
    expectStatus(await call(server, 'POST', '/projects', { as: alice, body: { name: 'acme', visibility: 'private' } }), 201);
    expectStatus(await call(server, 'PUT', '/projects/acme/members/gus', { as: alice, body: { role: 'guest' } }), 200);
    expectStatus(await call(server, 'PATCH', '/projects/acme', { as: ADMIN, body: { quotaBytes: 700 * KiB } }), 200);
    seeder = new Seeder(server.url, alice);
    for (const tag of ['v1', 'latest']) await seeder.image('acme/app', { os: 'linux', architecture: 'amd64' }, { tag, layerSize: 200 * KiB });
    firstRule = expectStatus(await call(server, 'POST', '/projects/acme/immutable-rules', { as: alice, body: { repos: '**', tags: 'v*' } }), 201).body.id;
    browser = await launch();
    page = await browser.newPage();
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  const url = (path: string) => `${server.url}${path}`;
  const signIn = (creds: Creds) => signInAs(browser, page, url(''), creds);
  const quotaOf = async (as: Creds = alice) => expectStatus(await call(server, 'GET', '/projects/acme', { as }), 200).body.quota;
  const rulesOf = async () => expectStatus(await call(server, 'GET', '/projects/acme/immutable-rules', { as: alice }), 200).body.rules as { id: number; repos: string; tags: string }[];
  /** Binary units with one decimal, floored, as the page prints them (and Berth's messages). */
  const shown = (bytes: number) => {
    if (bytes < 1024) return `${bytes} B`;
    const units = ['KiB', 'MiB', 'GiB'];
    let v = bytes;
    let i = -1;
    do { v /= 1024; i++; } while (v >= 1024 && i < units.length - 1);
    const f = Math.floor(v * 10) / 10;
    return `${Number.isInteger(f) ? f.toFixed(0) : f.toFixed(1)} ${units[i]}`;
  };

  it('the project page shows the storage used of the quota, with what it is made of', async () => {
    await signIn(alice);
    await page.goto(url('/projects/acme'));
    const usage = page.getByTestId('quota-usage');
    await usage.waitFor();
    const q = await quotaOf();
    assert.ok(q.usedBytes > 400 * KiB && q.usedBytes < 0.8 * 700 * KiB, JSON.stringify(q));
    assert.equal(await usage.getByTestId('quota-used').textContent(), shown(q.usedBytes));
    assert.equal(await usage.getByTestId('quota-limit').textContent(), '700 KiB');
    assert.equal(await usage.getByTestId('quota-percent').textContent(), `${q.percent}%`);
    const bar = usage.getByRole('progressbar', { name: 'Storage used of the quota' });
    assert.equal(await bar.getAttribute('aria-valuenow'), String(Math.round(q.percent)));
    assert.match((await usage.textContent())!, new RegExp(`Layers and configs ${shown(q.usage.blobs).replace('.', '\\.')} · manifests ${shown(q.usage.manifests).replace('.', '\\.')} · uploads in progress 0 B`));
    assert.equal(await usage.getAttribute('data-level'), 'ok');

    // Past 80%: marked; at 100%: the page says pushes are refused.
    await seeder.image('acme/app', { os: 'linux', architecture: 'amd64' }, { tag: 'more', layerSize: 200 * KiB });
    await page.reload();
    await usage.waitFor();
    const warned = await quotaOf();
    assert.ok(warned.percent >= 80 && warned.percent < 100, JSON.stringify(warned));
    assert.equal(await usage.getAttribute('data-level'), 'warn');
    await page.getByTestId('quota-warn').waitFor();
    await screenshot(page, 'quota-usage');
  });

  it('the owner adds and removes immutability rules; a bad pattern is refused with the server\'s reason', async () => {
    await page.goto(url('/projects/acme/settings'));
    const section = page.getByTestId('immutable-rules');
    await section.waitFor();
    const first = section.locator(`.immutable-rule[data-rule="${firstRule}"]`);
    assert.equal(await first.locator('.rule-repos').textContent(), '**');
    assert.equal(await first.locator('.rule-tags').textContent(), 'v*');
    assert.match((await first.textContent())!, /Added .* by alice/);

    await section.getByLabel('Repositories').fill('app');
    await section.getByLabel('Tags').fill('{latest,stable');
    await section.getByRole('button', { name: 'Add rule' }).click();
    await section.getByRole('alert').waitFor();
    assert.equal(await section.getByRole('alert').textContent(), '--tags {latest,stable: "{" is never closed by "}"');
    assert.equal((await rulesOf()).length, 1, 'nothing was added');

    await section.getByLabel('Tags').fill('{latest,stable}');
    await section.getByRole('button', { name: 'Add rule' }).click();
    await section.getByRole('status').filter({ hasText: /Added rule \d+\./ }).waitFor();
    const rules = await rulesOf();
    assert.deepEqual(rules.map((r) => [r.repos, r.tags]), [['**', 'v*'], ['app', '{latest,stable}']]);
    const added = section.locator(`.immutable-rule[data-rule="${rules[1]!.id}"]`);
    await added.waitFor();
    assert.equal(await added.locator('.rule-tags').textContent(), '{latest,stable}');
    await screenshot(page, 'immutable-rules');

    await section.getByRole('button', { name: `Remove rule ${rules[1]!.id}` }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Remove rule' }).click();
    await added.waitFor({ state: 'detached' });
    assert.deepEqual((await rulesOf()).map((r) => r.id), [firstRule]);
    // The owner is not an administrator: no quota form.
    assert.equal(await page.getByRole('heading', { name: 'Storage quota' }).count(), 0);
  });

  it('the tags view marks immutable tags', async () => {
    await page.goto(url('/r/acme/app/-/tags?view=cards&sort=name'));
    await page.locator('.tag[data-tag="v1"]').waitFor();
    const chip = page.locator('.tag[data-tag="v1"]').getByTestId('tag-immutable');
    await chip.waitFor();
    assert.equal(await chip.textContent(), 'Immutable');
    assert.equal(await chip.getAttribute('aria-label'), `v1 is immutable (rule ${firstRule})`);
    assert.equal(await page.locator('.tag[data-tag="latest"]').getByTestId('tag-immutable').count(), 0);
    assert.equal(await page.locator('.tag[data-tag="more"]').getByTestId('tag-immutable').count(), 0);
  });

  it('an administrator sets, changes and removes the quota; a bad size is refused', async () => {
    await signIn(ADMIN);
    await page.goto(url('/projects/acme/settings'));
    const form = page.getByRole('form', { name: 'Storage quota' });
    await form.waitFor();
    const input = form.getByLabel('Quota');
    assert.equal(await input.inputValue(), '700KiB');
    await input.fill('lots');
    await form.getByRole('button', { name: 'Save quota' }).click();
    assert.match((await form.getByRole('alert').textContent())!, /lots is not a size/);
    assert.equal((await quotaOf(ADMIN)).limitBytes, 700 * KiB);

    await input.fill('2MiB');
    await form.getByRole('button', { name: 'Save quota' }).click();
    await form.getByRole('status').filter({ hasText: 'The quota is 2 MiB.' }).waitFor();
    assert.equal((await quotaOf(ADMIN)).limitBytes, 2 * MiB);
    assert.equal(await page.getByTestId('quota-usage').getByTestId('quota-limit').textContent(), '2 MiB', 'the header follows');

    await form.getByRole('button', { name: 'Remove quota' }).click();
    await form.getByRole('status').filter({ hasText: 'The quota is removed.' }).waitFor();
    assert.equal((await quotaOf(ADMIN)).limitBytes, null);
    assert.match((await page.getByTestId('quota-usage').textContent())!, /stored · no quota/);
    assert.equal(await page.getByTestId('quota-usage').getByRole('progressbar').count(), 0);

    await input.fill('500KiB');
    await form.getByRole('button', { name: 'Save quota' }).click();
    await form.getByRole('status').filter({ hasText: 'The quota is 500 KiB.' }).waitFor();
    const full = await quotaOf(ADMIN);
    assert.ok(full.percent >= 100, JSON.stringify(full));
    await page.reload();
    await page.getByTestId('quota-full').waitFor();
    assert.equal(await page.getByTestId('quota-usage').getAttribute('data-level'), 'full');
  });

  it('a guest sees the usage and reads the rules, without controls', async () => {
    await signIn(gus);
    await page.goto(url('/projects/acme'));
    await page.getByTestId('quota-usage').waitFor();
    await page.getByRole('link', { name: 'Policies' }).click();
    const section = page.getByTestId('immutable-rules');
    await section.waitFor();
    await section.locator(`.immutable-rule[data-rule="${firstRule}"]`).waitFor();
    assert.match((await section.textContent())!, /Only the project's owners and maintainers and the registry's administrators change these rules/);
    assert.equal(await section.getByRole('button', { name: 'Add rule' }).count(), 0);
    assert.equal(await section.getByRole('button', { name: /Remove rule/ }).count(), 0);
  });

  it('works at 390 px wide without sideways scrolling, with no page errors or CSP violations', async () => {
    await signIn(alice);
    const mobile = await browser.newPage({ width: 390, height: 844 });
    try {
      for (const [what, path, wait] of [['project', '/projects/acme', 'quota-usage'], ['settings', '/projects/acme/settings', 'immutable-rules']] as const) {
        await mobile.goto(url(path));
        await mobile.getByTestId(wait).waitFor();
        const width = await mobile.evaluate('document.documentElement.scrollWidth');
        assert.ok(Number(width) <= 390, `${what} is ${width} px wide at a 390 px viewport`);
      }
      await screenshot(mobile, 'quota-mobile');
    } finally {
      await mobile.close();
    }
    assert.deepEqual(browser.problems, []);
  });
});
