/**
 * The worker through the running twin (issue 4, Done-when 1, 2, 3 and the
 * outbox half of 7): `http` jobs against a real local receiver — retried with
 * backoff, made fatal, timed out — duplicate and stale messages, and `email` /
 * `sms` landing in the local outbox.
 */
import { GetQueueAttributesCommand, SendMessageCommand, SetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { readOutbox } from '../../local/outbox';
import { scriptedByPath, startReceiver, type Receiver } from '../support/receiver';
import { startTestTwin, type TestTwin } from '../support/twin';

let t: TestTwin;
let receiver: Receiver;
const scripted = scriptedByPath();

beforeAll(async () => {
  t = await startTestTwin({ env: { JOB_TIMEOUT_SECONDS: '3' } });
  receiver = await startReceiver(scripted.responder);
});

afterAll(async () => {
  await receiver?.close();
  await t?.close();
});

const requestsTo = (path: string) => receiver.requests.filter((r) => r.path === path);
const httpJob = (path: string, extra: Record<string, unknown> = {}) => ({
  type: 'http',
  payload: { url: `${receiver.url}${path}`, method: 'POST', body: { hello: 'world' } },
  ...extra,
});

describe('an http job', () => {
  it('answered 503, 503, 200 succeeds on its third attempt, with each attempt on record', async () => {
    // Arrange
    scripted.script('/flaky', { status: 503 }, { status: 503 }, { status: 200, body: 'ok' });

    // Act
    const job = await t.api.submit(httpJob('/flaky'));
    const done = await t.api.waitForJob(job.jobId, ['succeeded', 'fatal']);

    // Assert
    expect(done).toMatchObject({ status: 'succeeded', attempts: 3, result: { status: 200, body: 'ok' }, lastError: null, nextRunAt: null });
    const attempts = await t.api.attempts(job.jobId);
    expect(attempts.map((a) => [a.attempt, a.status, a.error])).toEqual([
      [1, 'failed', 'HTTP 503 from target'],
      [2, 'failed', 'HTTP 503 from target'],
      [3, 'succeeded', null],
    ]);
    for (const a of attempts) {
      expect(a.durationMs).toBe(Date.parse(a.finishedAt!) - Date.parse(a.startedAt));
    }
    // Each retry waited at least the backoff's 1 s floor after the failure before it.
    expect(Date.parse(attempts[1].startedAt) - Date.parse(attempts[0].finishedAt!)).toBeGreaterThanOrEqual(1000);
    expect(Date.parse(attempts[2].startedAt) - Date.parse(attempts[1].finishedAt!)).toBeGreaterThanOrEqual(1000);
    // The same Idempotency-Key on every attempt; the attempt number in x-job-attempt.
    expect(requestsTo('/flaky').map((r) => [r.headers['idempotency-key'], r.headers['x-job-attempt']])).toEqual([
      [job.jobId, '1'],
      [job.jobId, '2'],
      [job.jobId, '3'],
    ]);
  });

  it('answered 400 is fatal after one attempt', async () => {
    scripted.script('/bad-request', { status: 400 });

    const job = await t.api.submit(httpJob('/bad-request'));
    const done = await t.api.waitForJob(job.jobId, ['succeeded', 'fatal']);

    expect(done).toMatchObject({ status: 'fatal', attempts: 1, lastError: 'HTTP 400 from target', finishedAt: expect.any(String) });
    expect(await t.api.attempts(job.jobId)).toMatchObject([{ attempt: 1, status: 'failed', error: 'HTTP 400 from target' }]);
    expect(requestsTo('/bad-request')).toHaveLength(1);
  });

  it('answered 503 every time is fatal after maxAttempts', async () => {
    scripted.script('/down', { status: 503 });

    const job = await t.api.submit(httpJob('/down', { maxAttempts: 3 }));
    const done = await t.api.waitForJob(job.jobId, ['succeeded', 'fatal']);

    expect(done).toMatchObject({ status: 'fatal', attempts: 3, lastError: 'HTTP 503 from target' });
    expect((await t.api.attempts(job.jobId)).map((a) => a.status)).toEqual(['failed', 'failed', 'failed']);
    expect(requestsTo('/down')).toHaveLength(3);
  });

  it('whose target hangs past timeoutSeconds fails that attempt as retryable', async () => {
    scripted.script('/hangs-once', { hang: true }, { status: 200 });

    const job = await t.api.submit({ type: 'http', payload: { url: `${receiver.url}/hangs-once`, timeoutSeconds: 1 } });
    const done = await t.api.waitForJob(job.jobId, ['succeeded', 'fatal']);

    expect(done).toMatchObject({ status: 'succeeded', attempts: 2 });
    const [first, second] = await t.api.attempts(job.jobId);
    expect(first).toMatchObject({ status: 'failed', error: expect.stringMatching(/timed out/) });
    expect(first.durationMs).toBeGreaterThanOrEqual(900);
    expect(second).toMatchObject({ status: 'succeeded' });
  });
});

describe('duplicate and stale messages', () => {
  it('the same message delivered several times at once runs the handler once', async () => {
    // Arrange: the submit's own message and two copies, all due in the same second.
    scripted.script('/slow-ok', { status: 200, delayMs: 300 });
    const job = await t.api.submit(httpJob('/slow-ok', { delaySeconds: 1 }));
    const message = { tenantId: job.tenantId, jobId: job.jobId };
    const failed = await t.twin.context.jobsQueue.sendMany([
      { message, delaySeconds: 1 },
      { message, delaySeconds: 1 },
    ]);
    expect(failed).toEqual([]);

    // Act
    await t.api.waitForJob(job.jobId, ['succeeded', 'fatal']);
    await t.waitForQueueEmpty();

    // Assert
    expect(requestsTo('/slow-ok')).toHaveLength(1);
    expect(await t.api.attempts(job.jobId)).toMatchObject([{ attempt: 1, status: 'succeeded' }]);
  });

  it('a message for a finished job does nothing', async () => {
    const job = await t.api.submit(httpJob('/finished'));
    const done = await t.api.waitForJob(job.jobId, ['succeeded']);
    await t.waitForQueueEmpty();

    await t.twin.context.jobsQueue.send({ message: { tenantId: job.tenantId, jobId: job.jobId } });
    await t.waitForQueueEmpty();

    expect(await t.api.getJob(job.jobId)).toEqual(done);
    expect(requestsTo('/finished')).toHaveLength(1);
  });

  it('a canceled job never runs, even with its message already in the queue', async () => {
    const job = await t.api.submit(httpJob('/canceled', { delaySeconds: 1 }));
    expect((await t.api.cancel(job.jobId)).status).toBe(200);
    await t.twin.context.jobsQueue.send({ message: { tenantId: job.tenantId, jobId: job.jobId } });

    await t.waitForQueueEmpty(undefined, 5000);

    expect(await t.api.getJob(job.jobId)).toMatchObject({ status: 'canceled', attempts: 0 });
    expect(await t.api.attempts(job.jobId)).toEqual([]);
    expect(requestsTo('/canceled')).toHaveLength(0);
  });

  it('an unparseable message goes to the DLQ after maxReceiveCount, touching nothing', async () => {
    // A failed message is visible again after the visibility timeout; 0 here, so its ten receives take no time.
    const setVisibility = (seconds: number) =>
      t.twin.context.sqs.send(new SetQueueAttributesCommand({ QueueUrl: t.twin.jobsQueueUrl, Attributes: { VisibilityTimeout: String(seconds) } }));
    const { Attributes } = await t.twin.context.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: t.twin.jobsQueueUrl, AttributeNames: ['VisibilityTimeout'] }),
    );
    await setVisibility(0);
    try {
      await t.twin.context.sqs.send(new SendMessageCommand({ QueueUrl: t.twin.jobsQueueUrl, MessageBody: 'not json', MessageGroupId: 'x' }));

      await t.waitForQueueEmpty(undefined, 10_000);
    } finally {
      await setVisibility(Number(Attributes!.VisibilityTimeout));
    }

    // In the DLQ, for operators (the scheduler looks at it each run and leaves it: it cannot be read).
    const dlq = await t.queueDepth(t.twin.jobsDlqUrl);
    expect(dlq.visible + dlq.inFlight).toBe(1);
  });
});

describe('email and sms on the twin', () => {
  it('land in the local outbox, one message each', async () => {
    const email = await t.api.submit({ type: 'email', payload: { to: 'ann@example.com', subject: 'Hi', text: 'Hello' } });
    const sms = await t.api.submit({ type: 'sms', payload: { to: '+14155550100', message: 'Hello' } });

    const [emailDone, smsDone] = await Promise.all([t.api.waitForJob(email.jobId, ['succeeded', 'fatal']), t.api.waitForJob(sms.jobId, ['succeeded', 'fatal'])]);

    expect(emailDone).toMatchObject({ status: 'succeeded', result: { outbox: true } });
    expect(smsDone).toMatchObject({ status: 'succeeded' });
    const outbox = await readOutbox(t.twin.outboxDir);
    expect(outbox.filter((m) => m.jobId === email.jobId)).toMatchObject([
      { channel: 'email', tenantId: t.twin.dev.tenantId, attempt: 1, message: { to: ['ann@example.com'], subject: 'Hi' } },
    ]);
    expect(outbox.filter((m) => m.jobId === sms.jobId)).toMatchObject([{ channel: 'sms', attempt: 1 }]);
  });
});
