/**
 * The bench's cost model: usage per job × list prices → dollars per million
 * jobs, service by service. Hand-computed cases with the stated prices.
 */
import { costPerMillionJobs, gbSeconds, idleSchedulerDollarsPerMonth, PRICES, type PerJobUsage } from '../../bench/cost-model';
import { FUNCTION_MEMORY_MB } from '../../lambdas/resources';

const NOTHING: PerJobUsage = {
  readUnits: 0,
  writeUnits: 0,
  sqsRequests: 0,
  apiRequests: 0,
  invocations: { api: 0, worker: 0, webhook: 0, scheduler: 0 },
  gbSeconds: 0,
  logBytes: 0,
};

describe('costPerMillionJobs', () => {
  it('prices each service per million jobs', () => {
    // Arrange: one job = 12 WRU, 2 RRU, 1.2 SQS requests, one API call, a tenth of a worker batch.
    const usage: PerJobUsage = {
      readUnits: 2,
      writeUnits: 12,
      sqsRequests: 1.2,
      apiRequests: 1,
      invocations: { api: 1, worker: 0.1, webhook: 0, scheduler: 0 },
      gbSeconds: 0.01,
      logBytes: 1024,
    };
    // Act
    const cost = costPerMillionJobs(usage);
    // Assert
    expect(cost.dynamodb).toBeCloseTo(12 * 0.625 + 2 * 0.125, 10); // $7.75
    expect(cost.sqs).toBeCloseTo(1.2 * 0.4, 10);
    expect(cost.lambda).toBeCloseTo(1.1 * 0.2 + 0.01 * 1e6 * 0.0000133334, 10);
    expect(cost.apiGateway).toBeCloseTo(3.5, 10);
    expect(cost.logs).toBeCloseTo(((1024 * 1e6) / 1024 ** 3) * 0.5, 10);
    expect(cost.total).toBeCloseTo(cost.dynamodb + cost.sqs + cost.lambda + cost.apiGateway + cost.logs, 10);
  });

  it('costs nothing for no usage', () => {
    expect(costPerMillionJobs(NOTHING).total).toBe(0);
  });

  it('takes other prices', () => {
    const prices = { ...PRICES, apiGatewayRestPerMillion: 1 };
    expect(costPerMillionJobs({ ...NOTHING, apiRequests: 0.01 }, prices).apiGateway).toBeCloseTo(0.01, 10);
  });
});

describe('gbSeconds', () => {
  it('is memory in GB × calls × seconds', () => {
    expect(gbSeconds('worker', 10, 200)).toBeCloseTo((FUNCTION_MEMORY_MB.worker / 1024) * 10 * 0.2, 10);
    expect(gbSeconds('webhook', 4, 1000)).toBeCloseTo(2, 10);
  });
});

describe('idleSchedulerDollarsPerMonth', () => {
  it('prices a run a minute for 30 days: its reads, its request, its duration', () => {
    // 43,200 runs × (2 RRU × $0.125/M + $0.20/M + 0.5 GB × 0.1 s × $0.0000133334)
    const expected = 43_200 * ((2 * 0.125 + 0.2) / 1e6 + 0.5 * 0.1 * 0.0000133334);
    expect(idleSchedulerDollarsPerMonth({ readUnits: 2, ms: 100 })).toBeCloseTo(expected, 12);
  });
});
