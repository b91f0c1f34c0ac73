// The trust feature's web UI in a real chromium against a real Berth (auth builtin) whose images
// are signed the way real clients sign: GPG atomic signatures from Debian's gpg through the
// signature API extension (skopeo/podman --sign-by), and cosign's legacy .sig layout signed with
// node:crypto. The tags view's signature badges (one summaries request per page): "Signed · ci,
// release", "Unverified" with the reasons spelled out (wrong key, digest mismatch, expired
// certificate), "Unsigned" quiet in audit mode and prominent under enforcement, nothing when
// trust is off, cosign's own .sig tag marked as a signature; the signature page with every
// signature; the project's trust settings edited by its owner (mode, exempt accounts, signers
// added and removed, the server's refusals shown; checked through the API) and read-only for a
// guest; 390 px without sideways scrolling; no page errors or CSP violations.
import assert from 'node:assert/strict';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { startBerth, type BerthProcess } from '../helpers/berth-process.ts';
import { ADMIN_PASSWORD, addUser, call, expectStatus, type Creds } from '../integration/api-helpers.ts';
import { launch, screenshot, type Browser, signInAs } from './helpers/browser.ts';
import { Seeder } from './helpers/seed.ts';
import { atomicPayload, cosignSign, Gpg, putGpgSignature } from './helpers/signing.ts';

const REPO = 'acme/app';
const API_REPO = '/repositories/acme/app';
const CI = 'CI Signer <ci@example.com>';
const MALLORY = 'Mallory <mallory@example.com>';
const OLD = 'Old Key <old@example.com>';

