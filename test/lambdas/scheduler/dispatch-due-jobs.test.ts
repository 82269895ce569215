/**
 * The scheduler over the sweep index (SPEC §4), against a real store (dynalite)
 * with recording queues and a hand-moved clock.
 */
import { webhookEventOf, type Job } from '../../../lambdas/jobs/job';
import { claim, finishAttempt } from '../../../lambdas/jobs/transitions';
import { createSchedulerHandler, dispatchDueJobs } from '../../../lambdas/scheduler/dispatch-due-jobs';
import { randomUUID } from 'node:crypto';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { DeadLetterQueue, type DeadLetter } from '../../../lambdas/queue/job-queue';
import { sweepShardOf } from '../../../lambdas/jobs/sweep';
import { SWEEP_SHARDS } from '../../../lambdas/resources';
import { jobItemKey } from '../../../lambdas/store/job-store';
import { jobFactory } from '../../support/job-factory';
import { tenantFactory } from '../../support/tenant-factory';
import { startContextHarness, type ContextHarness } from '../../support/service-context';

const LOOKAHEAD_MS = 300_000;
const STALE_MS = 60_000;

let h: ContextHarness;

beforeAll(async () => {
  h = await startContextHarness({ SCHEDULER_LOOKAHEAD_SECONDS: '300', STALE_AFTER_SECONDS: '60' });
});
afterAll(() => h?.close());

/** A fresh table per test: each starts with an empty sweep index, and the tenant the jobs belong to (the open-bucket scan reads every tenant's). */
beforeEach(async () => {
  await h.close();
  h = await startContextHarness({ SCHEDULER_LOOKAHEAD_SECONDS: '300', STALE_AFTER_SECONDS: '60' });
  await h.ctx.tenants.createTenant(tenantFactory());
});

const timing = () => ({ nowMs: h.clock.now(), retentionDays: 7 });
const at = (ms: number) => new Date(ms).toISOString();

async function putJob(overrides: Partial<Job> = {}): Promise<Job> {
  const job = jobFactory(h.clock.now(), overrides);
  await h.ctx.jobs.create(job);
  return job;
}

describe('a job due beyond SQS delays (runAt 20 minutes ahead)', () => {
  it('is sent when it comes within the look-ahead, delayed to its runAt, and only once', async () => {
    const start = h.clock.now();
    const runAt = start + 20 * 60_000;
    const job = await putJob({ nextRunAt: at(runAt), dispatched: false });

    // Not yet: 20 minutes away, past the 5-minute look-ahead.
    h.clock.set(runAt - LOOKAHEAD_MS - 1000);
    expect(await dispatchDueJobs(h.ctx)).toMatchObject({ dispatched: 0, redispatched: 0 });
    expect(h.jobsQueue.sent).toEqual([]);

    // Now: within the look-ahead.
    h.clock.set(runAt - LOOKAHEAD_MS + 1000);
    const report = await dispatchDueJobs(h.ctx);

    expect(report).toMatchObject({ dispatched: 1, redispatched: 0, complete: true });
    expect(report.oldestOverdueSeconds).toBe(1);
    expect(h.jobsQueue.drain()).toEqual([{ message: { tenantId: job.tenantId, jobId: job.jobId }, delaySeconds: 299 }]);
    expect((await h.ctx.jobs.get(job, { consistent: true }))!.dispatched).toBe(true);

    // A second run sends nothing more: the entry now waits until runAt + STALE_AFTER_SECONDS.
    expect(await dispatchDueJobs(h.ctx)).toMatchObject({ dispatched: 0, redispatched: 0 });
    expect(h.jobsQueue.sent).toEqual([]);
  });

  it('when the scheduler ran late, is sent without delay', async () => {
    const runAt = h.clock.now() + 20 * 60_000;
    await putJob({ nextRunAt: at(runAt), dispatched: false });

    h.clock.set(runAt + 30_000);
    await dispatchDueJobs(h.ctx);

    expect(h.jobsQueue.sent).toMatchObject([{ delaySeconds: 0 }]);
  });
});

