/**
 * The worker Lambda against a real store (dynalite) with recording queues and a
 * hand-moved clock: claim, run, finish, and everything a duplicate, late or
 * stale message must not do (SPEC §4).
 */
import * as z from 'zod';
import type { JobContext, JobType } from '../../../lambdas/job-types/job-type';
import { FatalJobError, RetryableJobError } from '../../../lambdas/jobs/errors';
import { webhookEventOf, type Job } from '../../../lambdas/jobs/job';
import { cancel, claim, inPlaceClaim, LEASE_MARGIN_MS, retry } from '../../../lambdas/jobs/transitions';
import { SWEEP_SHARDS } from '../../../lambdas/resources';
import { jobItemKey } from '../../../lambdas/store/job-store';
import { dispatchDueJobs } from '../../../lambdas/scheduler/dispatch-due-jobs';
import { CREATE_WINDOW_MS, createWorkerHandler, JobWorker } from '../../../lambdas/worker/process-job';
import { startContextHarness, type ContextHarness } from '../../support/service-context';
import { jobFactory } from '../../support/job-factory';
import { TEST_WEBHOOK_SECRET, tenantFactory } from '../../support/tenant-factory';
import { lambdaContextFactory, sqsEventFactory, sqsRecordFactory } from '../../support/sqs-event';

const SECRET = TEST_WEBHOOK_SECRET;

interface Call {
  payload: unknown;
  context: JobContext;
}

let h: ContextHarness;
let calls: Call[];
let behaviour: (payload: unknown, context: JobContext) => Promise<unknown>;

const testType: JobType<Record<string, unknown>> = {
  type: 'test',
  description: 'does what the test says',
  schema: z.record(z.string(), z.unknown()),
  handle(payload, context) {
    calls.push({ payload, context });
    return behaviour(payload, context);
  },
};
const jobTypes = (type: string) => (type === 'test' ? (testType as JobType<unknown>) : h.ctx.jobTypes(type));

beforeAll(async () => {
  // Lookahead 300 s (default): a retry due within 5 minutes is re-sent at once.
  h = await startContextHarness({ JOB_TIMEOUT_SECONDS: '0.5', BACKOFF_BASE_SECONDS: '2', BACKOFF_MAX_SECONDS: '3600' });
  await h.ctx.tenants.createTenant(tenantFactory({ tenantId: 'tenant-a', name: 'A' }));
});
afterAll(() => h?.close());

beforeEach(() => {
  calls = [];
  behaviour = async (payload) => ({ echoed: payload });
  h.jobsQueue.drain();
  h.webhooksQueue.drain();
});

/** The worker with the jitter fixed at `random`. */
const worker = (random = 0.5) => new JobWorker(h.ctx, { jobTypes, random: () => random });

async function putJob(overrides: Partial<Job> = {}): Promise<Job> {
  const job = jobFactory(h.clock.now(), { type: 'test', ...overrides });
  const { created } = await h.ctx.jobs.create(job);
  expect(created).toBe(true);
  return job;
}

const messageOf = (job: Pick<Job, 'tenantId' | 'jobId'>) => JSON.stringify({ tenantId: job.tenantId, jobId: job.jobId });
const stored = async (job: Pick<Job, 'tenantId' | 'jobId'>) => (await h.ctx.jobs.get(job, { consistent: true }))!;

