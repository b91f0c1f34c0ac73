// Retention and tag history in a real chromium against a real Berth (in process, auth builtin,
// images pushed over /v2; tag ages set in the push time column): the project's Retention tab
// with the YAML editor previewed live while it is typed (debounced: a few preview requests, not
// one per key), a bad key shown as the server words it, the immutable tag planned as kept, Save,
// Run now after a confirmation that says what goes, the last runs; read-only for a guest; the
// tags view's History timeline with Roll back for those who may push (and none for a guest);
// 390 px without sideways scrolling; no page errors or CSP violations.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { addUser, age, api, createProject, expectOk, pushImage, startRetentionServer, tagsOf, type Creds, type Pushed, type TestServer } from '../integration/retention-helpers.ts';
import { launch, requireBrowserAndBuild, screenshot, type Browser, signInAs } from './helpers/browser.ts';

describe('retention and tag history UI in chromium', { timeout: 300_000 }, () => {
  let s: TestServer;
  let browser: Browser;
  let page: Page;
  let alice: Creds;
  let gus: Creds;
  const pushed: Record<string, Pushed> = {};

  before(async () => {
    requireBrowserAndBuild();
    s = await startRetentionServer();
    alice = await addUser(s, 'alice');
    gus = await addUser(s, 'gus');
    await createProject(s, alice, 'acme', { gus: 'guest' });
    for (const [i, t] of ['1.0', '1.1', '1.2', '1.3', '1.4', '1.5'].entries()) {
      pushed[t] = await pushImage(s, alice, 'acme/app', t, { layerBytes: 2048 });
      await age(s.db, 'acme/app', t, 60 - i * 10);
    }
    expectOk(await api(s, 'POST', '/projects/acme/immutable-rules', { as: alice, body: { repos: 'app', tags: '1.0' } }), 201);
    browser = await launch();
    page = await browser.newPage();
  });
  after(async () => {
    await browser?.close();
    await s?.close();
  });

  const url = (path: string) => `${s.url}${path}`;
  const signIn = (creds: Creds) => signInAs(browser, page, url(''), creds);
  const editor = () => page.getByLabel('Policy (YAML)');
  const waitForSummary = (re: RegExp) => until(async () => re.test((await page.getByTestId('retention-summary').textContent({ timeout: 1000 }).catch(() => '')) ?? ''), `the preview to say ${re}`);

  it('edits the rules with a live preview, saves them and runs them after a confirmation', async () => {
    await signIn(alice);
    await page.goto(url('/projects/acme'));
    await page.getByRole('link', { name: 'Retention' }).click();
    await page.waitForURL(/\/projects\/acme\/retention$/);
    // No policy yet: the editor holds an example, previewed at once (it keeps all six: 10 most recent).
    await editor().waitFor();
    assert.match(await editor().inputValue(), /mostRecentlyPushed: 10/);
    await waitForSummary(/^would delete 0 tags, 0 B/);
    assert.match((await page.getByTestId('retention-schedule').textContent())!, /Not set yet: the text above is an example/);
    assert.equal(await page.getByRole('button', { name: 'Run now' }).isDisabled(), true, 'nothing saved to run yet');

    // Typed, the preview follows, a few requests rather than one per key.
    const previews: string[] = [];
    const count = (r: { url(): string; method(): string }) => { if (r.method() === 'POST' && r.url().endsWith('/retention/preview')) previews.push(r.url()); };
    page.on('request', count);
    await editor().fill('');
    await editor().pressSequentially('rules:\n  - mostRecentlyPushed: 2\n', { delay: 15 });
    await waitForSummary(/^would delete 3 tags, \d+(\.\d)? KiB/);
    page.off('request', count);
    assert.ok(previews.length <= 4, `debounced: ${previews.length} preview requests for ${'rules:\n  - mostRecentlyPushed: 2\n'.length} keys`);
    const repo = page.locator('.retention-repo[data-repository="acme/app"]');
    const outcome = async (tag: string) => repo.locator(`tr[data-tag="${tag}"]`).getAttribute('data-outcome');
    assert.deepEqual(await Promise.all(['1.0', '1.1', '1.2', '1.3', '1.4', '1.5'].map(outcome)), ['keep', 'delete', 'delete', 'delete', 'keep', 'keep']);
    assert.equal(await repo.locator('tr[data-tag="1.0"] .badge').textContent(), 'Immutable');
    assert.match((await repo.locator('tr[data-tag="1.1"]').textContent())!, /no rule keeps it/);
    assert.match((await repo.locator('tr[data-tag="1.5"]').textContent())!, /rule 1: the 2 most recently pushed/);

    // A misspelt key: the server's words, and nothing can be saved.
    await editor().fill('rules:\n  - mostRecentPushed: 2\n');
    await page.getByTestId('retention-invalid').waitFor();
    assert.match((await page.getByTestId('retention-invalid').textContent())!, /rules\[0\]: unknown key "mostRecentPushed" \(did you mean mostRecentlyPushed\?\)/);
    assert.equal(await page.getByRole('button', { name: 'Save rules' }).isDisabled(), true);
    await screenshot(page, 'retention-invalid');

    await editor().fill('# the last two releases\nrules:\n  - mostRecentlyPushed: 2\n');
    await page.getByTestId('retention-invalid').waitFor({ state: 'detached' });
    await waitForSummary(/^would delete 3 tags/);
    await page.getByRole('button', { name: 'Save rules' }).click();
    await page.getByText('Saved.').waitFor();
    assert.equal(expectOk(await api(s, 'GET', '/projects/acme/retention', { as: alice })).body.source, '# the last two releases\nrules:\n  - mostRecentlyPushed: 2\n');
    await screenshot(page, 'retention-editor');

    await page.getByRole('button', { name: 'Run now' }).click();
    const dialog = page.getByRole('dialog', { name: 'Run the retention policy now?' });
    await dialog.waitFor();
    assert.match((await dialog.textContent())!, /This deletes 3 tags, \d+(\.\d)? KiB/);
    await dialog.getByRole('button', { name: 'Delete them' }).click();
    await page.getByTestId('retention-result').waitFor();
    assert.match((await page.getByTestId('retention-result').textContent())!, /^deleted 3 tags, \d+(\.\d)? KiB\./);
    assert.deepEqual(await tagsOf(s, alice, 'acme/app'), ['1.0', '1.4', '1.5']);
    await waitForSummary(/^would delete 0 tags/);
    const runs = page.getByRole('table', { name: 'Retention runs' });
    await runs.locator('tr[data-run]').first().waitFor();
    assert.match((await runs.locator('tr[data-run]').first().textContent())!, /manualalicedeleted 3 tags/);
    await runs.locator('tr[data-run]').first().getByRole('button', { name: /^Details of run \d+$/ }).click();
    const details = page.getByTestId('retention-run-details');
    await details.locator('tr[data-outcome="delete"]').nth(2).waitFor();
    assert.deepEqual(await details.locator('tr[data-outcome="delete"]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-tag'))), ['1.1', '1.2', '1.3']);
    await screenshot(page, 'retention-run');
  });

  it('is read-only for a guest, who still sees the preview', async () => {
    await signIn(gus);
    await page.goto(url('/projects/acme/retention'));
    await editor().waitFor();
    assert.equal(await editor().getAttribute('readonly'), '');
    assert.equal(await page.getByRole('button', { name: 'Save rules' }).count(), 0);
    assert.equal(await page.getByRole('button', { name: 'Run now' }).count(), 0);
    await waitForSummary(/^would delete 0 tags/);
    assert.match((await page.locator('.retention-editor').textContent())!, /Only owners and maintainers of the project change or run its retention policy/);
  });

  it("shows a tag's history as a timeline and rolls it back for those who may push", async () => {
    const first = await pushImage(s, alice, 'acme/app', 'latest');
    const second = await pushImage(s, alice, 'acme/app', 'latest');
    await signIn(alice);
    await page.goto(url('/r/acme/app/-/tags?view=cards'));
    const row = page.locator('.tag[data-tag="latest"]');
    await row.getByRole('button', { name: 'History of latest' }).click();
    const timeline = row.getByRole('region', { name: 'History of latest' });
    await timeline.locator('.timeline-entry').nth(1).waitFor();
    assert.deepEqual(await timeline.locator('.timeline-entry').evaluateAll((els) => els.map((e) => e.getAttribute('data-action'))), ['moved', 'created']);
    assert.match((await timeline.locator('.timeline-entry').first().textContent())!, /alicemoved it from sha256:[0-9a-f]{12} to sha256:[0-9a-f]{12}current/);
    await screenshot(page, 'tag-history');
    await timeline.getByRole('button', { name: `Roll latest back to ${first.digest.slice(0, 19)}` }).click();
    const dialog = page.getByRole('dialog', { name: 'Roll latest back?' });
    await dialog.waitFor();
    assert.match((await dialog.textContent())!, new RegExp(`Moves acme/app:latest from ${second.digest.slice(0, 19)} back to ${first.digest.slice(0, 19)}`));
    await dialog.getByRole('button', { name: 'Roll back' }).click();
    await timeline.getByText(`latest now points at ${first.digest.slice(0, 19)} again.`).waitFor();
    await timeline.locator('.timeline-entry').nth(2).waitFor();
    assert.equal(await timeline.locator('.timeline-entry.current').count(), 1);
    const h = expectOk(await api(s, 'GET', '/repositories/acme/app/tags/latest/history', { as: alice })).body;
    assert.equal(h.current, first.digest);
    assert.deepEqual([h.entries[0].actor, h.entries[0].from, h.entries[0].to], ['alice', second.digest, first.digest]);
    await row.locator('.digest code').first().waitFor();
    await until(async () => (await row.locator('.digest code').first().getAttribute('title')) === first.digest, 'the tag list to show the rolled-back digest');

    // A guest reads the history but has no Roll back.
    await signIn(gus);
    await page.goto(url('/r/acme/app/-/tags?view=cards'));
    // (Should this ever time out, the message carries what the page showed.)
    await page.locator('.tag[data-tag="latest"]').getByRole('button', { name: 'History of latest' }).waitFor({ timeout: 30_000 }).catch(async (e: unknown) => {
      await screenshot(page, 'tag-history-guest-failure');
      throw new Error(`${String(e)}\ncapabilities: ${JSON.stringify(await api(s, 'GET', '/capabilities'))}\n${(await page.locator('main').innerHTML()).slice(0, 4000)}`);
    });
    await page.locator('.tag[data-tag="latest"]').getByRole('button', { name: 'History of latest' }).click();
    const guestTimeline = page.locator('.tag[data-tag="latest"]').getByRole('region', { name: 'History of latest' });
    await guestTimeline.locator('.timeline-entry').nth(2).waitFor();
    assert.equal(await guestTimeline.getByRole('button', { name: /^Roll latest back/ }).count(), 0);
  });

  it('works at 390 px wide: the retention page and a history do not scroll sideways', async () => {
    await signIn(alice);
    const mobile = await browser.newPage({ width: 390, height: 844 });
    try {
      const check = async (what: string) => {
        const width = await mobile.evaluate('document.documentElement.scrollWidth');
        assert.ok(Number(width) <= 390, `${what} is ${width} px wide at a 390 px viewport`);
      };
      await mobile.goto(url('/projects/acme/retention'));
      await mobile.getByTestId('retention-summary').waitFor();
      await check('the retention page');
      await screenshot(mobile, 'mobile-retention');
      await mobile.goto(url('/r/acme/app/-/tags?view=cards'));
      await mobile.locator('.tag[data-tag="latest"]').getByRole('button', { name: 'History of latest' }).click();
      await mobile.locator('.tag[data-tag="latest"] .timeline-entry').first().waitFor();
      await check('a tag history');
    } finally {
      await mobile.close();
    }
  });

  it('raised no page errors and no Content-Security-Policy violations', () => {
    assert.deepEqual(browser.problems, []);
  });
});

async function until(check: () => Promise<boolean>, what: string, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