describe('a retry whose backoff is longer than 15 minutes', () => {
  it('is dispatched by the scheduler when its time comes', async () => {
    const job = await putJob();
    await h.ctx.jobs.transition(job, (j) => claim(j, 60_000, timing()));
    const retry = await h.ctx.jobs.transition(job, (j) =>
      finishAttempt(j, 1, { kind: 'retryable', error: 'HTTP 429 from target', delayMs: 30 * 60_000 }, LOOKAHEAD_MS, timing()),
    );
    expect(retry).toMatchObject({ outcome: 'retry', job: { dispatched: false } });
    const nextRunAt = h.clock.now() + 30 * 60_000;

    h.clock.set(nextRunAt - LOOKAHEAD_MS - 1);
    await dispatchDueJobs(h.ctx);
    expect(h.jobsQueue.sent).toEqual([]);

    h.clock.set(nextRunAt - LOOKAHEAD_MS);
    await dispatchDueJobs(h.ctx);
    expect(h.jobsQueue.sent).toEqual([{ message: { tenantId: job.tenantId, jobId: job.jobId }, delaySeconds: 300 }]);
  });
});

describe('a waiting job whose message was lost', () => {
  it('is sent again after STALE_AFTER_SECONDS, then with doubling gaps (no storm)', async () => {
    const job = await putJob(); // dispatched: its message "was sent"
    const due = Date.parse(job.nextRunAt!);
    const sendTimes: number[] = [];

    // Walk the clock 5 s at a time over 8 minutes, running the scheduler each step.
    for (let t = due; t <= due + 8 * 60_000; t += 5000) {
      h.clock.set(t);
      const report = await dispatchDueJobs(h.ctx, { pageSize: 10 });
      if (report.redispatched > 0) sendTimes.push((t - due) / 1000);
    }

    expect(sendTimes).toEqual([60, 120, 240, 480]);
    expect(h.jobsQueue.sent.every((d) => d.delaySeconds === 0 && d.message.jobId === job.jobId)).toBe(true);
    // 97 scheduler runs, each reading the sweep index's shards and the tenant's open-bucket shards: room on a loaded machine.
  }, 90_000);

  it('stops being sent once a worker claims it', async () => {
    const job = await putJob();
    h.clock.advance(STALE_MS);
    expect(await dispatchDueJobs(h.ctx)).toMatchObject({ redispatched: 1 });

    await h.ctx.jobs.transition(job, (j) => claim(j, 10_000, timing()));
    await h.ctx.jobs.transition(job, (j) => finishAttempt(j, 1, { kind: 'succeeded', result: null }, LOOKAHEAD_MS, timing()));
    h.clock.advance(3_600_000);

    expect(await dispatchDueJobs(h.ctx)).toMatchObject({ dispatched: 0, redispatched: 0, leaseTakeovers: 0, webhooks: 0 });
  });
});

describe('a running job', () => {
  it('has no sweep entry: the claiming message, in flight until the outcome is written, brings a dead worker\'s job back', async () => {
    const job = await putJob();
    await h.ctx.jobs.transition(job, (j) => claim(j, 10_000, timing()));

    h.clock.advance(3_600_000);
    expect(await dispatchDueJobs(h.ctx)).toMatchObject({ leaseTakeovers: 0, dispatched: 0, redispatched: 0 });
    expect(h.jobsQueue.sent).toEqual([]);
  });

  it('whose entry an earlier version wrote (at the lease\'s end) is still sent for a worker to take over', async () => {
    const job = await putJob();
    await h.ctx.jobs.transition(job, (j) => claim(j, 10_000, timing()));
    const running = (await h.ctx.jobs.get(job, { consistent: true }))!;
    await h.ctx.db.send(
      new UpdateCommand({
        TableName: h.ctx.config.tableName,
        Key: jobItemKey(job),
        UpdateExpression: 'SET sweepShard = :shard, sweepAt = :at, sweepCount = :zero',
        ExpressionAttributeValues: { ':shard': sweepShardOf(job.jobId), ':at': running.leaseUntilMs, ':zero': 0 },
      }),
    );

    h.clock.advance(9_999);
    expect(await dispatchDueJobs(h.ctx)).toMatchObject({ leaseTakeovers: 0 });

    h.clock.advance(1);
    expect(await dispatchDueJobs(h.ctx)).toMatchObject({ leaseTakeovers: 1 });
    expect(h.jobsQueue.sent).toEqual([{ message: { tenantId: job.tenantId, jobId: job.jobId } }]);
  });
});

