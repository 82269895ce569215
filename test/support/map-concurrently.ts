import pLimit from 'p-limit';

/** Runs `fn` over `items` with at most `concurrency` calls at once; results in input order. */
export function mapConcurrently<T, R>(items: readonly T[], concurrency: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  return pLimit(concurrency).map(items, (item) => fn(item));
}
