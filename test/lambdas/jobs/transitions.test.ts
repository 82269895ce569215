/**
 * Every change of a job's state, as pure decisions (SPEC §3.5, §4): what each
 * transition writes, and what it refuses, from each status.
 */
import { ATTEMPT_HISTORY_LIMIT, type Job, type JobStatus, pendingWebhook, webhookEventOf } from '../../../lambdas/jobs/job';
import {
  cancel,
  claim,
  deleteFinished,
  finishAttempt,
  redeliverWebhook,
  releaseAttempt,
  retry,
  webhookBodyOf,
  type AttemptOutcome,
  type Timing,
} from '../../../lambdas/jobs/transitions';
import { jobFactory } from '../../support/job-factory';

/** The job's webhook, which must be an event in delivery. */
function pendingOf(job: Job) {
  const pending = pendingWebhook(job.webhook);
  if (!pending) throw new Error(`no event in delivery: webhook ${job.webhook.status}`);
  return pending;
}

const NOW = Date.UTC(2026, 5, 1, 12);
const t = (nowMs = NOW): Timing => ({ nowMs, retentionDays: 7 });
const LEASE_MS = 35_000;
const LOOKAHEAD_MS = 300_000;
const iso = (ms: number) => new Date(ms).toISOString();

function written<R>(decision: { write?: Job; result: R } | { delete: true; result: R } | { result: R }): Job {
  if (!('write' in decision) || !decision.write) throw new Error(`expected a write, got ${JSON.stringify(decision.result)}`);
  return decision.write;
}

/** A job claimed at NOW (attempt 1 running). */
function runningJob(overrides: Partial<Job> = {}): Job {
  return written(claim(jobFactory(NOW, overrides), LEASE_MS, t()));
}

describe('claim', () => {
  it('moves a due queued job to running: attempts + 1, a lease, a running attempt on record', () => {
    const decision = claim(jobFactory(NOW - 1000), LEASE_MS, t());

    expect(decision.result.outcome).toBe('claimed');
    expect(written(decision)).toMatchObject({
      status: 'running',
      attempts: 1,
      leaseUntilMs: NOW + LEASE_MS,
      nextRunAt: null,
      dispatched: false,
      updatedAt: iso(NOW),
      history: [{ attempt: 1, status: 'running', error: null, startedAt: iso(NOW), finishedAt: null, durationMs: null }],
    });
  });

  it('claims a retry whose time has come', () => {
    const job = jobFactory(NOW, { status: 'retry', attempts: 1, nextRunAt: iso(NOW) });
    expect(written(claim(job, LEASE_MS, t())).attempts).toBe(2);
  });

  it('claims a message up to 1 s early (clock skew), not earlier', () => {
    expect(claim(jobFactory(NOW, { nextRunAt: iso(NOW + 1000) }), LEASE_MS, t()).result.outcome).toBe('claimed');
    expect(claim(jobFactory(NOW, { nextRunAt: iso(NOW + 1001) }), LEASE_MS, t()).result).toEqual({ outcome: 'not-due', dueInMs: 1001 });
  });

  it.each(['succeeded', 'fatal', 'canceled'] as JobStatus[])('writes nothing for a %s job', (status) => {
    expect(claim(jobFactory(NOW, { status }), LEASE_MS, t())).toEqual({ result: { outcome: 'finished' } });
  });

  it('writes nothing for a missing job', () => {
    expect(claim(undefined, LEASE_MS, t())).toEqual({ result: { outcome: 'missing' } });
  });

  it('writes nothing for a running job whose lease is live (a duplicate message)', () => {
    const job = runningJob();
    expect(claim(job, LEASE_MS, t(NOW + LEASE_MS - 1))).toEqual({ result: { outcome: 'busy', leaseUntilMs: job.leaseUntilMs } });
  });

  it('takes over a running job whose lease expired: the lost attempt is failed "lease expired" and counts', () => {
    const job = runningJob();
    const later = NOW + LEASE_MS;

    const decision = claim(job, LEASE_MS, t(later));

    expect(decision.result).toMatchObject({ outcome: 'claimed', lostAttempt: 1 });
    expect(written(decision)).toMatchObject({ status: 'running', attempts: 2, leaseUntilMs: later + LEASE_MS, lastError: 'lease expired' });
    expect(written(decision).history).toEqual([
      { attempt: 1, status: 'failed', error: 'lease expired', startedAt: iso(NOW), finishedAt: iso(later), durationMs: LEASE_MS },
      { attempt: 2, status: 'running', error: null, startedAt: iso(later), finishedAt: null, durationMs: null },
    ]);
  });

  it('makes a job fatal when the expired lease was its last attempt, with a webhook event if it has a URL', () => {
    const job = runningJob({ maxAttempts: 1, attemptLimit: 1, webhookUrl: 'https://hooks.example.com/x' });

    const decision = claim(job, LEASE_MS, t(NOW + LEASE_MS));

    expect(decision.result.outcome).toBe('lease-expired-fatal');
    expect(written(decision)).toMatchObject({
      status: 'fatal',
      attempts: 1,
      leaseUntilMs: null,
      finishedAt: iso(NOW + LEASE_MS),
      webhook: { status: 'pending', attempts: 0, event: { type: 'job.fatal', id: expect.stringMatching(/^msg_[0-9a-f]{32}$/) } },
      dispatched: true,
    });
  });
});

