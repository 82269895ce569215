import { createHash } from 'node:crypto';
import { payloadHash } from '../../../lambdas/jobs/payload-hash';
import { isJobIdShaped, jobIdFor } from '../../../lambdas/jobs/job-id';

describe('payloadHash (SPEC §3.1)', () => {
  it('is sha256 over RFC 8785 canonical JSON of the hashed fields', () => {
    const expected = createHash('sha256').update('{"payload":{"a":1,"b":[true,null]},"type":"echo"}').digest('hex');
    expect(payloadHash({ type: 'echo', payload: { b: [true, null], a: 1 } })).toBe(`sha256:${expected}`);
  });

  it.each([
    ['key order', { type: 'echo', payload: { x: 1, y: 2 } }, { payload: { y: 2, x: 1 }, type: 'echo' }],
    ['number spelling', { type: 'echo', payload: { n: 1.0 } }, { type: 'echo', payload: { n: 1 } }],
    ['fields outside the hashed set', { type: 'echo', payload: {} }, { type: 'echo', payload: {}, idempotencyKey: 'k' }],
  ])('ignores %s', (_name, a, b) => {
    expect(payloadHash(a)).toBe(payloadHash(b));
  });

  it.each([
    ['a default written out', { type: 'echo', payload: {} }, { type: 'echo', payload: {}, maxAttempts: 5 }],
    ['delaySeconds vs runAt', { type: 'echo', payload: {}, delaySeconds: 0 }, { type: 'echo', payload: {}, runAt: new Date().toISOString() }],
    ['another payload', { type: 'echo', payload: { a: 1 } }, { type: 'echo', payload: { a: 2 } }],
    ['another webhookUrl', { type: 'echo', payload: {}, webhookUrl: 'https://a.example/' }, { type: 'echo', payload: {}, webhookUrl: 'https://b.example/' }],
  ])('tells apart %s', (_name, a, b) => {
    expect(payloadHash(a)).not.toBe(payloadHash(b));
  });
});

describe('jobIdFor', () => {
  it('derives one UUIDv5 per (tenant, key) and random ids without a key', () => {
    const a = jobIdFor('acme', 'order-1');
    expect(a).toBe(jobIdFor('acme', 'order-1'));
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(jobIdFor('other', 'order-1')).not.toBe(a);
    expect(jobIdFor('acme', 'order-2')).not.toBe(a);
    // No ambiguity between tenant and key boundaries.
    expect(jobIdFor('ab', 'c')).not.toBe(jobIdFor('a', 'bc'));
    expect(jobIdFor('acme', null)).not.toBe(jobIdFor('acme', null));
    expect(isJobIdShaped(jobIdFor('acme', null))).toBe(true);
    expect(isJobIdShaped('../etc/passwd')).toBe(false);
  });
});
