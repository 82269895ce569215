/**
 * The twin's own copy of what the CloudWatch dashboard graphs from the
 * handlers' metrics (SPEC §10, §11, §16), for the health route
 * (./twin-health.ts): jobs created, succeeded and fatal per minute, all job
 * types summed, over the last 16 minutes, and the last `SweepOverdueSeconds`.
 *
 * A tap, not a second way of counting: {@link TwinMetrics} is the Powertools
 * `Metrics` the handlers publish through (createServiceContext's `metrics`
 * override), and its `addMetric` counts each metric as it goes by, then does
 * exactly what `Metrics.addMetric` does. So the figures are what the handlers
 * published, whether EMF lines are printed (`POWERTOOLS_METRICS_DISABLED=false`)
 * or not (the twin's default), and what is printed does not change.
 *
 * A count lands in the minute its invocation published it (lambdas/observability.ts
 * publishes as an invocation ends), as CloudWatch files an EMF line by its timestamp.
 */
import { Metrics } from '@aws-lambda-powertools/metrics';
import { METRICS_NAMESPACE, SERVICE_NAME, type AgeMetric, type JobCountMetric } from '../lambdas/resources';

/** The last 15 whole minutes and the current one. */
export const MINUTES_KEPT = 16;

const MINUTE_MS = 60_000;

/** The job outcomes the health strip shows, by the metric that counts them. */
const OUTCOMES = { JobsCreated: 'created', JobsSucceeded: 'succeeded', JobsFatal: 'fatal' } as const satisfies Partial<Record<JobCountMetric, string>>;

type Outcome = (typeof OUTCOMES)[keyof typeof OUTCOMES];

/** Age of the oldest overdue item on the sweep index, one value per scheduler run. */
const SWEEP_OVERDUE: AgeMetric = 'SweepOverdueSeconds';

/** One minute's jobs, all types summed; `minute` is its start (ISO 8601, UTC). */
export interface JobsInMinute {
  readonly minute: string;
  readonly created: number;
  readonly succeeded: number;
  readonly fatal: number;
}

/** Job counts in per-minute buckets on a clock; only the last {@link MINUTES_KEPT} minutes are kept. */
export class JobCountsByMinute {
  /** Minute number (epoch ms / 60 000, floored) → that minute's counts. */
  private readonly minutes = new Map<number, Record<Outcome, number>>();

  constructor(private readonly now: () => number) {}

  count(outcome: Outcome, value: number): void {
    const current = Math.floor(this.now() / MINUTE_MS);
    let bucket = this.minutes.get(current);
    if (!bucket) {
      this.minutes.set(current, (bucket = { created: 0, succeeded: 0, fatal: 0 }));
      for (const minute of this.minutes.keys()) if (minute <= current - MINUTES_KEPT) this.minutes.delete(minute);
    }
    bucket[outcome] += value;
  }

  /** The last 15 whole minutes and the current one, oldest first, zeros included. */
  lastMinutes(): JobsInMinute[] {
    const current = Math.floor(this.now() / MINUTE_MS);
    return Array.from({ length: MINUTES_KEPT }, (_, index) => {
      const minute = current - MINUTES_KEPT + 1 + index;
      const counts = this.minutes.get(minute) ?? { created: 0, succeeded: 0, fatal: 0 };
      return { minute: new Date(minute * MINUTE_MS).toISOString(), ...counts };
    });
  }
}

type AddMetric = Metrics['addMetric'];

/** Powertools `Metrics` that also keeps the health route's figures of what goes through it. */
export class TwinMetrics extends Metrics {
  readonly jobCounts: JobCountsByMinute;
  private lastSweepOverdueSeconds: number | null = null;

  /** `clock`: the twin's, which files each count in its minute. */
  constructor(clock: { readonly now: () => number }) {
    // What createServiceContext gives the handlers' own Metrics: the same EMF lines.
    super({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME });
    this.jobCounts = new JobCountsByMinute(clock.now);
  }

  override addMetric(...[name, unit, value, resolution]: Parameters<AddMetric>): this {
    // First what Powertools does (it throws on a metric it refuses: that one is not counted either).
    super.addMetric(name, unit, value, resolution);
    if (Object.hasOwn(OUTCOMES, name)) this.jobCounts.count(OUTCOMES[name as keyof typeof OUTCOMES], value);
    else if (name === SWEEP_OVERDUE) this.lastSweepOverdueSeconds = value;
    return this;
  }

  /** The last `SweepOverdueSeconds` the scheduler published; null before its first run. */
  get sweepOverdueSeconds(): number | null {
    return this.lastSweepOverdueSeconds;
  }
}
