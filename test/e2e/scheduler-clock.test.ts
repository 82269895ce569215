/**
 * Work due beyond SQS's 15-minute delay (SPEC §4; issue 4, Done-when 5): a
 * `runAt` 20 minutes ahead and a backoff longer than 15 minutes are dispatched
 * by the scheduler when their time comes — judged by an injected clock the test
 * moves, not by waiting. The scheduler runs only when the test asks.
 *
 * The look-ahead is 2 s here, so a dispatch carries an SQS delay of at most 2 s
 * (SQS delays run on real time).
 */
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { jobItemKey } from '../../lambdas/store/job-store';
import { TestClock } from '../support/clock';
import { scriptedByPath, startReceiver, type Receiver } from '../support/receiver';
import { startTestTwin, type TestTwin } from '../support/twin';

const LOOKAHEAD_MS = 2000;
const clock = new TestClock();
let t: TestTwin;
let receiver: Receiver;
const scripted = scriptedByPath();

beforeAll(async () => {
  t = await startTestTwin({
    now: clock.now,
    env: {
      SCHEDULER_INTERVAL_SECONDS: '3600',
      SCHEDULER_LOOKAHEAD_SECONDS: String(LOOKAHEAD_MS / 1000),
      STALE_AFTER_SECONDS: '600',
      BACKOFF_MAX_SECONDS: '3600',
    },
  });
  receiver = await startReceiver(scripted.responder);
});

afterAll(async () => {
  await receiver?.close();
  await t?.close();
});

describe('a job with runAt 20 minutes ahead', () => {
  it('is not sent to SQS until the clock reaches runAt minus the look-ahead, then runs', async () => {
    // Arrange
    const runAtMs = clock.now() + 20 * 60_000;
    const job = await t.api.submit({ type: 'echo', payload: { at: 'later' }, runAt: new Date(runAtMs).toISOString() });
    expect(job).toMatchObject({ status: 'queued', nextRunAt: new Date(runAtMs).toISOString() });
    expect(await t.queueDepth()).toEqual({ visible: 0, inFlight: 0, delayed: 0 });

    // Act + Assert: not yet, 19 minutes later, nor just before the look-ahead window.
    clock.advance(19 * 60_000);
    expect(await t.twin.background.runSchedulerNow()).toMatchObject({ dispatched: 0 });
    clock.set(runAtMs - LOOKAHEAD_MS - 1);
    expect(await t.twin.background.runSchedulerNow()).toMatchObject({ dispatched: 0 });
    expect(await t.queueDepth()).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
    expect(await t.api.getJob(job.jobId)).toMatchObject({ status: 'queued', attempts: 0 });

    // Within the look-ahead: sent, delayed to runAt, and run.
    clock.set(runAtMs - LOOKAHEAD_MS / 2);
    expect(await t.twin.background.runSchedulerNow()).toMatchObject({ dispatched: 1 });
    const done = await t.api.waitForJob(job.jobId, ['succeeded', 'fatal']);

    expect(done).toMatchObject({ status: 'succeeded', attempts: 1, result: { at: 'later' } });
  });
});

describe('a retry whose backoff is longer than 15 minutes', () => {
  it('waits on the sweep index (no SQS message), and is dispatched when its time comes', async () => {
    // Arrange: the target asks for 20 minutes (Retry-After: 1200), then recovers.
    scripted.script('/busy', { status: 503, headers: { 'retry-after': '1200' } }, { status: 200, body: 'back' });
    const job = await t.api.submit({ type: 'http', payload: { url: `${receiver.url}/busy` } });
    const failedAt = clock.now();

    const waiting = await t.api.waitForJob(job.jobId, ['retry', 'succeeded', 'fatal']);
    expect(waiting).toMatchObject({ status: 'retry', attempts: 1, lastError: 'HTTP 503 from target' });
    const nextRunAtMs = Date.parse(waiting.nextRunAt!);
    expect(nextRunAtMs).toBe(failedAt + 1_200_000);
    await t.waitForQueueEmpty();

    // Act + Assert: 16 minutes on, still waiting, nothing sent.
    clock.advance(16 * 60_000);
    expect(await t.twin.background.runSchedulerNow()).toMatchObject({ dispatched: 0 });
    expect(await t.queueDepth()).toEqual({ visible: 0, inFlight: 0, delayed: 0 });

    clock.set(nextRunAtMs - LOOKAHEAD_MS / 2);
    expect(await t.twin.background.runSchedulerNow()).toMatchObject({ dispatched: 1 });
    const done = await t.api.waitForJob(job.jobId, ['succeeded', 'fatal']);

    expect(done).toMatchObject({ status: 'succeeded', attempts: 2, result: { status: 200, body: 'back' } });
    expect(receiver.requests.filter((r) => r.path === '/busy')).toHaveLength(2);
  });
});

describe('the TTL sweeper', () => {
  it('deletes jobs past their retention (what DynamoDB TTL does on AWS)', async () => {
    const job = await t.api.submit({ type: 'echo', payload: { old: true } });
    await t.api.waitForJob(job.jobId, ['succeeded']);
    const itemsOf = async () =>
      (await t.twin.context.db.send(new ScanCommand({ TableName: t.twin.config.tableName, ProjectionExpression: 'pk' }))).Items ?? [];
    // The job's id is in its key (the item does not repeat it).
    const { pk } = jobItemKey({ tenantId: job.tenantId, jobId: job.jobId });
    expect((await itemsOf()).some((item) => item.pk === pk)).toBe(true);

    clock.advance(7 * 86_400_000 + 1000);
    const deleted = await t.twin.background.sweepExpiredNow();

    expect(deleted).toBeGreaterThanOrEqual(1);
    expect((await itemsOf()).some((item) => item.pk === pk)).toBe(false);
    expect((await t.api.request('GET', `/v1/jobs/${job.jobId}`)).status).toBe(404);
  });
});
