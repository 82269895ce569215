/**
 * The webhook Lambda's handler against the real pieces: dynalite, the embedded
 * SQS endpoint and real HTTP receivers on 127.0.0.1, verified with the
 * `standardwebhooks` package. Jobs are finished through the store with the
 * domain's own transitions, as a worker would; the handler is called with SQS
 * events, as Lambda would.
 */
import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { Logger } from '@aws-lambda-powertools/logger';
import { Webhook } from 'standardwebhooks';
import { loadConfig, type Config } from '../../../lambdas/config';
import { pendingWebhook, webhookEventOf, webhookViewOf, type Job } from '../../../lambdas/jobs/job';
import { sweepShardOf } from '../../../lambdas/jobs/sweep';
import { claim, finishAttempt, LEASE_MARGIN_MS, redeliverWebhook, webhookBodyOf, type Decision } from '../../../lambdas/jobs/transitions';
import { MessageQueue, type WebhookMessage } from '../../../lambdas/queue/job-queue';
import { dispatchDueJobs } from '../../../lambdas/scheduler/dispatch-due-jobs';
import { createServiceContext, type ServiceContext } from '../../../lambdas/service-context';
import { createWebhookHandler, USER_AGENT, type WebhookHandlerOptions } from '../../../lambdas/webhooks/delivery';
import { generateWebhookSecret } from '../../../lambdas/outbound/signer';
import { leaseDelivery } from '../../../lambdas/webhooks/webhook-transitions';
import type { Resolver } from '../../../lambdas/outbound/url-guard';
import { prepareSubmission } from '../../../lambdas/use-cases/submit-job';
import { ensureTable, startDynamoDb, type LocalDynamoDb } from '../../../local/dynamodb';
import { startSqsEndpoint, type SqsEndpoint } from '../../../local/sqs';
import { TestClock } from '../../support/clock';
import { sqsEventFactory, sqsRecordFactory, lambdaContextFactory } from '../../support/sqs-event';
import { respondInTurn, startReceiver, type Receiver } from '../../support/receiver';
import { waitFor } from '../../support/wait-for';

const TENANT = 'acme';
const SECRET = generateWebhookSecret();

let dynamodb: LocalDynamoDb;
let sqsEndpoint: SqsEndpoint;
let sqs: SQSClient;
let baseConfig: Config;
const receivers: Receiver[] = [];
const contexts: ServiceContext[] = [];
const logged: string[] = [];
const metrics: Array<{ name: string; jobType: string }> = [];

/** A logger that keeps every line's arguments, to check what is (never) logged. */
function capturingLogger(): Logger {
  const logger = new Logger({ serviceName: 'webhook-test' });
  for (const level of ['debug', 'info', 'warn', 'error'] as const) {
    jest.spyOn(logger, level).mockImplementation((...args: unknown[]) => {
      logged.push(JSON.stringify(args));
    });
  }
  return logger;
}

beforeAll(async () => {
  dynamodb = await startDynamoDb({});
  sqsEndpoint = await startSqsEndpoint({});
  // Handlers build default-configured clients; these point them here (SPEC §2).
  process.env.AWS_ENDPOINT_URL_DYNAMODB = dynamodb.url;
  process.env.AWS_ENDPOINT_URL_SQS = sqsEndpoint.url;
  const setup = new DynamoDBClient({});
  await ensureTable(setup, 'jobs');
  setup.destroy();
  sqs = new SQSClient({});
  baseConfig = loadConfig({
    ALLOW_PRIVATE_TARGETS: 'true',
    WEBHOOK_RETRY_SCHEDULE: '1,1,1',
    WEBHOOK_TIMEOUT_SECONDS: '0.5',
    JOBS_QUEUE_URL: await createQueue(),
    WEBHOOKS_QUEUE_URL: await createQueue(),
  });
  const ctx = createServiceContext({ config: baseConfig });
  await ctx.tenants.createTenant({ tenantId: TENANT, name: 'Acme', status: 'active', webhookSecrets: [SECRET], createdAt: new Date().toISOString() });
  ctx.db.destroy();
  ctx.sqs.destroy();
});

