/**
 * A real browser for the web console's tests (SPEC §16): Debian's Chromium
 * (`/usr/bin/chromium`, which `.ci/run` installs when missing) driven by
 * playwright-core. The tests never skip: without the browser they fail, saying
 * where it was looked for.
 *
 * Also here: the console as a tenant meets it (open the page, enter the key),
 * what the page did that it must not (a page error, a Content-Security-Policy
 * violation), screenshots as git-ignored artefacts under `test-artifacts/console/`,
 * and waiting on what the page shows with a deadline (playwright-core has no
 * auto-retrying `expect`; its locators wait for elements, not for their text).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { waitFor } from './wait-for';

/** Where Debian's package puts Chromium; `CHROMIUM_PATH` names another build. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** The two sizes the console must be usable at (issue 14). */
export const CONSOLE_VIEWPORTS = {
  desktop: { width: 1280, height: 800 },
  phone: { width: 390, height: 844 },
} as const;
export type ConsoleViewport = (typeof CONSOLE_VIEWPORTS)[keyof typeof CONSOLE_VIEWPORTS];

/** Git-ignored (`.gitignore`): each run's screenshots, for a person to look at. */
export const CONSOLE_ARTIFACTS_DIR = join(__dirname, '..', '..', 'test-artifacts', 'console');

/** How long a test waits for the page to show something (the page refreshes every 3 s). */
export const PAGE_DEADLINE_MS = 10_000;

/** Starts headless Chromium; one per test file (beforeAll), closed in afterAll. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `No Chromium at ${CHROMIUM_PATH}: the console's browser tests need it and never skip. ` +
        'Install it with `apt-get install chromium` (.ci/run does) or set CHROMIUM_PATH to a Chromium build.',
    );
  }
  // --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start.
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
}

/**
 * The few browser globals the functions run in the page read (`page.evaluate`,
 * init scripts). The tests compile as Node code, without the DOM's types, so an
 * in-page function says `const { document } = globalThis as unknown as PageGlobals`
 * (inside the function: only its source goes to the page).
 */
export interface PageGlobals {
  readonly document: {
    readonly body: { readonly scrollWidth: number };
    readonly documentElement: { readonly scrollWidth: number; readonly clientWidth: number };
    readonly activeElement: PageElement | null;
    readonly cookie: string;
    querySelectorAll(selectors: string): { readonly length: number };
    addEventListener(type: 'securitypolicyviolation', listener: (event: { violatedDirective: string; blockedURI: string; sample: string }) => void): void;
  };
  readonly location: { hash: string; readonly href: string };
  readonly sessionStorage: PageStorage;
  readonly localStorage: PageStorage;
  /** What a successful injection in a payload would set (the console's tests plant it). */
  readonly __pwned?: unknown;
  readonly __reportCspViolation: (violation: CspViolation) => Promise<void>;
}

export interface PageElement {
  readonly textContent: string | null;
  getAttribute(name: string): string | null;
  blur(): void;
}

export interface PageStorage {
  readonly length: number;
  key(index: number): string | null;
  getItem(key: string): string | null;
}

/** A Content-Security-Policy violation the page reported (its `securitypolicyviolation` event). */
export interface CspViolation {
  readonly directive: string;
  readonly blockedUri: string;
  readonly sample: string;
}

/** One browser context (its own sessionStorage) on the console, and what went wrong in it. */
export interface ConsoleSession {
  readonly context: BrowserContext;
  readonly page: Page;
  /** Uncaught exceptions in the page. */
  readonly pageErrors: string[];
  /** Every CSP violation, by event and by the console's "Refused to …" lines. */
  readonly cspViolations: CspViolation[];
  /** Every `console.error` line (failed requests included: a 403 or a 409 logs one). */
  readonly consoleErrors: string[];
  /** Every URL the page navigated its main frame to. */
  readonly visitedUrls: string[];
  close(): Promise<void>;
}

export interface OpenConsoleOptions {
  /** @default CONSOLE_VIEWPORTS.desktop */
  readonly viewport?: ConsoleViewport;
  /** Path under the twin's base URL. @default '/console' */
  readonly path?: string;
}

