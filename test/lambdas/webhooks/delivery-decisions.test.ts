import fc from 'fast-check';
import { loadConfig } from '../../../lambdas/config';
import type { Job, WebhookState } from '../../../lambdas/jobs/job';
import { sweepAtOf } from '../../../lambdas/jobs/sweep';
import {
  checkDeliverable,
  EARLY_TOLERANCE_MS,
  outcomeOfStatus,
  recordTry,
  type TryFacts,
  type TryOutcome,
} from '../../../lambdas/webhooks/webhook-transitions';

const NOW = Date.UTC(2026, 11, 1, 10, 0, 0);
const t = { nowMs: NOW, retentionDays: 7 };
const SWEEP = { lookaheadMs: 300_000, staleAfterMs: 120_000 };
const DEFAULT_SCHEDULE = loadConfig({}).webhookRetrySchedule;
const SQS_LIMIT_MS = 900_000;

/** A finished job whose webhook event is pending, as `finishAttempt` leaves it. */
function finishedJobFactory(overrides: Partial<Job> = {}, webhook: Partial<WebhookState> = {}): Job {
  return {
    jobId: '0b6f1c1e-6a2b-5f6a-9d1e-2a4c8f0e7b11',
    tenantId: 'acme',
    type: 'echo',
    status: 'succeeded',
    payload: { hello: 'world' },
    payloadHash: 'sha256:00',
    idempotencyKey: null,
    webhookUrl: 'https://hooks.example.com/jobs?token=abc',
    maxAttempts: 5,
    attemptLimit: 5,
    attempts: 1,
    nextRunAt: null,
    leaseUntilMs: null,
    result: { hello: 'world' },
    lastError: null,
    history: [],
    webhook: { status: 'pending', attempts: 0, lastStatusCode: null, lastError: null, deliveredAt: null, ...webhook },
    webhookEvent: { id: 'msg_0001', type: 'job.succeeded', body: '{"type":"job.succeeded"}', nextAttemptAt: NOW - 10 },
    dispatched: true,
    createdAt: new Date(NOW - 60_000).toISOString(),
    updatedAt: new Date(NOW - 1000).toISOString(),
    finishedAt: new Date(NOW - 1000).toISOString(),
    expiresAt: Math.ceil((NOW + 7 * 86_400_000) / 1000),
    version: 3,
    ...overrides,
  };
}

const message = { tenantId: 'acme', jobId: '0b6f1c1e-6a2b-5f6a-9d1e-2a4c8f0e7b11', eventId: 'msg_0001' };

function factsFactory(outcome: TryOutcome, overrides: Partial<TryFacts> = {}): TryFacts {
  return { eventId: 'msg_0001', attemptsBefore: 0, outcome, retrySchedule: [5, 30, 1800], dispatchWithinMs: SQS_LIMIT_MS, ...overrides };
}

const serverError = outcomeOfStatus(500);
const ok = outcomeOfStatus(200);

describe('checkDeliverable', () => {
  it('delivers the pending event of a finished job', () => {
    const check = checkDeliverable(finishedJobFactory({}, { attempts: 2 }), message, NOW);

    expect(check).toMatchObject({ deliver: true, url: 'https://hooks.example.com/jobs?token=abc', event: { id: 'msg_0001' }, attemptsBefore: 2 });
  });

  it.each([
    ['missing', undefined],
    ['no-event', finishedJobFactory({ webhookEvent: null })],
    ['no-event', finishedJobFactory({ webhookUrl: null })],
    ['other-event', finishedJobFactory({ webhookEvent: { id: 'msg_0002', type: 'job.fatal', body: '{}', nextAttemptAt: NOW } })],
    ['not-pending', finishedJobFactory({}, { status: 'delivered' })],
    ['not-pending', finishedJobFactory({}, { status: 'failed' })],
    ['not-due', finishedJobFactory({ webhookEvent: { id: 'msg_0001', type: 'job.succeeded', body: '{}', nextAttemptAt: NOW + 30_000 } })],
  ])('skips a message when the job is %s', (reason, job) => {
    expect(checkDeliverable(job, message, NOW)).toEqual({ deliver: false, reason });
  });

  it('delivers a pending event while the retry route has the job running again (its body is fixed)', () => {
    const job = finishedJobFactory({ status: 'queued' });
    expect(checkDeliverable(job, message, NOW)).toMatchObject({ deliver: true });
  });

  it('tolerates a message that arrives a little early (clock skew)', () => {
    const job = finishedJobFactory({
      webhookEvent: { id: 'msg_0001', type: 'job.succeeded', body: '{}', nextAttemptAt: NOW + EARLY_TOLERANCE_MS },
    });

    expect(checkDeliverable(job, message, NOW).deliver).toBe(true);
  });
});