describe('a finished job with a pending webhook', () => {
  it('whose event never reached the webhooks queue has it sent, for the event pending (its entry names none: 50 B fewer at the finish)', async () => {
    const job = await putJob({ webhookUrl: 'https://hooks.example.com/x' });
    await h.ctx.jobs.transition(job, (j) => claim(j, 10_000, timing()));
    const done = await h.ctx.jobs.transition(job, (j) => finishAttempt(j, 1, { kind: 'succeeded', result: 1 }, LOOKAHEAD_MS, timing()));
    if (done.outcome !== 'succeeded') throw new Error('expected success');

    h.clock.advance(STALE_MS);
    expect(await dispatchDueJobs(h.ctx)).toMatchObject({ webhooks: 1 });

    expect(h.webhooksQueue.sent).toEqual([{ message: { tenantId: job.tenantId, jobId: job.jobId } }]);
    expect(h.jobsQueue.sent).toEqual([]);
  });
});

describe('an entry that asks for nothing', () => {
  afterEach(() => jest.restoreAllMocks());

  it('is pushed out rather than read again every run', async () => {
    // A canceled job as a lagging index might still show it.
    const entry = { tenantId: 'tenant-a', jobId: 'lagging', status: 'canceled' as const, sweepAt: 1, sweepCount: 0, nextRunAt: null, webhookEventId: null };
    jest.spyOn(h.ctx.jobs, 'dueForSweep').mockImplementation(async (shard) => (shard === 0 ? [entry] : []));
    const defer = jest.spyOn(h.ctx.jobs, 'deferSweep');

    const report = await dispatchDueJobs(h.ctx);

    expect(report).toMatchObject({ dispatched: 0, redispatched: 0, leaseTakeovers: 0, webhooks: 0 });
    expect(defer).toHaveBeenCalledWith(entry, h.clock.now() + STALE_MS, false);
    expect(h.jobsQueue.sent).toEqual([]);
  });
});

describe('sends that fail', () => {
  it('leave their entries due, so the next run sends them', async () => {
    await putJob();
    h.clock.advance(STALE_MS);
    h.jobsQueue.failNext(1);

    expect(await dispatchDueJobs(h.ctx)).toMatchObject({ redispatched: 0, failedSends: 1 });
    expect(await dispatchDueJobs(h.ctx)).toMatchObject({ redispatched: 1, failedSends: 0 });
  });
});

describe('a backlog', () => {
  it('is sent in batches, bounded per shard per run, and reported incomplete until done', async () => {
    // Retries whose messages were lost: on the sweep index (a create due at once is the open-bucket scan's: recover-lost-creates.test.ts).
    await Promise.all(Array.from({ length: 200 }, () => putJob({ status: 'retry', attempts: 1 })));
    h.clock.advance(STALE_MS + 5000);

    const first = await dispatchDueJobs(h.ctx, { maxPerShard: 5, pageSize: 5 });
    expect(first.redispatched).toBeLessThanOrEqual(5 * SWEEP_SHARDS);
    expect(first.complete).toBe(false);
    expect(first.oldestOverdueSeconds).toBe(5);

    let total = first.redispatched;
    for (let run = 0; run < 20 && total < 200; run++) total += (await dispatchDueJobs(h.ctx, { maxPerShard: 5, pageSize: 5 })).redispatched;
    expect(total).toBe(200);
    expect(new Set(h.jobsQueue.sent.map((d) => d.message.jobId)).size).toBe(200);
    expect(await dispatchDueJobs(h.ctx)).toMatchObject({ redispatched: 0, complete: true, oldestOverdueSeconds: 0 });
  });

  it('stops at the time budget', async () => {
    await Promise.all(Array.from({ length: 8 }, () => putJob()));
    h.clock.advance(STALE_MS);

    const report = await dispatchDueJobs(h.ctx, { budgetMs: 0 });

    expect(report).toMatchObject({ redispatched: 0, complete: false });
  });
});