describe('an attempt', () => {
  it('that returns makes the job succeeded, with its result and the attempt on record', async () => {
    const job = await putJob({ payload: { n: 1 } });

    const outcome = await worker().processMessage(messageOf(job));

    expect(outcome).toBe('succeeded');
    const after = await stored(job);
    expect(after).toMatchObject({ status: 'succeeded', attempts: 1, result: { echoed: { n: 1 } }, leaseUntilMs: null, nextRunAt: null });
    expect(after.history).toEqual([
      { attempt: 1, status: 'succeeded', error: null, startedAt: expect.any(String), finishedAt: expect.any(String), durationMs: 0 },
    ]);
    expect(h.jobsQueue.sent).toEqual([]);
  });

  it('of a job whose large payload has its own item gets that payload byte for byte, after a claim in one write', async () => {
    const payload = JSON.parse('{"z":"' + 'q'.repeat(6000) + '","a":{"constructor":1,"b":[2,1]}}') as Record<string, unknown>;
    const job = await putJob({ payload, sentFirst: true });

    expect(await worker().processMessage(JSON.stringify({ tenantId: job.tenantId, jobId: job.jobId, attempts: 0 }))).toBe('succeeded');

    expect(calls).toHaveLength(1);
    expect(JSON.stringify(calls[0].payload)).toBe(JSON.stringify(payload));
  });

  it('gets the job context: ids, attempt, the tenant secret, a signal and the timeout', async () => {
    const job = await putJob();

    await worker().processMessage(messageOf(job));

    expect(calls).toHaveLength(1);
    expect(calls[0].context).toMatchObject({
      jobId: job.jobId,
      tenantId: 'tenant-a',
      attempt: 1,
      signingSecrets: [SECRET],
      timeoutMs: 500,
      allowPrivateTargets: true,
    });
    expect(calls[0].context.signal.aborted).toBe(false);
  });

  it('that throws a retryable error puts the job in retry with full-jitter backoff and re-sends it delayed', async () => {
    const job = await putJob();
    behaviour = async () => {
      throw new RetryableJobError('HTTP 503 from target');
    };

    const outcome = await worker(0.5).processMessage(messageOf(job));

    expect(outcome).toBe('retry');
    const after = await stored(job);
    // attempt 1: random(0, min(max, 2 s · 2^0)) = 0.5 · 2000 ms
    expect(after).toMatchObject({ status: 'retry', attempts: 1, lastError: 'HTTP 503 from target', dispatched: true });
    expect(Date.parse(after.nextRunAt!)).toBe(h.clock.now() + 1000);
    expect(after.history).toMatchObject([{ attempt: 1, status: 'failed', error: 'HTTP 503 from target' }]);
    // Sent before the retry was written, with the attempt count for a one-write claim.
    expect(h.jobsQueue.sent).toEqual([{ message: { tenantId: job.tenantId, jobId: job.jobId, attempts: 1 }, delaySeconds: 1 }]);
    expect(after.sentFirst).toBe(true);
  });

  it('honours a Retry-After longer than the backoff, and leaves a retry beyond the look-ahead to the sweep index', async () => {
    const job = await putJob();
    behaviour = async () => {
      throw new RetryableJobError('HTTP 429 from target', { minDelaySeconds: 1200 });
    };

    await worker(0).processMessage(messageOf(job));

    const after = await stored(job);
    expect(after.status).toBe('retry');
    expect(Date.parse(after.nextRunAt!)).toBe(h.clock.now() + 1_200_000);
    expect(after.dispatched).toBe(false);
    expect(h.jobsQueue.sent).toEqual([]);
  });

  it('that throws anything else is retryable too', async () => {
    const job = await putJob();
    behaviour = async () => {
      throw new TypeError('cannot read properties of undefined');
    };

    expect(await worker().processMessage(messageOf(job))).toBe('retry');
    expect((await stored(job)).lastError).toBe('cannot read properties of undefined');
  });

  it('that throws a fatal error makes the job fatal at once, attempts left or not', async () => {
    const job = await putJob({ maxAttempts: 5, attemptLimit: 5 });
    behaviour = async () => {
      throw new FatalJobError('HTTP 400 from target');
    };

    expect(await worker().processMessage(messageOf(job))).toBe('fatal');
    expect(await stored(job)).toMatchObject({ status: 'fatal', attempts: 1, lastError: 'HTTP 400 from target', finishedAt: expect.any(String) });
    expect(h.jobsQueue.sent).toEqual([]);
  });

  it('that fails retryably on the last attempt makes the job fatal', async () => {
    const job = await putJob({ status: 'retry', attempts: 2, maxAttempts: 3, attemptLimit: 3 });
    behaviour = async () => {
      throw new RetryableJobError('HTTP 503 from target');
    };

    expect(await worker().processMessage(messageOf(job))).toBe('fatal');
    expect(await stored(job)).toMatchObject({ status: 'fatal', attempts: 3 });
  });

  it('that runs past JOB_TIMEOUT_SECONDS is aborted and counts as a retryable failure', async () => {
    const job = await putJob();
    let signal: AbortSignal | undefined;
    behaviour = (_payload, context) => {
      signal = context.signal;
      return new Promise(() => undefined); // never settles, ignores its signal
    };

    const outcome = await worker().processMessage(messageOf(job));

    expect(outcome).toBe('retry');
    expect(signal?.aborted).toBe(true);
    expect(await stored(job)).toMatchObject({ status: 'retry', lastError: 'attempt timed out after 0.5s' });
  });

  it('is bounded by the time the Lambda has left', async () => {
    const job = await putJob();
    behaviour = () => new Promise(() => undefined);

    const handler = createWorkerHandler(h.ctx, { jobTypes });
    await handler(sqsEventFactory(sqsRecordFactory(messageOf(job))), lambdaContextFactory(LEASE_MARGIN_MS + 200));

    expect(calls[0].context.timeoutMs).toBeLessThanOrEqual(200);
    expect((await stored(job)).lastError).toMatch(/^attempt timed out after 0\.[12]s$/);
  });

  it('of a type no longer registered is fatal', async () => {
    const job = await putJob({ type: 'fax' });

    expect(await worker().processMessage(messageOf(job))).toBe('fatal');
    expect((await stored(job)).lastError).toBe('unknown job type "fax"');
  });

  it('whose payload no longer fits its type is fatal without running', async () => {
    const job = await putJob({ type: 'http', payload: { url: 42 } });

    expect(await worker().processMessage(messageOf(job))).toBe('fatal');
    expect((await stored(job)).lastError).toBe('payload no longer matches the http schema');
  });
});

