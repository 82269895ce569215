/** The job ↔ item codec and the shedding a write falls back on when the item would pass the limit. */
import { ATTEMPT_HISTORY_LIMIT, ERROR_LIMIT_BYTES, RESULT_LIMIT_BYTES, toJobView, type Attempt, type Job, type WebhookEvent, type WebhookState } from '../../../lambdas/jobs/job';
import { ITEM_LIMIT_BYTES, itemSize } from '../../../lambdas/store/item-size';
import { fitJobToItemLimit, jobAttributes, jobFromItem, jobSummaryFromItem, sizeAtItsLargest } from '../../../lambdas/store/job-item';
import { jobItemKey } from '../../../lambdas/store/job-store';
import { jobFactory } from '../../support/job-factory';

const NOW = Date.UTC(2026, 11, 3, 12);
/** The job's attributes under its key (`jobId` and `tenantId` are read from `pk`). */
const itemOf = (job: Job): Record<string, unknown> => ({ ...jobItemKey(job), ...jobAttributes(job) });
const attempt = (n: number, error: string): Attempt => ({ attempt: n, status: 'failed', error, startedAt: 'a', finishedAt: 'b', durationMs: 1 });

describe('jobAttributes / jobFromItem', () => {
  it('stores payload and result as JSON text and reads them back as they were', () => {
    const job = jobFactory(NOW, { payload: JSON.parse('{"b":1,"__proto__":{"a":[]}}'), result: { z: 1, a: 2 } });
    const item = itemOf(job);
    expect(item).toMatchObject({ payloadJson: '{"b":1,"__proto__":{"a":[]}}', resultJson: '{"z":1,"a":2}' });
    expect(item).not.toHaveProperty('payload');
    expect(item).not.toHaveProperty('result');
    expect(jobFromItem(item)).toEqual(job);
  });

  it('leaves out what is null, false, a default or in the key, and reads it all back', () => {
    const started = new Date(NOW).toISOString();
    const history: Attempt[] = [
      { attempt: 1, status: 'failed', error: 'boom', startedAt: started, finishedAt: new Date(NOW + 1500).toISOString(), durationMs: 1500 },
      // Not `finishedAt - startedAt`, and stamps that are not an ISO text of their own instant: kept as they are.
      { attempt: 2, status: 'failed', error: null, startedAt: '2026-12-03T12:00:00Z', finishedAt: started, durationMs: 7 },
      { attempt: 3, status: 'running', error: null, startedAt: started, finishedAt: null, durationMs: null },
    ];
    const job = jobFactory(NOW, { status: 'running', attempts: 3, nextRunAt: null, dispatched: false, history, payloadHash: `sha256:${'ab'.repeat(32)}` });
    const item = itemOf(job);
    for (const absent of ['jobId', 'tenantId', 'idempotencyKey', 'webhookUrl', 'nextRunAt', 'leaseUntilMs', 'lastError', 'finishedAt', 'dispatched', 'sentFirst', 'attemptLimit', 'webhook', 'webhookEvent', 'resultJson']) {
      expect(item).not.toHaveProperty(absent);
    }
    expect(item.payloadHash).toEqual(new Uint8Array(32).fill(0xab));
    expect(item.history).toEqual([
      { n: 1, s: 'failed', b: NOW, f: NOW + 1500, e: 'boom' },
      { n: 2, s: 'failed', b: '2026-12-03T12:00:00Z', f: NOW, d: 7 },
      { n: 3, s: 'running', b: NOW },
    ]);
    expect(jobFromItem(item)).toEqual(job);
    expect(jobFromItem({ ...itemOf({ ...job, attemptLimit: 6 }) }).attemptLimit).toBe(6);
  });

  it('reads an item of the previous version (payload and result as Maps)', () => {
    const { payload, result, ...rest } = jobFactory(NOW, { payload: { a: 1 }, result: { ok: true } });
    expect(jobFromItem({ pk: 'p', sk: 'JOB', entity: 'job', writeId: 'w', ...rest, payload, result })).toEqual({ ...rest, payload, result });
  });
});

