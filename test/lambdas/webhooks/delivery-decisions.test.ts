import fc from 'fast-check';
import { loadConfig } from '../../../lambdas/config';
import { pendingWebhook, webhookEventOf, webhookViewOf, type Job, type PendingWebhook, type WebhookEvent } from '../../../lambdas/jobs/job';
import { sweepAtOf } from '../../../lambdas/jobs/sweep';
import {
  checkDeliverable,
  EARLY_TOLERANCE_MS,
  leaseDelivery,
  LOST_TRY_ERROR,
  outcomeOfStatus,
  recordTry,
  type LeaseFacts,
  type TryFacts,
  type TryOutcome,
} from '../../../lambdas/webhooks/webhook-transitions';

const NOW = Date.UTC(2026, 11, 1, 10, 0, 0);
const t = { nowMs: NOW, retentionDays: 7 };
const SWEEP = { lookaheadMs: 300_000, staleAfterMs: 120_000 };
const DEFAULT_SCHEDULE = loadConfig({}).webhookRetrySchedule;
const SQS_LIMIT_MS = 900_000;
const TOKEN = 'lease-token-1';
const LEASE_MS = 15_000;

/** A finished job whose webhook event is pending, as `finishAttempt` leaves it. */
function finishedJobFactory(overrides: Partial<Job> = {}, webhook: Partial<PendingWebhook> = {}): Job {
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
    webhook: {
      status: 'pending',
      event: { id: 'msg_0001', type: 'job.succeeded', body: '{"type":"job.succeeded"}', nextAttemptAt: NOW - 10 },
      attempts: 0,
      lastStatusCode: null,
      lastError: null,
      backlog: [],
      ...webhook,
    },
    dispatched: true,
    createdAt: new Date(NOW - 60_000).toISOString(),
    updatedAt: new Date(NOW - 1000).toISOString(),
    finishedAt: new Date(NOW - 1000).toISOString(),
    expiresAt: Math.ceil((NOW + 7 * 86_400_000) / 1000),
    version: 3,
    ...overrides,
  };
}

/** The same job while a try holds its event (as `leaseDelivery` leaves it): what `recordTry` is called on. */
function leasedJobFactory(overrides: Partial<Job> = {}, webhook: Partial<PendingWebhook> = {}, token = TOKEN): Job {
  const job = finishedJobFactory(overrides, webhook);
  const pending = pendingWebhook(job.webhook);
  return pending ? { ...job, webhook: { ...pending, event: { ...pending.event, deliveryLease: { token, untilMs: NOW + LEASE_MS } } } } : job;
}

/** The same job once its event has ended: delivered, or failed for good. */
function endedJobFactory(status: 'delivered' | 'failed'): Job {
  const job = finishedJobFactory();
  const event: WebhookEvent = { ...webhookEventOf(job.webhook)!, nextAttemptAt: null };
  return status === 'delivered'
    ? { ...job, webhook: { status, event, attempts: 1, lastStatusCode: 200, deliveredAt: new Date(NOW - 500).toISOString() } }
    : { ...job, webhook: { status, event, attempts: 10, lastStatusCode: 500, lastError: 'HTTP 500 from receiver' } };
}

/** The job's event in delivery (the test fails if there is none). */
function pendingOf(job: Job): PendingWebhook {
  const pending = pendingWebhook(job.webhook);
  if (!pending) throw new Error(`no event in delivery: webhook ${job.webhook.status}`);
  return pending;
}

const awaiting = { webhook: { status: 'pending', event: null } } as const;

const message = { tenantId: 'acme', jobId: '0b6f1c1e-6a2b-5f6a-9d1e-2a4c8f0e7b11', eventId: 'msg_0001' };

function factsFactory(outcome: TryOutcome, overrides: Partial<TryFacts> = {}): TryFacts {
  return { eventId: 'msg_0001', fence: { token: TOKEN }, outcome, retrySchedule: [5, 30, 1800], dispatchWithinMs: SQS_LIMIT_MS, ...overrides };
}

const leaseFacts = (overrides: Partial<LeaseFacts> = {}): LeaseFacts => ({ token: TOKEN, leaseMs: LEASE_MS, retrySchedule: [5, 30, 1800], ...overrides });

