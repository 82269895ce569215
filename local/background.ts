/**
 * The twin's background work, playing what AWS runs around the Lambdas:
 *
 * - the SQS event source mappings: pollers that hand batches of the jobs queue
 *   (and the webhooks queue) to the Lambda handlers, with partial batch
 *   failures, the queue's visibility timeout and several batches in flight;
 * - the EventBridge rule: the scheduler every SCHEDULER_INTERVAL_SECONDS, one
 *   run at a time (a slow run delays the next rather than overlapping it);
 * - DynamoDB's TTL deletion, which dynalite lacks.
 *
 * `stop()` stops the timers first (no new scheduler run, no new sweep), then the
 * pollers: they stop receiving and give running batches a grace period to
 * finish; attempts still running then are interrupted and their jobs handed back
 * uncounted (waiting again, with a fresh message), and any message still in
 * flight is released (visibility 0) for the next start.
 */
import { setMaxListeners } from 'node:events';
import { JOBS_QUEUE, WEBHOOKS_QUEUE } from '../lambdas/resources';
import { createSchedulerHandler, type DispatchReport } from '../lambdas/scheduler/dispatch-due-jobs';
import type { ServiceContext } from '../lambdas/service-context';
import { LEASE_MARGIN_MS } from '../lambdas/jobs/transitions';
import { errorForLog } from '../lambdas/observability';
import { createWorkerHandler } from '../lambdas/worker/process-job';
import { createWebhookHandler } from '../lambdas/webhooks/delivery';
import { startSqsEventSource, type InvocationRunner, type SqsEventSource } from './event-sources';

export interface Background {
  /** Runs the scheduler once more, after any run in progress; resolves with that run's report. */
  runSchedulerNow(): Promise<DispatchReport>;
  /** Deletes expired items now (what DynamoDB TTL does on AWS); resolves with how many. */
  sweepExpiredNow(): Promise<number>;
  /** Stops taking work, finishes or releases in-flight work. */
  stop(): Promise<void>;
}

/**
 * Batches in flight at once, per queue. Few by default: the twin is one process,
 * and more batches in flight only make each one slower on the happy path (the
 * bench: 156 echo jobs/s end to end with 4 worker batches, 109 with 8). Under
 * injected faults a batch waits on its slowest record (an SDK retry's backoff),
 * so the twin runs more of them then (with 4, a fault run of 1,000 jobs took
 * about twice as long to settle). AWS runs up to JOBS_QUEUE.maxConcurrency.
 */
const EVENT_SOURCE_CONCURRENCY = { worker: 4, webhook: 2 } as const;
export const EVENT_SOURCE_CONCURRENCY_UNDER_FAULTS = { worker: 8, webhook: 8 } as const;
const DEFAULT_SCHEDULER_INTERVAL_SECONDS = 10;
/** Longest a twin scheduler run goes on (AWS gives it most of a minute; here it must not hold up a shutdown). */
const SCHEDULER_BUDGET_MS = 5000;
/** The TTL sweep reads a stretch of the table this often, so a large table never stalls the twin's one thread. */
const TTL_SWEEP_INTERVAL_MS = 5_000;
/** How long running batches get to finish on shutdown before their messages are handed back. */
const SHUTDOWN_GRACE_MS = 3000;

export interface BackgroundOptions {
  /** Seconds between scheduler runs (`SCHEDULER_INTERVAL_SECONDS`). @default 10 */
  readonly schedulerIntervalSeconds?: number;
  /** Runs each worker and webhook invocation (the twin's fault injection crashes some). */
  readonly runInvocation?: InvocationRunner;
  /** Batches in flight per queue. @default EVENT_SOURCE_CONCURRENCY */
  readonly concurrency?: { readonly worker: number; readonly webhook: number };
}