describe('the webhook state in the item', () => {
  const event = (id: string, extra: Partial<WebhookEvent> = {}): WebhookEvent => ({ id, type: 'job.succeeded', body: `{"id":"${id}"}`, nextAttemptAt: null, ...extra });
  const at = new Date(NOW).toISOString();
  const states: Array<[string, WebhookState]> = [
    ['none', { status: 'none' }],
    ['awaiting the job', { status: 'pending', event: null }],
    [
      'in delivery, a try in flight, an event behind it',
      { status: 'pending', event: event('msg_1', { nextAttemptAt: NOW, deliveryLease: { token: 't', untilMs: NOW + 1 } }), attempts: 2, lastStatusCode: 503, lastError: 'HTTP 503 from receiver', backlog: [event('msg_2')] },
    ],
    ['delivered', { status: 'delivered', event: event('msg_1'), attempts: 3, lastStatusCode: 204, deliveredAt: at }],
    ['failed', { status: 'failed', event: event('msg_1'), attempts: 10, lastStatusCode: null, lastError: 'connection refused' }],
  ];

  it.each(states)('keeps a webhook %s in the attributes every version wrote, and reads it back', (_name, webhook) => {
    // Arrange
    const job = jobFactory(NOW, { status: 'succeeded', webhookUrl: 'https://hooks.example.com/x', webhook });
    // Act
    const item = itemOf(job);
    // Assert: the state reads back as it was; `webhook` holds the status the API shows (left out while it is a
    // fresh one's, pending and not tried), the event and backlog beside it; none of them without a webhook.
    expect(jobFromItem(item)).toEqual(job);
    const shown = (toJobView(job, { withPayload: false }) as { webhook: { status: string; attempts: number } }).webhook;
    // (Awaiting, this job being succeeded, is not how a job awaits: the view says so.)
    const implied = shown.status === 'pending' && shown.attempts === 0 && webhook.status === 'pending' && webhook.event !== null;
    expect((item.webhook as { status?: string } | undefined)?.status).toBe(webhook.status === 'none' || implied ? undefined : shown.status);
    expect(item.webhookEvent === undefined).toBe(webhook.status === 'none' || webhook.event === null);
    expect((item.webhookBacklog as unknown[] | undefined)?.length).toBe(webhook.status === 'pending' && webhook.event && webhook.backlog.length > 0 ? webhook.backlog.length : undefined);
  });

  it.each<[string, Record<string, unknown>, WebhookState]>([
    [
      'a canceled job that kept its delivered event',
      { webhook: { status: 'none', attempts: 1, lastStatusCode: 200, lastError: null, deliveredAt: at }, webhookEvent: event('msg_1') },
      { status: 'none' },
    ],
    ['a job awaiting its end', { webhook: { status: 'pending', attempts: 0, lastStatusCode: null, lastError: null, deliveredAt: null }, webhookEvent: null }, { status: 'pending', event: null }],
    [
      'a redelivery (the last delivery time kept)',
      { webhook: { status: 'pending', attempts: 0, lastStatusCode: 200, lastError: null, deliveredAt: at }, webhookEvent: event('msg_1', { nextAttemptAt: NOW }) },
      { status: 'pending', event: event('msg_1', { nextAttemptAt: NOW }), attempts: 0, lastStatusCode: 200, lastError: null, backlog: [] },
    ],
    [
      'a failed webhook',
      { webhook: { status: 'failed', attempts: 4, lastStatusCode: 410, lastError: 'HTTP 410 Gone', deliveredAt: null }, webhookEvent: event('msg_1'), webhookBacklog: [] },
      { status: 'failed', event: event('msg_1'), attempts: 4, lastStatusCode: 410, lastError: 'HTTP 410 Gone' },
    ],
  ])('reads an item of the previous version: %s', (_name, attributes, expected) => {
    const { webhook: _state, ...rest } = jobFactory(NOW, { status: 'canceled' });
    expect(jobFromItem({ pk: 'p', sk: 'JOB', entity: 'job', ...rest, ...attributes }).webhook).toEqual(expected);
  });

  it('reads a job from the status index, which projects the webhook as shown but not its event', () => {
    const job = jobFactory(NOW, { status: 'succeeded', webhookUrl: 'https://hooks.example.com/x', webhook: states[3][1], result: { z: 1 } });
    const { webhookEvent: _notProjected, payloadJson: _neither, history: _norThis, ...projected } = itemOf(job);
    expect(toJobView(jobSummaryFromItem(projected), { withPayload: false })).toEqual(toJobView(job, { withPayload: false }));
  });

  it('cannot hold a state whose fields disagree (checked by the compiler, which `npm test` runs)', () => {
    // @ts-expect-error a delivered webhook has its event
    const withoutEvent: WebhookState = { status: 'delivered', attempts: 1, lastStatusCode: 200, deliveredAt: at };
    // @ts-expect-error no delivery time while pending
    const pendingDelivered: WebhookState = { status: 'pending', event: event('msg_1'), attempts: 1, lastStatusCode: 200, lastError: null, backlog: [], deliveredAt: at };
    // @ts-expect-error no webhook has no tries
    const noneTried: WebhookState = { status: 'none', attempts: 2 };
    expect([withoutEvent, pendingDelivered, noneTried].map((w) => w.status)).toEqual(['delivered', 'pending', 'none']);
  });
});

