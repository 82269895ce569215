/** What a payload may hold (SPEC §3): any key; numbers JavaScript holds exactly; nesting within MAX_PAYLOAD_DEPTH. */
import { MAX_PAYLOAD_DEPTH, unstorableValues } from '../../../lambdas/jobs/submission';

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
    ['an integer beyond ±2^53', { id: Number('12345678901234567890') }, 'payload.id'],
    ['a number beyond ±2^53', { x: -1e200 }, 'payload.x'],
    [`nesting deeper than ${MAX_PAYLOAD_DEPTH} levels`, nested(MAX_PAYLOAD_DEPTH + 1), `payload${'.a'.repeat(MAX_PAYLOAD_DEPTH)}`],
  ])('refuses %s', (_name, payload, path) => {
    expect(unstorableValues(payload, 'payload')).toEqual([{ path, message: expect.any(String) }]);
  });
});
