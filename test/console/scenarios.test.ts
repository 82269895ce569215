/**
 * The web console as a tenant uses it, in a real browser against a running twin
 * (SPEC §16, issue 14): a job submitted through the form goes from `queued` to
 * `succeeded` in the lists and shows its attempt; a failing `http` job shows its
 * retries, ends `fatal`, and is retried from the page; a delayed job is canceled
 * from the page; a refused action and a refused submission show the service's
 * problem; tenant data that looks like HTML stays text; and the health strip
 * shows the queue depths the SQS endpoint itself answers.
 */
import { GetQueueAttributesCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import type { Browser, Page } from 'playwright-core';
import {
  enterKey,
  goToHash,
  launchChromium,
  openConsole,
  PAGE_DEADLINE_MS,
  untilAttribute,
  untilShown,
  untilText,
  textOf,
  type ConsoleSession,
  type PageGlobals,
} from '../support/browser';
import { scriptedByPath, startReceiver, type Receiver } from '../support/receiver';
import { startTestTwin, type TestTwin } from '../support/twin';

let t: TestTwin;
let browser: Browser;
let receiver: Receiver;
const scripted = scriptedByPath();
let sessions: ConsoleSession[] = [];

/** How long a job may take to finish on the twin under CI's load (retries back off up to 1 s). */
const JOB_DEADLINE_MS = 20_000;

beforeAll(async () => {
  [t, browser, receiver] = await Promise.all([startTestTwin(), launchChromium(), startReceiver(scripted.responder)]);
});

afterAll(async () => {
  await browser?.close();
  await receiver?.close();
  await t?.close();
});

/** A signed-in console; every session must end without a page error, a CSP violation or a JavaScript dialog. */
async function signedIn(): Promise<Page> {
  const session = await openConsole(browser, t.twin.url);
  sessions.push(session);
  session.page.on('dialog', (dialog) => {
    session.pageErrors.push(`a JavaScript ${dialog.type()} opened: ${dialog.message()}`);
    void dialog.dismiss();
  });
  await enterKey(session.page, t.twin.dev.apiKey);
  return session.page;
}

afterEach(async () => {
  const opened = sessions;
  sessions = [];
  await Promise.all(opened.map((session) => session.close()));
  for (const session of opened) {
    expect({ pageErrors: session.pageErrors, cspViolations: session.cspViolations }).toEqual({ pageErrors: [], cspViolations: [] });
  }
});

const field = (page: Page, name: string) => page.locator(`[data-field="${name}"]`);
const row = (page: Page, jobId: string) => page.locator(`tr[data-job-id="${jobId}"]`);
const attemptItems = (page: Page) => page.locator('ol[aria-label="Attempts"] li[data-attempt]');

/** The job view's status once it shows `status`. */
function untilStatus(page: Page, status: string, timeoutMs = JOB_DEADLINE_MS): Promise<string> {
  return untilText(field(page, 'status'), status, timeoutMs);
}

/** Clicks the job view's action button, then Confirm in the dialog it opens. */
async function confirmAction(page: Page, label: string): Promise<void> {
  await page.getByRole('button', { name: label, exact: true }).click();
  const dialog = page.getByRole('dialog');
  await dialog.waitFor({ state: 'visible', timeout: PAGE_DEADLINE_MS });
  await dialog.getByRole('button', { name: 'Confirm' }).click();
  await dialog.waitFor({ state: 'hidden', timeout: PAGE_DEADLINE_MS });
}

/** The jobId of the job view the page shows (`#/jobs/<id>`). */
async function shownJobId(page: Page): Promise<string> {
  const hash = await untilShown(
    () => page.evaluate(() => (globalThis as unknown as PageGlobals).location.hash),
    (value) => /^#\/jobs\/[0-9a-f-]{36}$/.test(value),
    'a job view',
  );
  return hash.slice('#/jobs/'.length);
}

describe('a job submitted through the form', () => {
  it('appears under queued, then under succeeded, and shows its one attempt when opened', async () => {
    // Arrange
    const page = await signedIn();
    await page.getByRole('link', { name: 'Submit a job' }).click();
    await page.getByLabel('Job type').selectOption('echo');

    // Act: an echo job that waits 8 s before it runs, so that it is seen queued first.
    await page.getByLabel('payload', { exact: true }).fill('{"greeting":"hello from the console"}');
    await page.getByLabel('Delay (seconds)').fill('8');
    await page.getByRole('button', { name: 'Submit' }).click();
    const jobId = await shownJobId(page);

    // Assert: the service has it as the form said.
    const stored = await t.api.getJob(jobId);
    expect({ type: stored.type, payload: stored.payload }).toEqual({ type: 'echo', payload: { greeting: 'hello from the console' } });

    // Queued first…
    await goToHash(page, '#/jobs?status=queued');
    await untilAttribute(page.getByRole('tab', { name: /^queued/ }), 'aria-selected', 'true');
    await row(page, jobId).waitFor({ state: 'visible', timeout: PAGE_DEADLINE_MS });
    expect(await textOf(row(page, jobId).locator('td').nth(2))).toBe('queued');

    // …then it leaves queued, and the succeeded tab lists it (the list refreshes by itself).
    await row(page, jobId).waitFor({ state: 'detached', timeout: JOB_DEADLINE_MS });
    await page.getByRole('tab', { name: /^succeeded/ }).click();
    await row(page, jobId).waitFor({ state: 'visible', timeout: JOB_DEADLINE_MS });

    // Open it: its attempt, succeeded, with start, end and duration.
    await row(page, jobId).getByRole('link', { name: jobId }).click();
    await untilStatus(page, 'succeeded');
    await untilShown(() => attemptItems(page).count(), (count) => count === 1, 'one attempt');
    const attempt = attemptItems(page).first();
    expect(await attempt.getAttribute('data-status')).toBe('succeeded');
    expect(await textOf(attempt.locator('[data-field="startedAt"]'))).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(await textOf(attempt.locator('[data-field="finishedAt"]'))).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(await textOf(attempt.locator('[data-field="durationMs"]'))).toMatch(/^\d+ ms$/);
    expect(await textOf(field(page, 'result'))).toBe(JSON.stringify({ greeting: 'hello from the console' }, null, 2));
  });

  it('refused by the service shows each validation error next to its field', async () => {
    // Arrange
    const queuedBefore = (await t.api.listAll('queued')).length;
    const page = await signedIn();
    await page.getByRole('link', { name: 'Submit a job' }).click();
    await page.getByLabel('Job type').selectOption('http');
    const urlError = page.locator('[data-error-for="payload.url"]');
    const maxAttemptsError = page.locator('[data-error-for="maxAttempts"]');

    // Act: an attempt budget out of range.
    await page.getByLabel('url', { exact: true }).fill('http://127.0.0.1:9/ok');
    await page.getByLabel('Max attempts').fill('99');
    await page.getByRole('button', { name: 'Submit' }).click();

    // Assert: the problem at its control, the control marked invalid.
    await maxAttemptsError.waitFor({ state: 'visible', timeout: PAGE_DEADLINE_MS });
    expect(await textOf(maxAttemptsError)).toMatch(/25/);
    expect(await page.getByLabel('Max attempts').getAttribute('aria-invalid')).toBe('true');

    // Act: that one fixed, a URL that is not one.
    await page.getByLabel('Max attempts').fill('');
    await page.getByLabel('url', { exact: true }).fill('not a url');
    await page.getByRole('button', { name: 'Submit' }).click();

    // Assert: the new problem at its field, the old one gone; nothing was created.
    await urlError.waitFor({ state: 'visible', timeout: PAGE_DEADLINE_MS });
    expect(await textOf(urlError)).not.toBe('');
    expect(await page.getByLabel('url', { exact: true }).getAttribute('aria-invalid')).toBe('true');
    expect(await maxAttemptsError.count()).toBe(0);
    expect(await page.getByLabel('Max attempts').getAttribute('aria-invalid')).toBeNull();
    expect(await page.evaluate(() => (globalThis as unknown as PageGlobals).location.hash)).toBe('#/submit');
    expect(await t.api.listAll('queued')).toHaveLength(queuedBefore);
  });
});

describe('a failing http job', () => {
  it('shows its retries, ends fatal, and retried from the page runs again and succeeds', async () => {
    // Arrange: a target that fails three times, then accepts.
    scripted.script('/flaky-target', { status: 503 }, { status: 503 }, { status: 503 }, { status: 200, body: '{"ok":true}' });
    const job = await t.api.submit({ type: 'http', payload: { url: `${receiver.url}/flaky-target` }, maxAttempts: 3 });
    const page = await signedIn();

    // Act: open its shared link.
    await goToHash(page, `#/jobs/${job.jobId}`);

    // Assert: three failed attempts, each with its error, and fatal.
    await untilStatus(page, 'fatal');
    await untilShown(() => attemptItems(page).count(), (count) => count === 3, 'three attempts');
    for (let n = 1; n <= 3; n += 1) {
      const attempt = page.locator(`ol[aria-label="Attempts"] li[data-attempt="${n}"]`);
      expect({ n, status: await attempt.getAttribute('data-status') }).toEqual({ n, status: 'failed' });
      expect(await textOf(attempt.locator('[data-field="error"]'))).toMatch(/503/);
    }
    expect(await textOf(field(page, 'lastError'))).toMatch(/503/);

    // Act: retry it from the page.
    await confirmAction(page, 'Retry');

    // Assert: a fourth attempt, which succeeds.
    await untilStatus(page, 'succeeded');
    await untilShown(() => attemptItems(page).count(), (count) => count === 4, 'four attempts');
    expect(await page.locator('ol[aria-label="Attempts"] li[data-attempt="4"]').getAttribute('data-status')).toBe('succeeded');
    expect((await t.api.getJob(job.jobId)).status).toBe('succeeded');
  });
});

describe('actions', () => {
  it('cancel a delayed job from the page', async () => {
    // Arrange
    const job = await t.api.submit({ type: 'echo', payload: { report: 'tomorrow' }, delaySeconds: 3600 });
    const page = await signedIn();
    await goToHash(page, `#/jobs/${job.jobId}`);
    await untilStatus(page, 'queued');

    // Act
    await confirmAction(page, 'Cancel');

    // Assert
    await untilStatus(page, 'canceled');
    expect((await t.api.getJob(job.jobId)).status).toBe('canceled');
  });

  it('"Back" in the confirmation does nothing', async () => {
    // Arrange
    const job = await t.api.submit({ type: 'echo', payload: {}, delaySeconds: 3600 });
    const page = await signedIn();
    await goToHash(page, `#/jobs/${job.jobId}`);
    await untilStatus(page, 'queued');

    // Act
    await page.getByRole('button', { name: 'Delete', exact: true }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Back' }).click();

    // Assert
    await page.getByRole('dialog').waitFor({ state: 'hidden', timeout: PAGE_DEADLINE_MS });
    expect((await t.api.getJob(job.jobId)).status).toBe('queued');
    expect(await textOf(field(page, 'status'))).toBe('queued');
  });

  it('refused by the service (409) show the problem\'s detail, and the job stays as it was', async () => {
    // Arrange: a job already finished cannot be canceled.
    const submitted = await t.api.submit({ type: 'echo', payload: { done: true } });
    await t.api.waitForJob(submitted.jobId, ['succeeded']);
    const page = await signedIn();
    await goToHash(page, `#/jobs/${submitted.jobId}`);
    await untilStatus(page, 'succeeded');

    // Act
    await confirmAction(page, 'Cancel');

    // Assert: the page says what the service says.
    const refusal = await t.api.cancel(submitted.jobId);
    expect(refusal.status).toBe(409);
    const detail = (refusal.body as { detail: string }).detail;
    expect(detail).not.toBe('');
    await untilShown(() => textOf(page.locator('.job-view [role="alert"]')), (text) => text.includes(detail), 'the refusal\'s detail');
    expect(await textOf(field(page, 'status'))).toBe('succeeded');
  });

  it('delete goes back to the jobs list, and the job is gone', async () => {
    // Arrange: a canceled job (a delete erases a terminal or canceled one).
    const job = await t.api.submit({ type: 'echo', payload: {}, delaySeconds: 3600 });
    expect((await t.api.cancel(job.jobId)).status).toBe(200);
    const page = await signedIn();
    await goToHash(page, `#/jobs/${job.jobId}`);
    await untilStatus(page, 'canceled');

    // Act
    await confirmAction(page, 'Delete');

    // Assert
    await page.getByRole('tablist').waitFor({ state: 'visible', timeout: PAGE_DEADLINE_MS });
    const after = await t.api.request('GET', `/v1/jobs/${job.jobId}`);
    expect(after.status).toBe(404);
  });
});

describe('the jobs list', () => {
  it('brings in the next page by cursor as it is scrolled, newest first, and filters by type', async () => {
    // Arrange: 30 canceled jobs (more than a page of 25), two of them sms.
    const submitted = await t.api.submitBatch(
      Array.from({ length: 30 }, (_, n) => (n % 15 === 7 ? { type: 'sms', payload: { to: '+15555550123', message: `n=${n}` }, delaySeconds: 3600 } : { type: 'echo', payload: { n }, delaySeconds: 3600 })),
    );
    for (const job of submitted) expect((await t.api.cancel(job.jobId)).status).toBe(200);
    const expected = (await t.api.listAll('canceled')).map((job) => job.jobId);
    const page = await signedIn();

    // Act
    await goToHash(page, '#/jobs?status=canceled');
    const tab = page.getByRole('tab', { name: /^canceled/ });
    await untilAttribute(tab, 'aria-selected', 'true');

    // Assert: the first page, then every job once scrolled to the end, in the API's order.
    const rowIds = () => page.locator('tr[data-job-id]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-job-id')));
    await untilShown(() => page.locator('tr[data-job-id]').count(), (count) => count >= 25, 'a first page of rows');
    const rowCount = () => page.locator('tr[data-job-id]').count();
    for (let shown = await rowCount(); shown < expected.length; ) {
      // Scrolling to the last row brings the next page in.
      await page.locator('tr[data-job-id]').last().scrollIntoViewIfNeeded();
      const before = shown;
      shown = await untilShown(rowCount, (count) => count > before, `more than ${before} rows after scrolling to the end`);
    }
    await untilShown(rowIds, (ids) => ids.length === expected.length, `${expected.length} rows`);
    expect(await rowIds()).toEqual(expected);
    expect(await textOf(tab)).toMatch(new RegExp(`^canceled\\s*${expected.length}$`));

    // Act: only sms.
    await page.getByLabel('Type', { exact: true }).selectOption('sms');

    // Assert
    const sms = (await t.api.listAll('canceled')).filter((job) => job.type === 'sms').map((job) => job.jobId);
    expect(sms).toHaveLength(2);
    await untilShown(rowIds, (ids) => JSON.stringify(ids) === JSON.stringify(sms), 'the sms rows only');
  });
});

