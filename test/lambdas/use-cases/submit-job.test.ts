/** Submission against a real dynalite with recording queues (no HTTP). */
import { jobIdFor } from '../../../lambdas/jobs/job-id';
import type { Rejection } from '../../../lambdas/jobs/prepare-job';
import { SWEEP_SHARDS } from '../../../lambdas/resources';
import { StoreUnavailableError } from '../../../lambdas/store/errors';
import { dispatchDueJobs } from '../../../lambdas/scheduler/dispatch-due-jobs';
import { submitJob, type Submitted } from '../../../lambdas/use-cases/submit-job';
import { startContextHarness, type ContextHarness } from '../../support/service-context';
import { tenantFactory } from '../../support/tenant-factory';

let harness: ContextHarness;
beforeAll(async () => {
  harness = await startContextHarness();
  // The open-bucket scan reads every tenant's jobs: the tenant exists, as behind the API.
  await harness.ctx.tenants.createTenant(tenantFactory({ tenantId: 'acme' }));
});
afterAll(async () => {
  await harness.close();
});

function accepted(outcome: Submitted | Rejection): Submitted {
  if (outcome.kind === 'rejected') throw new Error(`rejected: ${outcome.code} ${outcome.detail}`);
  return outcome;
}

describe('submitJob', () => {
  it('hands a job due now to the jobs queue, and leaves one due in a day to the sweep index', async () => {
    harness.jobsQueue.drain();
    const soon = accepted(await submitJob(harness.ctx, 'acme', { type: 'echo', payload: {}, delaySeconds: 30 }, undefined));
    const later = accepted(await submitJob(harness.ctx, 'acme', { type: 'echo', payload: {}, delaySeconds: 86_400 }, undefined));
    const sent = harness.jobsQueue.drain();
    const now = harness.clock.now();
    expect(sent).toEqual([{ message: { tenantId: 'acme', jobId: soon.job.jobId, attempts: 0, dueAt: now + 30_000, sentAt: now }, delaySeconds: 30 }]);
    expect(later.job.dispatched).toBe(false);
    // Sent before its put.
    expect(soon.job).toMatchObject({ dispatched: true, sentFirst: true });
  });

  it('answers 202 even when the SQS send after a keyed put fails: the scheduler sends it once its message should have run', async () => {
    harness.jobsQueue.drain();
    harness.jobsQueue.failNext();
    const submitted = accepted(await submitJob(harness.ctx, 'acme', { type: 'echo', payload: {} }, 'send-fails'));
    expect(submitted.status).toBe(202);
    expect(harness.jobsQueue.drain()).toEqual([]);
    const stored = await harness.ctx.jobs.get({ tenantId: 'acme', jobId: submitted.job.jobId });
    expect(stored?.status).toBe('queued');
    // No sweep entry (a create due at once is the open-bucket scan's): the scheduler finds it STALE_AFTER_SECONDS after its create.
    expect(await dueForSweep(harness.clock.now() + 10 * 60_000)).not.toContain(submitted.job.jobId);
    const stale = harness.ctx.config.staleAfterSeconds * 1000;
    const createdAt = Date.parse(submitted.job.createdAt);
    expect(await sentBySchedulerAt(createdAt + stale - 1)).not.toContain(submitted.job.jobId);
    expect(await sentBySchedulerAt(createdAt + stale)).toContain(submitted.job.jobId);
  });

  it('replays a repeated submission (200, the same job, no second message) and refuses its key with another body', async () => {
    // Arrange
    const body = { type: 'echo', payload: { n: 1 } };
    const first = accepted(await submitJob(harness.ctx, 'acme', body, 'replayed-key'));
    harness.jobsQueue.drain();

    // Act
    const again = await submitJob(harness.ctx, 'acme', body, 'replayed-key');
    const other = await submitJob(harness.ctx, 'acme', { type: 'echo', payload: { n: 2 } }, 'replayed-key');

    // Assert
    expect(again).toMatchObject({ kind: 'submitted', status: 200, job: { jobId: first.job.jobId } });
    expect(other).toEqual({ kind: 'rejected', code: 'idempotency_key_reused', detail: expect.any(String) });
    expect(harness.jobsQueue.drain()).toEqual([]);
  });

  it('writes nothing for a rejected submission', async () => {
    const outcome = await submitJob(harness.ctx, 'acme', { type: 'no-such-type', payload: {} }, 'never-written');
    expect(outcome).toMatchObject({ kind: 'rejected', code: 'unknown_job_type' });
    expect(await harness.ctx.jobs.get({ tenantId: 'acme', jobId: jobIdFor('acme', 'never-written') }, { consistent: true })).toBeUndefined();
    expect(harness.jobsQueue.drain()).toEqual([]);
  });

  it('sends a new job\'s message before its put, with no sweep entry; if SQS lost it, the scheduler sends it once it should have run', async () => {
    harness.jobsQueue.drain();
    const submitted = accepted(await submitJob(harness.ctx, 'acme', { type: 'echo', payload: {} }, undefined));
    expect(harness.jobsQueue.drain().map((d) => d.message.jobId)).toEqual([submitted.job.jobId]);
    const stored = await harness.ctx.jobs.get({ tenantId: 'acme', jobId: submitted.job.jobId }, { consistent: true });
    expect(stored).toMatchObject({ status: 'queued', sentFirst: true });
    expect(await dueForSweep(harness.clock.now() + 10 * 60_000)).not.toContain(submitted.job.jobId);
    // The message "was lost": the open-bucket scan finds the job STALE_AFTER_SECONDS after its create.
    const stale = harness.ctx.config.staleAfterSeconds * 1000;
    const createdAt = Date.parse(submitted.job.createdAt);
    expect(await sentBySchedulerAt(createdAt + stale - 1)).not.toContain(submitted.job.jobId);
    expect(await sentBySchedulerAt(createdAt + stale)).toContain(submitted.job.jobId);
  });

  it('answers 202 when the send before the put fails: the job is put on the sweep index, due now, and the scheduler sends it', async () => {
    // Arrange
    harness.jobsQueue.drain();
    harness.jobsQueue.failNext();
    // Act
    const submitted = accepted(await submitJob(harness.ctx, 'acme', { type: 'echo', payload: {} }, undefined));
    // Assert
    expect(submitted.status).toBe(202);
    expect(harness.jobsQueue.drain()).toEqual([]);
    expect(await dueForSweep(harness.clock.now())).toContain(submitted.job.jobId);
    const report = await dispatchDueJobs(harness.ctx);
    expect(report.dispatched).toBeGreaterThanOrEqual(1);
    expect(harness.jobsQueue.drain().map((d) => d.message.jobId)).toContain(submitted.job.jobId);
  });

  it('answers 503 when the put fails after the send, keeping no job (its message finds none and is dropped after the create window)', async () => {
    // Arrange: every PutItem fails as a DynamoDB 500 would.
    harness.jobsQueue.drain();
    const failPuts = (next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) => async (args: unknown) => {
      if (context.commandName === 'PutItemCommand') {
        throw Object.assign(new Error('internal'), { name: 'InternalServerError', $fault: 'server', $metadata: { httpStatusCode: 500 } });
      }
      return next(args);
    };
    harness.ctx.db.middlewareStack.add(failPuts as never, { step: 'initialize', name: 'failPuts' });
    let outcome: unknown;
    try {
      // Act
      outcome = await submitJob(harness.ctx, 'acme', { type: 'echo', payload: {} }, undefined).catch((error: unknown) => error);
    } finally {
      harness.ctx.db.middlewareStack.remove('failPuts');
    }
    // Assert
    expect(outcome).toBeInstanceOf(StoreUnavailableError);
    const [orphan] = harness.jobsQueue.drain();
    expect(orphan.message).toMatchObject({ tenantId: 'acme', sentAt: harness.clock.now() });
    expect(await harness.ctx.jobs.get(orphan.message, { consistent: true })).toBeUndefined();
  });
});

/** The job ids the scheduler sends in one run at `atMs` (the clock stays there). */
async function sentBySchedulerAt(atMs: number): Promise<string[]> {
  harness.clock.set(atMs);
  harness.jobsQueue.drain();
  await dispatchDueJobs(harness.ctx);
  return harness.jobsQueue.drain().map((d) => d.message.jobId);
}

async function dueForSweep(atMs: number): Promise<string[]> {
  const due = await Promise.all(Array.from({ length: SWEEP_SHARDS }, (_, shard) => harness.ctx.jobs.dueForSweep(shard, atMs, 1000)));
  return due.flat().map((e) => e.jobId);
}
