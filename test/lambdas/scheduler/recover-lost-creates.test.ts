/**
 * The scheduler's open-bucket scan (SPEC §4, nothing is stranded): a create due
 * at once carries no sweep entry, and the scan finds one whose message was lost.
 * On dynalite and on AWS's DynamoDB Local, with a hand-moved clock.
 */
import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { InitializeHandler, InitializeHandlerArguments, MetadataBearer } from '@smithy/types';
import { loadConfig } from '../../../lambdas/config';
import type { Job } from '../../../lambdas/jobs/job';
import { sweepShardOf } from '../../../lambdas/jobs/sweep';
import { claim, finishAttempt, inPlaceClaim } from '../../../lambdas/jobs/transitions';
import type { JobMessage, WebhookMessage } from '../../../lambdas/queue/job-queue';
import { CREATE_VISIBLE_WITHIN_SECONDS, STATUS_INDEX_SHARDS } from '../../../lambdas/resources';
import { createSchedulerHandler, dispatchDueJobs } from '../../../lambdas/scheduler/dispatch-due-jobs';
import { recoverLostCreates, type RecoverLostCreatesOptions } from '../../../lambdas/scheduler/recover-lost-creates';
import type { ServiceContext } from '../../../lambdas/service-context';
import { JobStore, jobItemKey, type SweepEntry } from '../../../lambdas/store/job-store';
import { statusIndexShardOf } from '../../../lambdas/store/status-index';
import { TenantStore } from '../../../lambdas/store/tenant-store';
import { ensureTable, startDynamoDb } from '../../../local/dynamodb';
import { TestClock } from '../../support/clock';
import { startDynamoDbLocal } from '../../support/dynamodb-local';
import { jobFactory } from '../../support/job-factory';
import { RecordingQueue } from '../../support/service-context';
import { tenantFactory } from '../../support/tenant-factory';

const STALE_MS = 120_000;
const START = Date.UTC(2026, 11, 4, 9);

interface Backend {
  url: string;
  close(): Promise<void>;
}

const BACKENDS: Array<[string, () => Promise<Backend>]> = [
  ['dynalite', () => startDynamoDb({})],
  ['DynamoDB Local', () => startDynamoDbLocal()],
];