describe('tenant data that looks like HTML', () => {
  it('renders as text and runs nothing', async () => {
    // Arrange: strings that would run or inject if the page parsed them as HTML.
    const hostile = {
      script: '<script>globalThis.__pwned = "script"</script>',
      attribute: '"><img src=x onerror="globalThis.__pwned = \'img\'">',
      link: '<a href="javascript:globalThis.__pwned=1">click</a>',
    };
    const job = await t.api.submit({ type: 'echo', payload: hostile });
    await t.api.waitForJob(job.jobId, ['succeeded']);
    const page = await signedIn();

    // Act: the list that holds it, then its view (payload, and the echo's result: the same strings).
    await goToHash(page, '#/jobs?status=succeeded');
    await row(page, job.jobId).waitFor({ state: 'visible', timeout: PAGE_DEADLINE_MS });
    await goToHash(page, `#/jobs/${job.jobId}`);
    await untilStatus(page, 'succeeded');
    await untilText(field(page, 'result'), JSON.stringify(hostile, null, 2));

    // Assert: shown exactly as JSON text; no element, handler or script came of it.
    expect(await textOf(field(page, 'payload'))).toBe(JSON.stringify(hostile, null, 2));
    const planted = await page.evaluate(() => {
      const { document, __pwned } = globalThis as unknown as PageGlobals;
      return { pwned: __pwned ?? null, images: document.querySelectorAll('img').length, links: document.querySelectorAll('a[href^="javascript:"]').length };
    });
    expect(planted).toEqual({ pwned: null, images: 0, links: 0 });
  });
});