describe('a finished job with a webhookUrl', () => {
  it('has its terminal event sent to the webhooks queue', async () => {
    const job = await putJob({ webhookUrl: 'https://hooks.example.com/x' });

    await worker().processMessage(messageOf(job));

    const after = await stored(job);
    expect(after.webhook.status).toBe('pending');
    expect(h.webhooksQueue.sent).toEqual([{ message: { tenantId: job.tenantId, jobId: job.jobId, eventId: webhookEventOf(after.webhook)!.id } }]);
  });

  it('stays finished when that send fails: the sweep index sends the event later', async () => {
    const job = await putJob({ webhookUrl: 'https://hooks.example.com/x' });
    h.webhooksQueue.failNext();

    expect(await worker().processMessage(messageOf(job))).toBe('succeeded');

    const after = await stored(job);
    expect(after).toMatchObject({ status: 'succeeded', webhook: { status: 'pending' } });
    const [entry] = (await Promise.all(Array.from({ length: SWEEP_SHARDS }, (_, s) => h.ctx.jobs.dueForSweep(s, h.clock.now() + 3_600_000, 100))))
      .flat()
      .filter((e) => e.jobId === job.jobId);
    // A finished job's entry is for its webhook and names no event (50 B fewer in the item): the scheduler's
    // message asks for the pending one.
    expect(entry).toMatchObject({ status: 'succeeded', webhookEventId: null });
    h.clock.advance(h.ctx.config.staleAfterSeconds * 1000);
    await dispatchDueJobs(h.ctx);
    // (Other tests' jobs share the table.)
    expect(h.webhooksQueue.sent.filter((d) => d.message.jobId === job.jobId)).toEqual([{ message: { tenantId: job.tenantId, jobId: job.jobId } }]);
  });
});

/** The jobs on the sweep index due by `atMs`. */
async function sweepEntriesDueBy(atMs: number): Promise<string[]> {
  const shards = await Promise.all(Array.from({ length: SWEEP_SHARDS }, (_, shard) => h.ctx.jobs.dueForSweep(shard, atMs, 1000)));
  return shards.flat().map((entry) => entry.jobId);
}

