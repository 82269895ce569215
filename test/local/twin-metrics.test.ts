/**
 * The twin's tap on the handlers' metrics (local/twin-metrics.ts): job counts in
 * per-minute buckets on the twin's clock, the last sweep age, and EMF output
 * exactly as the plain Powertools `Metrics` prints it.
 */
import { Metrics } from '@aws-lambda-powertools/metrics';
import { countJobs, publishMetrics, recordDuration, recordSeconds } from '../../lambdas/observability';
import { METRICS_NAMESPACE, SERVICE_NAME } from '../../lambdas/resources';
import { JobCountsByMinute, MINUTES_KEPT, TwinMetrics } from '../../local/twin-metrics';
import { TestClock } from '../support/clock';

const MINUTE = 60_000;
const START = Date.UTC(2026, 11, 4, 16, 50, 0);

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

describe('JobCountsByMinute', () => {
  test('answers the last 15 whole minutes and the current one, oldest first, zeros included', () => {
    // Arrange
    const clock = new TestClock(START + 12_345);
    const counts = new JobCountsByMinute(clock.now);

    // Act
    counts.count('created', 3);
    counts.count('succeeded', 2);
    clock.advance(MINUTE);
    counts.count('fatal', 1);
    const minutes = counts.lastMinutes();

    // Assert
    expect(minutes).toHaveLength(MINUTES_KEPT);
    expect(minutes.at(-1)).toEqual({ minute: '2026-12-04T16:51:00.000Z', created: 0, succeeded: 0, fatal: 1 });
    expect(minutes.at(-2)).toEqual({ minute: '2026-12-04T16:50:00.000Z', created: 3, succeeded: 2, fatal: 0 });
    expect(minutes[0]).toEqual({ minute: '2026-12-04T16:36:00.000Z', created: 0, succeeded: 0, fatal: 0 });
    const starts = minutes.map((m) => Date.parse(m.minute));
    expect(starts.slice(1).map((start, i) => start - starts[i])).toEqual(Array(MINUTES_KEPT - 1).fill(MINUTE));
  });

  test('a minute leaves the window 16 minutes on, and its counts are dropped, not carried', () => {
    // Arrange
    const clock = new TestClock(START);
    const counts = new JobCountsByMinute(clock.now);
    counts.count('created', 5);

    // Act
    clock.advance(15 * MINUTE + 59_999);
    const lastInWindow = counts.lastMinutes()[0];
    clock.advance(1);
    const afterwards = counts.lastMinutes();
    counts.count('created', 1);

    // Assert
    expect(lastInWindow).toEqual({ minute: '2026-12-04T16:50:00.000Z', created: 5, succeeded: 0, fatal: 0 });
    expect(afterwards.reduce((sum, m) => sum + m.created, 0)).toBe(0);
    expect(counts.lastMinutes().reduce((sum, m) => sum + m.created, 0)).toBe(1);
  });

  test('an idle stretch longer than the window answers all zeros', () => {
    const clock = new TestClock(START);
    const counts = new JobCountsByMinute(clock.now);
    counts.count('succeeded', 7);

    clock.advance(3 * 3600_000);

    expect(counts.lastMinutes().every((m) => m.created + m.succeeded + m.fatal === 0)).toBe(true);
  });
});

describe('TwinMetrics', () => {
  afterEach(() => {
    process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  });

  test.each(['true', 'false'])('with POWERTOOLS_METRICS_DISABLED=%s it counts what the handlers publish, all job types summed', (disabled) => {
    // Arrange
    process.env.POWERTOOLS_METRICS_DISABLED = disabled;
    const clock = new TestClock(START + 5_000);
    const metrics = new TwinMetrics(clock);

    // Act: one api invocation, then one worker batch
    stdoutOf(() => {
      countJobs(metrics, 'JobsCreated', 'echo', 2);
      countJobs(metrics, 'JobsCreated', 'http');
      countJobs(metrics, 'JobsReplayed', 'echo');
      publishMetrics(metrics);
      countJobs(metrics, 'JobsSucceeded', 'echo', 2);
      countJobs(metrics, 'JobsFatal', 'http');
      countJobs(metrics, 'JobsRetried', 'http');
      recordDuration(metrics, 'AttemptDuration', 'echo', 40);
      recordSeconds(metrics, 'QueueWaitSeconds', 3, { tenantTier: 'standard' });
      publishMetrics(metrics);
    });

    // Assert
    expect(metrics.jobCounts.lastMinutes().at(-1)).toEqual({ minute: '2026-12-04T16:50:00.000Z', created: 3, succeeded: 2, fatal: 1 });
  });

  test('keeps the last SweepOverdueSeconds, null before the first scheduler run', () => {
    const metrics = new TwinMetrics(new TestClock(START));
    expect(metrics.sweepOverdueSeconds).toBeNull();

    recordSeconds(metrics, 'SweepOverdueSeconds', 0);
    recordSeconds(metrics, 'SweepOverdueSeconds', 42);
    publishMetrics(metrics);

    expect(metrics.sweepOverdueSeconds).toBe(42);
  });

  test('prints exactly the EMF lines the plain Powertools Metrics prints', () => {
    // Arrange
    process.env.POWERTOOLS_METRICS_DISABLED = 'false';
    const plain = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME });
    const tapped = new TwinMetrics(new TestClock(START));
    const invocation = (metrics: Metrics) => () => {
      countJobs(metrics, 'JobsSucceeded', 'echo', 3);
      countJobs(metrics, 'JobsFatal', 'http');
      recordDuration(metrics, 'AttemptDuration', 'echo', 12);
      recordSeconds(metrics, 'SweepOverdueSeconds', 7);
      publishMetrics(metrics);
    };
    // EMF's timestamp is the moment of printing; everything else must match.
    const withoutTimestamp = (line: string) => line.replace(/"Timestamp":\d+/, '"Timestamp":0');

    // Act
    const printedByPlain = stdoutOf(invocation(plain)).map(withoutTimestamp);
    const printedByTapped = stdoutOf(invocation(tapped)).map(withoutTimestamp);

    // Assert
    expect(printedByPlain).toHaveLength(3);
    expect(printedByTapped).toEqual(printedByPlain);
  });

  test('with metrics disabled (the twin default) it prints nothing', () => {
    process.env.POWERTOOLS_METRICS_DISABLED = 'true';
    const metrics = new TwinMetrics(new TestClock(START));

    const printed = stdoutOf(() => {
      countJobs(metrics, 'JobsCreated', 'echo');
      publishMetrics(metrics);
    });

    expect(printed).toEqual([]);
    expect(metrics.jobCounts.lastMinutes().at(-1)?.created).toBe(1);
  });
});