describe('the Lambda handler', () => {
  it('runs one sweep within the time the Lambda has left', async () => {
    await putJob();
    h.clock.advance(STALE_MS);

    const report = await createSchedulerHandler(h.ctx)({}, { getRemainingTimeInMillis: () => 60_000 });

    expect(report).toMatchObject({ redispatched: 1, complete: true });
  });
});

describe('when DynamoDB fails part of a run', () => {
  it('still dispatches the shards whose query worked, and the failed shard on the next run', async () => {
    // Arrange: one due job in every shard, and a store whose sweep query fails once for one shard.
    const jobs: Job[] = [];
    for (let i = 0; jobs.length < 40 && i < 400; i++) jobs.push(await putJob({ dispatched: false }));
    const { sweepShardOf } = await import('../../../lambdas/jobs/sweep');
    const shards = new Set(jobs.map((job) => sweepShardOf(job.jobId)));
    expect(shards.size).toBeGreaterThan(1);
    const failingShard = sweepShardOf(jobs[0].jobId);
    const original = h.ctx.jobs.dueForSweep.bind(h.ctx.jobs);
    let failures = 0;
    const spy = jest.spyOn(h.ctx.jobs, 'dueForSweep').mockImplementation(async (shard, nowMs, limit) => {
      if (shard === failingShard && failures === 0) {
        failures++;
        throw Object.assign(new Error('throttled'), { name: 'ProvisionedThroughputExceededException' });
      }
      return original(shard, nowMs, limit);
    });

    // Act: a run meets the failure; a second run does not.
    const first = await dispatchDueJobs(h.ctx);
    const firstSent = h.jobsQueue.drain().map((d) => d.message.jobId);
    const second = await dispatchDueJobs(h.ctx);
    const secondSent = h.jobsQueue.drain().map((d) => d.message.jobId);
    spy.mockRestore();

    // Assert: the other shards went in the first run, the failed one in the second, every job once.
    expect(first.complete).toBe(false);
    expect(new Set(firstSent)).toEqual(new Set(jobs.filter((job) => sweepShardOf(job.jobId) !== failingShard).map((job) => job.jobId)));
    expect(second.complete).toBe(true);
    expect(new Set(secondSent)).toEqual(new Set(jobs.filter((job) => sweepShardOf(job.jobId) === failingShard).map((job) => job.jobId)));
  });

  it('keeps going when a deferral fails, leaving that entry due for the next run', async () => {
    const jobs = [await putJob({ dispatched: false }), await putJob({ dispatched: false }), await putJob({ dispatched: false })];
    const original = h.ctx.jobs.deferSweep.bind(h.ctx.jobs);
    const spy = jest.spyOn(h.ctx.jobs, 'deferSweep').mockImplementation(async (entry, next, mark) => {
      if (entry.jobId === jobs[0].jobId) throw Object.assign(new Error('boom'), { name: 'InternalServerError' });
      return original(entry, next, mark);
    });

    const first = await dispatchDueJobs(h.ctx);
    spy.mockRestore();
    h.jobsQueue.drain();
    const second = await dispatchDueJobs(h.ctx);

    expect(first.dispatched).toBe(3);
    expect(h.jobsQueue.drain().map((d) => d.message.jobId)).toEqual([jobs[0].jobId]);
    expect(second.dispatched).toBe(1);
  });
});

/** A dead-letter queue in memory: what is received stays until deleted (receive hides it for the rest of the run). */
class MemoryDeadLetters extends DeadLetterQueue {
  readonly letters: DeadLetter[] = [];
  private received = new Set<string>();