describe('a retry whose re-send fails', () => {
  it('is still recorded, and waits on the sweep index, due for the scheduler to send it', async () => {
    const job = await putJob();
    behaviour = async () => {
      throw new RetryableJobError('HTTP 503 from target');
    };
    h.jobsQueue.failNext();

    expect(await worker().processMessage(messageOf(job))).toBe('retry');
    const after = await stored(job);
    expect(after).toMatchObject({ status: 'retry', dispatched: false });
    expect(after.sentFirst).toBeFalsy();
    expect(await sweepEntriesDueBy(Date.parse(after.nextRunAt!))).toContain(job.jobId);
  });

  it('sent first, is on the sweep index only in case SQS loses its message: once it should have run', async () => {
    const job = await putJob();
    behaviour = async () => {
      throw new RetryableJobError('HTTP 503 from target');
    };

    expect(await worker().processMessage(messageOf(job))).toBe('retry');
    expect(h.jobsQueue.sent).toHaveLength(1);
    const after = await stored(job);
    expect(after.sentFirst).toBe(true);
    const runAt = Date.parse(after.nextRunAt!);
    expect(await sweepEntriesDueBy(runAt + h.ctx.config.staleAfterSeconds * 1000 - 1)).not.toContain(job.jobId);
    expect(await sweepEntriesDueBy(runAt + h.ctx.config.staleAfterSeconds * 1000)).toContain(job.jobId);
  });
});

describe('a create message (sent before its job is put)', () => {
  const createMessageOf = (job: Pick<Job, 'tenantId' | 'jobId'>, sentAt: number) =>
    JSON.stringify({ tenantId: job.tenantId, jobId: job.jobId, attempts: 0, sentAt });

  it('that arrives before the put is sent again, delayed, and runs once the put has landed', async () => {
    // Arrange: the api sent the message; its put has not landed yet.
    const job = jobFactory(h.clock.now(), { type: 'test', sentFirst: true });
    const body = createMessageOf(job, h.clock.now());

    // Act + Assert: not dropped, sent again.
    expect(await worker().processMessage(body)).toBe('awaiting-create');
    const [again] = h.jobsQueue.drain();
    expect(again).toEqual({ message: JSON.parse(body), delaySeconds: 2 });

    // The put lands; the message comes back and runs the job.
    await h.ctx.jobs.create(job);
    h.clock.advance(2000);
    expect(await worker().processMessage(JSON.stringify(again.message))).toBe('succeeded');
    expect(calls).toHaveLength(1);
  });

  it('older than the create window finds no job and is dropped: the orphan of a create that answered 503', async () => {
    const orphan = { tenantId: 'tenant-a', jobId: 'never-put' };
    expect(await worker().processMessage(createMessageOf(orphan, h.clock.now() - CREATE_WINDOW_MS))).toBe('missing');
    expect(h.jobsQueue.sent).toEqual([]);
    expect(calls).toEqual([]);
  });

  it('claims in one write: no read of the job before the claim, and two writes in all (claim, finish)', async () => {
    // Arrange: every DynamoDB call of the worker, by operation and item.
    const job = await putJob({ sentFirst: true });
    const calls: string[] = [];
    const recorder = (next: (args: { input: Record<string, unknown> }) => Promise<unknown>, context: { commandName?: string }) =>
      async (args: { input: Record<string, unknown> }) => {
        const key = (args.input.Key ?? args.input.Item) as { pk?: unknown } | undefined;
        calls.push(`${context.commandName} ${JSON.stringify(key?.pk)}`);
        return next(args);
      };
    h.ctx.db.middlewareStack.add(recorder as never, { step: 'initialize', name: 'recordCalls' });
    try {
      // Act
      expect(await worker().processMessage(createMessageOf(job, h.clock.now()))).toBe('succeeded');
    } finally {
      h.ctx.db.middlewareStack.remove('recordCalls');
    }
    // Assert
    const pk = JSON.stringify(jobItemKey(job).pk);
    expect(calls.filter((c) => c.endsWith(pk))).toEqual([`UpdateItemCommand ${pk}`, `PutItemCommand ${pk}`]);
  });
});

