// The image page (issue 17, section 1) in chromium: from the Tags tab, a multi-arch tag's digest
// opens its index page, which lists each platform with its own link and shows, per platform, the
// layers with the history command that made each one (empty steps marked) and the config, from a
// fixture whose history is known. A platform's digest opens that image's own page. Contrast holds
// in light and dark, and nothing overflows at 390 px. Screenshots: test-output/ui/image-*.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { startBerth, type BerthProcess } from '../helpers/berth-process.ts';
import { launch, screenshot, signInAs, type Browser } from './helpers/browser.ts';
import { contrastProblems } from './helpers/contrast.ts';
import { Seeder } from './helpers/seed.ts';

const ADMIN_PASSWORD = 'ui-Image-pa55word';
const HISTORY = (arch: string) => [
  { created: '2026-01-02T03:04:05Z', created_by: `/bin/sh -c #(nop) ADD file:rootfs-${arch} in / ` },
  { created: '2026-01-02T03:04:06Z', created_by: '/bin/sh -c #(nop)  ENV NGINX_VERSION=1.27.0', empty_layer: true },
  { created: '2026-01-02T03:04:07Z', created_by: `RUN /bin/sh -c apk add --no-cache nginx-${arch} # buildkit`, comment: 'buildkit.dockerfile.v0' },
  { created: '2026-01-02T03:04:08Z', created_by: 'EXPOSE map[80/tcp:{}]', empty_layer: true },
  { created: '2026-01-02T03:04:09Z', created_by: `COPY docker-entrypoint-${arch}.sh / # buildkit`, comment: 'buildkit.dockerfile.v0' },
];
const CONFIG = {
  Entrypoint: ['/docker-entrypoint.sh'], Cmd: ['nginx', '-g', 'daemon off;'], Env: ['PATH=/usr/local/sbin:/usr/bin', 'NGINX_VERSION=1.27.0'],
  WorkingDir: '/usr/share/nginx', User: 'nginx', ExposedPorts: { '80/tcp': {} }, Labels: { 'org.opencontainers.image.source': 'https://example.test/nginx' },
};

