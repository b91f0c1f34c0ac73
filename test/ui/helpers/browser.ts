// Debian's chromium driven by playwright-core, headless, with a fresh profile in a temp folder.
// The flags keep chromium off the network (this machine's network is closed; without them it
// retries Google's hosts at every start) and out of the sandbox (CI runs as root).
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = process.env.BERTH_TEST_CHROMIUM ?? '/usr/bin/chromium';
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

const ROOT = resolve(import.meta.dirname, '..', '..', '..');
export const SCREENSHOTS = join(ROOT, 'test-output', 'ui');
export const WEB_BUILD = join(ROOT, 'dist', 'web', 'index.html');

/** Fails with a message naming what is missing: chromium, or the UI build. */
export function requireBrowserAndBuild(): void {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`chromium is missing: ${CHROMIUM} not found. Install Debian's chromium package (scripts/install-tools.sh does) or set BERTH_TEST_CHROMIUM.`);
  }
  if (!existsSync(WEB_BUILD)) {
    throw new Error(`the web UI is not built: ${WEB_BUILD} not found. Run \`npm run build:web\` (npm test -- ui builds it first).`);
  }
}

export interface Browser {
  readonly context: BrowserContext;
  /** Page errors and Content-Security-Policy violations seen on any page so far. */
  readonly problems: string[];
  newPage(viewport?: { width: number; height: number }): Promise<Page>;
  close(): Promise<void>;
}

export async function launch(): Promise<Browser> {
  requireBrowserAndBuild();
  const profile = await mkdtemp(join(tmpdir(), 'berth-ui-profile-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_FLAGS,
    viewport: { width: 1280, height: 860 },
    deviceScaleFactor: 1,
    locale: 'en-US',
    timezoneId: 'UTC',
    timeout: 60_000,
  });
  context.setDefaultTimeout(15_000);
  const problems: string[] = [];
  return {
    context,
    problems,
    async newPage(viewport) {
      const page = await context.newPage();
      if (viewport) await page.setViewportSize(viewport);
      page.on('pageerror', (e) => {
        problems.push(`page error on ${page.url()}: ${e.message}`);
        console.error(`[browser] page error: ${e.message}`);
      });
      page.on('console', (m) => {
        if (/Content.Security.Policy|Refused to (load|execute|apply)/i.test(m.text())) problems.push(`CSP on ${page.url()}: ${m.text()}`);
      });
      return page;
    },
    async close() {
      await context.close().catch(() => undefined);
      await rm(profile, { recursive: true, force: true });
    },
  };
}

export async function screenshot(page: Page, name: string, fullPage = true): Promise<string> {
  await mkdir(SCREENSHOTS, { recursive: true });
  const file = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage });
  return file;
}

/** Signs in through the sign-in page as a fresh session (cookies of the last one cleared). */
export async function signInAs(browser: Browser, page: Page, baseUrl: string, [user, password]: readonly [string, string]): Promise<void> {
  await browser.context.clearCookies();
  await page.goto(`${baseUrl}/signin`);
  await page.getByLabel('User name').fill(user);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByRole('button', { name: `Account: ${user}` }).waitFor();
}
