/**
 * The bench's summaries: percentiles by linear interpolation between closest
 * ranks, so p50 of an even count is the mean of the middle two.
 */
import fc from 'fast-check';
import { median, percentile, perSecond, summarize } from '../../bench/stats';

describe('percentile', () => {
  it.each([
    // values, p, expected
    [[5], 50, 5],
    [[1, 2, 3, 4], 50, 2.5],
    [[4, 1, 3, 2], 0, 1],
    [[4, 1, 3, 2], 100, 4],
    [[10, 20, 30, 40, 50], 25, 20],
    [Array.from({ length: 101 }, (_, i) => i), 99, 99],
    [Array.from({ length: 100 }, (_, i) => i + 1), 99, 99.01],
  ])('of %j at p%d is %d', (values, p, expected) => {
    expect(percentile(values, p)).toBeCloseTo(expected, 10);
  });

  it('is NaN for no values, and refuses p outside 0..100', () => {
    expect(percentile([], 50)).toBeNaN();
    expect(() => percentile([1], 101)).toThrow(RangeError);
    expect(() => percentile([1], -1)).toThrow(RangeError);
  });

  it('does not reorder its input', () => {
    const values = [3, 1, 2];
    percentile(values, 50);
    expect(values).toEqual([3, 1, 2]);
  });

  it('lies between the smallest and largest value and grows with p', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1 }), fc.integer({ min: 0, max: 99 }), (values, p) => {
        const low = percentile(values, p);
        const high = percentile(values, p + 1);
        expect(low).toBeGreaterThanOrEqual(Math.min(...values));
        expect(high).toBeLessThanOrEqual(Math.max(...values));
        expect(high).toBeGreaterThanOrEqual(low);
      }),
    );
  });
});

describe('summarize', () => {
  it('gives count, mean, p50, p99, min and max', () => {
    // Arrange
    const values = Array.from({ length: 1000 }, (_, i) => i + 1);
    // Act
    const summary = summarize(values);
    // Assert
    expect(summary).toEqual({ count: 1000, mean: 500.5, p50: 500.5, p99: expect.closeTo(990.01, 6), min: 1, max: 1000 });
  });

  it('is all NaN but the count for no values', () => {
    expect(summarize([])).toEqual({ count: 0, mean: NaN, p50: NaN, p99: NaN, min: NaN, max: NaN });
  });
});

describe('median and perSecond', () => {
  it('median is p50', () => {
    expect(median([3, 1, 2, 10])).toBe(2.5);
  });

  it('rates events over milliseconds, and is 0 when no time passed', () => {
    expect(perSecond(300, 1500)).toBe(200);
    expect(perSecond(5, 0)).toBe(0);
  });
});