afterAll(async () => {
  for (const receiver of receivers) await receiver.close();
  for (const ctx of contexts) {
    ctx.db.destroy();
    ctx.sqs.destroy();
  }
  sqs?.destroy();
  await sqsEndpoint?.close();
  await dynamodb?.close();
});

async function createQueue(): Promise<string> {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `webhooks-${randomUUID()}` }));
  return QueueUrl!;
}

async function receiver(...answers: Parameters<typeof respondInTurn>): Promise<Receiver> {
  const started = await startReceiver(respondInTurn(...answers));
  receivers.push(started);
  return started;
}

interface Harness {
  ctx: ServiceContext;
  clock: TestClock;
  queueUrl: string;
  handle(...messages: Array<WebhookMessage | string>): Promise<{ batchItemFailures: Array<{ itemIdentifier: string }> }>;
  /** The same, each message received `receiveCount` times (its earlier receives died). */
  handleReceived(receiveCount: number, ...messages: WebhookMessage[]): Promise<{ batchItemFailures: Array<{ itemIdentifier: string }> }>;
}

/** A service context of its own (fresh webhooks queue, test clock), and the handler under test. */
async function harness(configOverrides: Partial<Config> = {}, options: WebhookHandlerOptions = {}): Promise<Harness> {
  const clock = new TestClock(Date.UTC(2030, 0, 1));
  const queueUrl = await createQueue();
  const config = { ...baseConfig, ...configOverrides, webhooksQueueUrl: queueUrl };
  const base = createServiceContext({ config, now: clock.now, logger: capturingLogger() });
  contexts.push(base);
  // What the handler publishes as its invocation ends: each metric with the job type of its dimension set.
  let jobType = '';
  jest.spyOn(base.metrics, 'addDimension').mockImplementation((_name: string, value: string) => {
    jobType = value;
    return base.metrics;
  });
  jest.spyOn(base.metrics, 'addMetric').mockImplementation((name: string) => {
    metrics.push({ name, jobType });
    return base.metrics;
  });
  jest.spyOn(base.metrics, 'publishStoredMetrics').mockReturnValue(base.metrics);
  const ctx: ServiceContext = { ...base, webhooksQueue: new MessageQueue<WebhookMessage>(base.sqs, queueUrl) };
  const handler = createWebhookHandler(ctx, { secretsTtlMs: 0, ...options });
  return {
    ctx,
    clock,
    queueUrl,
    handle: async (...messages) => {
      const records = messages.map((message, index) => sqsRecordFactory(message, { messageId: `m-${index}` }));
      const response = await handler(sqsEventFactory(...records), lambdaContextFactory(30_000));
      return response;
    },
    handleReceived: async (receiveCount, ...messages) => {
      const records = messages.map((message, index) => {
        const record = sqsRecordFactory(message, { messageId: `m-${index}` });
        return { ...record, attributes: { ...record.attributes, ApproximateReceiveCount: String(receiveCount) } };
      });
      return handler(sqsEventFactory(...records), lambdaContextFactory(30_000));
    },
  };
}

/** A job run to its end through the store, the way a worker does it; returns it with its webhook event. */
async function finishedJob(
  h: Harness,
  webhookUrl: string | undefined,
  outcome: 'succeeded' | 'fatal' = 'succeeded',
  tenantId = TENANT,
): Promise<Job> {
  const timing = () => ({ nowMs: h.clock.now(), retentionDays: 7 });
  const submission = { type: 'echo', payload: { marker: 'PAYLOAD-MARKER' }, ...(webhookUrl ? { webhookUrl } : {}) };
  const prepared = prepareSubmission(h.ctx, tenantId, submission, randomUUID());
  if (prepared.kind === 'rejected') throw new Error(prepared.detail);
  const { job } = prepared;
  await h.ctx.jobs.create(job);
  const key = { tenantId, jobId: job.jobId };
  await h.ctx.jobs.transition(key, (j) => claim(j, 30_000, timing()));
  const attemptOutcome =
    outcome === 'succeeded' ? { kind: 'succeeded' as const, result: { marker: 'RESULT-MARKER' } } : { kind: 'fatal' as const, error: 'boom' };
  const finished = await h.ctx.jobs.transition(key, (j) => finishAttempt(j, 1, attemptOutcome, 900_000, timing()));
  if (finished.outcome === 'lost') throw new Error('could not finish the job');
  return finished.job;
}

