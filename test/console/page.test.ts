/**
 * The web console's page in a real browser (SPEC §16, issue 14): what `GET /console`
 * serves and under which headers, the API-key prompt, and every view at both
 * sizes the console must be usable at, with a screenshot of each under
 * `test-artifacts/console/` and the keyboard path through the status tabs.
 */
import type { Browser, Page } from 'playwright-core';
import {
  CONSOLE_VIEWPORTS,
  enterKey,
  goToHash,
  horizontalOverflow,
  keyPrompt,
  launchChromium,
  openConsole,
  PAGE_DEADLINE_MS,
  saveScreenshot,
  untilAttribute,
  untilShown,
  type ConsoleSession,
  type ConsoleViewport,
  type PageGlobals,
} from '../support/browser';
import { startReceiver, scriptedByPath, type Receiver } from '../support/receiver';
import { startTestTwin, type JobView, type TestTwin } from '../support/twin';

let t: TestTwin;
let browser: Browser;
let receiver: Receiver;
const scripted = scriptedByPath();
/** The sessions the running test opened: checked and closed after it. */
let sessions: ConsoleSession[] = [];

beforeAll(async () => {
  [t, browser, receiver] = await Promise.all([startTestTwin(), launchChromium(), startReceiver(scripted.responder)]);
});

afterAll(async () => {
  await browser?.close();
  await receiver?.close();
  await t?.close();
});

/** A console session closed with the file; every one must end without a page error or a CSP violation. */
async function open(viewport: ConsoleViewport = CONSOLE_VIEWPORTS.desktop): Promise<ConsoleSession> {
  const session = await openConsole(browser, t.twin.url, { viewport });
  sessions.push(session);
  return session;
}

afterEach(async () => {
  const opened = sessions;
  sessions = [];
  await Promise.all(opened.map((session) => session.close()));
  for (const session of opened) {
    expect({ pageErrors: session.pageErrors, cspViolations: session.cspViolations }).toEqual({ pageErrors: [], cspViolations: [] });
  }
});

/** The CSP header as directive → sources. */
function cspDirectives(header: string | null): Map<string, string[]> {
  const directives = new Map<string, string[]>();
  for (const part of (header ?? '').split(';')) {
    const [name, ...sources] = part.trim().split(/\s+/);
    if (name) directives.set(name.toLowerCase(), sources);
  }
  return directives;
}

describe('GET /console', () => {
  it('serves the page without a key, under a CSP of this origin only, no inline script and no framing', async () => {
    // Act
    const response = await fetch(`${t.twin.url}/console`);
    const html = await response.text();

    // Assert
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    const csp = cspDirectives(response.headers.get('content-security-policy'));
    expect(csp.get('default-src')).toEqual(["'self'"]);
    expect(csp.get('frame-ancestors')).toEqual(["'none'"]);
    const scriptSources = csp.get('script-src') ?? csp.get('default-src') ?? [];
    expect(scriptSources).not.toContain("'unsafe-inline'");
    expect(scriptSources).not.toContain("'unsafe-eval'");
    expect(scriptSources.filter((source) => source !== "'self'")).toEqual([]);
    // Every <script> names its file and holds nothing; no element carries an inline handler.
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attributes, body] of scripts) {
      expect(attributes).toMatch(/\ssrc=/);
      expect(body.trim()).toBe('');
    }
    expect(html).not.toMatch(/<[^>]+\son[a-z]+\s*=/i);
    expect(html).not.toMatch(/javascript:/i);
  });

  it('serves its script, style and config.json without a key, under the same CSP', async () => {
    for (const [path, type] of [
      ['/console/console.js', /^text\/javascript/],
      ['/console/console.css', /^text\/css/],
      ['/console/config.json', /^application\/json/],
    ] as const) {
      const response = await fetch(`${t.twin.url}${path}`);
      expect({ path, status: response.status }).toEqual({ path, status: 200 });
      expect(response.headers.get('content-type')).toMatch(type);
      expect(cspDirectives(response.headers.get('content-security-policy')).get('frame-ancestors')).toEqual(["'none'"]);
    }
    const config = await (await fetch(`${t.twin.url}/console/config.json`)).json();
    expect(config).toEqual({ healthUrl: 'twin/health', dashboardUrl: null });
  });
});