describe('finishAttempt', () => {
  const succeeded: AttemptOutcome = { kind: 'succeeded', result: { ok: true } };
  const retryable = (delayMs: number): AttemptOutcome => ({ kind: 'retryable', error: 'HTTP 503 from target', delayMs });

  it('records success: result, finishedAt, the attempt succeeded with its duration', () => {
    const done = written(finishAttempt(runningJob(), 1, succeeded, LOOKAHEAD_MS, t(NOW + 412)));

    expect(done).toMatchObject({ status: 'succeeded', result: { ok: true }, lastError: null, finishedAt: iso(NOW + 412), leaseUntilMs: null });
    expect(done.history).toEqual([
      { attempt: 1, status: 'succeeded', error: null, startedAt: iso(NOW), finishedAt: iso(NOW + 412), durationMs: 412 },
    ]);
    expect(webhookEventOf(done.webhook)).toBeNull();
  });

  it('replaces a result over 4 KiB of JSON by its size', () => {
    const big = { kind: 'succeeded' as const, result: 'x'.repeat(5000) };
    expect(written(finishAttempt(runningJob(), 1, big, LOOKAHEAD_MS, t())).result).toEqual({ truncated: true, bytes: 5002 });
  });

  it('creates one webhook event per terminal transition, its body fixed, for a job with a webhookUrl', () => {
    const done = written(finishAttempt(runningJob({ webhookUrl: 'https://hooks.example.com/x' }), 1, succeeded, LOOKAHEAD_MS, t()));

    expect(webhookEventOf(done.webhook)).toMatchObject({ type: 'job.succeeded', nextAttemptAt: NOW });
    const body = webhookBodyOf(done, webhookEventOf(done.webhook)!);
    expect(JSON.parse(body)).toMatchObject({ type: 'job.succeeded', timestamp: iso(NOW), data: { jobId: done.jobId, status: 'succeeded', updatedAt: iso(NOW) } });
    expect(JSON.parse(body).data).not.toHaveProperty('payload');
  });

  it('puts a retryable failure in retry at now + delay; dispatched when within the look-ahead', () => {
    const soon = written(finishAttempt(runningJob(), 1, retryable(2000), LOOKAHEAD_MS, t()));
    const far = written(finishAttempt(runningJob(), 1, retryable(LOOKAHEAD_MS + 1), LOOKAHEAD_MS, t()));

    expect(soon).toMatchObject({ status: 'retry', nextRunAt: iso(NOW + 2000), leaseUntilMs: null, dispatched: true, lastError: 'HTTP 503 from target' });
    expect(soon.history).toMatchObject([{ attempt: 1, status: 'failed', error: 'HTTP 503 from target' }]);
    expect(far).toMatchObject({ status: 'retry', dispatched: false });
  });

  it('keeps a job scheduled far ahead from expiring before it runs', () => {
    const far = written(finishAttempt(runningJob(), 1, retryable(6 * 86_400_000), LOOKAHEAD_MS, t()));
    expect(far.expiresAt).toBe(Math.ceil((NOW + 13 * 86_400_000) / 1000));
  });

  it('makes a retryable failure on the last attempt fatal', () => {
    const job = runningJob({ maxAttempts: 1, attemptLimit: 1 });
    expect(finishAttempt(job, 1, retryable(1000), LOOKAHEAD_MS, t()).result.outcome).toBe('fatal');
  });

  it('makes a non-retryable failure fatal at once', () => {
    const job = runningJob({ maxAttempts: 5, attemptLimit: 5 });
    const decision = finishAttempt(job, 1, { kind: 'fatal', error: 'HTTP 400 from target' }, LOOKAHEAD_MS, t());
    expect(written(decision)).toMatchObject({ status: 'fatal', lastError: 'HTTP 400 from target', attempts: 1 });
  });

  it('keeps error messages short: first line, at most 1 KiB', () => {
    const long = { kind: 'fatal' as const, error: `${'é'.repeat(2000)}\n    at stack (file.ts:1:1)` };
    const done = written(finishAttempt(runningJob(), 1, long, LOOKAHEAD_MS, t()));
    expect(Buffer.byteLength(done.lastError!)).toBeLessThanOrEqual(1024);
    expect(done.lastError).not.toContain('stack');
  });

  it('is fenced by the attempt number: a finished, retried or taken-over job is not touched', () => {
    const job = runningJob();
    const takenOver = written(claim(job, LEASE_MS, t(NOW + LEASE_MS)));

    expect(finishAttempt(takenOver, 1, succeeded, LOOKAHEAD_MS, t())).toEqual({ result: { outcome: 'lost' } });
    expect(finishAttempt(written(finishAttempt(job, 1, succeeded, LOOKAHEAD_MS, t())), 1, succeeded, LOOKAHEAD_MS, t())).toEqual({
      result: { outcome: 'lost' },
    });
    expect(finishAttempt(undefined, 1, succeeded, LOOKAHEAD_MS, t())).toEqual({ result: { outcome: 'lost' } });
  });

  it('keeps the most recent 50 attempts', () => {
    let job = jobFactory(NOW, { maxAttempts: 25, attemptLimit: 60 });
    for (let n = 1; n <= 55; n++) {
      job = written(claim({ ...job, nextRunAt: iso(NOW) }, LEASE_MS, t()));
      job = written(finishAttempt(job, n, retryable(1000), LOOKAHEAD_MS, t()));
    }
    expect(job.history).toHaveLength(ATTEMPT_HISTORY_LIMIT);
    expect(job.history[0].attempt).toBe(6);
    expect(job.history.at(-1)!.attempt).toBe(55);
  });
});