const messageFor = (job: Job): WebhookMessage => ({ tenantId: job.tenantId, jobId: job.jobId, eventId: webhookEventOf(job.webhook)!.id });

async function reload(h: Harness, job: Job): Promise<Job> {
  return (await h.ctx.jobs.get(job, { consistent: true }))!;
}

async function queueCounts(queueUrl: string) {
  const { Attributes = {} } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['All'] }));
  return { visible: Number(Attributes.ApproximateNumberOfMessages), delayed: Number(Attributes.ApproximateNumberOfMessagesDelayed) };
}

/** A promise the test settles by hand: holds a receiver's answer while the test acts. */
function latch(): { promise: Promise<void>; release(): void } {
  let release!: () => void;
  const promise = new Promise<void>((resolve) => (release = resolve));
  return { promise, release };
}

describe('webhook delivery', () => {
  it('POSTs the event signed so that standardwebhooks verifies it, and records it delivered', async () => {
    // Arrange
    const h = await harness();
    const target = await receiver({ status: 204 });
    const job = await finishedJob(h, `${target.url}/hooks?token=QUERY-TOKEN`);

    // Act
    const response = await h.handle(messageFor(job));

    // Assert
    expect(response.batchItemFailures).toEqual([]);
    expect(target.requests).toHaveLength(1);
    const [request] = target.requests;
    expect(request.method).toBe('POST');
    expect(request.path).toBe('/hooks?token=QUERY-TOKEN');
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.headers['user-agent']).toBe(USER_AGENT);
    expect(request.body).toBe(webhookBodyOf(job, webhookEventOf(job.webhook)!));
    const verified = new Webhook(SECRET).verify(request.body, request.headers as Record<string, string>);
    expect(verified).toMatchObject({ type: 'job.succeeded', data: { jobId: job.jobId, status: 'succeeded', result: { marker: 'RESULT-MARKER' } } });
    expect(verified).not.toHaveProperty('data.payload');
    expect(request.headers['webhook-id']).toBe(webhookEventOf(job.webhook)!.id);

    const stored = await reload(h, job);
    expect(webhookViewOf(stored.webhook)).toEqual({
      status: 'delivered',
      attempts: 1,
      lastStatusCode: 204,
      lastError: null,
      deliveredAt: new Date(h.clock.now()).toISOString(),
    });
    expect(stored.status).toBe('succeeded');
    expect(metrics).toContainEqual({ name: 'WebhooksDelivered', jobType: 'echo' });
  });

  it('stamps webhook-timestamp with real time, whatever clock the service reads', async () => {
    const h = await harness(); // its clock says 2030
    const target = await receiver({ status: 200 });
    const job = await finishedJob(h, target.url);

    await h.handle(messageFor(job));

    const stamped = Number(target.requests[0].headers['webhook-timestamp']);
    expect(Math.abs(stamped - Date.now() / 1000)).toBeLessThan(5);
  });

  it('signs with both secrets during a rotation; a receiver holding either one verifies', async () => {
    // Arrange
    const h = await harness();
    const [oldSecret, newSecret] = [generateWebhookSecret(), generateWebhookSecret()];
    const tenantId = `rotating-${randomUUID().slice(0, 8)}`;
    await h.ctx.tenants.createTenant({ tenantId, name: 'Rotating', status: 'active', webhookSecrets: [oldSecret], createdAt: new Date().toISOString() });
    await h.ctx.tenants.rotateWebhookSecret(tenantId, newSecret);
    const target = await receiver({ status: 200 });
    const job = await finishedJob(h, target.url, 'succeeded', tenantId);

    // Act
    await h.handle(messageFor(job));

    // Assert
    const { body, headers } = target.requests[0];
    expect(String(headers['webhook-signature']).split(' ')).toHaveLength(2);
    expect(() => new Webhook(oldSecret).verify(body, headers as Record<string, string>)).not.toThrow();
    expect(() => new Webhook(newSecret).verify(body, headers as Record<string, string>)).not.toThrow();
  });

  it('re-sends a failed try to the webhooks queue with the schedule delay, and keeps the job untouched', async () => {
    // Arrange
    const h = await harness();
    const target = await receiver({ status: 500 });
    const job = await finishedJob(h, target.url, 'fatal');

    // Act
    await h.handle(messageFor(job));

    // Assert
    const stored = await reload(h, job);
    expect(webhookViewOf(stored.webhook)).toEqual({ status: 'pending', attempts: 1, lastStatusCode: 500, lastError: 'HTTP 500 from receiver', deliveredAt: null });
    expect(webhookEventOf(stored.webhook)!.nextAttemptAt).toBe(h.clock.now() + 1000);
    expect(stored.dispatched).toBe(true);
    expect({ status: stored.status, result: stored.result, lastError: stored.lastError, attempts: stored.attempts }).toEqual({
      status: 'fatal',
      result: null,
      lastError: 'boom',
      attempts: 1,
    });
    expect(await queueCounts(h.queueUrl)).toEqual({ visible: 0, delayed: 1 });
    const resent = await waitFor(
      async () => (await sqs.send(new ReceiveMessageCommand({ QueueUrl: h.queueUrl, WaitTimeSeconds: 1 }))).Messages?.[0],
      { timeoutMs: 5000, description: 'the delayed retry message' },
    );
    expect(JSON.parse(resent.Body!)).toEqual(messageFor(job));
  });

  it('retries with the same webhook-id and fresh timestamps until delivered (500, 500, 200)', async () => {
    // Arrange
    const h = await harness();
    const target = await receiver({ status: 500 }, { status: 500 }, { status: 200 });
    const job = await finishedJob(h, target.url);

    // Act: each try when it is due (the test clock stands in for the queue delay)
    for (let i = 0; i < 3; i++) {
      await h.handle(messageFor(job));
      h.clock.advance(1000);
    }

    // Assert
    expect(target.requests.map((r) => r.headers['webhook-id'])).toEqual(Array(3).fill(webhookEventOf(job.webhook)!.id));
    for (const { body, headers } of target.requests) {
      expect(() => new Webhook(SECRET).verify(body, headers as Record<string, string>)).not.toThrow();
    }
    expect(webhookViewOf((await reload(h, job)).webhook)).toMatchObject({ status: 'delivered', attempts: 3, lastStatusCode: 200, lastError: null });
  });

  it('fails the webhook once the schedule is exhausted, never the job', async () => {
    // Arrange
    const h = await harness();
    const target = await receiver({ status: 503 });
    const job = await finishedJob(h, target.url);

    // Act: 1 try + 3 retries
    for (let i = 0; i < 4; i++) {
      await h.handle(messageFor(job));
      h.clock.advance(1000);
    }
    await h.handle(messageFor(job));

    // Assert
    expect(target.requests).toHaveLength(4);
    const stored = await reload(h, job);
    expect(stored.webhook).toMatchObject({ status: 'failed', attempts: 4, lastStatusCode: 503 });
    expect({ status: stored.status, result: stored.result }).toEqual({ status: 'succeeded', result: { marker: 'RESULT-MARKER' } });
    expect(metrics).toContainEqual({ name: 'WebhooksFailed', jobType: 'echo' });
  });

  it('stops at once on 410 Gone', async () => {
    const h = await harness();
    const target = await receiver({ status: 410 });
    const job = await finishedJob(h, target.url);

    await h.handle(messageFor(job));
    h.clock.advance(1000);
    await h.handle(messageFor(job));

    expect(target.requests).toHaveLength(1);
    expect((await reload(h, job)).webhook).toMatchObject({ status: 'failed', attempts: 1, lastStatusCode: 410 });
    expect(await queueCounts(h.queueUrl)).toEqual({ visible: 0, delayed: 0 });
  });

  it('does not follow redirects', async () => {
    const h = await harness();
    const elsewhere = await receiver({ status: 200 });
    const target = await receiver({ status: 307, headers: { location: `${elsewhere.url}/stolen` } });
    const job = await finishedJob(h, target.url);

    await h.handle(messageFor(job));

    expect(elsewhere.requests).toHaveLength(0);
    expect((await reload(h, job)).webhook).toMatchObject({ status: 'pending', attempts: 1, lastStatusCode: 307 });
  });

  it('gives up a try after WEBHOOK_TIMEOUT_SECONDS and retries', async () => {
    const h = await harness(); // 0.5 s
    const target = await receiver({ hang: true });
    const job = await finishedJob(h, target.url);
    const started = Date.now();

    await h.handle(messageFor(job));

    expect(Date.now() - started).toBeLessThan(3000);
    expect((await reload(h, job)).webhook).toMatchObject({
      status: 'pending',
      attempts: 1,
      lastStatusCode: null,
      lastError: expect.stringContaining('timed out'),
    });
  });

  it('leaves a retry beyond 15 minutes to the sweep index instead of SQS', async () => {
    // Arrange
    const h = await harness({ webhookRetrySchedule: [3600] });
    const target = await receiver({ status: 500 });
    const job = await finishedJob(h, target.url);

    // Act
    await h.handle(messageFor(job));

    // Assert
    const stored = await reload(h, job);
    const nextAttemptAt = h.clock.now() + 3_600_000;
    expect(webhookEventOf(stored.webhook)!.nextAttemptAt).toBe(nextAttemptAt);
    expect(stored.dispatched).toBe(false);
    expect(await queueCounts(h.queueUrl)).toEqual({ visible: 0, delayed: 0 });
    const shard = sweepShardOf(job.jobId);
    const onIndex = async (nowMs: number) => (await h.ctx.jobs.dueForSweep(shard, nowMs, 100)).some((e) => e.jobId === job.jobId);
    expect(await onIndex(nextAttemptAt - 1)).toBe(false);
    expect(await onIndex(nextAttemptAt)).toBe(true);
  });

  it('refuses at delivery a name that resolves to a private address (DNS rebinding)', async () => {
    // Arrange: a public-looking https URL passes the submit-time check…
    const resolved: string[] = [];
    const rebinding: Resolver = async (hostname) => {
      resolved.push(hostname);
      return [{ address: '127.0.0.1', family: 4 }];
    };
    const h = await harness({ allowPrivateTargets: false }, { resolver: rebinding });
    const job = await finishedJob(h, 'https://hooks.example.com/jobs?token=QUERY-TOKEN');

    // Act: …but its name now resolves to loopback
    await h.handle(messageFor(job));

    // Assert
    expect(resolved).toEqual(['hooks.example.com']);
    expect((await reload(h, job)).webhook).toMatchObject({
      status: 'failed',
      attempts: 1,
      lastStatusCode: null,
      lastError: 'host hooks.example.com resolves to 127.0.0.1, a loopback address',
    });
  });

  it('refuses a name with one public and one private address', async () => {
    const mixed: Resolver = async () => [
      { address: '93.184.215.14', family: 4 },
      { address: '169.254.169.254', family: 4 },
    ];
    const h = await harness({ allowPrivateTargets: false }, { resolver: mixed });
    const job = await finishedJob(h, 'https://hooks.example.com/jobs');

    await h.handle(messageFor(job));

    expect((await reload(h, job)).webhook).toMatchObject({ status: 'failed', lastError: expect.stringContaining('cloud metadata') });
  });

  it('drops duplicate, stale and early messages without a request', async () => {
    // Arrange
    const h = await harness();
    const target = await receiver({ status: 500 }, { status: 200 });
    const job = await finishedJob(h, target.url);
    const noWebhook = await finishedJob(h, undefined);

    // Act
    await h.handle(messageFor(job)); // 500: next try due in 1 s
    await h.handle(messageFor(job)); // a duplicate, early
    await h.handle({ ...messageFor(job), eventId: 'msg_older' });
    await h.handle({ tenantId: TENANT, jobId: noWebhook.jobId, eventId: 'msg_any' });
    await h.handle({ tenantId: 'other-tenant', jobId: job.jobId, eventId: webhookEventOf(job.webhook)!.id });
    h.clock.advance(1000);
    await h.handle(messageFor(job)); // 200
    await h.handle(messageFor(job)); // a duplicate after delivery

    // Assert
    expect(target.requests).toHaveLength(2);
    expect((await reload(h, job)).webhook).toMatchObject({ status: 'delivered', attempts: 2 });
    expect(noWebhook.webhook.status).toBe('none');
    expect(webhookEventOf(noWebhook.webhook)).toBeNull();
  });

  it('redelivers the same event with a fresh schedule', async () => {
    // Arrange
    const h = await harness();
    const target = await receiver({ status: 200 });
    const job = await finishedJob(h, target.url);
    await h.handle(messageFor(job));

    // Act
    const redelivered = await h.ctx.jobs.transition(job, (j) => redeliverWebhook(j, { nowMs: h.clock.now(), retentionDays: 7 }));
    expect(redelivered.ok).toBe(true);
    await h.handle(messageFor(job));

    // Assert
    expect(target.requests.map((r) => r.headers['webhook-id'])).toEqual([webhookEventOf(job.webhook)!.id, webhookEventOf(job.webhook)!.id]);
    expect(target.requests[1].body).toBe(target.requests[0].body);
    expect((await reload(h, job)).webhook).toMatchObject({ status: 'delivered', attempts: 1 });
  });

  it('sends the same bytes on every try and redelivery: fails, retries, delivers, redelivers (issue 11: the body is made again each time)', async () => {
    // Arrange
    const h = await harness();
    const target = await receiver({ status: 500 }, { status: 200 }, { status: 200 });
    const job = await finishedJob(h, target.url);
    const made = webhookBodyOf(job, webhookEventOf(job.webhook)!);
    // Act
    await h.handle(messageFor(job)); // 500
    h.clock.advance(1000);
    await h.handle(messageFor(job)); // 200
    h.clock.advance(60_000);
    await h.ctx.jobs.transition(job, (j) => redeliverWebhook(j, { nowMs: h.clock.now(), retentionDays: 7 }));
    await h.handle(messageFor(job)); // 200, redelivered
    // Assert
    expect(target.requests).toHaveLength(3);
    for (const request of target.requests) expect(request.body).toBe(made);
    expect(JSON.parse(made)).toMatchObject({ type: 'job.succeeded', data: { webhook: { status: 'pending', attempts: 0 }, updatedAt: job.finishedAt } });
  });

  it('delivers the stored body of an event written by an earlier version', async () => {
    // Arrange: the event as earlier versions kept it, its body in the item.
    const h = await harness();
    const target = await receiver({ status: 200 });
    const job = await finishedJob(h, target.url);
    const stored = '{"type":"job.succeeded","timestamp":"2029-12-31T00:00:00.000Z","data":{"written":"by an earlier version"}}';
    await h.ctx.jobs.transition(job, (j): Decision<null> => {
      const pending = pendingWebhook(j!.webhook)!;
      return { write: { ...j!, webhook: { ...pending, event: { id: pending.event.id, type: 'job.succeeded', body: stored, nextAttemptAt: pending.event.nextAttemptAt } } }, result: null };
    });
    // Act
    await h.handle(messageFor(job));
    // Assert
    expect(target.requests.map((r) => r.body)).toEqual([stored]);
    expect((await reload(h, job)).webhook).toMatchObject({ status: 'delivered', attempts: 1 });
  });

  it('delivers the pending event for a message that names none (the scheduler\'s, for a finished job)', async () => {
    const h = await harness();
    const target = await receiver({ status: 200 });
    const job = await finishedJob(h, target.url);

    await h.handle({ tenantId: job.tenantId, jobId: job.jobId });

    expect(target.requests.map((r) => r.headers['webhook-id'])).toEqual([webhookEventOf(job.webhook)!.id]);
    expect((await reload(h, job)).webhook).toMatchObject({ status: 'delivered', attempts: 1 });
  });

  it('reports a malformed message as a batch item failure and delivers the rest', async () => {
    const h = await harness();
    const target = await receiver({ status: 200 });
    const job = await finishedJob(h, target.url);

    const response = await h.handle('not json', messageFor(job), JSON.stringify({ tenantId: TENANT }));

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'm-0' }, { itemIdentifier: 'm-2' }]);
    expect(target.requests).toHaveLength(1);
  });

  it('never logs the body, the URL query string or a secret', async () => {
    const h = await harness();
    const target = await receiver({ status: 500 }, { status: 200 });
    const job = await finishedJob(h, `${target.url}/hooks?token=QUERY-TOKEN`);

    await h.handle(messageFor(job));
    h.clock.advance(1000);
    await h.handle(messageFor(job));

    const lines = logged.join('\n');
    expect(lines).toContain(job.jobId);
    expect(lines).toContain(webhookEventOf(job.webhook)!.id);
    for (const secretThing of ['QUERY-TOKEN', 'RESULT-MARKER', 'PAYLOAD-MARKER', SECRET, SECRET.slice(6), '/hooks']) {
      expect(lines).not.toContain(secretThing);
    }
  });
});