describe('sizeAtItsLargest', () => {
  it('reserves what the job reaches with its widest attempt history, result and error, and little more', () => {
    for (const job of [jobFactory(NOW), jobFactory(NOW, { idempotencyKey: 'k'.repeat(255), type: 'echo' })]) {
      const item = itemOf(job);
      const reserved = sizeAtItsLargest(item, job);
      // Each attempt as wide as it gets: a 1 KiB error of escaped characters, stamps far in the future, a duration not derived from them.
      const stamp = new Date(8_639_999_999_999_999).toISOString();
      const widest: Attempt = { attempt: 1_000_000, status: 'failed', error: '"'.repeat(ERROR_LIMIT_BYTES), startedAt: stamp, finishedAt: stamp, durationMs: 8_639_999_999_999_999 };
      const grown: Job = {
        ...job,
        status: 'succeeded',
        attempts: 1_000_000,
        history: Array.from({ length: ATTEMPT_HISTORY_LIMIT }, () => widest),
        result: 'x'.repeat(RESULT_LIMIT_BYTES - 2),
        lastError: '"'.repeat(ERROR_LIMIT_BYTES),
        finishedAt: stamp,
        updatedAt: stamp,
      };
      const reached = itemSize({ ...item, ...jobAttributes(grown) });
      expect(reserved).toBeGreaterThanOrEqual(reached);
      // The rest of the reserve is a webhook state and a few stamps and counters, far from another history's worth.
      expect(reserved - reached).toBeLessThan(2 * ERROR_LIMIT_BYTES);
    }
  });
});

describe('fitJobToItemLimit', () => {
  it('leaves a job that fits as it is', () => {
    const job = jobFactory(NOW, { result: { r: 'x'.repeat(4000) } });
    expect(fitJobToItemLimit(job, itemOf)).toEqual({ fits: true, job, item: itemOf(job) });
  });

  it('cuts the result first, then drops the oldest attempts, keeping the latest', () => {
    // Arrange: a payload that leaves room for about 20 attempts with 1 KiB errors.
    const history = Array.from({ length: 50 }, (_, i) => attempt(i + 1, 'e'.repeat(1024)));
    const job = jobFactory(NOW, { payload: { p: 'x'.repeat(ITEM_LIMIT_BYTES - 25_000) }, result: { r: 'y'.repeat(4000) }, history });
    expect(itemSize(itemOf(job))).toBeGreaterThan(ITEM_LIMIT_BYTES);
    // Act
    const fitted = fitJobToItemLimit(job, itemOf);
    // Assert
    if (!fitted.fits) throw new Error('expected the job to fit');
    expect(fitted.job.result).toEqual({ truncated: true, bytes: Buffer.byteLength(JSON.stringify(job.result)) });
    const kept = fitted.job.history.map((a) => a.attempt);
    expect(kept.length).toBeLessThan(50);
    expect(kept).toEqual(Array.from({ length: kept.length }, (_, i) => 51 - kept.length + i));
    expect(itemSize(itemOf(fitted.job))).toBeLessThanOrEqual(ITEM_LIMIT_BYTES - 64);
    // Nothing more was shed than needed: one more attempt would not fit.
    expect(itemSize(itemOf({ ...fitted.job, history: history.slice(-(kept.length + 1)) }))).toBeGreaterThan(ITEM_LIMIT_BYTES - 64);
  });

  it('says so when even a shed job cannot fit (a payload past the limit on its own)', () => {
    const job = jobFactory(NOW, { payload: { p: 'x'.repeat(ITEM_LIMIT_BYTES) } });
    expect(fitJobToItemLimit(job, itemOf)).toEqual({ fits: false, bytes: expect.any(Number) });
  });
});