describe('a worker killed mid-attempt', () => {
  it('leaves no sweep entry; the same message, delivered again after the visibility timeout, takes the job over', async () => {
    // Arrange: a worker claimed the job from its message and died (the message was never deleted).
    const job = await putJob({ sentFirst: true, maxAttempts: 3, attemptLimit: 3 });
    const body = JSON.stringify({ tenantId: job.tenantId, jobId: job.jobId, attempts: 0 });
    const leaseMs = h.ctx.config.jobTimeoutSeconds * 1000 + LEASE_MARGIN_MS;
    expect((await h.ctx.jobs.claimInPlace(job, inPlaceClaim(0, leaseMs, { nowMs: h.clock.now(), retentionDays: 7 }))).claimed).toBeDefined();
    expect(await sweepEntriesDueBy(h.clock.now() + 86_400_000)).not.toContain(job.jobId);

    // Act: SQS delivers the message again once its visibility timeout (longer than the lease) has passed.
    h.clock.advance(leaseMs + 1);
    expect(await worker().processMessage(body)).toBe('succeeded');

    // Assert
    const after = await stored(job);
    expect(after.history.map((a) => [a.attempt, a.status, a.error])).toEqual([
      [1, 'failed', 'lease expired'],
      [2, 'succeeded', null],
    ]);
  });
});

describe('a message that must not run anything', () => {
  it.each([
    ['succeeded', { status: 'succeeded', attempts: 1, nextRunAt: null, finishedAt: new Date().toISOString() }],
    ['fatal', { status: 'fatal', attempts: 3, nextRunAt: null }],
    ['canceled', { status: 'canceled', nextRunAt: null }],
  ] as const)('for a %s job does nothing', async (_status, overrides) => {
    const job = await putJob(overrides);
    const before = await stored(job);

    expect(await worker().processMessage(messageOf(job))).toBe('finished');

    expect(calls).toEqual([]);
    expect(await stored(job)).toEqual(before);
    expect(h.jobsQueue.sent).toEqual([]);
  });

  it('for a job that does not exist does nothing', async () => {
    expect(await worker().processMessage(messageOf({ tenantId: 'tenant-a', jobId: 'no-such-job' }))).toBe('missing');
    expect(calls).toEqual([]);
  });

  it('for a job of another tenant finds nothing', async () => {
    const job = await putJob();
    expect(await worker().processMessage(messageOf({ tenantId: 'tenant-b', jobId: job.jobId }))).toBe('missing');
    expect((await stored(job)).status).toBe('queued');
  });

  it('for a job running under a live lease (a duplicate) runs nothing, and puts the job on the sweep index for the lease\'s end (it may be the only message left)', async () => {
    const job = await putJob();
    await h.ctx.jobs.transition(job, (j) => claim(j, 60_000, { nowMs: h.clock.now(), retentionDays: 7 }));
    const before = await stored(job);

    expect(await worker().processMessage(messageOf(job))).toBe('busy');

    expect(calls).toEqual([]);
    expect(await stored(job)).toEqual(before);
    // On the sweep index at the lease's end (a send could be lost, an entry cannot).
    const leaseEnd = before.leaseUntilMs!;
    expect(await sweepEntriesDueBy(leaseEnd + 999)).not.toContain(job.jobId);
    expect(await sweepEntriesDueBy(leaseEnd + 1000)).toContain(job.jobId);
    // The claiming worker died: the scheduler sends the job at the lease's end, and that message takes it over.
    h.clock.set(leaseEnd + 1000);
    await dispatchDueJobs(h.ctx);
    // (Other tests' jobs share this table: the scheduler may send theirs too.)
    const again = h.jobsQueue.drain().find((d) => d.message.jobId === job.jobId);
    if (!again) throw new Error('the scheduler sent nothing for the busy job');
    expect(again.message).toMatchObject({ tenantId: job.tenantId, jobId: job.jobId });
    expect(await worker().processMessage(JSON.stringify(again.message))).toBe('succeeded');
    expect((await stored(job)).history.map((a) => a.status)).toEqual(['failed', 'succeeded']);
  });

  it('delivered twice at once runs the handler once', async () => {
    const job = await putJob();
    behaviour = () => new Promise((resolve) => setTimeout(() => resolve('done'), 50));
    const handler = createWorkerHandler(h.ctx, { jobTypes });

    const response = await handler(sqsEventFactory(sqsRecordFactory(messageOf(job)), sqsRecordFactory(messageOf(job))), lambdaContextFactory());

    expect(response.batchItemFailures).toEqual([]);
    expect(calls).toHaveLength(1);
    expect(await stored(job)).toMatchObject({ status: 'succeeded', attempts: 1 });
  });

  it('that arrives early is sent again with the time left, or dropped when the sweep index will send it', async () => {
    const soon = await putJob({ nextRunAt: new Date(h.clock.now() + 10_000).toISOString() });
    const later = await putJob({ nextRunAt: new Date(h.clock.now() + 3_600_000).toISOString(), dispatched: false });

    expect(await worker().processMessage(messageOf(soon))).toBe('not-due');
    expect(await worker().processMessage(messageOf(later))).toBe('not-due');

    expect(calls).toEqual([]);
    expect(h.jobsQueue.sent).toEqual([{ message: { tenantId: soon.tenantId, jobId: soon.jobId }, delaySeconds: 10 }]);
    expect((await stored(soon)).status).toBe('queued');
  });
});