describe('the image page in chromium', { timeout: 600_000 }, () => {
  let server: BerthProcess;
  let browser: Browser;
  let page: Page;
  let index: Awaited<ReturnType<Seeder['index']>>;
  const url = (path: string) => `${server.url}${path}`;

  before(async () => {
    server = await startBerth({ auth: 'builtin', env: { BERTH_ADMIN_PASSWORD: ADMIN_PASSWORD } });
    const seed = new Seeder(server.url, ['admin', ADMIN_PASSWORD]);
    index = await seed.index('library/nginx', 'latest', [{ os: 'linux', architecture: 'amd64' }, { os: 'linux', architecture: 'arm64', variant: 'v8' }],
      (p) => ({ layers: 3, layerSize: 3000 + (p.architecture === 'amd64' ? 1000 : 0), config: CONFIG, history: HISTORY(p.architecture) }));
    await new Promise((r) => setTimeout(r, 1200)); // the audit log is written in batches
    browser = await launch();
    page = await browser.newPage();
    await signInAs(browser, page, server.url, ['admin', ADMIN_PASSWORD]);
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  const layersOf = (platform: string) => page.locator(`.image-platform[data-platform="${platform}"] .layer`).evaluateAll((els) => els.map((e) => ({
    command: e.querySelector('.layer-command')?.textContent ?? '',
    empty: e.getAttribute('data-empty') === 'true',
    size: e.querySelector('.layer-size')?.textContent ?? '',
  })));

  it('opens from the tag\'s digest and shows each platform\'s layers and history', async () => {
    await page.goto(url('/r/library/nginx/-/tags?view=cards'));
    await page.getByRole('link', { name: /^Image sha256:[0-9a-f]{12} of latest$/ }).click();
    await page.waitForURL(new RegExp(`/r/library/nginx/-/images/${index.digest}$`));
    await page.getByRole('heading', { name: /Image index/ }).waitFor();
    // Each platform with its own link and size.
    const rows = await page.locator('table[aria-label="Platforms"] tbody tr').evaluateAll((trs) => trs.map((tr) => [tr.getAttribute('data-platform'), tr.querySelector('a')?.getAttribute('href')]));
    assert.deepEqual(rows, index.children.map((c) => [c.platform, `/r/library/nginx/-/images/${c.digest}`]));
    assert.equal(await page.locator('.command code').first().textContent(), `docker pull ${new URL(server.url).host}/library/nginx@${index.digest}`);
    assert.match(await page.locator('.image-summary').textContent() ?? '', /Pushed byadmin/);
    assert.deepEqual(await page.getByRole('list', { name: 'Tags on this digest' }).locator('a').allTextContents(), ['latest']);

    const expect = (arch: string) => [
      { command: `ADD file:rootfs-${arch} in /`, empty: false },
      { command: 'ENV NGINX_VERSION=1.27.0', empty: true },
      { command: `RUN /bin/sh -c apk add --no-cache nginx-${arch} # buildkit`, empty: false },
      { command: 'EXPOSE map[80/tcp:{}]', empty: true },
      { command: `COPY docker-entrypoint-${arch}.sh / # buildkit`, empty: false },
    ];
    const amd = await layersOf('linux/amd64');
    assert.deepEqual(amd.map(({ command, empty }) => ({ command, empty })), expect('amd64'));
    assert.deepEqual(amd.map((l) => l.size), ['4.00 kB', 'empty layer', '4.00 kB', 'empty layer', '4.00 kB']);
    const config = await page.locator('.image-platform .config-list').textContent();
    for (const part of ['["/docker-entrypoint.sh"]', '["nginx","-g","daemon off;"]', '/usr/share/nginx', 'nginx', '80/tcp', 'NGINX_VERSION=1.27.0', 'org.opencontainers.image.source=https://example.test/nginx']) {
      assert.ok(config?.includes(part), `config shows ${part}: ${config}`);
    }
    await screenshot(page, 'image-index-1280');

    await page.getByRole('button', { name: 'linux/arm64/v8' }).click();
    await page.waitForURL(/platform=linux%2Farm64%2Fv8|platform=linux\/arm64\/v8/);
    const arm = await layersOf('linux/arm64/v8');
    assert.deepEqual(arm.map(({ command, empty }) => ({ command, empty })), expect('arm64'));
    assert.deepEqual(arm.map((l) => l.size), ['3.00 kB', 'empty layer', '3.00 kB', 'empty layer', '3.00 kB']);
    assert.equal(await page.locator('.image-platform[data-platform="linux/amd64"]').count(), 0);
  });

  it('a platform digest opens that image\'s own page, from the index page and from the Tags tab', async () => {
    const arm = index.children[1]!;
    await page.goto(url(`/r/library/nginx/-/images/${index.digest}`));
    await page.locator(`table[aria-label="Platforms"] a[href$="${arm.digest}"]`).click();
    await page.waitForURL(new RegExp(`/images/${arm.digest}$`));
    await page.getByRole('heading', { name: /^Image sha256:/ }).waitFor();
    assert.equal((await layersOf('linux/arm64/v8')).length, 5);
    assert.match(await page.locator('.image-summary').textContent() ?? '', /No tag points at this digest/);

    await page.goto(url('/r/library/nginx/-/tags?view=cards'));
    await page.getByRole('link', { name: /of latest for linux\/amd64$/ }).click();
    await page.waitForURL(new RegExp(`/images/${index.children[0]!.digest}$`));
    assert.equal((await layersOf('linux/amd64')).length, 5);
  });

  for (const scheme of ['light', 'dark'] as const) {
    it(`reads well at 1280 and 390 px (${scheme}): contrast, no overflow`, async () => {
      await page.emulateMedia({ colorScheme: scheme });
      for (const width of [1280, 390]) {
        await page.setViewportSize({ width, height: width === 390 ? 844 : 860 });
        await page.goto(url(`/r/library/nginx/-/images/${index.digest}`));
        await page.locator('.image-platform .layer').first().waitFor();
        const { checked, problems } = await contrastProblems(page);
        assert.ok(checked > 50, `measured ${checked}`);
        assert.deepEqual(problems, []);
        const wide = await page.evaluate('document.documentElement.scrollWidth') as number;
        assert.ok(wide <= width, `the page is ${wide}px wide at ${width}px`);
        await screenshot(page, `image-index-${scheme}-${width}`);
      }
      await page.setViewportSize({ width: 1280, height: 860 });
      await page.emulateMedia({ colorScheme: 'light' });
    });
  }

  it('left no page errors or CSP violations', () => {
    assert.deepEqual(browser.problems, []);
  });
});
