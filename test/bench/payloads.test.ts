/**
 * The bench's payloads: the sizes the issue-11 figures are stated for, the same
 * on every run, and an 8 KiB payload that compresses like real records do (a
 * service that compresses large payloads must not get a free ride).
 */
import { LARGE_PAYLOAD_BYTES, largePayload, payloadFacts, smallPayload } from '../../bench/payloads';

describe('smallPayload', () => {
  it('is about 200 bytes of JSON, the same for the same job index', () => {
    for (const index of [0, 7, 1999, 123_456]) {
      const { bytes } = payloadFacts(smallPayload(index));
      expect(bytes).toBeGreaterThanOrEqual(190);
      expect(bytes).toBeLessThanOrEqual(210);
    }
    expect(smallPayload(42)).toEqual(smallPayload(42));
    expect(smallPayload(42)).not.toEqual(smallPayload(43));
  });
});

describe('largePayload', () => {
  it('is exactly 8 KiB of JSON, the same for the same job index', () => {
    for (const index of [0, 7, 1999]) expect(payloadFacts(largePayload(index)).bytes).toBe(LARGE_PAYLOAD_BYTES);
    expect(largePayload(3)).toEqual(largePayload(3));
    expect(JSON.stringify(largePayload(3))).not.toBe(JSON.stringify(largePayload(4)));
  });

  it('is records with repeated keys and varied values, compressing as JSON records do (2× to 8×)', () => {
    const payload = largePayload(11) as { lines: Array<Record<string, unknown>> };
    expect(payload.lines.length).toBeGreaterThan(20);
    expect(new Set(payload.lines.map((line) => Object.keys(line).join())).size).toBe(1);
    expect(new Set(payload.lines.map((line) => line.sku)).size).toBe(payload.lines.length);
    const { bytes, deflatedBytes } = payloadFacts(payload);
    expect(bytes / deflatedBytes).toBeGreaterThan(2);
    expect(bytes / deflatedBytes).toBeLessThan(8);
  });
});