describe('the API key', () => {
  it('is asked for first; a wrong one is refused with an alert and the prompt stays', async () => {
    // Arrange
    const { page } = await open();
    const prompt = keyPrompt(page);
    await prompt.input.waitFor({ state: 'visible', timeout: PAGE_DEADLINE_MS });
    expect(await prompt.input.getAttribute('type')).toBe('password');

    // Act
    await prompt.input.fill('jobs_not-a-key-of-any-tenant');
    await prompt.open.click();

    // Assert
    const alert = page.getByRole('alert');
    await alert.first().waitFor({ state: 'visible', timeout: PAGE_DEADLINE_MS });
    expect((await alert.first().textContent())?.trim()).not.toBe('');
    expect(await prompt.input.isVisible()).toBe(true);
    expect(await page.getByRole('button', { name: 'Forget key' }).count()).toBe(0);
    expect(await storedKeys(page, 'jobs_not-a-key-of-any-tenant')).toEqual([]);
  });

  it('opens the console, lives in sessionStorage only, survives a reload, and "Forget key" clears it', async () => {
    // Arrange
    const session = await open();
    const { page } = session;
    const requests: string[] = [];
    page.on('request', (request) => requests.push(request.url()));

    // Act
    await enterKey(page, t.twin.dev.apiKey);

    // Assert: in, with the key in sessionStorage and nowhere else.
    expect(await storedKeys(page, t.twin.dev.apiKey)).toEqual(['sessionStorage']);
    expect(await page.context().cookies()).toEqual([]);
    await page.reload();
    await page.getByRole('button', { name: 'Forget key' }).waitFor({ state: 'visible', timeout: PAGE_DEADLINE_MS });

    // Act: forget it.
    await page.getByRole('button', { name: 'Forget key' }).click();

    // Assert: back at the prompt, nothing kept.
    await keyPrompt(page).input.waitFor({ state: 'visible', timeout: PAGE_DEADLINE_MS });
    expect(await page.evaluate(() => (globalThis as unknown as PageGlobals).sessionStorage.length)).toBe(0);
    expect(await storedKeys(page, t.twin.dev.apiKey)).toEqual([]);
    // The key never appeared in a URL: not in the address bar, not in any request the page made.
    expect(requests.length).toBeGreaterThan(0);
    for (const url of [...session.visitedUrls, ...requests, page.url()]) expect(url).not.toContain(t.twin.dev.apiKey);
  });
});

/** Which of the page's storages hold `apiKey` in some value. */
function storedKeys(page: Page, apiKey: string): Promise<string[]> {
  return page.evaluate((key) => {
    const { sessionStorage, localStorage, document } = globalThis as unknown as PageGlobals;
    const holding: string[] = [];
    for (const [name, storage] of [
      ['sessionStorage', sessionStorage],
      ['localStorage', localStorage],
    ] as const) {
      for (let i = 0; i < storage.length; i += 1) {
        const value = storage.getItem(storage.key(i) ?? '');
        if (value?.includes(key)) holding.push(name);
      }
    }
    if (document.cookie.includes(key)) holding.push('cookie');
    return holding;
  }, apiKey);
}