describe('two copies of one pending event (issue 9, class 8)', () => {
  // Two deliverers, as two Lambda containers would be: the queue's re-send and the
  // scheduler's re-dispatch of one event reach both at once.
  async function twoDeliverers(h: Harness) {
    const second = createWebhookHandler(h.ctx, { secretsTtlMs: 0 });
    const handleElsewhere = async (message: WebhookMessage) =>
      second(sqsEventFactory(sqsRecordFactory(message, { messageId: 'elsewhere' })), lambdaContextFactory(30_000));
    return { handleElsewhere };
  }

  it('POSTs once: the copy that arrives while a leased try (a message received again) is in flight stands back', async () => {
    // Arrange: the receiver holds the first request open until the test releases it.
    const h = await harness();
    const held = latch();
    const heldTarget = await startReceiver((_request, index) => ({ status: 200, ...(index === 0 ? { after: held.promise } : {}) }));
    receivers.push(heldTarget);
    const job = await finishedJob(h, heldTarget.url);
    const { handleElsewhere } = await twoDeliverers(h);

    // Act: the first copy (received again: its first receive died) leases the event; its POST is in flight;
    // the second copy is handled to its end.
    const first = h.handleReceived(2, messageFor(job));
    await waitFor(() => heldTarget.requests.length === 1, { description: 'the first POST' });
    const second = await handleElsewhere(messageFor(job));
    held.release();
    await first;

    // Assert
    expect(second).toEqual({ batchItemFailures: [] });
    expect(heldTarget.requests.map((r) => r.headers['webhook-id'])).toEqual([webhookEventOf(job.webhook)!.id]);
    expect((await reload(h, job)).webhook).toMatchObject({ status: 'delivered', attempts: 1, lastStatusCode: 200 });
  });

  it('takes the event over through the sweep once the lease of a try that died has ended and its delivery stalled', async () => {
    // Arrange: a deliverer took the event's lease and died before its POST.
    const h = await harness();
    const target = await receiver({ status: 200 });
    const job = await finishedJob(h, target.url);
    const timing = () => ({ nowMs: h.clock.now(), retentionDays: 7 });
    const leaseMs = h.ctx.config.webhookTimeoutSeconds * 1000 + LEASE_MARGIN_MS;
    const facts = { token: 'died', leaseMs, retrySchedule: h.ctx.config.webhookRetrySchedule };
    await h.ctx.jobs.transition(job, (j) => leaseDelivery(j, messageFor(job), facts, timing()));
    // The sweep entry the dispatched event had stays (its try + STALE_AFTER_SECONDS) unless the lease ends later.
    const stalledAt = webhookEventOf(job.webhook)!.nextAttemptAt! + h.ctx.config.staleAfterSeconds * 1000;
    const leaseEnd = Math.max(h.clock.now() + leaseMs, stalledAt);
    const swept = async () => {
      await dispatchDueJobs(h.ctx);
      const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: h.queueUrl, MaxNumberOfMessages: 10 }));
      return Messages.map((m) => JSON.parse(m.Body!) as WebhookMessage).filter((m) => m.jobId === job.jobId);
    };

    // Act: the queue's own copy arrives while the lease holds; the scheduler runs before and after its end.
    await h.handle(messageFor(job));
    h.clock.set(leaseEnd - 1);
    const beforeEnd = await swept();
    h.clock.set(leaseEnd);
    const atEnd = await swept();
    for (const message of atEnd) await h.handle(message);

    // Assert
    expect(beforeEnd).toEqual([]);
    // The scheduler's message for a finished job asks for its pending event.
    expect(atEnd).toEqual([{ tenantId: job.tenantId, jobId: job.jobId }]);
    expect(target.requests.map((r) => r.headers['webhook-id'])).toEqual([webhookEventOf(job.webhook)!.id]);
    expect((await reload(h, job)).webhook).toMatchObject({ status: 'delivered', attempts: 2, lastStatusCode: 200 });
  });

  it('keeps the order of events: the next one is not sent while the one before is in flight', async () => {
    // Arrange: a fatal event pending with a succeeded event behind it (the job was re-run).
    const h = await harness();
    const held = latch();
    const hooks = await startReceiver((_request, index) => ({ status: 200, ...(index === 0 ? { after: held.promise } : {}) }));
    receivers.push(hooks);
    const job = await finishedJob(h, hooks.url, 'fatal');
    const queuedEvent = { id: 'msg_rerun_succeeded', type: 'job.succeeded' as const, body: '{"type":"job.succeeded"}', nextAttemptAt: null };
    await h.ctx.jobs.transition(job, (j): Decision<null> => ({ write: { ...j!, webhook: { ...pendingWebhook(j!.webhook)!, backlog: [queuedEvent] } }, result: null }));
    const { handleElsewhere } = await twoDeliverers(h);

    // Act: a second copy of the fatal event, then whatever it enqueued, while the first (leased) POST is held.
    const first = h.handleReceived(2, messageFor(job));
    await waitFor(() => hooks.requests.length === 1, { description: 'the first POST' });
    await handleElsewhere(messageFor(job));
    await handleElsewhere({ ...messageFor(job), eventId: queuedEvent.id });
    held.release();
    await first;
    await handleElsewhere({ ...messageFor(job), eventId: queuedEvent.id });

    // Assert: each event once, fatal first.
    expect(hooks.requests.map((r) => r.headers['webhook-id'])).toEqual([webhookEventOf(job.webhook)!.id, queuedEvent.id]);
    expect((await reload(h, job)).webhook).toMatchObject({ status: 'delivered', attempts: 1, event: { id: queuedEvent.id } });
  });

  it('first receives of two copies may both POST (same webhook-id, same body), and only one outcome is recorded', async () => {
    // Arrange: the receiver holds the first request open until the test releases it.
    const h = await harness();
    const held = latch();
    const heldTarget = await startReceiver((_request, index) => ({ status: 200, ...(index === 0 ? { after: held.promise } : {}) }));
    receivers.push(heldTarget);
    const job = await finishedJob(h, heldTarget.url);
    const { handleElsewhere } = await twoDeliverers(h);

    // Act: the first copy's POST is in flight (nothing written before it); the second copy is handled to its end.
    const first = h.handle(messageFor(job));
    await waitFor(() => heldTarget.requests.length === 1, { description: 'the first POST' });
    await handleElsewhere(messageFor(job));
    held.release();
    await first;

    // Assert: at-least-once, one event: the same id and bytes twice, one try recorded.
    expect(heldTarget.requests.map((r) => r.headers['webhook-id'])).toEqual([webhookEventOf(job.webhook)!.id, webhookEventOf(job.webhook)!.id]);
    expect(heldTarget.requests[1].body).toBe(heldTarget.requests[0].body);
    expect((await reload(h, job)).webhook).toMatchObject({ status: 'delivered', attempts: 1, lastStatusCode: 200 });
  });
});