describe.each(BACKENDS)('the open-bucket scan on %s', (_name, start) => {
  let backend: Backend;
  let client: DynamoDBClient;
  let db: DynamoDBDocumentClient;
  /** Each test has its own clock (and its own tenants): a run reads every tenant, but the assertions are about this test's. */
  let clock: TestClock;
  let ctx: ServiceContext;
  let jobsQueue: RecordingQueue<JobMessage>;
  /** Writes to the scheduler's own items (the scan's marks), counted. */
  let markWrites = 0;

  beforeAll(async () => {
    backend = await start();
    client = new DynamoDBClient({ endpoint: backend.url, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    await ensureTable(client, 'jobs');
    db = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false } });
    db.middlewareStack.add(
      (next: InitializeHandler<object, MetadataBearer>) => async (args: InitializeHandlerArguments<object>) => {
        const item = (args.input as { Item?: { pk?: string } }).Item;
        if (item?.pk === 'SCHEDULER') markWrites++;
        return next(args);
      },
      { step: 'initialize', name: 'countMarkWrites' },
    );
  }, 60_000);

  afterAll(async () => {
    client?.destroy();
    await backend?.close();
  });

  beforeEach(() => {
    clock = new TestClock(START);
    jobsQueue = new RecordingQueue<JobMessage>();
    const config = loadConfig({ JOBS_TABLE_NAME: 'jobs', STALE_AFTER_SECONDS: String(STALE_MS / 1000), SCHEDULER_LOOKAHEAD_SECONDS: '300' });
    ctx = {
      config,
      now: clock.now,
      db,
      sqs: undefined as unknown as SQSClient,
      logger: new Logger({ serviceName: 'test', logLevel: 'SILENT' }),
      metrics: new Metrics({ namespace: 'Test', serviceName: 'test' }),
      jobs: new JobStore(db, { tableName: 'jobs', now: clock.now, sweep: { lookaheadMs: 300_000, staleAfterMs: STALE_MS } }),
      tenants: new TenantStore(db, 'jobs'),
      jobsQueue,
      webhooksQueue: new RecordingQueue<WebhookMessage>(),
      jobTypes: () => {
        throw new Error('no job runs here');
      },
    };
    markWrites = 0;
  });

  async function newTenant(): Promise<string> {
    const tenantId = `scan-${randomUUID().slice(0, 8)}`;
    await ctx.tenants.createTenant(tenantFactory({ tenantId }));
    return tenantId;
  }

  /** Creates a job as the api does (its message "sent first"), now or at `createdAtMs`. */
  async function createJob(tenantId: string, overrides: Partial<Job> = {}, createdAtMs = clock.now()): Promise<Job> {
    const job = jobFactory(createdAtMs, { tenantId, sentFirst: true, ...overrides });
    await ctx.jobs.create(job);
    return job;
  }

  const rawItem = async (job: Pick<Job, 'tenantId' | 'jobId'>) =>
    (await db.send(new GetCommand({ TableName: 'jobs', Key: jobItemKey(job), ConsistentRead: true }))).Item;

  /** One scan at the clock's time, its sends recorded (not made). */
  async function scan(options: Partial<RecoverLostCreatesOptions> = {}) {
    const sent: SweepEntry[] = [];
    const report = await recoverLostCreates(ctx, {
      deadline: Date.now() + 60_000,
      dispatch: async (entries) => {
        sent.push(...entries);
      },
      ...options,
    });
    return { report, sent };
  }

  const idsOf = (entries: readonly SweepEntry[], tenantId: string) =>
    entries
      .filter((e) => e.tenantId === tenantId)
      .map((e) => e.jobId)
      .sort();

  /** `count` job ids that share one status-index shard. */
  function idsInOneShard(count: number): string[] {
    const ids: string[] = [];
    while (ids.length < count) {
      const id = randomUUID();
      if (statusIndexShardOf(id, STATUS_INDEX_SHARDS) === 3) ids.push(id);
    }
    return ids;
  }

  it('puts a create whose message was lost on the sweep index, due now, once STALE_AFTER_SECONDS have passed, and hands it on to be sent', async () => {
    // Arrange: a create due at once, sent first: no sweep entry.
    const tenantId = await newTenant();
    const job = await createJob(tenantId);
    expect(await rawItem(job)).not.toHaveProperty('sweepAt');

    // Act + Assert: not before its message should have run…
    clock.set(START + STALE_MS - 1);
    expect(idsOf((await scan()).sent, tenantId)).toEqual([]);
    expect(await rawItem(job)).not.toHaveProperty('sweepAt');

    // …then it is: on the sweep index due now, and handed on as a fresh entry.
    clock.set(START + STALE_MS);
    const { report, sent } = await scan();
    expect(report.complete).toBe(true);
    expect(sent.filter((e) => e.tenantId === tenantId)).toEqual([
      { tenantId, jobId: job.jobId, status: 'queued', sweepAt: START + STALE_MS, sweepCount: 0, nextRunAt: job.nextRunAt, webhookEventId: null },
    ]);
    expect(await rawItem(job)).toMatchObject({ sweepAt: START + STALE_MS, sweepShard: sweepShardOf(job.jobId), sweepCount: 0, status: 'queued' });
    expect((await ctx.jobs.dueForSweep(sweepShardOf(job.jobId), START + STALE_MS, 100)).map((e) => e.jobId)).toContain(job.jobId);
  });

  it('passes over the jobs that are covered: running, a retry or a delayed job with its entry, an entry of a busy duplicate, finished', async () => {
    // Arrange
    const tenantId = await newTenant();
    const timing = { nowMs: START, retentionDays: 7 };
    const running = await createJob(tenantId);
    expect((await ctx.jobs.claimInPlace(running, inPlaceClaim(0, 30_000, timing))).claimed).toBeDefined();
    const retry = await createJob(tenantId, { status: 'retry', attempts: 1 });
    const delayed = await createJob(tenantId, { nextRunAt: new Date(START + 1000).toISOString() });
    const busy = await createJob(tenantId);
    expect(await ctx.jobs.sweepNoLaterThan(busy, START + 10 * 60_000, 'queued')).toBe(true);
    const finished = await createJob(tenantId);
    await ctx.jobs.transition(finished, (j) => claim(j, 30_000, timing));
    await ctx.jobs.transition(finished, (j) => finishAttempt(j, 1, { kind: 'succeeded', result: null }, 300_000, timing));
    const before = await Promise.all([running, retry, delayed, busy, finished].map(rawItem));
    expect(before.map((item) => item?.sweepAt !== undefined)).toEqual([false, true, true, true, false]);

    // Act
    clock.set(START + STALE_MS + 1000);
    const { report, sent } = await scan();

    // Assert: the four open jobs looked at (the finished one left the open bucket), none touched, none sent.
    expect(idsOf(sent, tenantId)).toEqual([]);
    expect(report.examined).toBeGreaterThanOrEqual(4);
    expect(await Promise.all([running, retry, delayed, busy, finished].map(rawItem))).toEqual(before);
  });

  it('never marks a stretch read before all of it was looked at: a run cut short keeps its ground, the next reads on', async () => {
    // Arrange: three lost creates in one shard, 1 ms apart.
    const tenantId = await newTenant();
    const [first, second, third] = idsInOneShard(3);
    await createJob(tenantId, { jobId: first }, START);
    await createJob(tenantId, { jobId: second }, START + 1);
    await createJob(tenantId, { jobId: third }, START + 2);
    clock.set(START + STALE_MS + 10);

    // Act: a run that may look at two entries a shard.
    const cut = await scan({ maxPerShard: 2, pageSize: 1 });

    // Assert: two recovered, the run incomplete, and the shard's mark not past the third.
    expect(cut.report.complete).toBe(false);
    expect(idsOf(cut.sent, tenantId)).toEqual([first, second].sort());
    const marks = (await ctx.jobs.openScanMarks()).get(tenantId)!;
    expect(marks[3]).toBeLessThanOrEqual(START + 2);
    expect(await rawItem({ tenantId, jobId: third })).not.toHaveProperty('sweepAt');

    // Act: the next run reads on from the mark.
    const next = await scan();

    // Assert: the third found; the first two (on the sweep index now) passed over.
    expect(next.report.complete).toBe(true);
    expect(idsOf(next.sent, tenantId)).toEqual([third]);
    const after = (await ctx.jobs.openScanMarks()).get(tenantId)!;
    expect(after[3]).toBeGreaterThan(START + 2);
  });

  it('reads each stretch once: a run marks what it looked at, the next starts there, and a run that looked at nothing writes nothing', async () => {
    // Arrange
    const tenantId = await newTenant();
    const lost = await createJob(tenantId);
    const delayed = await createJob(tenantId, { nextRunAt: new Date(START + 1000).toISOString() });

    // Act + Assert: a run that looked at jobs writes the tenant's marks once…
    clock.set(START + STALE_MS + 1000);
    const first = await scan();
    expect(idsOf(first.sent, tenantId)).toEqual([lost.jobId]);
    const marks = (await ctx.jobs.openScanMarks()).get(tenantId)!;
    expect(marks).toHaveLength(STATUS_INDEX_SHARDS);
    expect(marks.every((mark) => mark === START + 1001)).toBe(true);

    // …the next run does not look at those jobs again, and, having looked at nothing, writes nothing.
    const writesBefore = markWrites;
    const second = await scan();
    expect(idsOf(second.sent, tenantId)).toEqual([]);
    expect(markWrites).toBe(writesBefore);
    expect((await ctx.jobs.openScanMarks()).get(tenantId)).toEqual(marks);
    expect(await rawItem(delayed)).toHaveProperty('sweepAt');

    // A tenant with no job at all never gets marks (nothing looked at, nothing written).
    const idle = await newTenant();
    await scan();
    expect((await ctx.jobs.openScanMarks()).has(idle)).toBe(false);
  });

  it('never marks read a stretch younger than CREATE_VISIBLE_WITHIN_SECONDS, however short STALE_AFTER_SECONDS is: a create whose put landed late is still found', async () => {
    // Arrange: a deployment with a 1 s stale time; one job looked at, so the run writes marks.
    ctx = { ...ctx, config: { ...ctx.config, staleAfterSeconds: 1 } };
    const tenantId = await newTenant();
    await createJob(tenantId, { status: 'retry', attempts: 1 }, START);
    clock.set(START + 10 * 60_000);
    await scan();
    expect((await ctx.jobs.openScanMarks()).get(tenantId)).toEqual(Array(STATUS_INDEX_SHARDS).fill(clock.now() - CREATE_VISIBLE_WITHIN_SECONDS * 1000 + 1));

    // Act: a create stamped 10 s ago whose put lands only now (a slow api call), its message lost.
    const late = await createJob(tenantId, {}, clock.now() - 10_000);
    clock.advance(5000);
    const writesBefore = markWrites;
    const { sent } = await scan();

    // Assert: found; and the marks, which could not pass it, not written again (they would save no read).
    expect(idsOf(sent, tenantId)).toEqual([late.jobId]);
    expect(markWrites).toBe(writesBefore);
  });

  it('reads every tenant apart: each finds its own lost creates, keeps its own marks, and never touches another tenant\'s jobs', async () => {
    // Arrange: a lost create for each of two tenants, and a job of a tenant the store has no record of.
    const [a, b] = [await newTenant(), await newTenant()];
    const lostA = await createJob(a);
    const lostB = await createJob(b, {}, START + 5000);
    const unknownTenant = `unregistered-${randomUUID().slice(0, 8)}`;
    const stray = await createJob(unknownTenant);

    // Act: B's create not due for the scan yet.
    clock.set(START + STALE_MS);
    const first = await scan();
    clock.set(START + STALE_MS + 5000);
    const second = await scan();

    // Assert
    expect(idsOf(first.sent, a)).toEqual([lostA.jobId]);
    expect(idsOf(first.sent, b)).toEqual([]);
    expect(idsOf(second.sent, a)).toEqual([]);
    expect(idsOf(second.sent, b)).toEqual([lostB.jobId]);
    for (const entry of [...first.sent, ...second.sent]) {
      expect((await rawItem(entry))?.pk).toBe(`JOB#${entry.tenantId}#${entry.jobId}`);
    }
    const marks = await ctx.jobs.openScanMarks();
    expect(marks.get(a)).not.toEqual(marks.get(b));
    // Only tenants the store lists are read (behind the API every job has one).
    expect([...first.sent, ...second.sent].some((e) => e.tenantId === unknownTenant)).toBe(false);
    expect(await rawItem(stray)).not.toHaveProperty('sweepAt');
  });

  it('leaves a job created by the previous version (a sweep entry at nextRunAt + STALE_AFTER_SECONDS) to its entry, which the sweep sends; the run sends it once', async () => {
    // Arrange: the item as the previous version wrote it, entry and all.
    const tenantId = await newTenant();
    const job = await createJob(tenantId);
    await db.send(
      new UpdateCommand({
        TableName: 'jobs',
        Key: jobItemKey(job),
        UpdateExpression: 'SET sweepShard = :shard, sweepAt = :at, sweepCount = :zero',
        ExpressionAttributeValues: { ':shard': sweepShardOf(job.jobId), ':at': START + STALE_MS, ':zero': 0 },
      }),
    );

    // Act: a whole scheduler run once its message should have run.
    clock.set(START + STALE_MS);
    const report = await dispatchDueJobs(ctx);

    // Assert: sent by the sweep, once; the scan recovered nothing of it.
    expect(report.redispatched).toBeGreaterThanOrEqual(1);
    expect(jobsQueue.drain().filter((d) => d.message.jobId === job.jobId)).toHaveLength(1);
    expect(await rawItem(job)).toMatchObject({ sweepCount: 1, dispatched: true });
  });

  it('in a whole scheduler run, sends a lost create once and pushes its entry out with the sweep\'s backoff', async () => {
    // Arrange
    const tenantId = await newTenant();
    const job = await createJob(tenantId);

    // Act
    clock.set(START + STALE_MS);
    const report = await dispatchDueJobs(ctx);

    // Assert
    expect(report.lostCreatesRecovered).toBeGreaterThanOrEqual(1);
    expect(jobsQueue.drain().filter((d) => d.message.jobId === job.jobId)).toEqual([{ message: { tenantId, jobId: job.jobId }, delaySeconds: 0 }]);
    expect(await rawItem(job)).toMatchObject({ sweepAt: START + 2 * STALE_MS, sweepCount: 1 });
    // The next run, at the same time: nothing more for it.
    await dispatchDueJobs(ctx);
    expect(jobsQueue.drain().filter((d) => d.message.jobId === job.jobId)).toEqual([]);
  });

  it('scans from the scheduler handler at most every STALE_AFTER_SECONDS / 10, however often it runs (the twin\'s fast schedulers)', async () => {
    // Arrange: two lost creates, a second apart; one handler, as the Lambda (or the twin) keeps it.
    const tenantId = await newTenant();
    const first = await createJob(tenantId, {}, START);
    const second = await createJob(tenantId, {}, START + 1000);
    const handler = createSchedulerHandler(ctx);
    const sentNow = () => jobsQueue.drain().filter((d) => d.message.tenantId === tenantId).map((d) => d.message.jobId);

    // Act + Assert: the first run scans…
    clock.set(START + STALE_MS);
    await handler();
    expect(sentNow()).toEqual([first.jobId]);
    // …a run a second later does not (the second create is in its window, but the last scan is too recent)…
    clock.set(START + STALE_MS + 1000);
    expect(await handler()).toMatchObject({ lostCreatesRecovered: 0 });
    expect(sentNow()).toEqual([]);
    // …and one STALE_AFTER_SECONDS / 10 after the last scan does.
    clock.set(START + STALE_MS + STALE_MS / 10);
    await handler();
    expect(sentNow()).toEqual([second.jobId]);
  });
});