describe('cancel (SPEC §3.5)', () => {
  it.each(['queued', 'retry'] as JobStatus[])('cancels a %s job: no next run, finishedAt set', (status) => {
    const decision = cancel(jobFactory(NOW, { status }), t());
    expect(decision.result.ok).toBe(true);
    expect(written(decision)).toMatchObject({ status: 'canceled', nextRunAt: null, dispatched: false, finishedAt: iso(NOW) });
  });

  it.each(['running', 'succeeded', 'fatal', 'canceled'] as JobStatus[])('refuses a %s job, answering with it', (status) => {
    const job = jobFactory(NOW, { status });
    expect(cancel(job, t())).toEqual({ result: { ok: false, job } });
  });

  it('never creates a webhook event', () => {
    expect(written(cancel(jobFactory(NOW, { webhookUrl: 'https://hooks.example.com/x' }), t())).webhook).toEqual({ status: 'none' });
  });

  it('wins or loses cleanly against a claim of the same job version', () => {
    const job = jobFactory(NOW);
    // Both decide from the same read; the store writes only the first (version check), the other decides again.
    const claimed = written(claim(job, LEASE_MS, t()));
    expect(cancel(claimed, t()).result.ok).toBe(false);
    const canceled = written(cancel(job, t()));
    expect(claim(canceled, LEASE_MS, t()).result.outcome).toBe('finished');
  });
});

