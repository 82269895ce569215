/**
 * The twin's `GET /twin/health` (local/twin-health.ts), the web console's
 * health strip, on a running twin over HTTP: keyed like the service's routes,
 * its queue figures what the SQS endpoint itself answers, and its jobs per
 * minute what the handlers counted.
 *
 * Two twins, one after the other (one per process at a time): a running one,
 * and one whose pollers and scheduler are stopped, so that messages stay where
 * the test puts them — on a running twin the scheduler drains the dead-letter
 * queues every run and the pollers empty the queues.
 */
import { GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Twin } from '../../local/twin';
import type { TwinHealthReport } from '../../local/twin-health';
import { startReceiver, type Receiver } from '../support/receiver';
import { startTestTwin, type JobView, type TestTwin } from '../support/twin';
import { waitFor } from '../support/wait-for';

const MINUTE_MS = 60_000;

interface HealthResponse<T = TwinHealthReport> {
  readonly status: number;
  readonly headers: Headers;
  readonly body: T;
}

interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly code: string;
  readonly detail: string;
  readonly requestId: string;
}

/** `method /twin/health` on `twin` with `apiKey` (the dev tenant's by default, none when null). */
async function health<T = TwinHealthReport>(twin: Twin, options: { method?: string; apiKey?: string | null } = {}): Promise<HealthResponse<T>> {
  const apiKey = options.apiKey === undefined ? twin.dev.apiKey : options.apiKey;
  const response = await fetch(`${twin.url}/twin/health`, { method: options.method ?? 'GET', headers: apiKey === null ? {} : { 'x-api-key': apiKey } });
  return { status: response.status, headers: response.headers, body: (await response.json()) as T };
}

/** The report, failing the test on any other answer than 200. */
async function report(twin: Twin): Promise<TwinHealthReport> {
  const response = await health(twin);
  if (response.status !== 200) throw new Error(`GET /twin/health answered ${response.status}: ${JSON.stringify(response.body)}`);
  return response.body;
}

/** Jobs created, succeeded and fatal over the whole window. */
function totals(jobsPerMinute: TwinHealthReport['jobsPerMinute']) {
  return jobsPerMinute.reduce((sum, m) => ({ created: sum.created + m.created, succeeded: sum.succeeded + m.succeeded, fatal: sum.fatal + m.fatal }), {
    created: 0,
    succeeded: 0,
    fatal: 0,
  });
}

function expectProblem(response: HealthResponse<Problem>, status: number, code: string): void {
  expect({ status: response.status, code: response.body.code }).toEqual({ status, code });
  expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(response.body).toMatchObject({ type: 'about:blank', status, title: expect.any(String), detail: expect.any(String) });
  expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  expect(response.body.requestId).toBe(response.headers.get('x-request-id'));
}

describe('on a running twin', () => {
  let t: TestTwin;
  let target: Receiver;

  beforeAll(async () => {
    [t, target] = await Promise.all([startTestTwin(), startReceiver(() => ({ status: 400, body: 'refused' }))]);
  });

  afterAll(async () => {
    await target?.close();
    await t?.close();
  });

  describe('who may ask', () => {
    it.each([
      ['without a key', 'GET', null],
      ['with an unknown key', 'GET', 'not-a-key-of-anyone'],
      // The key before the method, as on the service's own routes.
      ['without a key, by POST', 'POST', null],
      ['with an unknown key, by POST', 'POST', 'not-a-key-of-anyone'],
    ])('%s: 403 forbidden, as problem+json with its request id', async (_, method, apiKey) => {
      // Act
      const response = await health<Problem>(t.twin, { method, apiKey });

      // Assert
      expectProblem(response, 403, 'forbidden');
    });

    it.each(['POST', 'PUT', 'DELETE'])('with the dev key, by %s: 405, allow GET', async (method) => {
      // Act
      const response = await health<Problem>(t.twin, { method });

      // Assert
      expectProblem(response, 405, 'method_not_allowed');
      expect(response.headers.get('allow')).toBe('GET');
    });
  });

  it('answers the dev tenant the jobs and webhooks queues, the sweep and 16 minutes of jobs, oldest first', async () => {
    // Arrange: the scheduler (every 0.2 s here) has published its SweepOverdueSeconds at least once.
    await waitFor(async () => (await report(t.twin)).sweep.overdueSeconds !== null, { description: 'a first SweepOverdueSeconds on the route' });
    await t.waitForQueueEmpty();
    const before = Date.now();

    // Act
    const response = await health(t.twin);
    const after = Date.now();

    // Assert
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const { generatedAt, queues, sweep, jobsPerMinute, ...rest } = response.body;
    expect(rest).toEqual({});
    expect(new Date(generatedAt).toISOString()).toBe(generatedAt);
    expect(Date.parse(generatedAt)).toBeGreaterThanOrEqual(before);
    expect(Date.parse(generatedAt)).toBeLessThanOrEqual(after);
    // Idle: both queues empty, so no oldest message either.
    expect(queues).toEqual([
      { name: 'jobs', depth: 0, inFlight: 0, oldestAgeSeconds: null, dlqDepth: 0 },
      { name: 'webhooks', depth: 0, inFlight: 0, oldestAgeSeconds: null, dlqDepth: 0 },
    ]);
    expect(sweep).toEqual({ overdueSeconds: expect.any(Number) });
    expect(sweep.overdueSeconds).toBeGreaterThanOrEqual(0);
    expect(jobsPerMinute).toHaveLength(16);
    for (const entry of jobsPerMinute) {
      expect(entry).toEqual({ minute: expect.any(String), created: expect.any(Number), succeeded: expect.any(Number), fatal: expect.any(Number) });
      expect(new Date(entry.minute).toISOString()).toBe(entry.minute);
    }
    const starts = jobsPerMinute.map((m) => Date.parse(m.minute));
    expect(starts.slice(1).map((start, i) => start - starts[i])).toEqual(Array(15).fill(MINUTE_MS));
    // The last entry is the minute the report was made in.
    expect(starts.at(-1)).toBe(Math.floor(Date.parse(generatedAt) / MINUTE_MS) * MINUTE_MS);
  });

  it('counts the jobs the handlers created, succeeded and made fatal, a replayed submission not created again', async () => {
    // Arrange
    const start = totals((await report(t.twin)).jobsPerMinute);

    // Act: three echo jobs (one submitted twice with its idempotency key) and an http job its target refuses.
    const echoes = await Promise.all([
      t.api.submit({ type: 'echo', payload: { n: 1 } }, { idempotencyKey: 'twin-health-echo' }),
      t.api.submit({ type: 'echo', payload: { n: 2 } }),
      t.api.submit({ type: 'echo', payload: { n: 3 } }),
    ]);
    const replayed = await t.api.submit({ type: 'echo', payload: { n: 1 } }, { idempotencyKey: 'twin-health-echo' });
    const refused = await t.api.submit({ type: 'http', payload: { url: `${target.url}/refuse`, method: 'POST' } });
    const finished: JobView[] = await Promise.all([...echoes, refused].map((job) => t.api.waitForJob(job.jobId, ['succeeded', 'fatal'])));
    // Each count lands as its invocation ends, which may be just after the job's status was written.
    const end = await waitFor(
      async () => {
        const now = totals((await report(t.twin)).jobsPerMinute);
        return now.succeeded >= start.succeeded + 3 && now.fatal >= start.fatal + 1 ? now : undefined;
      },
      { description: 'the finished jobs counted on the route' },
    );

    // Assert
    expect(replayed.jobId).toBe(echoes[0].jobId);
    expect(finished.map((job) => job.status)).toEqual(['succeeded', 'succeeded', 'succeeded', 'fatal']);
    expect({ created: end.created - start.created, succeeded: end.succeeded - start.succeeded, fatal: end.fatal - start.fatal }).toEqual({
      created: 4,
      succeeded: 3,
      fatal: 1,
    });
  });
});

