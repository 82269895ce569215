/**
 * Metrics as CloudWatch EMF (SPEC §11), namespace `JobsService`; the names are
 * lambdas/resources.ts's, which the dashboard and alarms read too. Job metrics are
 * dimensioned by job type; one EMF line per (metric, type) per call.
 */
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import type { AgeMetric, DurationMetric, JobCountMetric } from './resources';

export function countJobs(metrics: Metrics, name: JobCountMetric, jobType: string, count = 1): void {
  if (count <= 0) return;
  const single = metrics.singleMetric();
  single.addDimension('jobType', jobType);
  single.addMetric(name, MetricUnit.Count, count);
}

export function recordDuration(metrics: Metrics, name: DurationMetric, jobType: string, ms: number): void {
  const single = metrics.singleMetric();
  single.addDimension('jobType', jobType);
  single.addMetric(name, MetricUnit.Milliseconds, ms);
}

export function recordSeconds(metrics: Metrics, name: AgeMetric, seconds: number, dimensions: Record<string, string> = {}): void {
  const single = metrics.singleMetric();
  for (const [key, value] of Object.entries(dimensions)) single.addDimension(key, value);
  single.addMetric(name, MetricUnit.Seconds, seconds);
}

/**
 * What a log line may say of an unexpected error: its name and where it was
 * thrown, never its message, which may quote request or tenant data (SPEC §11).
 */
export function errorForLog(error: unknown): { errorName: string; frames: string | undefined } {
  const asError = error as Error | undefined;
  return { errorName: asError?.name ?? typeof error, frames: asError?.stack?.split('\n').slice(1, 8).join('\n') };
}