describe('trust UI in chromium', { timeout: 600_000 }, () => {
  let server: BerthProcess;
  let browser: Browser;
  let page: Page;
  let alice: Creds;
  let gus: Creds;
  let gpg: Gpg;
  let release: { publicKey: KeyObject; privateKey: KeyObject };
  const digests: Record<string, string> = {};
  let sigTag = '';

  before(async () => {
    server = await startBerth({ auth: 'builtin', env: { BERTH_ADMIN_PASSWORD: ADMIN_PASSWORD }, config: { scan: { enabled: false } } });
    alice = await addUser(server, 'alice');
    gus = await addUser(server, 'gus');
    expectStatus(await call(server, 'POST', '/projects', { as: alice, body: { name: 'acme', visibility: 'private' } }), 201);
    expectStatus(await call(server, 'PUT', '/projects/acme/members/gus', { as: alice, body: { role: 'guest' } }), 200);

    gpg = new Gpg();
    gpg.generate(CI);
    gpg.generate(MALLORY);
    // A key made (and used) in 2020 that expired the day after.
    gpg.generate(OLD, { at: '20200101T000000', expire: '1d' });
    release = generateKeyPairSync('ec', { namedCurve: 'P-256' });

    const seeder = new Seeder(server.url, alice);
    for (const tag of ['plain', 'forged', 'moved', 'stale', '1.0']) {
      digests[tag] = (await seeder.image(REPO, { os: 'linux', architecture: 'amd64' }, { tag })).digest;
    }
    const ref = (tag: string) => `${server.host}/${REPO}:${tag}`;
    // 1.0: signed by the CI's GPG key and by the release cosign key, both trusted.
    await putGpgSignature(seeder, REPO, digests['1.0']!, gpg.sign('ci@example.com', atomicPayload(digests['1.0']!, ref('1.0'))));
    await cosignSign(seeder, REPO, digests['1.0']!, release.privateKey, ref('1.0'));
    sigTag = `${digests['1.0']!.replace(':', '-')}.sig`;
    // forged: signed by a key nobody trusts.
    await putGpgSignature(seeder, REPO, digests.forged!, gpg.sign('mallory@example.com', atomicPayload(digests.forged!, ref('forged'))));
    // moved: a trusted key's signature of another image, copied onto this one.
    await putGpgSignature(seeder, REPO, digests.moved!, gpg.sign('ci@example.com', atomicPayload(digests['1.0']!, ref('1.0'))));
    // stale: signed by a trusted key that has since expired.
    await putGpgSignature(seeder, REPO, digests.stale!, gpg.sign('old@example.com', atomicPayload(digests.stale!, ref('stale')), { at: '20200101T060000' }));

    expectStatus(await call(server, 'POST', '/projects/acme/trust-keys', { as: alice, body: { name: 'ci', key: gpg.publicKey('ci@example.com') } }), 201);
    expectStatus(await call(server, 'POST', '/projects/acme/trust-keys', { as: alice, body: { name: 'old', key: gpg.publicKey('old@example.com') } }), 201);
    expectStatus(await call(server, 'POST', '/projects/acme/trust-keys', { as: alice, body: { name: 'release', key: release.publicKey.export({ type: 'spki', format: 'pem' }).toString() } }), 201);

    browser = await launch();
    page = await browser.newPage();
    await signIn(alice);
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    gpg?.close();
  });

  const url = (path: string) => `${server.url}${path}`;
  const signIn = (creds: Creds) => signInAs(browser, page, url(''), creds);
  const row = (tag: string) => page.locator(`.tag[data-tag="${tag}"]`);
  const trustOf = (tag: string) => row(tag).locator('.tag-trust');
  const openTags = async () => {
    await page.goto(url(`/r/${REPO}/-/tags?view=cards&sort=name`));
    await trustOf('1.0').and(page.locator('[data-trust="signed"]')).waitFor();
  };
  const verdict = async (reference: string) => expectStatus(await call(server, 'GET', `${API_REPO}/trust/${encodeURIComponent(reference)}`, { as: alice }), 200).body;

  it('the tags view: one summaries request per page, Signed with the signers, Unverified, nothing unsigned while trust is off', async () => {
    const asked: string[] = [];
    const listen = (r: { url(): string }) => { if (r.url().includes('/trust-summaries')) asked.push(r.url()); };
    page.on('request', listen);
    await openTags();
    page.off('request', listen);
    assert.equal(asked.length, 1, `one summaries request for the page: ${asked.join(' ')}`);
    const sent = new URL(asked[0]!).searchParams.get('digests')!.split(',').sort();
    assert.deepEqual(sent, Object.values(digests).sort(), 'every image of the page, and not the .sig tag');

    const signed: string[] = (await verdict('1.0')).signers;
    assert.deepEqual([...signed].sort(), ['ci', 'release']);
    assert.equal(await trustOf('1.0').locator('.trust-signed').textContent(), `Signed · ${signed.join(', ')}`);
    assert.equal(await trustOf('1.0').getByRole('link').getAttribute('aria-label'), `1.0: signed by ${signed.join(', ')}; open the signature details`);
    // The badge names the reason, from the summaries (the codes the verdict API gives).
    const expected: Record<string, string> = { forged: 'Unverified · Wrong key', moved: 'Unverified · Digest mismatch', stale: 'Unverified · Expired certificate' };
    for (const tag of ['forged', 'moved', 'stale']) {
      assert.equal(await trustOf(tag).getAttribute('data-trust'), 'unverified', tag);
      assert.equal(await trustOf(tag).locator('.trust-unverified').textContent(), expected[tag], tag);
    }
    // Trust is off (the default): an unsigned tag says nothing.
    assert.equal(expectStatus(await call(server, 'GET', '/projects/acme/trust-policy', { as: alice }), 200).body.mode, 'off');
    await row('plain').waitFor();
    assert.equal(await trustOf('plain').count(), 0, 'no signature fact for an unsigned tag while trust is off');
    // cosign's signature tag is marked as one, links to its subject, and has no badge of its own.
    const sig = row(sigTag);
    assert.equal(await sig.locator('.tag-trust').count(), 0);
    assert.equal(await sig.locator('.chip-link').textContent(), `cosign signature of ${digests['1.0']!.slice(0, 19)}`);
    await screenshot(page, 'trust-tags');

    // In audit mode an unsigned tag is marked, quietly.
    expectStatus(await call(server, 'PATCH', '/projects/acme/trust-policy', { as: alice, body: { mode: 'audit' } }), 200);
    await openTags();
    await trustOf('plain').waitFor();
    assert.equal(await trustOf('plain').getAttribute('data-trust'), 'unsigned');
    assert.equal(await trustOf('plain').locator('.trust-unsigned').textContent(), 'Unsigned');
    assert.equal(await trustOf('plain').locator('.trust-unsigned-enforced').count(), 0, 'not the enforcement style');
    assert.equal(await page.getByTestId('trust-enforced').count(), 0);
  });

  it('an unverified tag shows why: wrong key, digest mismatch, expired certificate, each with its message', async () => {
    await openTags();
    const expected = { forged: ['wrong-key', 'Wrong key'], moved: ['digest-mismatch', 'Digest mismatch'], stale: ['expired-certificate', 'Expired certificate'] } as const;
    for (const [tag, [code, label]] of Object.entries(expected)) {
      const api = await verdict(tag);
      assert.equal(api.signatures.length, 1, tag);
      assert.equal(api.signatures[0].problem.code, code, `${tag}: ${JSON.stringify(api.signatures[0].problem)}`);
      const toggle = trustOf(tag).getByRole('button');
      // Hovering shows the problems as the summary words them.
      assert.equal(await toggle.getAttribute('title'), api.problems.join('\n'));
      assert.equal(await toggle.getAttribute('aria-expanded'), 'false');
      await toggle.click();
      assert.equal(await toggle.getAttribute('aria-expanded'), 'true');
      const panel = row(tag).getByRole('region', { name: `Why the signatures of ${tag} do not verify` });
      const item = panel.locator(`li[data-code="${code}"]`);
      await item.waitFor();
      assert.equal(await item.locator('.trust-reason').textContent(), label);
      assert.equal(await item.locator('.trust-problem-format').textContent(), 'GPG simple signing');
      assert.equal(await item.locator('.trust-problem-message').textContent(), api.signatures[0].problem.message);
    }
    assert.match((await row('forged').locator('.trust-problem-message').textContent())!, /none of the trusted keys/);
    assert.match((await row('moved').locator('.trust-problem-message').textContent())!, /is for another image/);
    assert.match((await row('stale').locator('.trust-problem-message').textContent())!, /has expired/);
    await screenshot(page, 'trust-tags-why');
    // A second click hides the panel again.
    await trustOf('forged').getByRole('button').click();
    assert.equal(await row('forged').getByRole('region').count(), 0);
    // The panel links to the signature page.
    await row('moved').getByRole('link', { name: 'All signature details' }).click();
    await page.waitForURL(/\/r\/acme\/app\/-\/signatures\/moved$/);
    await page.getByRole('heading', { name: 'Signatures of acme/app:moved' }).waitFor();
  });

  it('the signature page lists every signature: format, where, verified or not, signer, the problem', async () => {
    await openTags();
    await trustOf('1.0').getByRole('link').click();
    await page.waitForURL(/\/r\/acme\/app\/-\/signatures\/1\.0$/);
    await page.getByRole('heading', { name: 'Signatures of acme/app:1.0' }).waitFor();
    assert.equal(await page.title(), 'Signatures of acme/app:1.0 · Berth');
    const api = await verdict('1.0');
    const cards = page.locator('.signature-card');
    await cards.first().waitFor();
    assert.equal(await cards.count(), api.signatures.length);
    assert.equal(api.signatures.length, 2);
    for (let i = 0; i < api.signatures.length; i++) {
      const s = api.signatures[i];
      const card = cards.nth(i);
      assert.equal(await card.getAttribute('data-format'), s.format);
      assert.equal(await card.getAttribute('data-ok'), 'true');
      assert.equal(await card.locator('.trust-reason').textContent(), 'Verified');
      assert.equal(await card.getByTestId('signature-signer').textContent(), s.signer);
    }
    const cosign = page.locator('.signature-card[data-format="cosign"]');
    assert.equal(await cosign.locator('h3').textContent(), 'cosign');
    assert.match((await cosign.textContent())!, /Wherecosign \.sig tag sha256:[0-9a-f]{12}/);
    assert.equal(await cosign.getByTestId('signature-signer').textContent(), 'release');
    const gpgCard = page.locator('.signature-card[data-format="gpg"]');
    assert.equal(await gpgCard.locator('h3').textContent(), 'GPG simple signing');
    assert.match((await gpgCard.textContent())!, /WhereSignature extension [0-9a-f]{32}/);
    assert.match((await gpgCard.textContent())!, /IdentityCI Signer <ci@example\.com>/);
    assert.match((await gpgCard.textContent())!, new RegExp(`Signed reference${server.host.replace(/\./g, '\\.')}/acme/app:1\\.0`));
    assert.equal(await page.getByTestId('trust-verdict').textContent(), `Signed · ${api.signers.join(', ')}`);
    assert.match((await page.getByTestId('trust-mode').textContent())!, /audits signatures/);
    await screenshot(page, 'trust-signatures');

    // An unverified image: its signature with the reason and the server's message.
    await page.goto(url(`/r/${REPO}/-/signatures/forged`));
    const bad = page.locator('.signature-card');
    await bad.first().waitFor();
    assert.equal(await bad.count(), 1);
    assert.equal(await bad.getAttribute('data-ok'), 'false');
    assert.equal(await bad.locator('.trust-reason').textContent(), 'Wrong key');
    assert.equal(await bad.getByTestId('signature-problem').textContent(), (await verdict('forged')).signatures[0].problem.message);
    assert.equal(await bad.getByTestId('signature-signer').textContent(), 'no trusted signer');
    assert.equal(await page.getByTestId('trust-verdict').textContent(), 'Unverified');
    // An unsigned one, by digest too.
    await page.goto(url(`/r/${REPO}/-/signatures/${encodeURIComponent(digests.plain!)}`));
    await page.getByRole('heading', { name: `Signatures of acme/app@${digests.plain}` }).waitFor();
    await page.getByText('No signatures.').waitFor();
    assert.equal(await page.getByTestId('trust-verdict').textContent(), 'Unsigned');
    // The .sig tag's chip opens its subject's signatures.
    await openTags();
    await row(sigTag).locator('.chip-link').click();
    await page.getByRole('heading', { name: `Signatures of acme/app@${digests['1.0']}` }).waitFor();
    await page.locator('.signature-card').nth(1).waitFor();
  });

  it('the owner edits the trust policy in the settings; the API has it; signers are added and removed; refusals are shown', async () => {
    await page.goto(url('/projects/acme/settings'));
    const form = page.getByRole('form', { name: 'Signatures and trust' });
    await form.waitFor();
    assert.equal(await form.getByLabel('Audit').isChecked(), true);
    // The signers, with their fingerprints as the API has them.
    const signers = page.getByRole('region', { name: 'Trusted signers' });
    const api = expectStatus(await call(server, 'GET', '/projects/acme/trust-keys', { as: alice }), 200).body.signers;
    assert.deepEqual(await signers.locator('.signer').evaluateAll((els) => els.map((e) => e.getAttribute('data-signer'))), api.map((s: { name: string }) => s.name));
    for (const s of api) {
      assert.equal(await signers.locator(`.signer[data-signer="${s.name}"] .fingerprint`).textContent(), s.fingerprint);
    }
    assert.match((await signers.locator('.signer[data-signer="ci"]').textContent())!, /OpenPGP key.*Added .* by alice/);
    assert.match((await signers.locator('.signer[data-signer="release"]').textContent())!, /Public key \(cosign\)/);

    // Enforce, with exempt accounts: saved, and still there after a reload.
    await form.getByLabel('Enforce').check();
    await form.getByLabel('Accounts never refused').fill('replicator robot$acme+scanner');
    await form.getByRole('button', { name: 'Save trust policy' }).click();
    await form.getByText('Saved.').waitFor();
    const saved = expectStatus(await call(server, 'GET', '/projects/acme/trust-policy', { as: alice }), 200).body;
    assert.equal(saved.mode, 'enforce');
    assert.deepEqual(saved.exempt, ['replicator', 'robot$acme+scanner']);
    await page.reload();
    await form.waitFor();
    assert.equal(await form.getByLabel('Enforce').isChecked(), true);
    assert.equal(await form.getByLabel('Accounts never refused').inputValue(), 'replicator robot$acme+scanner');
    await screenshot(page, 'trust-settings');

    // A key the server refuses: its message is shown and nothing is added.
    const add = page.getByRole('form', { name: 'Add a trusted signer' });
    await add.getByLabel('Signer name').fill('oops');
    await add.getByLabel('Kind').selectOption('pgp');
    await add.getByLabel('Public key').fill('-----BEGIN PGP PRIVATE KEY BLOCK-----\nnot for sharing\n-----END PGP PRIVATE KEY BLOCK-----');
    await add.getByRole('button', { name: 'Add signer' }).click();
    assert.match((await add.getByRole('alert').textContent())!, /this is a private key, which must stay secret/);
    assert.ok(!expectStatus(await call(server, 'GET', '/projects/acme/trust-keys', { as: alice }), 200).body.signers.some((s: { name: string }) => s.name === 'oops'));

    // Trusting mallory's key: added with its fingerprint; the forged tag becomes signed.
    await add.getByLabel('Signer name').fill('mallory');
    await add.getByLabel('Kind').selectOption('');
    await add.getByLabel('Public key').fill(gpg.publicKey('mallory@example.com'));
    await add.getByRole('button', { name: 'Add signer' }).click();
    await add.getByRole('status').waitFor();
    await signers.locator('.signer[data-signer="mallory"]').waitFor();
    const mallory = expectStatus(await call(server, 'GET', '/projects/acme/trust-keys', { as: alice }), 200).body.signers.find((s: { name: string }) => s.name === 'mallory');
    assert.equal(mallory.kind, 'pgp');
    assert.equal(await signers.locator('.signer[data-signer="mallory"] .fingerprint').textContent(), mallory.fingerprint);
    assert.equal(await add.getByLabel('Signer name').inputValue(), '', 'the form is cleared');
    await openTags();
    await trustOf('forged').locator('.trust-signed').waitFor();
    assert.equal(await trustOf('forged').locator('.trust-signed').textContent(), 'Signed · mallory');

    // Enforcement in the tags view: the unsigned tag stands out, and the page says why.
    assert.equal(await trustOf('plain').locator('.trust-unsigned-enforced').textContent(), 'Unsigned');
    assert.match((await trustOf('plain').getByRole('link').getAttribute('aria-label'))!, /pulls are refused/);
    assert.match((await page.getByTestId('trust-enforced').textContent())!, /Signatures are enforced/);
    await screenshot(page, 'trust-tags-enforced');

    // Removing mallory (after confirming): gone from the API, and forged is unverified again.
    await page.goto(url('/projects/acme/settings'));
    await signers.getByRole('button', { name: 'Remove signer mallory' }).click();
    await page.getByRole('dialog', { name: 'Stop trusting mallory?' }).getByRole('button', { name: 'Remove signer' }).click();
    await waitFor(async () => !(await call(server, 'GET', '/projects/acme/trust-keys', { as: alice })).body.signers.some((s: { name: string }) => s.name === 'mallory'), 'mallory is removed');
    await signers.locator('.signer[data-signer="mallory"]').waitFor({ state: 'detached' });
    await openTags();
    assert.equal(await trustOf('forged').getAttribute('data-trust'), 'unverified');
  });

  it('a guest reads the trust policy where the settings are, and can change nothing', async () => {
    await signIn(gus);
    await page.goto(url('/projects/acme'));
    // "Policies": the trust policy and the immutability rules (features/immutability).
    await page.getByRole('link', { name: 'Policies' }).click();
    await page.waitForURL(/\/projects\/acme\/settings$/);
    const form = page.getByRole('form', { name: 'Signatures and trust' });
    await form.waitFor();
    assert.equal(await page.getByRole('link', { name: 'Settings' }).count(), 0);
    assert.equal(await page.getByText('General').count(), 0, 'not the project\'s general settings');
    assert.ok(await form.getByText('Only the project\'s owners').isVisible());
    assert.equal(await form.getByLabel('Enforce').isChecked(), true);
    for (const label of ['Off', 'Audit', 'Enforce', 'Accounts never refused']) {
      assert.equal(await form.getByLabel(label).isDisabled(), true, `${label} is read-only`);
    }
    assert.equal(await form.getByLabel('Accounts never refused').inputValue(), 'replicator robot$acme+scanner');
    assert.equal(await page.getByRole('button', { name: /Save|Add signer|Remove/ }).count(), 0, 'no buttons that change anything');
    assert.equal(await page.getByRole('form', { name: 'Add a trusted signer' }).count(), 0);
    const signers = page.getByRole('region', { name: 'Trusted signers' });
    assert.deepEqual((await signers.locator('.signer').evaluateAll((els) => els.map((e) => e.getAttribute('data-signer')))).sort(), ['ci', 'old', 'release']);
    await screenshot(page, 'trust-settings-guest');
    // The API agrees.
    expectStatus(await call(server, 'PATCH', '/projects/acme/trust-policy', { as: gus, body: { mode: 'off' } }), 403);
    expectStatus(await call(server, 'DELETE', '/projects/acme/trust-keys/ci', { as: gus }), 403);
    // The guest sees the badges and the signatures too.
    await openTags();
    assert.equal(await trustOf('forged').getAttribute('data-trust'), 'unverified');
    await page.goto(url(`/r/${REPO}/-/signatures/1.0`));
    await page.locator('.signature-card').nth(1).waitFor();
  });

  it('works at 390 px wide: tags (with a reason open), signatures and settings do not scroll sideways', async () => {
    await signIn(alice);
    const mobile = await browser.newPage({ width: 390, height: 844 });
    try {
      const check = async (what: string) => {
        const width = await mobile.evaluate('document.documentElement.scrollWidth');
        assert.ok(Number(width) <= 390, `${what} is ${width} px wide at a 390 px viewport`);
      };
      await mobile.goto(url(`/r/${REPO}/-/tags?view=cards&sort=name`));
      await mobile.locator('.tag[data-tag="1.0"] .trust-signed').waitFor();
      await mobile.locator('.tag[data-tag="moved"] .tag-trust').getByRole('button').click();
      await mobile.locator('.tag[data-tag="moved"] li[data-code="digest-mismatch"]').waitFor();
      await check('the tags view');
      await screenshot(mobile, 'mobile-trust-tags');
      for (const path of [`/r/${REPO}/-/signatures/1.0`, `/r/${REPO}/-/signatures/stale`, `/r/${REPO}/-/signatures/${encodeURIComponent(sigTag)}`]) {
        await mobile.goto(url(path));
        await mobile.locator('main .signature-card, main .empty').first().waitFor();
        await check(path);
      }
      await mobile.goto(url('/projects/acme/settings'));
      await mobile.getByRole('form', { name: 'Add a trusted signer' }).waitFor();
      await mobile.locator('.signer[data-signer="ci"]').waitFor();
      await check('the settings');
      await screenshot(mobile, 'mobile-trust-settings');
    } finally {
      await mobile.close();
    }
  });

  it('raised no page errors and no Content-Security-Policy violations', () => {
    assert.deepEqual(browser.problems, []);
  });
});

async function waitFor(check: () => Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
