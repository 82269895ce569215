/** What a payload may hold (SPEC §3): any key; numbers JavaScript holds exactly; nesting within MAX_PAYLOAD_DEPTH. */
import { prepareJob } from '../../../lambdas/jobs/submit-job';
import { MAX_PAYLOAD_DEPTH, unstorableValues } from '../../../lambdas/jobs/submission';
import { HttpProblem } from '../../../lambdas/api/problem';
import { payloadHash } from '../../../lambdas/jobs/payload-hash';
import { startContextHarness, type ContextHarness } from '../../support/service-context';

const nested = (levels: number) => JSON.parse(`${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`);

describe('unstorableValues', () => {
  it.each([
    ['keys named like Object.prototype members', JSON.parse('{"__proto__":1,"constructor":{"prototype":2},"toString":[],"hasOwnProperty":null}')],
    ['an empty key', { '': 'empty' }],
    ['numbers of any magnitude JSON writes exactly', { tiny: 1e-300, smallest: 5e-324, safe: Number.MAX_SAFE_INTEGER, negative: -Number.MAX_SAFE_INTEGER }],
    [`nesting of ${MAX_PAYLOAD_DEPTH} levels`, nested(MAX_PAYLOAD_DEPTH)],
  ])('accepts %s', (_name, payload) => {
    expect(unstorableValues(payload, 'payload')).toEqual([]);
  });

  it.each([
    ['an integer beyond ±2^53', { id: 12345678901234567890 }, 'payload.id'],
    ['a number beyond ±2^53', { x: -1e200 }, 'payload.x'],
    [`nesting deeper than ${MAX_PAYLOAD_DEPTH} levels`, nested(MAX_PAYLOAD_DEPTH + 1), `payload${'.a'.repeat(MAX_PAYLOAD_DEPTH)}`],
  ])('refuses %s', (_name, payload, path) => {
    expect(unstorableValues(payload, 'payload')).toEqual([{ path, message: expect.any(String) }]);
  });
});

describe('prepareJob', () => {
  let harness: ContextHarness;
  beforeAll(async () => {
    harness = await startContextHarness();
  });
  afterAll(async () => {
    await harness.close();
  });

  it('keeps the payload as sent, `__proto__` key and order included, and hashes that', () => {
    const body = JSON.parse('{"type":"echo","payload":{"z":1,"__proto__":{"admin":true},"a":2}}');
    const { job } = prepareJob(harness.ctx, 'acme', body, undefined);
    expect(job.payload).toBe(body.payload);
    expect(Object.keys(job.payload)).toEqual(['z', '__proto__', 'a']);
    expect(job.payloadHash).toBe(payloadHash(body));
    expect(job.payloadHash).not.toBe(payloadHash({ type: 'echo', payload: { z: 1, a: 2 } }));
  });

  it('checks an http header named __proto__ like any other', () => {
    const body = JSON.parse('{"type":"http","payload":{"url":"https://example.com/","headers":{"__proto__":"a\\r\\nInjected: 1"}}}');
    const refusal = (() => {
      try {
        prepareJob(harness.ctx, 'acme', body, undefined);
      } catch (error) {
        return error;
      }
    })();
    expect(refusal).toBeInstanceOf(HttpProblem);
    expect(refusal).toMatchObject({ code: 'validation_failed', extras: { errors: [{ path: 'payload.headers.__proto__' }] } });
  });
});