describe('retry (SPEC §3.5)', () => {
  it.each(['fatal', 'canceled'] as JobStatus[])('re-queues a %s job, due now, with maxAttempts more attempts', (status) => {
    const job = jobFactory(NOW - 60_000, { status, attempts: 3, maxAttempts: 3, attemptLimit: 3, result: 'old', finishedAt: iso(NOW - 1) });

    const queued = written(retry(job, t()));

    expect(queued).toMatchObject({ status: 'queued', nextRunAt: iso(NOW), attempts: 3, attemptLimit: 6, finishedAt: null, result: null, dispatched: true });
  });

  it('resets a delivered webhook so the next finish creates a new event', () => {
    const fatal = written(finishAttempt(runningJob({ webhookUrl: 'https://hooks.example.com/x' }), 1, { kind: 'fatal', error: 'x' }, LOOKAHEAD_MS, t()));
    const event = webhookEventOf(fatal.webhook)!;
    const delivered: Job = { ...fatal, webhook: { status: 'delivered', event, attempts: 1, lastStatusCode: 200, deliveredAt: iso(NOW) } };
    const queued = written(retry(delivered, t()));
    expect(queued.webhook).toEqual({ status: 'pending', event: null });
    const again = written(finishAttempt(written(claim(queued, LEASE_MS, t())), 2, { kind: 'succeeded', result: 1 }, LOOKAHEAD_MS, t()));
    expect(webhookEventOf(again.webhook)!.id).not.toBe(webhookEventOf(fatal.webhook)!.id);
    expect(again).toMatchObject({ webhook: { status: 'pending' }, dispatched: true });
  });

  it('keeps delivering a still-pending event; the next finish queues its event behind it', () => {
    // Arrange: fatal, its webhook still being tried (the receiver is down)
    const fatal = written(finishAttempt(runningJob({ webhookUrl: 'https://hooks.example.com/x' }), 1, { kind: 'fatal', error: 'x' }, LOOKAHEAD_MS, t()));
    const trying = { ...fatal, webhook: { ...pendingOf(fatal), attempts: 2 } };
    // Act
    const queued = written(retry(trying, t()));
    const again = written(finishAttempt(written(claim(queued, LEASE_MS, t())), 2, { kind: 'succeeded', result: 1 }, LOOKAHEAD_MS, t()));
    // Assert: the fatal event is still the pending one, its body written out byte for byte as it was made
    // (the job no longer is the fatal one it came from); the succeeded event waits in the backlog.
    const fatalEvent = webhookEventOf(fatal.webhook)!;
    expect(fatalEvent.body).toBeUndefined();
    expect(webhookEventOf(queued.webhook)).toEqual({ id: fatalEvent.id, type: 'job.fatal', body: webhookBodyOf(fatal, fatalEvent), nextAttemptAt: fatalEvent.nextAttemptAt });
    expect(webhookBodyOf(again, webhookEventOf(again.webhook)!)).toBe(webhookBodyOf(fatal, fatalEvent));
    expect(JSON.parse(webhookBodyOf(again, webhookEventOf(again.webhook)!))).toMatchObject({ type: 'job.fatal', data: { status: 'fatal', lastError: 'x' } });
    expect(JSON.parse(pendingOf(again).backlog[0].body!)).toMatchObject({ type: 'job.succeeded', data: { status: 'succeeded', result: 1 } });
    expect({ ...queued.webhook, event: null }).toEqual({ ...trying.webhook, event: null });
    expect(webhookEventOf(again.webhook)!.id).toBe(webhookEventOf(fatal.webhook)!.id);
    expect(pendingOf(again).backlog).toHaveLength(1);
    expect(pendingOf(again).backlog[0].type).toBe('job.succeeded');
    expect(again.dispatched).toBe(false);
  });

  it.each(['queued', 'running', 'retry', 'succeeded'] as JobStatus[])('refuses a %s job', (status) => {
    expect(retry(jobFactory(NOW, { status }), t()).result.ok).toBe(false);
  });
});

