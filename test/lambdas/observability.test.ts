/**
 * Metrics buffered and published once per invocation, and log keys without
 * child loggers (lambdas/observability.ts): what reaches stdout is the EMF and
 * the JSON lines SPEC §11 asks for.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { countJobs, publishingMetrics, publishMetrics, recordDuration, recordSeconds, withKeys } from '../../lambdas/observability';
import { METRICS_NAMESPACE, SERVICE_NAME } from '../../lambdas/resources';

interface EmfDocument {
  _aws: { CloudWatchMetrics: Array<{ Namespace: string; Dimensions: string[][]; Metrics: Array<{ Name: string; Unit: string }> }> };
  [field: string]: unknown;
}

/** What `run` writes to stdout, line by line. */
function stdoutOf(run: () => void): string[] {
  const lines: string[] = [];
  const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(...String(chunk).split('\n').filter(Boolean));
    return true;
  });
  try {
    run();
  } finally {
    write.mockRestore();
  }
  return lines;
}

describe('metrics', () => {
  let metrics: Metrics;
  beforeEach(() => {
    process.env.POWERTOOLS_METRICS_DISABLED = 'false';
    metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME });
  });
  afterEach(() => {
    process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  });

  test('nothing is written until the invocation publishes; then one EMF document per dimension set', () => {
    const recorded = stdoutOf(() => {
      for (let i = 0; i < 9; i++) countJobs(metrics, 'JobsSucceeded', 'echo');
      countJobs(metrics, 'JobsSucceeded', 'http');
      countJobs(metrics, 'JobsFatal', 'echo', 2);
      recordDuration(metrics, 'AttemptDuration', 'echo', 12);
      recordDuration(metrics, 'AttemptDuration', 'echo', 30);
      recordSeconds(metrics, 'QueueWaitSeconds', 0.5, { tenantTier: 'standard' });
      recordSeconds(metrics, 'QueueWaitSeconds', 1.5, { tenantTier: 'standard' });
    });
    expect(recorded).toEqual([]);

    const documents = stdoutOf(() => publishMetrics(metrics)).map((line) => JSON.parse(line) as EmfDocument);
    expect(documents).toHaveLength(3);
    const byDimensions = new Map(documents.map((d) => [JSON.stringify(d._aws.CloudWatchMetrics[0].Dimensions.flat().sort()), d]));
    const echo = documents.find((d) => d.jobType === 'echo')!;
    expect(echo._aws.CloudWatchMetrics[0]).toMatchObject({ Namespace: METRICS_NAMESPACE, Dimensions: [expect.arrayContaining(['service', 'jobType'])] });
    // Counts are summed within the invocation; durations keep every value (EMF value arrays).
    expect(echo).toMatchObject({ service: SERVICE_NAME, JobsSucceeded: 9, JobsFatal: 2, AttemptDuration: [12, 30] });
    expect(documents.find((d) => d.jobType === 'http')).toMatchObject({ JobsSucceeded: 1 });
    expect(byDimensions.get(JSON.stringify(['service', 'tenantTier']))).toMatchObject({ tenantTier: 'standard', QueueWaitSeconds: [0.5, 1.5] });

    // Published once: the next invocation starts empty.
    expect(stdoutOf(() => publishMetrics(metrics))).toEqual([]);
  });

  test('publishingMetrics publishes when the invocation throws too', async () => {
    const lines: string[] = [];
    const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    try {
      await expect(
        publishingMetrics(metrics, () => {
          countJobs(metrics, 'JobsCreated', 'echo');
          return Promise.reject(new Error('the handler failed'));
        }),
      ).rejects.toThrow('the handler failed');
    } finally {
      write.mockRestore();
    }
    expect(lines.map((line) => JSON.parse(line) as EmfDocument)).toEqual([expect.objectContaining({ JobsCreated: 1, jobType: 'echo' })]);
  });
});

describe('withKeys', () => {
  test('every line carries the keys; a call\'s own fields win; two jobs on one logger keep their own keys', () => {
    const lines: Array<Record<string, unknown>> = [];
    const logger = new Logger({ serviceName: SERVICE_NAME, logLevel: 'DEBUG' });
    // INFO and DEBUG go to stdout, WARN and ERROR to stderr.
    const keep = (chunk: string | Uint8Array) => {
      lines.push(JSON.parse(String(chunk)) as Record<string, unknown>);
      return true;
    };
    const prints = [jest.spyOn(process.stdout, 'write').mockImplementation(keep), jest.spyOn(process.stderr, 'write').mockImplementation(keep)];
    try {
      const first = withKeys(logger, { jobId: 'job-1', tenantId: 'tenant-a', type: 'echo', attempt: 1 });
      const second = withKeys(logger, { jobId: 'job-2', tenantId: 'tenant-b', type: 'http', attempt: 3 });
      first.info('attempt finished', { outcome: 'succeeded' });
      second.warn('took over', { attempt: 4 });
      first.debug('nothing to run');
      second.error('failed', new Error('boom'));
    } finally {
      for (const print of prints) print.mockRestore();
    }
    expect(lines).toEqual([
      expect.objectContaining({ level: 'INFO', message: 'attempt finished', jobId: 'job-1', tenantId: 'tenant-a', type: 'echo', attempt: 1, outcome: 'succeeded' }),
      expect.objectContaining({ level: 'WARN', message: 'took over', jobId: 'job-2', tenantId: 'tenant-b', type: 'http', attempt: 4 }),
      expect.objectContaining({ level: 'DEBUG', message: 'nothing to run', jobId: 'job-1', attempt: 1 }),
      expect.objectContaining({ level: 'ERROR', message: 'failed', jobId: 'job-2', error: expect.objectContaining({ name: 'Error' }) }),
    ]);
  });
});