describe('the health strip', () => {
  /** What the twin's SQS endpoint itself answers for a queue. */
  async function visibleMessages(queueUrl: string): Promise<number> {
    const { Attributes = {} } = await t.twin.context.sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }));
    return Number(Attributes.ApproximateNumberOfMessages ?? 0);
  }

  const metric = (page: Page, name: string) => page.getByRole('region', { name: 'Service health' }).locator(`[data-metric="${name}"]`);

  // Last in the file: it stops the twin's background work.
  it('shows each queue\'s depth as the SQS endpoint\'s ApproximateNumberOfMessages', async () => {
    // Arrange: the workers and the scheduler (which drains the DLQs) stopped; jobs waiting on the jobs queue, messages on its DLQ.
    await t.twin.background.stop();
    for (let n = 0; n < 2; n += 1) {
      await t.twin.context.sqs.send(new SendMessageCommand({ QueueUrl: t.twin.jobsDlqUrl, MessageBody: JSON.stringify({ deadLetter: n }) }));
    }
    await t.api.submitBatch([{ type: 'echo', payload: { n: 1 } }, { type: 'echo', payload: { n: 2 } }, { type: 'echo', payload: { n: 3 } }]);
    const expected = { depth: await visibleMessages(t.twin.jobsQueueUrl), dlqDepth: await visibleMessages(t.twin.jobsDlqUrl) };
    expect(expected).toEqual({ depth: 3, dlqDepth: 2 });

    // Act
    const page = await signedIn();

    // Assert
    await untilText(metric(page, 'jobs.depth'), String(expected.depth));
    await untilText(metric(page, 'jobs.dlqDepth'), String(expected.dlqDepth));
    expect(await textOf(metric(page, 'webhooks.depth'))).toBe(String(await visibleMessages(t.twin.webhooksQueueUrl)));
    expect(await textOf(metric(page, 'jobs.oldestAgeSeconds'))).toMatch(/^\d+$/);
  });
});