describe('deleteFinished (SPEC §3.5)', () => {
  it.each(['succeeded', 'fatal', 'canceled'] as JobStatus[])('deletes a %s job', (status) => {
    expect(deleteFinished(jobFactory(NOW, { status }))).toMatchObject({ delete: true, result: { ok: true } });
  });

  it.each(['queued', 'running', 'retry'] as JobStatus[])('refuses a %s job', (status) => {
    expect(deleteFinished(jobFactory(NOW, { status }))).not.toHaveProperty('delete');
  });
});

describe('redeliverWebhook (SPEC §3.5)', () => {
  it('re-sends the same event on a fresh schedule', () => {
    const done = written(finishAttempt(runningJob({ webhookUrl: 'https://hooks.example.com/x' }), 1, { kind: 'succeeded', result: 1 }, LOOKAHEAD_MS, t()));
    const event = webhookEventOf(done.webhook)!;
    const delivered: Job = { ...done, dispatched: false, webhook: { status: 'failed', event, attempts: 10, lastStatusCode: 500, lastError: 'HTTP 500 from receiver' } };

    const again = written(redeliverWebhook(delivered, t(NOW + 5000)));

    expect(webhookEventOf(again.webhook)).toMatchObject({ id: event.id, nextAttemptAt: NOW + 5000 });
    expect(webhookBodyOf(again, webhookEventOf(again.webhook)!)).toBe(webhookBodyOf(done, event));
    expect(again.webhook).toMatchObject({ status: 'pending', attempts: 0, lastStatusCode: null, lastError: null, backlog: [] });
  });

  it('refuses a job that is not terminal or has no webhookUrl', () => {
    expect(redeliverWebhook(jobFactory(NOW, { webhookUrl: 'https://hooks.example.com/x' }), t()).result.ok).toBe(false);
    expect(redeliverWebhook(written(finishAttempt(runningJob(), 1, { kind: 'succeeded', result: 1 }, LOOKAHEAD_MS, t())), t()).result.ok).toBe(false);
  });
});

describe('releaseAttempt (shutdown mid-attempt)', () => {
  it('hands the running attempt back uncounted: waiting, due now, dispatched, its record gone', () => {
    const running = runningJob();
    const released = written(releaseAttempt(running, 1, t(NOW + 500)));
    expect(released).toMatchObject({ status: 'queued', attempts: 0, leaseUntilMs: null, nextRunAt: iso(NOW + 500), dispatched: true });
    expect(released.history).toEqual([]);
  });

  it('keeps earlier attempts and waits as retry after a failed one', () => {
    const failed = written(finishAttempt(runningJob(), 1, { kind: 'retryable', error: 'HTTP 503 from target', delayMs: 1000 }, LOOKAHEAD_MS, t()));
    const second = written(claim(failed, LEASE_MS, t(NOW + 2000)));
    const released = written(releaseAttempt(second, 2, t(NOW + 3000)));
    expect(released).toMatchObject({ status: 'retry', attempts: 1 });
    expect(released.history.map((a) => [a.attempt, a.status])).toEqual([[1, 'failed']]);
  });

  it.each<[string, (job: Job) => Job]>([
    ['another attempt', (job) => ({ ...job, attempts: 2 })],
    ['a finished job', (job) => ({ ...job, status: 'succeeded' })],
  ])('does nothing for %s (fenced by the attempt number)', (_name, change) => {
    expect(releaseAttempt(change(runningJob()), 1, t())).toEqual({ result: { released: false } });
  });
});
