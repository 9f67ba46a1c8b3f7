/**
 * A real headless Chromium for tests and screenshots: Debian's `chromium` driven by
 * playwright-core. `.ci/run` installs the package when it is missing.
 */
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';

/** Where Debian puts the browser; `CHROMIUM` overrides it. */
export const CHROMIUM_PATH = process.env.CHROMIUM ?? '/usr/bin/chromium';

/** Screenshots for a person to look at: `tests/screenshots/` (ignored by git). */
export const SCREENSHOTS = join(import.meta.dirname, '..', 'screenshots');

export interface TestBrowser {
  browser: Browser;
  close(): Promise<void>;
}

/**
 * Starts Chromium headless (playwright gives it a fresh temporary profile). The
 * background-networking flags keep it from calling out: on a closed network those calls only fail.
 */
export async function startBrowser(): Promise<TestBrowser> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return {
    browser,
    async close() {
      await browser.close();
    },
  };
}
