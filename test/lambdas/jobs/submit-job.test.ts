/** Submission against a real dynalite with recording queues (no HTTP). */
import { submitJob } from '../../../lambdas/jobs/submit-job';
import { SWEEP_SHARDS } from '../../../lambdas/resources';
import { startContextHarness, type ContextHarness } from '../../support/service-context';

let harness: ContextHarness;
beforeAll(async () => {
  harness = await startContextHarness();
});
afterAll(async () => {
  await harness.close();
});

describe('submitJob', () => {
  it('hands a job due now to the jobs queue, and leaves one due in a day to the sweep index', async () => {
    harness.jobsQueue.drain();
    const soon = await submitJob(harness.ctx, 'acme', { type: 'echo', payload: {}, delaySeconds: 30 }, undefined);
    const later = await submitJob(harness.ctx, 'acme', { type: 'echo', payload: {}, delaySeconds: 86_400 }, undefined);
    const sent = harness.jobsQueue.drain();
    expect(sent).toEqual([{ message: { tenantId: 'acme', jobId: soon.job.jobId }, delaySeconds: 30 }]);
    expect(later.job.dispatched).toBe(false);
    expect(soon.job.dispatched).toBe(true);
  });

  it('answers 202 even when the SQS send fails: the job waits on the sweep index', async () => {
    harness.jobsQueue.failNext();
    const submitted = await submitJob(harness.ctx, 'acme', { type: 'echo', payload: {} }, 'send-fails');
    expect(submitted.status).toBe(202);
    const stored = await harness.ctx.jobs.get({ tenantId: 'acme', jobId: submitted.job.jobId });
    expect(stored?.status).toBe('queued');
    // On the sweep index, due once the message should have run (nextRunAt + STALE_AFTER_SECONDS).
    const inTenMinutes = harness.clock.now() + 10 * 60_000;
    const due = await Promise.all(Array.from({ length: SWEEP_SHARDS }, (_, shard) => harness.ctx.jobs.dueForSweep(shard, inTenMinutes, 100)));
    expect(due.flat().map((e) => e.jobId)).toContain(submitted.job.jobId);
  });
});