const serverError = outcomeOfStatus(500);
const ok = outcomeOfStatus(200);

describe('checkDeliverable', () => {
  it('delivers the pending event of a finished job', () => {
    const check = checkDeliverable(finishedJobFactory({}, { attempts: 2 }), message, NOW);

    expect(check).toMatchObject({ deliver: true, url: 'https://hooks.example.com/jobs?token=abc', pending: { event: { id: 'msg_0001' } } });
  });

  it.each([
    ['missing', undefined],
    ['no-event', finishedJobFactory(awaiting)],
    ['no-event', finishedJobFactory({ webhookUrl: null })],
    ['other-event', finishedJobFactory({}, { event: { id: 'msg_0002', type: 'job.fatal', body: '{}', nextAttemptAt: NOW } })],
    ['not-pending', endedJobFactory('delivered')],
    ['not-pending', endedJobFactory('failed')],
    ['not-due', finishedJobFactory({}, { event: { id: 'msg_0001', type: 'job.succeeded', body: '{}', nextAttemptAt: NOW + 30_000 } })],
    ['in-flight', leasedJobFactory()],
  ])('skips a message when the job is %s', (reason, job) => {
    expect(checkDeliverable(job, message, NOW)).toEqual({ deliver: false, reason });
  });

  it('delivers a pending event while the retry route has the job running again (its body is fixed)', () => {
    const job = finishedJobFactory({ status: 'queued' });
    expect(checkDeliverable(job, message, NOW)).toMatchObject({ deliver: true });
  });

  it('tolerates a message that arrives a little early (clock skew)', () => {
    const job = finishedJobFactory({}, { event: { id: 'msg_0001', type: 'job.succeeded', body: '{}', nextAttemptAt: NOW + EARLY_TOLERANCE_MS } });

    expect(checkDeliverable(job, message, NOW).deliver).toBe(true);
  });
});