describe('a job whose lease expired (its worker died)', () => {
  it('is taken over: the lost attempt is recorded as failed "lease expired" and counts', async () => {
    const job = await putJob({ maxAttempts: 3, attemptLimit: 3 });
    await h.ctx.jobs.transition(job, (j) => claim(j, 1000, { nowMs: h.clock.now(), retentionDays: 7 }));
    h.clock.advance(1001);

    expect(await worker().processMessage(messageOf(job))).toBe('succeeded');

    const after = await stored(job);
    expect(after).toMatchObject({ status: 'succeeded', attempts: 2 });
    expect(after.history.map((a) => [a.attempt, a.status, a.error])).toEqual([
      [1, 'failed', 'lease expired'],
      [2, 'succeeded', null],
    ]);
  });

  it('on its last attempt becomes fatal, with its webhook event sent', async () => {
    const job = await putJob({ maxAttempts: 1, attemptLimit: 1, webhookUrl: 'https://hooks.example.com/x' });
    await h.ctx.jobs.transition(job, (j) => claim(j, 1000, { nowMs: h.clock.now(), retentionDays: 7 }));
    h.clock.advance(1001);

    expect(await worker().processMessage(messageOf(job))).toBe('lease-expired-fatal');

    const after = await stored(job);
    expect(after).toMatchObject({ status: 'fatal', attempts: 1, lastError: 'lease expired' });
    expect(calls).toEqual([]);
    expect(h.webhooksQueue.sent).toEqual([{ message: { tenantId: job.tenantId, jobId: job.jobId, eventId: webhookEventOf(after.webhook)!.id } }]);
  });

  it('finishing late after a takeover changes nothing (fenced by the attempt number)', async () => {
    const job = await putJob({ maxAttempts: 3, attemptLimit: 3 });
    // The first worker's handler outlives its lease; meanwhile another delivery takes the job over.
    behaviour = async () => {
      h.clock.advance(h.ctx.config.jobTimeoutSeconds * 1000 + LEASE_MARGIN_MS + 1);
      const takeover = await h.ctx.jobs.transition(job, (j) => claim(j, 60_000, { nowMs: h.clock.now(), retentionDays: 7 }));
      expect(takeover.outcome).toBe('claimed');
      return 'too late';
    };

    expect(await worker().processMessage(messageOf(job))).toBe('lost');

    const after = await stored(job);
    expect(after).toMatchObject({ status: 'running', attempts: 2, result: null });
    expect(after.history.map((a) => [a.attempt, a.status, a.error])).toEqual([
      [1, 'failed', 'lease expired'],
      [2, 'running', null],
    ]);
  });
});