describe('on a twin with its pollers and scheduler stopped', () => {
  let t: TestTwin;
  let sqs: SQSClient;

  beforeAll(async () => {
    t = await startTestTwin();
    // Nothing receives from the queues or drains the dead-letter queues any more: messages stay put.
    await t.twin.background.stop();
    sqs = new SQSClient({ endpoint: t.twin.sqsUrl });
  });

  afterAll(async () => {
    sqs?.destroy();
    await t?.close();
  });

  /** What the SQS endpoint itself answers for a queue. */
  async function attributesOf(queueUrl: string): Promise<{ depth: number; inFlight: number }> {
    const { Attributes = {} } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
    );
    return { depth: Number(Attributes.ApproximateNumberOfMessages), inFlight: Number(Attributes.ApproximateNumberOfMessagesNotVisible) };
  }

  it("reports each queue's depth, in-flight and dead-letter counts as SQS answers them, and its oldest message's age", async () => {
    // Arrange: four jobs waiting on the jobs queue, one of their messages received and held by someone else.
    const sentFrom = Date.now();
    for (let n = 0; n < 4; n++) await t.api.submit({ type: 'echo', payload: { n } });
    const held = await sqs.send(new ReceiveMessageCommand({ QueueUrl: t.twin.jobsQueueUrl, MaxNumberOfMessages: 1, VisibilityTimeout: 600 }));
    // Messages in both dead-letter queues (three and two), which only the stopped scheduler would drain.
    for (let n = 0; n < 3; n++) await sqs.send(new SendMessageCommand({ QueueUrl: t.twin.jobsDlqUrl, MessageBody: `dead job message ${n}` }));
    for (let n = 0; n < 2; n++) await sqs.send(new SendMessageCommand({ QueueUrl: t.twin.webhooksDlqUrl, MessageBody: `dead webhook message ${n}` }));

    // Act
    const { queues } = await report(t.twin);
    const elapsedSeconds = Math.ceil((Date.now() - sentFrom) / 1000);

    // Assert: the route says what GetQueueAttributes says, read right after (nothing moves the messages).
    const [jobs, jobsDlq, webhooks, webhooksDlq] = await Promise.all(
      [t.twin.jobsQueueUrl, t.twin.jobsDlqUrl, t.twin.webhooksQueueUrl, t.twin.webhooksDlqUrl].map(attributesOf),
    );
    expect(held.Messages).toHaveLength(1);
    expect(queues).toEqual([
      { name: 'jobs', depth: jobs.depth, inFlight: jobs.inFlight, oldestAgeSeconds: expect.any(Number), dlqDepth: jobsDlq.depth },
      { name: 'webhooks', depth: webhooks.depth, inFlight: webhooks.inFlight, oldestAgeSeconds: null, dlqDepth: webhooksDlq.depth },
    ]);
    // And those are the messages this test put there.
    expect(queues.map(({ name, depth, inFlight, dlqDepth }) => ({ name, depth, inFlight, dlqDepth }))).toEqual([
      { name: 'jobs', depth: 3, inFlight: 1, dlqDepth: 3 },
      { name: 'webhooks', depth: 0, inFlight: 0, dlqDepth: 2 },
    ]);
    // Whole seconds since the first job's message arrived, at most the time since it was sent.
    expect(Number.isInteger(queues[0].oldestAgeSeconds)).toBe(true);
    expect(queues[0].oldestAgeSeconds).toBeGreaterThanOrEqual(0);
    expect(queues[0].oldestAgeSeconds).toBeLessThanOrEqual(elapsedSeconds);
  });
});