describe('every view at 1280×800 and 390×844', () => {
  let showcase: JobView;

  beforeAll(async () => {
    // Jobs worth looking at: succeeded ones of every type, one that took three attempts
    // and told its webhook, one fatal, one waiting.
    scripted.script('/orders', { status: 503 }, { status: 503 }, { status: 200, body: '{"accepted":true}' });
    scripted.script('/down', { status: 503 });
    const [flaky] = await t.api.submitBatch([
      {
        type: 'http',
        payload: { url: `${receiver.url}/orders`, method: 'POST', body: { orderId: 'A-1042', total: 129.9 } },
        webhookUrl: `${receiver.url}/hooks`,
        maxAttempts: 5,
      },
      { type: 'http', payload: { url: `${receiver.url}/down` }, maxAttempts: 2 },
      { type: 'echo', payload: { report: 'daily', rows: 318 } },
      { type: 'echo', payload: { report: 'weekly', rows: 2204 } },
      { type: 'email', payload: { to: 'ann@example.com', subject: 'Your invoice', text: 'Attached.' } },
      { type: 'sms', payload: { to: '+15555550123', message: 'Your code is 4821' } },
      { type: 'echo', payload: { report: 'monthly' }, delaySeconds: 3600 },
    ]);
    showcase = await t.api.waitForJob(flaky.jobId, (job) => job.status === 'succeeded' && job.webhook.status === 'delivered', 20_000);
    await waitForStatusCount('fatal', 1);
    await waitForStatusCount('succeeded', 5);
  });

  async function waitForStatusCount(status: JobView['status'], count: number): Promise<void> {
    await untilShown(() => t.api.listAll(status), (jobs) => jobs.length === count, `${count} ${status} jobs`, 20_000);
  }

  describe.each([
    ['desktop', CONSOLE_VIEWPORTS.desktop],
    ['phone', CONSOLE_VIEWPORTS.phone],
  ])('at %s size', (_name, viewport) => {
    it('renders the key prompt, jobs, a job, the submit form and the health strip without horizontal overflow', async () => {
      const { page } = await open(viewport);

      // The key prompt.
      await keyPrompt(page).input.waitFor({ state: 'visible', timeout: PAGE_DEADLINE_MS });
      await expectFits(page, 'key-prompt');

      // The jobs, on the tab with the most of them.
      await enterKey(page, t.twin.dev.apiKey);
      await goToHash(page, '#/jobs?status=succeeded');
      await untilAttribute(page.getByRole('tab', { name: /^succeeded/ }), 'aria-selected', 'true');
      await untilShown(() => page.locator('tr[data-job-id]').count(), (rows) => rows === 5, 'five succeeded rows');
      await expectFits(page, 'jobs');

      // One job: fields, payload, result, attempts, webhook.
      await page.locator(`a[href="#/jobs/${showcase.jobId}"]`).click();
      await untilShown(() => page.locator('ol[aria-label="Attempts"] li[data-attempt]').count(), (n) => n === 3, 'three attempts');
      await expectFits(page, 'job');

      // The submit form.
      await page.getByRole('link', { name: 'Submit a job' }).click();
      await page.getByLabel('Job type').waitFor({ state: 'visible', timeout: PAGE_DEADLINE_MS });
      await expectFits(page, 'submit');

      // The health strip (shown on every view of the twin's console).
      const health = page.getByRole('region', { name: 'Service health' });
      await health.waitFor({ state: 'visible', timeout: PAGE_DEADLINE_MS });
      await health.scrollIntoViewIfNeeded();
      await expectFits(page, 'health');
    });

    it('lets the keyboard reach the status tabs with Tab and move between them with the arrow keys', async () => {
      // Arrange
      const { page } = await open(viewport);
      await enterKey(page, t.twin.dev.apiKey);
      await goToHash(page, '#/jobs');
      await page.getByRole('tablist').waitFor({ state: 'visible', timeout: PAGE_DEADLINE_MS });
      const statuses = ['queued', 'running', 'retry', 'succeeded', 'fatal', 'canceled'];

      // Act: Tab from the top of the page until a tab has the focus.
      await page.evaluate(() => (globalThis as unknown as PageGlobals).document.activeElement?.blur());
      let focused = '';
      for (let presses = 0; presses < 40 && !focused; presses += 1) {
        await page.keyboard.press('Tab');
        focused = await focusedTab(page);
      }

      // Assert
      expect(statuses).toContain(focused);
      const next = statuses[(statuses.indexOf(focused) + 1) % statuses.length];
      await page.keyboard.press('ArrowRight');
      await untilShown(() => focusedTab(page), (tab) => tab === next, `focus on the ${next} tab after ArrowRight`);
      await page.keyboard.press('ArrowLeft');
      await untilShown(() => focusedTab(page), (tab) => tab === focused, `focus back on the ${focused} tab after ArrowLeft`);
    });
  });
});

/** The status the focused element names when it is a tab (its accessible name starts with it), else ''. */
function focusedTab(page: Page): Promise<string> {
  return page.evaluate(() => {
    const element = (globalThis as unknown as PageGlobals).document.activeElement;
    if (!element || element.getAttribute('role') !== 'tab') return '';
    return (element.textContent ?? '').trim().split(/\s+/)[0] ?? '';
  });
}

/** The page fits its width (no horizontal scroll) and its screenshot is saved as `<view>-<size>.png`. */
async function expectFits(page: Page, view: string): Promise<void> {
  expect({ view, overflowPx: await horizontalOverflow(page) }).toEqual({ view, overflowPx: 0 });
  await saveScreenshot(page, view);
}
