/**
 * Issue 11's targets: cost ratios, the webhook's extra units, the bundle figure
 * a cold start loads, and pass/fail at the limits. Usage priced by the real cost model.
 */
import type { BundleResult } from '../../bench/bundles';
import { costPerMillionJobs, type PerJobUsage } from '../../bench/cost-model';
import { checkTargets, costRatio, entryBytesOf, webhookExtraWriteUnits, type TargetInputs } from '../../bench/targets';

const usage = (overrides: Partial<PerJobUsage> = {}): PerJobUsage => ({
  readUnits: 0.5,
  writeUnits: 6,
  sqsRequests: 3,
  apiRequests: 1,
  invocations: { api: 1, worker: 0.1, webhook: 0, scheduler: 0 },
  gbSeconds: 0.005,
  logBytes: 600,
  ...overrides,
});

// Built onto an empty BundleResult: bench/bundles.ts may add fields (`entryBytes`) this test does not need.
const bundle = (entry: string, overrides: Partial<BundleResult> = {}): BundleResult =>
  Object.assign({} as BundleResult, {
    entry,
    sdk: 'bundled',
    bytes: 300 * 1024,
    sourceMapBytes: 0,
    warnings: 0,
    importMs: [100],
    importMedianMs: 100,
    importCpuMs: [90],
    importCpuMedianMs: 90,
    ...overrides,
  });

describe('costRatio', () => {
  it('divides the totals of two cost breakdowns', () => {
    const small = costPerMillionJobs(usage());
    const large = costPerMillionJobs(usage({ writeUnits: 6 + 16 }));
    // 16 more WRU at $0.625 per million.
    expect(costRatio(large, small)).toBeCloseTo((small.total + 16 * 0.625) / small.total);
  });

  it('is not a number when the denominator costs nothing', () => {
    expect(costRatio(costPerMillionJobs(usage()), costPerMillionJobs({ ...usage(), readUnits: 0, writeUnits: 0, sqsRequests: 0, apiRequests: 0, invocations: { api: 0, worker: 0, webhook: 0, scheduler: 0 }, gbSeconds: 0, logBytes: 0 }))).toBeNaN();
  });
});

describe('webhookExtraWriteUnits', () => {
  it("is the webhook run's write units less the plain run's", () => {
    expect(webhookExtraWriteUnits(usage({ writeUnits: 8.25 }), usage({ writeUnits: 6 }))).toBeCloseTo(2.25);
  });
});

describe('entryBytesOf', () => {
  it('takes the entry chunk where the bundles report one, the whole bundle otherwise', () => {
    expect(entryBytesOf({ ...bundle('lambdas/api.ts'), entryBytes: 200_000 })).toBe(200_000);
    expect(entryBytesOf(bundle('lambdas/api.ts', { bytes: 512_000 }))).toBe(512_000);
  });
});

describe('checkTargets', () => {
  const atLimits: TargetInputs = {
    single: { perJob: usage(), costPerMillion: { ...costPerMillionJobs(usage()), total: 9 }, jobsPerSecond: 200, handlerCpuMsPerJob: 3 },
    batch: { costPerMillion: { ...costPerMillionJobs(usage()), total: 5 }, jobsPerSecond: 200 },
    single8KiB: { costPerMillion: { ...costPerMillionJobs(usage()), total: 13.5 } },
    singleWebhook: { perJob: usage({ writeUnits: 8 }) },
    hottestWritesPerSecondAt5kJobs: 1000,
    bundles: [bundle('lambdas/api.ts'), bundle('lambdas/worker.ts'), bundle('lambdas/api.ts', { sdk: 'external', bytes: 10_000_000, importMedianMs: 1000 })],
  };

  it('passes every target met exactly at its limit (the SDK-external bundles do not count)', () => {
    const checks = checkTargets(atLimits);
    expect(checks.filter((c) => !c.pass).map((c) => c.figure)).toEqual([]);
    expect(checks).toHaveLength(13);
  });

  it('fails each figure just past its limit', () => {
    const worse: TargetInputs = {
      single: { ...atLimits.single, perJob: usage({ writeUnits: 6.01, readUnits: 0.51, logBytes: 601 }), handlerCpuMsPerJob: 3.01, jobsPerSecond: 199, costPerMillion: { ...atLimits.single.costPerMillion, total: 9.01 } },
      batch: { costPerMillion: { ...atLimits.batch.costPerMillion, total: 5.01 }, jobsPerSecond: 199 },
      single8KiB: { costPerMillion: { ...atLimits.single8KiB.costPerMillion, total: 13.6 } },
      singleWebhook: { perJob: usage({ writeUnits: 8.02 }) },
      hottestWritesPerSecondAt5kJobs: 1001,
      bundles: [bundle('lambdas/api.ts', { bytes: 300 * 1024 + 1, importMedianMs: 101 })],
    };
    expect(checkTargets(worse).filter((c) => c.pass).map((c) => c.figure)).toEqual([]);
  });

  it('fails a figure that could not be measured', () => {
    const checks = checkTargets({ ...atLimits, bundles: [] });
    expect(checks.filter((c) => !c.pass).map((c) => c.source)).toEqual([
      'bundles[].entryBytes (bytes where absent), sdk bundled',
      'bundles[].importMedianMs, sdk bundled',
    ]);
  });
});
