/** The fairness run reads back a sample of the noisy backlog, spread evenly over it. */
import { evenlySpread } from '../../bench/fairness';

describe('evenlySpread', () => {
  it('keeps everything when there are no more items than asked for', () => {
    expect(evenlySpread([1, 2, 3], 5)).toEqual([1, 2, 3]);
  });

  it('takes evenly spaced items, first and last included', () => {
    const items = Array.from({ length: 101 }, (_, i) => i);
    expect(evenlySpread(items, 5)).toEqual([0, 25, 50, 75, 100]);
  });

  it('takes one item, or none', () => {
    expect(evenlySpread([7, 8, 9], 1)).toEqual([7]);
    expect(evenlySpread([7, 8, 9], 0)).toEqual([]);
  });
});
