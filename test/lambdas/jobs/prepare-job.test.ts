/** The submission rules as a pure function: rejections are data, checked in SPEC §3's order. */
import * as z from 'zod';
import { getJobTypeDefinition } from '../../../lambdas/job-types/registry';
import { prepareJob, type PreparedJob, type Rejection, type SubmissionPolicy } from '../../../lambdas/jobs/prepare-job';
import { payloadHash } from '../../../lambdas/jobs/payload-hash';
import { checkUrlStatic } from '../../../lambdas/outbound/url-guard';

const NOW = Date.UTC(2026, 5, 1, 12);
const HOUR = 3_600_000;

/** One type of our own: a payload `{ url }` that the URL rules check as its target. */
const fetchType = { schema: z.strictObject({ url: z.string() }), targetUrl: (payload: { url: string }) => payload.url };

const policy: SubmissionPolicy = {
  jobType: (type) => (type === 'fetch' ? fetchType : undefined),
  // Any URL naming "blocked" fails, with the reason the guard would give.
  checkUrl: (url) => (url.includes('blocked') ? { ok: false, reason: 'host is blocked' } : { ok: true }),
  defaultMaxAttempts: 5,
  retentionDays: 7,
  lookaheadMs: HOUR,
};

const submit = (body: unknown, idempotencyKey?: string) => prepareJob({ tenantId: 'acme', body, idempotencyKey }, policy, NOW);

function prepared(outcome: PreparedJob | Rejection): PreparedJob {
  if (outcome.kind === 'rejected') throw new Error(`rejected: ${outcome.code} ${outcome.detail}`);
  return outcome;
}

describe('prepareJob: the order of checks (SPEC §3)', () => {
  // Each row mends the fault that decided the row before: what decides next is the next check in SPEC §3's order.
  const faultless = { type: 'fetch', payload: { url: 'https://example.com/' }, webhookUrl: 'https://hooks.example.com/' };
  const ladder: Array<[string, unknown, string | undefined, Rejection]> = [
    ['a body that is not an object', [faultless], 'bad key\n', { kind: 'rejected', code: 'invalid_json', detail: 'The body must be a JSON object.' }],
    [
      'an Idempotency-Key with a control character',
      { ...faultless, type: 'nope', extra: 1, payload: { url: 'https://blocked.example/' }, webhookUrl: 'https://blocked.example/' },
      'bad key\n',
      { kind: 'rejected', code: 'invalid_idempotency_key', detail: expect.any(String) },
    ],
    [
      'an unknown field',
      { ...faultless, type: 'nope', extra: 1, runAt: new Date(NOW + 8 * 24 * HOUR).toISOString() },
      'key',
      { kind: 'rejected', code: 'validation_failed', detail: 'extra: unknown field: extra', errors: [{ path: 'extra', message: 'unknown field: extra' }] },
    ],
    [
      'a runAt more than 7 days ahead',
      { ...faultless, type: 'nope', runAt: new Date(NOW + 8 * 24 * HOUR).toISOString(), payload: { url: 2 ** 60 } },
      'key',
      { kind: 'rejected', code: 'validation_failed', detail: 'runAt: must be at most 7 days ahead', errors: [{ path: 'runAt', message: 'must be at most 7 days ahead' }] },
    ],
    [
      'a number JavaScript cannot hold exactly',
      { ...faultless, type: 'nope', payload: { url: 2 ** 60 } },
      'key',
      { kind: 'rejected', code: 'validation_failed', detail: expect.stringMatching(/^payload\.url: number out of range/), errors: [{ path: 'payload.url', message: expect.any(String) }] },
    ],
    ['an unknown type', { ...faultless, type: 'nope', payload: { url: 7 } }, 'key', { kind: 'rejected', code: 'unknown_job_type', detail: 'Unknown job type "nope".' }],
    [
      "a payload its type's schema refuses",
      { ...faultless, payload: { url: 7 }, webhookUrl: 'https://blocked.example/' },
      'key',
      { kind: 'rejected', code: 'validation_failed', detail: expect.stringMatching(/^payload\.url: /), errors: [{ path: 'payload.url', message: expect.any(String) }] },
    ],
    [
      'a webhookUrl the URL guard refuses',
      { ...faultless, payload: { url: 'https://blocked.example/' }, webhookUrl: 'https://blocked.example/' },
      'key',
      { kind: 'rejected', code: 'invalid_webhook_url', detail: 'webhookUrl: host is blocked' },
    ],
    [
      'a target URL the URL guard refuses',
      { ...faultless, payload: { url: 'https://blocked.example/' } },
      'key',
      { kind: 'rejected', code: 'invalid_target_url', detail: 'payload.url: host is blocked' },
    ],
  ];

  it.each(ladder)('%s decides first', (_fault, body, key, expected) => {
    expect(submit(body, key)).toEqual(expected);
  });

  it('prepares the faultless submission at the bottom of the ladder', () => {
    expect(submit(faultless, 'key')).toMatchObject({ kind: 'prepared' });
  });
});