/** Opens `${baseUrl}/console` in a fresh context and waits for the page's script to show something. */
export async function openConsole(browser: Browser, baseUrl: string, options: OpenConsoleOptions = {}): Promise<ConsoleSession> {
  const context = await browser.newContext({ viewport: options.viewport ?? CONSOLE_VIEWPORTS.desktop });
  const page = await context.newPage();
  const pageErrors: string[] = [];
  const cspViolations: CspViolation[] = [];
  const consoleErrors: string[] = [];
  const visitedUrls: string[] = [];
  // A binding, not a page global: the page's own code cannot see or fake it, and CSP does not apply to it.
  await context.exposeBinding('__reportCspViolation', (_source, violation: CspViolation) => {
    cspViolations.push(violation);
  });
  await context.addInitScript(() => {
    const page = globalThis as unknown as PageGlobals;
    page.document.addEventListener('securitypolicyviolation', (event) => {
      void page.__reportCspViolation({ directive: event.violatedDirective, blockedUri: event.blockedURI, sample: event.sample });
    });
  });
  page.on('pageerror', (error) => pageErrors.push(error.message));
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    consoleErrors.push(message.text());
    if (/Content Security Policy/i.test(message.text())) cspViolations.push({ directive: 'console', blockedUri: '', sample: message.text() });
  });
  page.on('framenavigated', (frame) => {
    if (frame === page.mainFrame()) visitedUrls.push(frame.url());
  });
  await page.goto(`${baseUrl}${options.path ?? '/console'}`);
  return { context, page, pageErrors, cspViolations, consoleErrors, visitedUrls, close: () => context.close() };
}

/** The key prompt's parts (DOM contract: a labelled password input and "Open console"). */
export function keyPrompt(page: Page): { input: Locator; open: Locator } {
  return { input: page.getByLabel('API key'), open: page.getByRole('button', { name: 'Open console' }) };
}

/** Enters `apiKey` at the prompt and waits until the console lets the tenant in ("Forget key" shows). */
export async function enterKey(page: Page, apiKey: string): Promise<void> {
  const prompt = keyPrompt(page);
  await prompt.input.fill(apiKey);
  await prompt.open.click();
  await page.getByRole('button', { name: 'Forget key' }).waitFor({ state: 'visible', timeout: PAGE_DEADLINE_MS });
}

/** The page with its hash set to `hash` (`#/jobs/<id>`), as a shared link would open it. */
export async function goToHash(page: Page, hash: string): Promise<void> {
  await page.evaluate((h) => {
    (globalThis as unknown as PageGlobals).location.hash = h;
  }, hash);
}

/**
 * Waits until `read()` gives a value `accept` takes (the page refreshes on its
 * own; nothing here sleeps a fixed time); returns that value. The description
 * and the last value seen are in the error when the deadline passes.
 */
export async function untilShown<T>(
  read: () => Promise<T>,
  accept: (value: T) => boolean,
  description: string,
  timeoutMs = PAGE_DEADLINE_MS,
): Promise<T> {
  let last: T | undefined;
  try {
    return await waitFor(
      async () => {
        last = await read();
        return accept(last) ? { value: last } : undefined;
      },
      { timeoutMs, intervalMs: 50, description },
    ).then((found) => found.value);
  } catch (error) {
    throw new Error(`${(error as Error).message}; last seen: ${JSON.stringify(last)}`, { cause: error });
  }
}

/** The trimmed text of the first element `locator` matches, once it exists (empty when none yet). */
export async function textOf(locator: Locator): Promise<string> {
  if ((await locator.count()) === 0) return '';
  return ((await locator.first().textContent()) ?? '').trim();
}

/** Waits until the element's trimmed text equals `expected` (or matches it); returns the text. */
export function untilText(locator: Locator, expected: string | RegExp, timeoutMs = PAGE_DEADLINE_MS): Promise<string> {
  const accept = (text: string) => (typeof expected === 'string' ? text === expected : expected.test(text));
  return untilShown(() => textOf(locator), accept, `${String(locator)} showing ${String(expected)}`, timeoutMs);
}

/** Waits until the element's attribute `name` equals `expected`. */
export async function untilAttribute(locator: Locator, name: string, expected: string, timeoutMs = PAGE_DEADLINE_MS): Promise<void> {
  await untilShown(
    async () => ((await locator.count()) === 0 ? null : locator.first().getAttribute(name)),
    (value) => value === expected,
    `${String(locator)} with ${name}="${expected}"`,
    timeoutMs,
  );
}

/** Saves the page as `test-artifacts/console/<view>-<width>x<height>.png`; returns the path. */
export async function saveScreenshot(page: Page, view: string): Promise<string> {
  const size = page.viewportSize();
  const path = join(CONSOLE_ARTIFACTS_DIR, `${view}-${size ? `${size.width}x${size.height}` : 'page'}.png`);
  mkdirSync(CONSOLE_ARTIFACTS_DIR, { recursive: true });
  await page.screenshot({ path });
  return path;
}

/** How far the body is wider than the viewport, in CSS pixels (0: no horizontal scroll). */
export function horizontalOverflow(page: Page): Promise<number> {
  return page.evaluate(() => {
    const { document } = globalThis as unknown as PageGlobals;
    return Math.max(document.body.scrollWidth, document.documentElement.scrollWidth) - document.documentElement.clientWidth;
  });
}
