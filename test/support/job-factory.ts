/** Jobs as the store holds them, for tests that write them directly. */
import { randomUUID } from 'node:crypto';
import { awaitedWebhook, expiryOf, type Job } from '../../lambdas/jobs/job';

/** A queued `echo` job due at `nowMs`, dispatched; override any field. */
export function jobFactory(nowMs: number, overrides: Partial<Job> = {}): Job {
  const now = new Date(nowMs).toISOString();
  return {
    jobId: randomUUID(),
    tenantId: 'tenant-a',
    type: 'echo',
    status: 'queued',
    payload: { hello: 'world' },
    payloadHash: 'sha256:0000000000000000000000000000000000000000000000000000000000000000',
    idempotencyKey: null,
    webhookUrl: null,
    maxAttempts: 3,
    attemptLimit: overrides.maxAttempts ?? 3,
    attempts: 0,
    nextRunAt: now,
    leaseUntilMs: null,
    result: null,
    lastError: null,
    history: [],
    webhook: awaitedWebhook(overrides.webhookUrl ?? null),
    dispatched: true,
    createdAt: now,
    updatedAt: now,
    finishedAt: null,
    expiresAt: expiryOf(nowMs, nowMs, 7),
    version: 1,
    ...overrides,
  };
}