describe('prepareJob: the job it prepares', () => {
  it('is queued, due now, with the defaults of the policy, and dispatched when due within the look-ahead', () => {
    // Act
    const now = prepared(submit({ type: 'fetch', payload: { url: 'https://example.com/' } }));
    const inTwoHours = prepared(submit({ type: 'fetch', payload: { url: 'https://example.com/' }, delaySeconds: 7200, maxAttempts: 2 }));

    // Assert
    expect(now).toMatchObject({ runAtMs: NOW, job: { status: 'queued', maxAttempts: 5, attemptLimit: 5, dispatched: true, idempotencyKey: null } });
    expect(now.job.nextRunAt).toBe(new Date(NOW).toISOString());
    expect(now.job.expiresAt).toBe((NOW + 7 * 24 * HOUR) / 1000);
    expect(inTwoHours).toMatchObject({ runAtMs: NOW + 2 * HOUR, job: { maxAttempts: 2, attemptLimit: 2, dispatched: false } });
  });

  it('takes its id from the Idempotency-Key: one key, one job id, per tenant', () => {
    const body = { type: 'fetch', payload: { url: 'https://example.com/' } };
    const a = prepared(submit(body, 'k-1')).job.jobId;
    expect(prepared(submit(body, 'k-1')).job.jobId).toBe(a);
    expect(prepared(prepareJob({ tenantId: 'other', body, idempotencyKey: 'k-1' }, policy, NOW)).job.jobId).not.toBe(a);
  });

  it('keeps the payload as sent, `__proto__` key and order included, and hashes that', () => {
    const body = JSON.parse('{"type":"fetch","payload":{"url":"https://example.com/","__proto__":{"admin":true},"a":2}}');
    const loose = { ...policy, jobType: () => ({ schema: z.object({ url: z.string() }) }) };
    const { job } = prepared(prepareJob({ tenantId: 'acme', body, idempotencyKey: undefined }, loose, NOW));
    expect(job.payload).toBe(body.payload);
    expect(Object.keys(job.payload)).toEqual(['url', '__proto__', 'a']);
    expect(job.payloadHash).toBe(payloadHash(body));
    expect(job.payloadHash).not.toBe(payloadHash({ type: 'fetch', payload: { url: 'https://example.com/', a: 2 } }));
  });

  it('checks an http header named __proto__ like any other (the registry and the URL guard as the policy)', () => {
    const registryPolicy: SubmissionPolicy = { ...policy, jobType: getJobTypeDefinition, checkUrl: (url) => checkUrlStatic(url, { allowPrivate: false }) };
    const body = JSON.parse('{"type":"http","payload":{"url":"https://example.com/","headers":{"__proto__":"a\\r\\nInjected: 1"}}}');
    expect(prepareJob({ tenantId: 'acme', body, idempotencyKey: undefined }, registryPolicy, NOW)).toMatchObject({
      kind: 'rejected',
      code: 'validation_failed',
      errors: [{ path: 'payload.headers.__proto__' }],
    });
  });
});
