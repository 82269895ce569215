/** The job ↔ item codec and the shedding a write falls back on when the item would pass the limit. */
import type { Attempt, Job } from '../../../lambdas/jobs/job';
import { ITEM_LIMIT_BYTES, itemSize } from '../../../lambdas/store/item-size';
import { fitJobToItemLimit, jobAttributes, jobFromItem } from '../../../lambdas/store/job-item';
import { jobFactory } from '../../support/job-factory';

const NOW = Date.UTC(2026, 11, 3, 12);
const itemOf = (job: Job) => jobAttributes(job);
const attempt = (n: number, error: string): Attempt => ({ attempt: n, status: 'failed', error, startedAt: 'a', finishedAt: 'b', durationMs: 1 });

describe('jobAttributes / jobFromItem', () => {
  it('stores payload and result as JSON text and reads them back as they were', () => {
    const job = jobFactory(NOW, { payload: JSON.parse('{"b":1,"__proto__":{"a":[]}}'), result: { z: 1, a: 2 } });
    const item = jobAttributes(job);
    expect(item).toMatchObject({ payloadJson: '{"b":1,"__proto__":{"a":[]}}', resultJson: '{"z":1,"a":2}' });
    expect(item).not.toHaveProperty('payload');
    expect(item).not.toHaveProperty('result');
    expect(jobFromItem(item)).toEqual(job);
  });

  it('reads an item of the previous version (payload and result as Maps)', () => {
    const { payload, result, ...rest } = jobFactory(NOW, { payload: { a: 1 }, result: { ok: true } });
    expect(jobFromItem({ pk: 'p', sk: 'JOB', entity: 'job', writeId: 'w', ...rest, payload, result })).toEqual({ ...rest, payload, result });
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