  constructor() {
    super(undefined as never, 'http://127.0.0.1:1/000000000000/dlq');
  }

  add(body: string): void {
    this.letters.push({ body, receiptHandle: randomUUID() });
  }

  override async receive(max: number): Promise<DeadLetter[]> {
    const visible = this.letters.filter((l) => !this.received.has(l.receiptHandle)).slice(0, max);
    for (const letter of visible) this.received.add(letter.receiptHandle);
    return visible;
  }

  override async delete(letter: DeadLetter): Promise<void> {
    this.letters.splice(this.letters.indexOf(letter), 1);
  }

  override async release(letter: DeadLetter): Promise<void> {
    this.received.delete(letter.receiptHandle);
  }
}

describe('the dead-letter queues', () => {
  it('put the job of a dead-lettered message on the sweep index when it is not finished, drop one of a finished or missing job, and keep an unreadable one', async () => {
    // Arrange
    const waiting = await putJob({ sentFirst: true });
    const done = await putJob({ status: 'succeeded', nextRunAt: null, finishedAt: at(h.clock.now()) });
    const jobsDlq = new MemoryDeadLetters();
    const messageOf = (job: Pick<Job, 'tenantId' | 'jobId'>) => JSON.stringify({ tenantId: job.tenantId, jobId: job.jobId, attempts: 0 });
    jobsDlq.add(messageOf(waiting));
    jobsDlq.add(messageOf(done));
    jobsDlq.add(messageOf({ tenantId: 'tenant-a', jobId: 'gone' }));
    jobsDlq.add('not json');
    const ctx = { ...h.ctx, jobsDeadLetters: jobsDlq };

    // Act
    const report = await dispatchDueJobs(ctx);

    // Assert
    expect(report).toMatchObject({ deadLettersRequeued: 1, deadLettersDropped: 2, deadLettersUnreadable: 1 });
    expect(jobsDlq.letters.map((l) => l.body)).toEqual(['not json']);
    // Due now on the sweep index (a send could be lost): this run or the next sends its message.
    // Released at the end of the run: the next run looks at the unreadable one again, and leaves it again.
    expect(await dispatchDueJobs(ctx)).toMatchObject({ deadLettersRequeued: 0, deadLettersDropped: 0, deadLettersUnreadable: 1 });
    expect(h.jobsQueue.drain().map((d) => d.message.jobId)).toEqual([waiting.jobId]);
  });

  it('put a dead-lettered webhook message\'s event on the sweep index while it is pending, and drop one whose event is not', async () => {
    // Arrange: a finished job with its event pending, and a message for an older event.
    const job = await putJob({ webhookUrl: 'https://hooks.example.com/x' });
    await h.ctx.jobs.transition(job, (j) => claim(j, 10_000, timing()));
    await h.ctx.jobs.transition(job, (j) => finishAttempt(j, 1, { kind: 'succeeded', result: null }, LOOKAHEAD_MS, timing()));
    const eventId = webhookEventOf((await h.ctx.jobs.get(job, { consistent: true }))!.webhook)!.id;
    const webhooksDlq = new MemoryDeadLetters();
    webhooksDlq.add(JSON.stringify({ tenantId: job.tenantId, jobId: job.jobId, eventId }));
    webhooksDlq.add(JSON.stringify({ tenantId: job.tenantId, jobId: job.jobId, eventId: 'msg_older' }));
    h.webhooksQueue.drain();

    // Act
    const report = await dispatchDueJobs({ ...h.ctx, webhooksDeadLetters: webhooksDlq });
    await dispatchDueJobs(h.ctx);

    // Assert
    expect(report).toMatchObject({ deadLettersRequeued: 1, deadLettersDropped: 1 });
    // The scheduler's message asks for the pending event (a finished job's entry names none).
    expect(h.webhooksQueue.drain()).toContainEqual({ message: { tenantId: job.tenantId, jobId: job.jobId } });
    expect(webhooksDlq.letters).toEqual([]);
  });
});
