/**
 * Completion webhooks end to end (SPEC §6, issue 5): jobs submitted over HTTP to
 * a twin in memory, run by its worker, their webhooks delivered by its webhook
 * poller to real receivers on 127.0.0.1 that verify every request with the
 * `standardwebhooks` package — not with this project's own signer.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { webhookEventOf, type Job } from '../../lambdas/jobs/job';
import { prepareSubmission } from '../../lambdas/use-cases/submit-job';
import { claim, finishAttempt } from '../../lambdas/jobs/transitions';
import { addTenantWithKey, tenantFactory } from '../support/tenant-factory';
import { generateWebhookSecret } from '../../lambdas/outbound/signer';
import { respondInTurn, startReceiver, type Receiver, type ReceivedRequest, type Responder } from '../support/receiver';
import { ApiClient, startTestTwin, type JobView, type TestTwin } from '../support/twin';
import { waitFor } from '../support/wait-for';

let t: TestTwin;
const receivers: WebhookReceiver[] = [];

beforeAll(async () => {
  t = await startTestTwin({ env: { STALE_AFTER_SECONDS: '1', WEBHOOK_RETRY_SCHEDULE: '1,1,1' } });
});

afterAll(async () => {
  for (const receiver of receivers) await receiver.close();
  await t?.close();
});

interface WebhookReceiver extends Receiver {
  /** Requests that failed `standardwebhooks` verification (answered 401). */
  readonly unverified: ReceivedRequest[];
  /** Event bodies of the requests that verified, in arrival order. */
  readonly events: Array<{ type: string; timestamp: string; data: JobView }>;
}

/**
 * A webhook receiver as a tenant would write one: every request is verified with
 * `standardwebhooks` and the given secret; only then does `respond` decide.
 */
async function webhookReceiver(secret: string, respond: Responder = () => ({ status: 200 })): Promise<WebhookReceiver> {
  const verifier = new Webhook(secret);
  const unverified: ReceivedRequest[] = [];
  const events: WebhookReceiver['events'] = [];
  const receiver = await startReceiver((request, index) => {
    try {
      events.push(verifier.verify(request.body, request.headers as Record<string, string>) as WebhookReceiver['events'][number]);
    } catch {
      unverified.push(request);
      return { status: 401 };
    }
    return respond(request, index);
  });
  const webhookReceiver = Object.assign(receiver, { unverified, events });
  receivers.push(webhookReceiver);
  return webhookReceiver;
}

const devSecret = () => t.twin.dev.webhookSecret;

function expectAllVerified(...list: WebhookReceiver[]): void {
  for (const receiver of list) {
    expect(receiver.unverified).toEqual([]);
    expect(receiver.events).toHaveLength(receiver.requests.length);
  }
}

const webhookStatus = (...statuses: string[]) => (job: JobView) => statuses.includes(job.webhook.status);

/**
 * The `webhook-id`s a receiver saw, each once, in order of first arrival. Delivery
 * is at least once (SPEC §4): a receiver may see an event twice, always with the
 * same id and body, and it de-duplicates by id; so tests count distinct ids.
 */
function distinctIds(receiver: Receiver): string[] {
  return [...new Set(receiver.requests.map((r) => String(r.headers['webhook-id'])))];
}

/** The verified events, each once, in order of first arrival (an event's body is the same on every try). */
function distinctEvents(receiver: WebhookReceiver): WebhookReceiver['events'] {
  const seen = new Set<string>();
  return receiver.events.filter((event) => {
    const body = JSON.stringify(event);
    return seen.has(body) ? false : (seen.add(body), true);
  });
}

/** Every try of one event carries the same body (SPEC §6). */
function expectSameBodyPerId(receiver: Receiver): void {
  for (const id of distinctIds(receiver)) {
    expect(new Set(receiver.requestsWith('webhook-id', id).map((r) => r.body)).size).toBe(1);
  }
}