describe('a deliverer killed mid-POST (no lease is written before a first try)', () => {
  it('leaves the event pending with nothing written, and the message received again delivers it', async () => {
    // Arrange: the receiver never answers the first request (its deliverer is as good as dead), answers the next.
    const h = await harness({ webhookTimeoutSeconds: 30 });
    const target = await startReceiver((_request, index) => ({ status: 200, ...(index === 0 ? { after: new Promise<void>(() => undefined) } : {}) }));
    receivers.push(target);
    const job = await finishedJob(h, target.url);
    const before = await reload(h, job);
    void h.handle(messageFor(job));
    await waitFor(() => target.requests.length === 1, { description: 'the POST of the deliverer about to die' });
    const during = await reload(h, job);

    // Act: SQS brings the message back after its visibility timeout (its receive count 2).
    await h.handleReceived(2, messageFor(job));

    // Assert: the try in flight wrote nothing; the next receive delivered the same event, byte for byte.
    expect(during).toEqual(before);
    expect(target.requests.map((r) => r.headers['webhook-id'])).toEqual([webhookEventOf(job.webhook)!.id, webhookEventOf(job.webhook)!.id]);
    expect(target.requests[1].body).toBe(target.requests[0].body);
    expect((await reload(h, job)).webhook).toMatchObject({ status: 'delivered', attempts: 1, lastStatusCode: 200 });
  });
});