describe('outcomeOfStatus', () => {
  it.each([200, 201, 202, 204, 299])('treats %i as delivered', (status) => {
    expect(outcomeOfStatus(status)).toEqual({ kind: 'delivered', statusCode: status });
  });

  it.each([301, 302, 400, 401, 404, 408, 429, 500, 502, 503])('retries after %i', (status) => {
    expect(outcomeOfStatus(status)).toMatchObject({ kind: 'failed', statusCode: status, retryable: true, error: `HTTP ${status} from receiver` });
  });

  it('stops at once on 410 Gone', () => {
    expect(outcomeOfStatus(410)).toMatchObject({ kind: 'failed', statusCode: 410, retryable: false });
  });
});

describe('recordTry', () => {
  const queuedEvent = { id: 'msg_0002', type: 'job.succeeded' as const, body: '{"type":"job.succeeded"}', nextAttemptAt: null };

  it.each<[string, TryOutcome, number]>([
    ['delivered', ok, 0],
    ['failed', outcomeOfStatus(410), 0],
  ])('when the event is %s, makes the next event of the backlog pending, due now', (outcome, tried, attemptsBefore) => {
    // Arrange: a second event waits behind the pending one (the job was re-run and finished again).
    const job = finishedJobFactory({ webhookBacklog: [queuedEvent] });
    // Act
    const decision = recordTry(job, factsFactory(tried, { attemptsBefore }), t);
    // Assert
    expect(decision.result).toMatchObject({ outcome, next: { id: 'msg_0002' } });
    const written = (decision as { write: Job }).write;
    expect(written).toMatchObject({
      webhook: { status: 'pending', attempts: 0, lastStatusCode: null },
      webhookEvent: { id: 'msg_0002', nextAttemptAt: NOW },
      webhookBacklog: [],
      dispatched: true,
      status: job.status,
    });
  });

  it('leaves the job\'s own dispatch flag alone while the job runs again', () => {
    const job = finishedJobFactory({ status: 'queued', dispatched: true, webhookBacklog: [queuedEvent] });
    const written = (recordTry(job, factsFactory(ok), t) as { write: Job }).write;
    expect(written).toMatchObject({ status: 'queued', dispatched: true, webhookEvent: { id: 'msg_0002' } });
    const retried = (recordTry(finishedJobFactory({ status: 'running', dispatched: false }), factsFactory(serverError), t) as { write: Job }).write;
    expect(retried).toMatchObject({ status: 'running', dispatched: false, webhook: { status: 'pending', attempts: 1 } });
  });

  it('marks the webhook delivered on a 2xx', () => {
    // Arrange
    const job = finishedJobFactory({}, { attempts: 2, lastStatusCode: 503, lastError: 'HTTP 503 from receiver' });

    // Act
    const decision = recordTry(job, factsFactory(ok, { attemptsBefore: 2 }), t);

    // Assert
    expect(decision.result).toMatchObject({ outcome: 'delivered', attempt: 3 });
    const written = (decision as { write: Job }).write;
    expect(written.webhook).toEqual({
      status: 'delivered',
      attempts: 3,
      lastStatusCode: 200,
      lastError: null,
      deliveredAt: new Date(NOW).toISOString(),
    });
    expect(written.webhookEvent).toMatchObject({ id: 'msg_0001', nextAttemptAt: null });
    expect(written.dispatched).toBe(false);
    expect(sweepAtOf(written, SWEEP)).toBeNull();
  });

  it('schedules a retry through SQS when the delay is within 15 minutes', () => {
    const decision = recordTry(finishedJobFactory(), factsFactory(serverError), t);

    expect(decision.result).toMatchObject({ outcome: 'retry', attempt: 1, delayMs: 5000, dispatch: true });
    const written = (decision as { write: Job }).write;
    expect(written.webhook).toMatchObject({ status: 'pending', attempts: 1, lastStatusCode: 500, lastError: 'HTTP 500 from receiver' });
    expect(written.webhookEvent!.nextAttemptAt).toBe(NOW + 5000);
    expect(written.dispatched).toBe(true);
    // The sweep looks again only if the queued retry stalls.
    expect(sweepAtOf(written, SWEEP)).toBe(NOW + 5000 + SWEEP.staleAfterMs);
  });

  it('leaves a retry past 15 minutes to the sweep index', () => {
    const job = finishedJobFactory({}, { attempts: 2 });

    const decision = recordTry(job, factsFactory(serverError, { attemptsBefore: 2 }), t);

    expect(decision.result).toMatchObject({ outcome: 'retry', attempt: 3, delayMs: 1_800_000, dispatch: false });
    const written = (decision as { write: Job }).write;
    expect(written.dispatched).toBe(false);
    expect(sweepAtOf(written, SWEEP)).toBe(NOW + 1_800_000);
  });

  it('fails the webhook when the schedule is exhausted', () => {
    const job = finishedJobFactory({}, { attempts: 3 });

    const decision = recordTry(job, factsFactory(serverError, { attemptsBefore: 3 }), t);

    expect(decision.result).toMatchObject({ outcome: 'failed', attempt: 4 });
    const written = (decision as { write: Job }).write;
    expect(written.webhook).toMatchObject({ status: 'failed', attempts: 4, lastStatusCode: 500 });
    expect(sweepAtOf(written, SWEEP)).toBeNull();
  });

  it('fails the webhook at once on 410 Gone', () => {
    const decision = recordTry(finishedJobFactory(), factsFactory(outcomeOfStatus(410)), t);

    expect(decision.result).toMatchObject({ outcome: 'failed', attempt: 1 });
    expect((decision as { write: Job }).write.webhook).toMatchObject({ status: 'failed', attempts: 1, lastStatusCode: 410 });
  });

  it('fails the webhook at once when the target is refused by the URL guard', () => {
    const refused: TryOutcome = { kind: 'failed', statusCode: null, error: 'host hooks.example.com resolves to 10.0.0.1', retryable: false };

    const decision = recordTry(finishedJobFactory(), factsFactory(refused), t);

    expect((decision as { write: Job }).write.webhook).toMatchObject({
      status: 'failed',
      lastStatusCode: null,
      lastError: 'host hooks.example.com resolves to 10.0.0.1',
    });
  });

  it('retries a network error without a status code', () => {
    const refused: TryOutcome = { kind: 'failed', statusCode: null, error: 'connection refused by hooks.example.com', retryable: true };

    const decision = recordTry(finishedJobFactory(), factsFactory(refused), t);

    expect((decision as { write: Job }).write.webhook).toMatchObject({ status: 'pending', lastStatusCode: null, attempts: 1 });
  });

  it('does not record a failure when another try was recorded since this one began', () => {
    const job = finishedJobFactory({}, { attempts: 1 });

    const decision = recordTry(job, factsFactory(serverError, { attemptsBefore: 0 }), t);

    expect(decision).toEqual({ result: { outcome: 'stale' } });
  });

  it('records a success even when another try was recorded meanwhile', () => {
    const job = finishedJobFactory({}, { attempts: 1 });

    const decision = recordTry(job, factsFactory(ok, { attemptsBefore: 0 }), t);

    expect(decision.result).toMatchObject({ outcome: 'delivered', attempt: 2 });
  });

  it.each([
    ['gone', undefined],
    ['delivered already', finishedJobFactory({}, { status: 'delivered', attempts: 1 })],
    ['re-run by the retry route', finishedJobFactory({ status: 'queued', webhookEvent: null })],
    ['finished again with a new event', finishedJobFactory({ webhookEvent: { id: 'msg_0002', type: 'job.fatal', body: '{}', nextAttemptAt: NOW } })],
  ])('records nothing when the job is %s', (_name, job) => {
    expect(recordTry(job, factsFactory(ok), t)).toEqual({ result: { outcome: 'stale' } });
  });

  it('gives the default schedule ten tries over more than twelve hours (SPEC §6)', () => {
    // Arrange
    let job = finishedJobFactory();
    let nowMs = NOW;
    const firstTryAt = nowMs;
    let tries = 0;

    // Act: a receiver that is always down
    for (;;) {
      const decision = recordTry(
        job,
        { ...factsFactory(serverError, { attemptsBefore: job.webhook.attempts }), retrySchedule: DEFAULT_SCHEDULE },
        { nowMs, retentionDays: 7 },
      );
      tries++;
      job = (decision as { write: Job }).write;
      if (decision.result.outcome !== 'retry') break;
      nowMs = job.webhookEvent!.nextAttemptAt!;
    }

    // Assert
    expect(tries).toBe(10);
    expect(job.webhook).toMatchObject({ status: 'failed', attempts: 10 });
    expect(nowMs - firstTryAt).toBeGreaterThanOrEqual(12 * 3_600_000);
    expect((nowMs - firstTryAt) / 3_600_000).toBeCloseTo(15.7, 1);
  });

  it('never changes anything but the webhook fields, updatedAt and expiresAt (property)', () => {
    const outcomeArb: fc.Arbitrary<TryOutcome> = fc.oneof(
      fc.integer({ min: 100, max: 599 }).map(outcomeOfStatus),
      fc.record({
        kind: fc.constant('failed' as const),
        statusCode: fc.constant(null),
        error: fc.string({ maxLength: 50 }),
        retryable: fc.boolean(),
      }),
    );
    fc.assert(
      fc.property(
        outcomeArb,
        fc.constantFrom('succeeded' as const, 'fatal' as const),
        fc.integer({ min: 0, max: 12 }),
        fc.array(fc.integer({ min: 0, max: 100_000 }), { maxLength: 12 }),
        (outcome, status, attemptsBefore, retrySchedule) => {
          const job = finishedJobFactory({ status, result: status === 'fatal' ? null : { ok: 1 } }, { attempts: attemptsBefore });
          const decision = recordTry(job, factsFactory(outcome, { attemptsBefore, retrySchedule }), t);
          if (!('write' in decision)) return;
          const { webhook, webhookEvent, dispatched, updatedAt, expiresAt, ...rest } = decision.write;
          const { webhook: _w, webhookEvent: _e, dispatched: _d, updatedAt: _u, expiresAt: _x, ...before } = job;
          expect(rest).toEqual(before);
          expect(webhook.attempts).toBe(attemptsBefore + 1);
          expect(webhookEvent!.id).toBe('msg_0001');
          expect(webhookEvent!.body).toBe(job.webhookEvent!.body);
          expect(expiresAt).toBeGreaterThanOrEqual(job.expiresAt);
          // Pending exactly when another try is scheduled; then it is on the sweep index.
          const sweepAt = sweepAtOf(decision.write, SWEEP);
          if (webhook.status === 'pending') {
            expect(webhookEvent!.nextAttemptAt).toBe(NOW + retrySchedule[attemptsBefore]! * 1000);
            expect(sweepAt).not.toBeNull();
            expect(dispatched).toBe(retrySchedule[attemptsBefore]! * 1000 <= SQS_LIMIT_MS);
          } else {
            expect(sweepAt).toBeNull();
            expect(dispatched).toBe(false);
          }
          expect(updatedAt).toBe(new Date(NOW).toISOString());
        },
      ),
    );
  });
});