describe('completion webhooks', () => {
  it('delivers a job.succeeded event that standardwebhooks verifies', async () => {
    // Arrange
    const receiver = await webhookReceiver(devSecret());

    // Act
    const submitted = await t.api.submit({ type: 'echo', payload: { order: 42 }, webhookUrl: `${receiver.url}/hooks?token=abc` });
    const job = await t.api.waitForJob(submitted.jobId, webhookStatus('delivered', 'failed'));

    // Assert
    expect(job.status).toBe('succeeded');
    expect(job.webhook).toEqual({ status: 'delivered', attempts: 1, lastStatusCode: 200, lastError: null, deliveredAt: expect.any(String) });
    expectAllVerified(receiver);
    expect(distinctIds(receiver)).toHaveLength(1);
    expectSameBodyPerId(receiver);
    expect(new Set(receiver.requests.map((r) => r.path))).toEqual(new Set(['/hooks?token=abc']));
    const [event] = receiver.events;
    expect(event).toMatchObject({ type: 'job.succeeded', data: { jobId: job.jobId, status: 'succeeded', result: { order: 42 }, webhookUrl: job.webhookUrl } });
    expect(event.data).not.toHaveProperty('payload');
  });

  it('delivers a job.fatal event for a job that failed for good', async () => {
    // Arrange: an `http` job whose target answers 400 (fatal at once)
    const target = await startReceiver(() => ({ status: 400 }));
    const receiver = await webhookReceiver(devSecret());

    try {
      // Act
      const submitted = await t.api.submit({ type: 'http', payload: { url: `${target.url}/orders` }, webhookUrl: receiver.url });
      const job = await t.api.waitForJob(submitted.jobId, webhookStatus('delivered', 'failed'));

      // Assert
      expect(job.status).toBe('fatal');
      expect(job.webhook.status).toBe('delivered');
      expectAllVerified(receiver);
      expectSameBodyPerId(receiver);
      expect(distinctEvents(receiver)).toEqual([
        expect.objectContaining({ type: 'job.fatal', data: expect.objectContaining({ jobId: job.jobId, status: 'fatal', lastError: job.lastError }) }),
      ]);
    } finally {
      await target.close();
    }
  });

  it('retries 500, 500, 200 with the same webhook-id and fresh timestamps', async () => {
    // Arrange
    const receiver = await webhookReceiver(devSecret(), respondInTurn({ status: 500 }, { status: 500 }, { status: 200 }));

    // Act
    const submitted = await t.api.submit({ type: 'echo', payload: {}, webhookUrl: receiver.url });
    const job = await t.api.waitForJob(submitted.jobId, webhookStatus('delivered', 'failed'));

    // Assert
    expect(job.webhook).toMatchObject({ status: 'delivered', attempts: 3, lastStatusCode: 200, lastError: null });
    expectAllVerified(receiver);
    // Three tries answered 500, 500, 200 (any later copy of the event is answered 200 too).
    expect(receiver.requests.length).toBeGreaterThanOrEqual(3);
    const ids = distinctIds(receiver);
    expect(ids).toHaveLength(1);
    expect(ids[0]).toMatch(/^msg_/);
    const stamps = receiver.requests.map((r) => Number(r.headers['webhook-timestamp']));
    // Each try is stamped when it is sent (1 s apart on this schedule), not when the event was made.
    for (const [i, request] of receiver.requests.entries()) {
      expect(Math.abs(stamps[i] - request.receivedAt / 1000)).toBeLessThan(2);
    }
    expect(stamps[1]).toBeGreaterThan(stamps[0]);
    expect(stamps[2]).toBeGreaterThan(stamps[1]);
    expectSameBodyPerId(receiver);
  });

  it('fails the webhook when the receiver is down for the whole schedule, and leaves the job alone', async () => {
    // Arrange: a port where nothing listens any more
    const gone = await startReceiver();
    await gone.close();
    const submitted = await t.api.submit({ type: 'echo', payload: { keep: 'me' }, webhookUrl: `${gone.url}/hooks` });
    const succeeded = await t.api.waitForJob(submitted.jobId, ['succeeded']);

    // Act
    const job = await t.api.waitForJob(submitted.jobId, webhookStatus('delivered', 'failed'));

    // Assert: 1 try + 3 retries
    expect(job.webhook).toMatchObject({ status: 'failed', attempts: 4, lastStatusCode: null, lastError: expect.stringContaining('refused') });
    expect(job.webhook.deliveredAt).toBeNull();
    const untouched = ({ status, result, attempts, lastError, finishedAt }: JobView) => ({ status, result, attempts, lastError, finishedAt });
    expect(untouched(job)).toEqual(untouched(succeeded));
    expect(job.result).toEqual({ keep: 'me' });
  });

  it('sends nothing for a canceled job, and shows none for a job without webhookUrl', async () => {
    // Arrange
    const receiver = await webhookReceiver(devSecret());
    const waiting = await t.api.submit({ type: 'echo', payload: {}, webhookUrl: receiver.url, delaySeconds: 600 });
    const withoutUrl = await t.api.submit({ type: 'echo', payload: {} });

    // Act
    expect((await t.api.cancel(waiting.jobId)).status).toBe(200);
    // A job submitted after the cancel, to the same receiver: once its webhook has
    // arrived, anything the canceled job would have sent had its chance too.
    const sentinel = await t.api.submit({ type: 'echo', payload: {}, webhookUrl: receiver.url });
    await t.api.waitForJob(sentinel.jobId, webhookStatus('delivered'));

    // Assert
    expect(distinctEvents(receiver).map((e) => e.data.jobId)).toEqual([sentinel.jobId]);
    expect((await t.api.getJob(waiting.jobId)).status).toBe('canceled');
    const plain = await t.api.waitForJob(withoutUrl.jobId, ['succeeded']);
    expect(plain.webhook).toEqual({ status: 'none', attempts: 0, lastStatusCode: null, lastError: null, deliveredAt: null });
    expectAllVerified(receiver);
  });

  it('redelivers the same event on POST /v1/jobs/{jobId}/webhook/redeliver', async () => {
    // Arrange
    const receiver = await webhookReceiver(devSecret());
    const submitted = await t.api.submit({ type: 'echo', payload: {}, webhookUrl: receiver.url });
    await t.api.waitForJob(submitted.jobId, webhookStatus('delivered'));

    // Act
    const before = receiver.requests.length;
    const response = await t.api.request('POST', `/v1/jobs/${submitted.jobId}/webhook/redeliver`);
    await waitFor(() => receiver.requests.length > before, { description: 'the redelivery' });
    const job = await t.api.waitForJob(submitted.jobId, webhookStatus('delivered'));

    // Assert
    expect(response.status).toBe(202);
    expect(response.body).toMatchObject({ jobId: submitted.jobId, webhook: { status: 'pending', attempts: 0 } });
    expectAllVerified(receiver);
    expect(distinctIds(receiver)).toHaveLength(1);
    expectSameBodyPerId(receiver);
    expect(job.webhook).toMatchObject({ status: 'delivered', attempts: 1 });
  });

  it('refuses to redeliver for a job without webhookUrl', async () => {
    const submitted = await t.api.submit({ type: 'echo', payload: {} });
    await t.api.waitForJob(submitted.jobId, ['succeeded']);

    const response = await t.api.request('POST', `/v1/jobs/${submitted.jobId}/webhook/redeliver`);

    expect(response.status).toBe(409);
    expect(response.body).toMatchObject({ code: 'webhook_not_redeliverable' });
  });

  it('signs with the old and the new secret while a rotation is in progress', async () => {
    // Arrange: a tenant of its own, so no signing secrets are cached for it yet
    const tenantId = `rotating-${randomUUID().slice(0, 8)}`;
    const apiKey = `jobs_${randomBytes(24).toString('base64url')}`;
    const [oldSecret, newSecret] = [generateWebhookSecret(), generateWebhookSecret()];
    const tenants = t.twin.context.tenants;
    await addTenantWithKey(tenants, tenantFactory({ tenantId, name: 'Rotating', webhookSecrets: [oldSecret] }), apiKey);
    await tenants.rotateWebhookSecret(tenantId, newSecret);
    const api = new ApiClient(t.twin.url, apiKey);
    const holdsOld = await webhookReceiver(oldSecret);
    const holdsNew = await webhookReceiver(newSecret);

    // Act
    const [toOld, toNew] = await Promise.all([
      api.submit({ type: 'echo', payload: {}, webhookUrl: holdsOld.url }),
      api.submit({ type: 'echo', payload: {}, webhookUrl: holdsNew.url }),
    ]);
    const jobs = await Promise.all([toOld, toNew].map((j) => api.waitForJob(j.jobId, webhookStatus('delivered', 'failed'))));

    // Assert
    expect(jobs.map((j) => j.webhook.status)).toEqual(['delivered', 'delivered']);
    expect(jobs.map((j) => j.webhook.attempts)).toEqual([1, 1]);
    expectAllVerified(holdsOld, holdsNew);
    expect(String(holdsOld.requests[0].headers['webhook-signature']).split(' ')).toHaveLength(2);
  });

  it('still delivers when the process died between the terminal write and the enqueue', async () => {
    // Arrange: a job finished through the store as a worker would, then nothing
    // more: no message on the webhooks queue (the process "died" right there).
    const receiver = await webhookReceiver(devSecret());
    const ctx = t.twin.context;
    const timing = () => ({ nowMs: ctx.now(), retentionDays: ctx.config.retentionDays });
    const prepared = prepareSubmission(ctx, t.twin.dev.tenantId, { type: 'echo', payload: {}, webhookUrl: receiver.url }, undefined);
    if (prepared.kind === 'rejected') throw new Error(prepared.detail);
    const { job } = prepared;
    // Written straight into `running` (as if claimed), so neither the API nor the scheduler ever enqueues it.
    const running = (claim(job, 30_000, timing()) as { write: Job }).write;
    await ctx.jobs.create(running);
    const finished = await ctx.jobs.transition(job, (j) => finishAttempt(j, 1, { kind: 'succeeded', result: { crashed: true } }, 0, timing()));
    const finishedJob = (finished as { job: Job }).job;
    expect(finishedJob.webhook.status).toBe('pending');
    expect(await t.queueDepth(t.twin.webhooksQueueUrl)).toEqual({ visible: 0, inFlight: 0, delayed: 0 });

    // Act: only the scheduler's sweep can bring it now
    const delivered = await t.api.waitForJob(job.jobId, webhookStatus('delivered', 'failed'), 20_000);

    // Assert
    expect(delivered.webhook).toMatchObject({ status: 'delivered', attempts: 1 });
    expectAllVerified(receiver);
    expect(distinctIds(receiver)).toEqual([webhookEventOf(finishedJob.webhook)!.id]);
    expect(receiver.events[0]).toMatchObject({ type: 'job.succeeded', data: { jobId: job.jobId, result: { crashed: true } } });
  });
});