describe('leaseDelivery', () => {
  it('takes the pending event for one try: the lease, and the sweep entry at its end; nothing the API shows changes', () => {
    // Arrange
    const job = finishedJobFactory({}, { attempts: 2 });

    // Act
    const decision = leaseDelivery(job, message, leaseFacts(), t);

    // Assert
    expect(decision.result).toMatchObject({ outcome: 'leased', attempt: 3, lostTry: false, url: job.webhookUrl, event: { id: 'msg_0001' } });
    const written = (decision as { write: Job }).write;
    expect(webhookEventOf(written.webhook)).toEqual({ ...webhookEventOf(job.webhook), deliveryLease: { token: TOKEN, untilMs: NOW + LEASE_MS } });
    expect({ ...written, webhook: { ...pendingOf(written), event: webhookEventOf(job.webhook) } }).toEqual(job);
    // If the try dies, the scheduler brings the event back once its delivery stalls, never before the lease ends:
    // the entry the dispatched event has already (its try + STALE_AFTER_SECONDS) stays, so the lease moves nothing on the index.
    expect(sweepAtOf(job, SWEEP)).toBe(NOW - 10 + SWEEP.staleAfterMs);
    expect(sweepAtOf(written, SWEEP)).toBe(NOW - 10 + SWEEP.staleAfterMs);
    expect(sweepAtOf({ ...written, dispatched: false }, SWEEP)).toBe(NOW + LEASE_MS);
    const leaseBeyondStall = leaseDelivery(job, message, { ...leaseFacts(), leaseMs: SWEEP.staleAfterMs * 2 }, t);
    expect(sweepAtOf((leaseBeyondStall as { write: Job }).write, SWEEP)).toBe(NOW + SWEEP.staleAfterMs * 2);
    // While the job runs again, an earlier event's try in flight is seen when its lease ends.
    expect(sweepAtOf({ ...written, status: 'queued', nextRunAt: new Date(NOW + 3_600_000).toISOString(), dispatched: false }, SWEEP)).toBe(NOW + LEASE_MS);
  });

  it('stands back while another try holds the lease, up to its last millisecond', () => {
    const job = leasedJobFactory();
    const until = webhookEventOf(job.webhook)!.deliveryLease!.untilMs;

    expect(leaseDelivery(job, message, leaseFacts({ token: 'other' }), { ...t, nowMs: until - 1 })).toEqual({
      result: { outcome: 'skipped', reason: 'in-flight' },
    });
  });

  it('takes over an expired lease and counts the lost try, as a worker counts a lost attempt', () => {
    // Arrange: a try took the event and died without recording anything.
    const job = leasedJobFactory({}, { attempts: 1, lastStatusCode: 500, lastError: 'HTTP 500 from receiver' }, 'dead-try');
    const later = { ...t, nowMs: webhookEventOf(job.webhook)!.deliveryLease!.untilMs };

    // Act
    const decision = leaseDelivery(job, message, leaseFacts({ token: 'new-try' }), later);

    // Assert
    expect(decision.result).toMatchObject({ outcome: 'leased', attempt: 3, lostTry: true });
    const written = (decision as { write: Job }).write;
    expect(written.webhook).toEqual({ status: 'pending', event: expect.objectContaining({ id: 'msg_0001' }), attempts: 2, lastStatusCode: null, lastError: LOST_TRY_ERROR, backlog: [] });
    expect(webhookEventOf(written.webhook)!.deliveryLease).toEqual({ token: 'new-try', untilMs: later.nowMs + LEASE_MS });
    // The try that died can no longer record anything.
    expect(recordTry(written, factsFactory(ok, { fence: { token: 'dead-try' } }), later)).toEqual({ result: { outcome: 'stale' } });
  });

  it('fails the webhook when the lost try was the last the schedule allows, and starts the next event', () => {
    // Arrange: schedule [5, 30, 1800] → 4 tries; the 4th died.
    const queuedEvent = { id: 'msg_0002', type: 'job.succeeded' as const, body: '{}', nextAttemptAt: null };
    const job = leasedJobFactory({}, { backlog: [queuedEvent], attempts: 3 }, 'dead-try');
    const later = { ...t, nowMs: NOW + LEASE_MS };

    // Act
    const decision = leaseDelivery(job, message, leaseFacts({ token: 'new-try' }), later);

    // Assert
    expect(decision.result).toMatchObject({ outcome: 'failed', attempt: 4, next: { id: 'msg_0002' } });
    const written = (decision as { write: Job }).write;
    expect(written).toMatchObject({ webhook: { status: 'pending', attempts: 0, event: { id: 'msg_0002', nextAttemptAt: later.nowMs }, backlog: [] } });
    expect(webhookEventOf(written.webhook)).not.toHaveProperty('deliveryLease');
  });

  it.each([
    ['missing', undefined],
    ['not-pending', endedJobFactory('delivered')],
    ['other-event', finishedJobFactory({}, { event: { id: 'msg_0002', type: 'job.fatal', body: '{}', nextAttemptAt: NOW } })],
  ])('writes nothing when the job is %s', (reason, job) => {
    expect(leaseDelivery(job, message, leaseFacts(), t)).toEqual({ result: { outcome: 'skipped', reason } });
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
  // recordTry is called on the job as the try's lease left it.
  const queuedEvent = { id: 'msg_0002', type: 'job.succeeded' as const, body: '{"type":"job.succeeded"}', nextAttemptAt: null };

  it.each<[string, TryOutcome]>([
    ['delivered', ok],
    ['failed', outcomeOfStatus(410)],
  ])('when the event is %s, makes the next event of the backlog pending, due now', (outcome, tried) => {
    // Arrange: a second event waits behind the pending one (the job was re-run and finished again).
    const job = leasedJobFactory({}, { backlog: [queuedEvent] });
    // Act
    const decision = recordTry(job, factsFactory(tried), t);
    // Assert
    expect(decision.result).toMatchObject({ outcome, next: { id: 'msg_0002' } });
    const written = (decision as { write: Job }).write;
    expect(written).toMatchObject({
      webhook: { status: 'pending', attempts: 0, lastStatusCode: null, event: { id: 'msg_0002', nextAttemptAt: NOW }, backlog: [] },
      dispatched: true,
      status: job.status,
    });
  });

  it('leaves the job\'s own dispatch flag alone while the job runs again', () => {
    const job = leasedJobFactory({ status: 'queued', dispatched: true }, { backlog: [queuedEvent] });
    const written = (recordTry(job, factsFactory(ok), t) as { write: Job }).write;
    expect(written).toMatchObject({ status: 'queued', dispatched: true, webhook: { event: { id: 'msg_0002' } } });
    const retried = (recordTry(leasedJobFactory({ status: 'running', dispatched: false }), factsFactory(serverError), t) as { write: Job }).write;
    expect(retried).toMatchObject({ status: 'running', dispatched: false, webhook: { status: 'pending', attempts: 1 } });
  });

  it('marks the webhook delivered on a 2xx', () => {
    // Arrange
    const job = leasedJobFactory({}, { attempts: 2, lastStatusCode: 503, lastError: 'HTTP 503 from receiver' });

    // Act
    const decision = recordTry(job, factsFactory(ok), t);

    // Assert
    expect(decision.result).toMatchObject({ outcome: 'delivered', attempt: 3 });
    const written = (decision as { write: Job }).write;
    expect(written.webhook).toEqual({
      status: 'delivered',
      event: expect.objectContaining({ id: 'msg_0001', nextAttemptAt: null }),
      attempts: 3,
      lastStatusCode: 200,
      deliveredAt: new Date(NOW).toISOString(),
    });
    expect(webhookEventOf(written.webhook)).toMatchObject({ id: 'msg_0001', nextAttemptAt: null });
    expect(written.dispatched).toBe(false);
    expect(sweepAtOf(written, SWEEP)).toBeNull();
  });

  it('schedules a retry through SQS when the delay is within 15 minutes', () => {
    const decision = recordTry(leasedJobFactory(), factsFactory(serverError), t);

    expect(decision.result).toMatchObject({ outcome: 'retry', attempt: 1, delayMs: 5000, dispatch: true });
    const written = (decision as { write: Job }).write;
    expect(written.webhook).toMatchObject({ status: 'pending', attempts: 1, lastStatusCode: 500, lastError: 'HTTP 500 from receiver' });
    expect(webhookEventOf(written.webhook)!.nextAttemptAt).toBe(NOW + 5000);
    expect(written.dispatched).toBe(true);
    // The sweep looks again only if the queued retry stalls.
    expect(sweepAtOf(written, SWEEP)).toBe(NOW + 5000 + SWEEP.staleAfterMs);
  });

  it('leaves a retry past 15 minutes to the sweep index', () => {
    const job = leasedJobFactory({}, { attempts: 2 });

    const decision = recordTry(job, factsFactory(serverError), t);

    expect(decision.result).toMatchObject({ outcome: 'retry', attempt: 3, delayMs: 1_800_000, dispatch: false });
    const written = (decision as { write: Job }).write;
    expect(written.dispatched).toBe(false);
    expect(sweepAtOf(written, SWEEP)).toBe(NOW + 1_800_000);
  });

  it('fails the webhook when the schedule is exhausted', () => {
    const job = leasedJobFactory({}, { attempts: 3 });

    const decision = recordTry(job, factsFactory(serverError), t);

    expect(decision.result).toMatchObject({ outcome: 'failed', attempt: 4 });
    const written = (decision as { write: Job }).write;
    expect(written.webhook).toMatchObject({ status: 'failed', attempts: 4, lastStatusCode: 500 });
    expect(sweepAtOf(written, SWEEP)).toBeNull();
  });

  it('fails the webhook at once on 410 Gone', () => {
    const decision = recordTry(leasedJobFactory(), factsFactory(outcomeOfStatus(410)), t);

    expect(decision.result).toMatchObject({ outcome: 'failed', attempt: 1 });
    expect((decision as { write: Job }).write.webhook).toMatchObject({ status: 'failed', attempts: 1, lastStatusCode: 410 });
  });

  it('fails the webhook at once when the target is refused by the URL guard', () => {
    const refused: TryOutcome = { kind: 'failed', statusCode: null, error: 'host hooks.example.com resolves to 10.0.0.1', retryable: false };

    const decision = recordTry(leasedJobFactory(), factsFactory(refused), t);

    expect((decision as { write: Job }).write.webhook).toMatchObject({
      status: 'failed',
      lastStatusCode: null,
      lastError: 'host hooks.example.com resolves to 10.0.0.1',
    });
  });

  it('retries a network error without a status code', () => {
    const refused: TryOutcome = { kind: 'failed', statusCode: null, error: 'connection refused by hooks.example.com', retryable: true };

    const decision = recordTry(leasedJobFactory(), factsFactory(refused), t);

    expect((decision as { write: Job }).write.webhook).toMatchObject({ status: 'pending', lastStatusCode: null, attempts: 1 });
  });

  it.each<[string, TryOutcome]>([
    ['a failure', serverError],
    ['a 2xx', ok],
  ])('records nothing for %s of a try whose lease another try took over', (_name, outcome) => {
    // The other try owns the event now; it records, and only then may the next event start.
    const job = leasedJobFactory({}, { attempts: 1 }, 'lease-token-2');

    expect(recordTry(job, factsFactory(outcome), t)).toEqual({ result: { outcome: 'stale' } });
  });

  it('records nothing for a try that holds no lease', () => {
    expect(recordTry(finishedJobFactory(), factsFactory(ok), t)).toEqual({ result: { outcome: 'stale' } });
  });

  it.each<[string, TryOutcome]>([
    ['delivered', ok],
    ['retry', serverError],
    ['failed', outcomeOfStatus(410)],
  ])('clears the lease when it records %s', (outcome, tried) => {
    const decision = recordTry(leasedJobFactory(), factsFactory(tried), t);

    expect(decision.result).toMatchObject({ outcome });
    expect(webhookEventOf((decision as { write: Job }).write.webhook)).not.toHaveProperty('deliveryLease');
  });

  it.each([
    ['gone', undefined],
    ['delivered already', endedJobFactory('delivered')],
    ['re-run by the retry route', leasedJobFactory({ status: 'queued', ...awaiting })],
    ['finished again with a new event', leasedJobFactory({}, { event: { id: 'msg_0002', type: 'job.fatal', body: '{}', nextAttemptAt: NOW } })],
  ])('records nothing when the job is %s', (_name, job) => {
    expect(recordTry(job, factsFactory(ok), t)).toEqual({ result: { outcome: 'stale' } });
  });

  it('gives the default schedule ten tries over more than twelve hours (SPEC §6)', () => {
    // Arrange
    let job = finishedJobFactory();
    let nowMs = NOW;
    const firstTryAt = nowMs;
    let tries = 0;

    // Act: a receiver that is always down; each try takes the event, then records its failure.
    for (;;) {
      const timing = { nowMs, retentionDays: 7 };
      const lease = leaseDelivery(job, message, leaseFacts({ token: `try-${tries}`, retrySchedule: DEFAULT_SCHEDULE }), timing);
      const leased = (lease as { write: Job }).write;
      const decision = recordTry(leased, { ...factsFactory(serverError, { fence: { token: `try-${tries}` } }), retrySchedule: DEFAULT_SCHEDULE }, timing);
      tries++;
      job = (decision as { write: Job }).write;
      if (decision.result.outcome !== 'retry') break;
      nowMs = webhookEventOf(job.webhook)!.nextAttemptAt!;
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
          const job = leasedJobFactory({ status, result: status === 'fatal' ? null : { ok: 1 } }, { attempts: attemptsBefore });
          const decision = recordTry(job, factsFactory(outcome, { retrySchedule }), t);
          if (!('write' in decision)) return;
          const { webhook, dispatched, updatedAt, expiresAt, ...rest } = decision.write;
          const { webhook: _w, dispatched: _d, updatedAt: _u, expiresAt: _x, ...before } = job;
          const webhookEvent = webhookEventOf(webhook);
          expect(rest).toEqual(before);
          expect(webhookViewOf(webhook).attempts).toBe(attemptsBefore + 1);
          expect(webhookEvent!.id).toBe('msg_0001');
          expect(webhookEvent!.body).toBe(webhookEventOf(job.webhook)!.body);
          expect(webhookEvent).not.toHaveProperty('deliveryLease');
          expect(expiresAt).toBeGreaterThanOrEqual(job.expiresAt);
          // Pending exactly when another try is scheduled; then it is on the sweep index.
          const sweepAt = sweepAtOf(decision.write, SWEEP);
          if (webhook.status === 'pending') {
            expect(webhookEvent!.nextAttemptAt).toBe(NOW + retrySchedule[attemptsBefore] * 1000);
            expect(sweepAt).not.toBeNull();
            expect(dispatched).toBe(retrySchedule[attemptsBefore] * 1000 <= SQS_LIMIT_MS);
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