export function startBackground(context: ServiceContext, options: BackgroundOptions = {}): Background {
  const { config, logger } = context;
  const concurrency = options.concurrency ?? EVENT_SOURCE_CONCURRENCY;
  const stopping = new AbortController();
  /** Aborted when the shutdown grace ends: attempts still running stop and hand their jobs back. */
  const interruptAttempts = new AbortController();
  // Every running attempt listens on it (and stops listening when it ends).
  setMaxListeners(concurrency.worker * JOBS_QUEUE.batchSize + 10, interruptAttempts.signal);
  const pollers: SqsEventSource[] = [];

  // ── SQS event source mappings ────────────────────────────────────────────
  pollers.push(
    startSqsEventSource({
      name: 'worker',
      sqs: context.sqs,
      queueUrl: requireUrl(config.jobsQueueUrl, 'JOBS_QUEUE_URL'),
      handler: createWorkerHandler(context, { stop: interruptAttempts.signal }),
      batchSize: JOBS_QUEUE.batchSize,
      maxConcurrency: concurrency.worker,
      runInvocation: options.runInvocation,
      // Room for a whole attempt plus the writes around it, as the Lambda's timeout leaves on AWS.
      functionTimeoutMs: config.jobTimeoutSeconds * 1000 + 2 * LEASE_MARGIN_MS,
      logger,
    }),
  );
  pollers.push(
    startSqsEventSource({
      name: 'webhook',
      sqs: context.sqs,
      queueUrl: requireUrl(config.webhooksQueueUrl, 'WEBHOOKS_QUEUE_URL'),
      handler: createWebhookHandler(context),
      batchSize: WEBHOOKS_QUEUE.batchSize,
      maxConcurrency: concurrency.webhook,
      runInvocation: options.runInvocation,
      functionTimeoutMs: WEBHOOKS_QUEUE.consumerTimeoutSeconds * 1000,
      logger,
    }),
  );

  // ── Scheduler rule ──────────────────────────────────────────────────────
  const scheduler = createSchedulerHandler(context, { budgetMs: SCHEDULER_BUDGET_MS, signal: stopping.signal });
  let lastRun: Promise<unknown> = Promise.resolve();
  const runScheduler = (): Promise<DispatchReport> => {
    const run = lastRun.then(() => scheduler());
    lastRun = run.catch((error: unknown) => logger.error('scheduler run failed', errorForLog(error)));
    return run;
  };
  let schedulerTimer: NodeJS.Timeout | undefined;
  const scheduleNextRun = () => {
    if (stopping.signal.aborted) return;
    schedulerTimer = setTimeout(() => {
      runScheduler()
        .catch(() => undefined)
        .finally(scheduleNextRun);
    }, (options.schedulerIntervalSeconds ?? DEFAULT_SCHEDULER_INTERVAL_SECONDS) * 1000);
  };
  scheduleNextRun();

  // ── TTL deletion ────────────────────────────────────────────────────────
  let ttlResumeKey: Record<string, unknown> | undefined;
  let ttlSweep: Promise<unknown> = Promise.resolve();
  const sweepStretch = async (): Promise<number> => {
    const { deleted, resumeKey } = await context.jobs.deleteExpired({ resumeKey: ttlResumeKey });
    ttlResumeKey = resumeKey;
    if (deleted > 0) logger.info('deleted expired items', { deleted });
    return deleted;
  };
  /** One whole pass over the table, after any stretch in progress. */
  const sweepExpired = (): Promise<number> => {
    const pass = ttlSweep.then(async () => {
      ttlResumeKey = undefined;
      let deleted = 0;
      do deleted += await sweepStretch();
      while (ttlResumeKey);
      return deleted;
    });
    ttlSweep = pass.catch(() => undefined);
    return pass;
  };
  const ttlTimer = setInterval(() => {
    ttlSweep = ttlSweep.then(sweepStretch).catch((error: unknown) => logger.warn('TTL sweep failed', { error: (error as Error).message }));
  }, TTL_SWEEP_INTERVAL_MS);

  let stopped: Promise<void> | undefined;
  return {
    runSchedulerNow: runScheduler,
    sweepExpiredNow: sweepExpired,
    stop() {
      stopped ??= (async () => {
        stopping.abort();
        clearTimeout(schedulerTimer);
        clearInterval(ttlTimer);
        await Promise.all([lastRun, ttlSweep]);
        await Promise.all(pollers.map((poller) => poller.stop({ graceMs: SHUTDOWN_GRACE_MS, interrupt: () => interruptAttempts.abort() })));
      })();
      return stopped;
    },
  };
}

function requireUrl(url: string | undefined, variable: string): string {
  if (!url) throw new Error(`${variable} is not set`);
  return url;
}