describe('the batch handler', () => {
  it('reports only the records that failed: an unparseable one, and one whose store call failed', async () => {
    const ok = await putJob();
    const storeFails = await putJob();
    const transition = h.ctx.jobs.transition.bind(h.ctx.jobs);
    const spy = jest.spyOn(h.ctx.jobs, 'transition').mockImplementation((key, decide) =>
      key.jobId === storeFails.jobId ? Promise.reject(new Error('ProvisionedThroughputExceededException')) : transition(key, decide),
    );
    const records = [
      sqsRecordFactory(messageOf(ok)),
      sqsRecordFactory('{"not":"a job message"}', { messageId: 'bad' }),
      sqsRecordFactory(messageOf(storeFails), { messageId: 'store' }),
    ];

    try {
      const response = await createWorkerHandler(h.ctx, { jobTypes })(sqsEventFactory(...records), lambdaContextFactory());

      expect(response.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(['bad', 'store']);
    } finally {
      spy.mockRestore();
    }
    expect((await stored(ok)).status).toBe('succeeded');
    expect((await stored(storeFails)).status).toBe('queued');
  });

  it('reports every record when all fail, rather than throwing', async () => {
    const response = await createWorkerHandler(h.ctx, { jobTypes })(
      sqsEventFactory(sqsRecordFactory('garbage', { messageId: 'a' }), sqsRecordFactory('', { messageId: 'b' })),
      lambdaContextFactory(),
    );
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'a' }, { itemIdentifier: 'b' }]);
  });

  it('runs the records of a batch concurrently', async () => {
    // Arrange: each attempt waits on a latch that opens once all five have started.
    // Run one after another, the first would wait until its timeout (3 s here) and
    // go to retry; run together, all five pass the latch and succeed, however slow the machine.
    const jobs = await Promise.all(Array.from({ length: 5 }, () => putJob()));
    let started = 0;
    let openLatch!: () => void;
    const allStarted = new Promise<void>((resolve) => (openLatch = resolve));
    behaviour = async (_payload, context) => {
      if (++started === jobs.length) openLatch();
      const timedOut = new Promise<never>((_, reject) => context.signal.addEventListener('abort', () => reject(context.signal.reason as Error), { once: true }));
      await Promise.race([allStarted, timedOut]);
      return { started };
    };
    const ctx = { ...h.ctx, config: { ...h.ctx.config, jobTimeoutSeconds: 3 } };

    // Act
    const response = await createWorkerHandler(ctx, { jobTypes })(sqsEventFactory(...jobs.map((j) => sqsRecordFactory(messageOf(j)))), lambdaContextFactory());

    // Assert
    expect(response.batchItemFailures).toEqual([]);
    const after = await Promise.all(jobs.map(stored));
    expect(after.map((j) => ({ status: j.status, result: j.result }))).toEqual(Array(5).fill({ status: 'succeeded', result: { started: 5 } }));
  }, 20_000);
});

describe('the API actions racing a delivery (SPEC §3.5)', () => {
  const timing = () => ({ nowMs: h.clock.now(), retentionDays: 7 });

  it('cancel vs claim: canceled and never run, or run and not canceled — never both', async () => {
    const outcomes = await Promise.all(
      Array.from({ length: 30 }, async () => {
        const job = await putJob();
        const [processed, canceled] = await Promise.all([
          worker().processMessage(messageOf(job)),
          h.ctx.jobs.transition(job, (j) => cancel(j, timing())),
        ]);
        return { processed, canceled: canceled.ok, job: await stored(job), runs: calls.filter((c) => c.context.jobId === job.jobId).length };
      }),
    );

    for (const o of outcomes) {
      if (o.canceled) expect(o).toMatchObject({ processed: 'finished', runs: 0, job: { status: 'canceled', attempts: 0, history: [] } });
      else expect(o).toMatchObject({ processed: 'succeeded', runs: 1, job: { status: 'succeeded', attempts: 1 } });
    }
  });

  it('retry vs stale duplicates: the re-queued job runs exactly one more attempt', async () => {
    const jobs = await Promise.all(Array.from({ length: 10 }, () => putJob({ status: 'fatal', attempts: 1, nextRunAt: null })));

    await Promise.all(
      jobs.flatMap((job) => [
        h.ctx.jobs.transition(job, (j) => retry(j, timing())),
        worker().processMessage(messageOf(job)),
        worker().processMessage(messageOf(job)),
        worker().processMessage(messageOf(job)),
      ]),
    );
    // Whatever the interleaving, the retry's own message is still to come; deliver it.
    await Promise.all(jobs.map((job) => worker().processMessage(messageOf(job))));

    for (const job of jobs) {
      expect(await stored(job)).toMatchObject({ status: 'succeeded', attempts: 2 });
      expect(calls.filter((c) => c.context.jobId === job.jobId)).toHaveLength(1);
    }
  });
});
