/**
 * The scheduler: the safety net over the sweep index (SPEC §4). Each run asks
 * every shard for entries whose `sweepAt` has passed and acts on each:
 *
 * - a waiting job (`queued|retry`) → its message, delayed to `nextRunAt`: the
 *   first dispatch of a job due beyond SQS's 15 minutes, or a re-dispatch of one
 *   whose message should have run by now (lost, or the sender crashed);
 * - a `running` job → a message, so a worker takes over its expired lease;
 * - a finished job with a pending webhook → its event to the webhooks queue.
 *
 * Then the entry is pushed out (`deferSweep`) by STALE_AFTER_SECONDS · 2^sweeps,
 * so a backlog is re-sent with backoff, never as a storm. Only entries whose
 * send succeeded are pushed out: a failed send is tried again next run. Sends
 * are batched; work per run is bounded (entries per shard, and time).
 *
 * Each run also drains the dead-letter queues (SPEC §4, poison messages): the job
 * of a message for a job that is not finished (an event still pending) is put on
 * the sweep index, due now, so a run sends it again; a message for a finished or
 * missing job (an event no longer pending) is deleted, one that cannot be read stays in the DLQ for operators. A job can come
 * back from the DLQ only while it has attempts left (each lost lease counts one),
 * so this ends.
 *
 * Then it reads the open bucket of every tenant for creates whose message was
 * lost (recover-lost-creates.ts: such a create carries no sweep entry), with
 * what is left of the budget, and sends them as it sends due entries.
 *
 * A message too many is harmless (the worker's claim decides); a message too few
 * is what this exists to prevent.
 */
import type { Context } from 'aws-lambda';
import { isTerminal, pendingWebhook } from '../jobs/job';
import { publishingMetrics, recordSeconds } from '../observability';
import { SWEEP_SHARDS } from '../resources';
import { parseJobMessage, parseWebhookMessage, type DeadLetter, type DeadLetterQueue, type Dispatch, type JobMessage, type WebhookMessage } from '../queue/job-queue';
import type { ServiceContext } from '../service-context';
import type { SweepEntry } from '../store/job-store';
import { recoverLostCreates } from './recover-lost-creates';

export interface DispatchOptions {
  /** Entries handled per shard per run. @default 500 */
  readonly maxPerShard?: number;
  /** Stop starting new pages after this long (real time, ms). @default 40_000 */
  readonly budgetMs?: number;
  /** Entries read per query. @default 100 */
  readonly pageSize?: number;
  /** Ends the run early, after the page in hand (the local twin shutting down). */
  readonly signal?: AbortSignal;
  /** Whether this run reads the open buckets for lost creates (recover-lost-creates.ts). @default true */
  readonly scanOpenBuckets?: boolean;
}

export interface DispatchReport {
  /** Waiting jobs sent for the first time (due within the look-ahead). */
  dispatched: number;
  /** Waiting jobs sent again: their message should have run by now. */
  redispatched: number;
  /** Running jobs whose lease expired, sent for a worker to take over. */
  leaseTakeovers: number;
  /** Pending webhook events sent to the webhooks queue. */
  webhooks: number;
  /** Sends SQS refused; those entries stay due and are tried next run. */
  failedSends: number;
  /** Dead-lettered messages whose job or event still needs one: put on the sweep index, due now, for a run to send. */
  deadLettersRequeued: number;
  /** Dead-lettered messages deleted: their job finished or gone, their event no longer pending. */
  deadLettersDropped: number;
  /** Dead-lettered messages that cannot be read, left in the DLQ for operators. */
  deadLettersUnreadable: number;
  /** Creates found in the open bucket with neither message nor sweep entry, sent again (counted in `redispatched` too). */
  lostCreatesRecovered: number;
  /** Age of the oldest due entry when the run started (0 when none was due). */
  oldestOverdueSeconds: number;
  /** False when a bound (entries or time) stopped the run with entries still due. */
  complete: boolean;
}

const DEFAULTS = { maxPerShard: 500, budgetMs: 40_000, pageSize: 100 };
/** Dead letters looked at per queue per run. */
const DEAD_LETTERS_PER_RUN = 100;
/** Re-dispatch backoff stops doubling after this many sweeps of one entry (STALE · 64). */
const MAX_SWEEP_DOUBLINGS = 6;
const DEFER_CONCURRENCY = 16;

type Action =
  | { kind: 'dispatched' | 'redispatched' | 'leaseTakeovers'; entry: SweepEntry; dispatch: Dispatch<JobMessage>; nextSweepAt: number }
  | { kind: 'webhooks'; entry: SweepEntry; dispatch: Dispatch<WebhookMessage>; nextSweepAt: number };

export async function dispatchDueJobs(ctx: ServiceContext, options: DispatchOptions = {}): Promise<DispatchReport> {
  const settings = { ...DEFAULTS, ...options };
  const deadline = Date.now() + settings.budgetMs;
  const report: DispatchReport = {
    dispatched: 0,
    redispatched: 0,
    leaseTakeovers: 0,
    webhooks: 0,
    failedSends: 0,
    deadLettersRequeued: 0,
    deadLettersDropped: 0,
    deadLettersUnreadable: 0,
    lostCreatesRecovered: 0,
    oldestOverdueSeconds: 0,
    complete: true,
  };
  const startedAt = ctx.now();
  const shards = Array.from({ length: SWEEP_SHARDS }, (_, shard) => sweepShard(ctx, shard, settings, deadline, report, startedAt));
  const drains = [drainJobDeadLetters(ctx, report, deadline, settings.signal), drainWebhookDeadLetters(ctx, report, deadline, settings.signal)];
  const failedDrains = (await Promise.allSettled(drains)).filter((outcome) => outcome.status === 'rejected');
  if (failedDrains.length > 0) {
    report.complete = false;
    ctx.logger.warn('dead-letter drain failed; tried again next run', { errorNames: failedDrains.map((f) => (f.reason as Error)?.name) });
  }
  // One shard's failed query must not stop the others: the safety net makes progress wherever it can.
  const failedShards = (await Promise.allSettled(shards)).flatMap((outcome, shard) => (outcome.status === 'rejected' ? [{ shard, outcome }] : []));
  if (failedShards.length > 0) {
    report.complete = false;
    ctx.logger.warn('sweep shards failed; tried again next run', {
      shards: failedShards.map((f) => f.shard),
      errorNames: failedShards.map((f) => ((f.outcome).reason as Error)?.name),
    });
  }
  if (settings.scanOpenBuckets !== false) await recoverLostCreatesInto(ctx, report, deadline, settings);
  recordSeconds(ctx.metrics, 'SweepOverdueSeconds', report.oldestOverdueSeconds);
  const deadLetters = report.deadLettersRequeued + report.deadLettersDropped + report.deadLettersUnreadable;
  if (report.dispatched + report.redispatched + report.leaseTakeovers + report.webhooks + report.failedSends + deadLetters > 0 || !report.complete) {
    ctx.logger.info('sweep run', { ...report });
  }
  return report;
}

async function sweepShard(
  ctx: ServiceContext,
  shard: number,
  settings: typeof DEFAULTS & DispatchOptions,
  deadline: number,
  report: DispatchReport,
  startedAt: number,
): Promise<void> {
  // An entry whose deferral lost a race may show up again (the index is eventually
  // consistent): each is handled at most once per run.
  const seen = new Set<string>();
  const idOf = (entry: SweepEntry) => `${entry.tenantId}/${entry.jobId}`;
  let handled = 0;
  for (let page = 0; ; page++) {
    if (settings.signal?.aborted) {
      report.complete = false;
      return;
    }
    if (handled >= settings.maxPerShard || Date.now() >= deadline) {
      const left = await ctx.jobs.dueForSweep(shard, ctx.now(), 1);
      if (left.some((entry) => !seen.has(idOf(entry)))) report.complete = false;
      return;
    }
    const nowMs = ctx.now();
    const limit = Math.min(settings.pageSize, settings.maxPerShard - handled);
    const entries = await ctx.jobs.dueForSweep(shard, nowMs, limit);
    if (page === 0 && entries[0]) {
      report.oldestOverdueSeconds = Math.max(report.oldestOverdueSeconds, Math.max(0, startedAt - entries[0].sweepAt) / 1000);
    }
    const fresh = entries.filter((entry) => !seen.has(idOf(entry)));
    for (const entry of fresh) seen.add(idOf(entry));
    if (fresh.length > 0) await act(ctx, fresh, nowMs, report);
    handled += fresh.length;
    if (entries.length < limit || fresh.length === 0) return;
  }
}

async function act(ctx: ServiceContext, entries: readonly SweepEntry[], nowMs: number, report: DispatchReport): Promise<void> {
  const decided = entries.map((entry) => ({ entry, actions: actionsFor(ctx, entry, nowMs) }));
  const actions = decided.flatMap((d) => d.actions);
  // An entry that asks for nothing (the index lagging behind its job) is pushed out too, so it cannot pin the overdue age.
  const idle = decided.filter((d) => d.actions.length === 0).map((d) => ({ entry: d.entry, nextSweepAt: nowMs + backoffOf(ctx, d.entry) }));
  const jobActions = actions.filter((a) => a.kind !== 'webhooks');
  const webhookActions = actions.filter((a) => a.kind === 'webhooks');
  const [failedJobs, failedWebhooks] = await Promise.all([
    jobActions.length === 0 ? [] : ctx.jobsQueue.sendMany(jobActions.map((a) => a.dispatch)),
    webhookActions.length === 0 ? [] : ctx.webhooksQueue.sendMany(webhookActions.map((a) => a.dispatch)),
  ]);
  const failed = new Set<Dispatch<unknown>>([...failedJobs, ...failedWebhooks]);
  report.failedSends += failed.size;
  if (failed.size > 0) ctx.logger.warn('sweep sends failed; tried again next run', { count: failed.size });
  const sent = actions.filter((a) => !failed.has(a.dispatch));
  for (const action of sent) report[action.kind]++;
  // Push out each entry whose sends all went (to the earliest time one of them asks for); a
  // lost condition means the job changed meanwhile, and its new state set its own entry.
  const done = decided
    .filter((d) => d.actions.length > 0 && d.actions.every((a) => !failed.has(a.dispatch)))
    .map((d) => ({
      entry: d.entry,
      nextSweepAt: Math.min(...d.actions.map((a) => a.nextSweepAt)),
      // `dispatched` is about the job's own message (its webhook's, once the job is terminal):
      // an earlier event sent for a job that runs again says nothing about the job.
      markDispatched: d.actions.some((a) => a.kind !== 'webhooks') || isTerminal(d.entry.status),
    }));
  const deferrals = [...done, ...idle.map((d) => ({ ...d, markDispatched: false }))];
  // A deferral that fails leaves its entry due: the next run sees it again (its message may go twice, which SQS allows anyway).
  let failedDeferrals = 0;
  for (let i = 0; i < deferrals.length; i += DEFER_CONCURRENCY) {
    await Promise.all(
      deferrals.slice(i, i + DEFER_CONCURRENCY).map((d) =>
        ctx.jobs.deferSweep(d.entry, d.nextSweepAt, d.markDispatched).catch(() => {
          failedDeferrals++;
        }),
      ),
    );
  }
  if (failedDeferrals > 0) ctx.logger.warn('sweep deferrals failed; their entries stay due', { count: failedDeferrals });
}

/** The open-bucket scan, after the sweep (which must not wait for it), its sends made as the sweep's. */
async function recoverLostCreatesInto(ctx: ServiceContext, report: DispatchReport, deadline: number, settings: typeof DEFAULTS & DispatchOptions): Promise<void> {
  try {
    const recovery = await recoverLostCreates(ctx, {
      deadline,
      signal: settings.signal,
      maxPerShard: settings.maxPerShard,
      pageSize: settings.pageSize,
      dispatch: (entries, nowMs) => act(ctx, entries, nowMs, report),
    });
    report.lostCreatesRecovered += recovery.recovered;
    if (!recovery.complete) report.complete = false;
  } catch (error) {
    report.complete = false;
    ctx.logger.warn('open-bucket scan failed; tried again next run', { errorName: (error as Error)?.name });
  }
}

/** Jobs-DLQ messages: a job not finished gets its message back on the jobs queue. */
function drainJobDeadLetters(ctx: ServiceContext, report: DispatchReport, deadline: number, signal?: AbortSignal): Promise<void> {
  return drainDeadLetters(ctx.jobsDeadLetters, report, deadline, signal, async (body) => {
    const message = parseJobMessage(body);
    if (!message) return 'unreadable';
    const job = await ctx.jobs.get(message, { consistent: true, withPayload: false });
    if (!job || isTerminal(job.status)) return 'dropped';
    // Due now on the sweep index rather than sent: a send could be lost, and a running job has no entry of its own.
    await ctx.jobs.sweepNoLaterThan(message, ctx.now(), job.status);
    return 'requeued';
  });
}

/** Webhooks-DLQ messages: an event still pending gets its message back on the webhooks queue. */
function drainWebhookDeadLetters(ctx: ServiceContext, report: DispatchReport, deadline: number, signal?: AbortSignal): Promise<void> {
  return drainDeadLetters(ctx.webhooksDeadLetters, report, deadline, signal, async (body) => {
    const message = parseWebhookMessage(body);
    if (!message) return 'unreadable';
    const job = await ctx.jobs.get(message, { consistent: true, withPayload: false });
    const pending = job && pendingWebhook(job.webhook);
    // Only the pending event's message: a backlog event waits its turn (the end of the one before sends it).
    if (!pending || (message.eventId !== undefined && pending.event.id !== message.eventId)) return 'dropped';
    await ctx.jobs.sweepNoLaterThan(message, ctx.now());
    return 'requeued';
  });
}

type DeadLetterFate = 'requeued' | 'dropped' | 'unreadable';

/**
 * Reads up to DEAD_LETTERS_PER_RUN messages of one DLQ and deletes each whose
 * fate is decided (sent back, or no longer needed). A send or read that fails
 * leaves its message in the DLQ for the next run.
 */
async function drainDeadLetters(
  queue: DeadLetterQueue | undefined,
  report: DispatchReport,
  deadline: number,
  signal: AbortSignal | undefined,
  fateOf: (body: string) => Promise<DeadLetterFate>,
): Promise<void> {
  if (!queue) return;
  const unreadable: DeadLetter[] = [];
  try {
    for (let seen = 0; seen < DEAD_LETTERS_PER_RUN && Date.now() < deadline && !signal?.aborted; ) {
      const letters = await queue.receive(DEAD_LETTERS_PER_RUN - seen);
      if (letters.length === 0) return;
      seen += letters.length;
      await Promise.all(
        letters.map(async (letter: DeadLetter) => {
          const fate = await fateOf(letter.body);
          if (fate === 'unreadable') {
            unreadable.push(letter);
            report.deadLettersUnreadable++;
            return;
          }
          await queue.delete(letter);
          report[fate === 'requeued' ? 'deadLettersRequeued' : 'deadLettersDropped']++;
        }),
      );
    }
  } finally {
    // Visible again once this run is past them (not before: it would read them again and again).
    await Promise.allSettled(unreadable.map((letter) => queue.release(letter)));
  }
}

/** STALE_AFTER_SECONDS · 2^sweeps, the doubling stopped at MAX_SWEEP_DOUBLINGS. */
function backoffOf(ctx: ServiceContext, entry: SweepEntry): number {
  return ctx.config.staleAfterSeconds * 1000 * 2 ** Math.min(entry.sweepCount, MAX_SWEEP_DOUBLINGS);
}

/**
 * What to send for one entry: the job's own message, its pending webhook event,
 * or both (an earlier event still being delivered while the retry route has the
 * job running again); nothing when the job no longer needs either.
 */
function actionsFor(ctx: ServiceContext, entry: SweepEntry, nowMs: number): Action[] {
  const forJob = actionFor(ctx, entry, nowMs);
  // A waiting job not yet within the look-ahead still needs its entry back by then.
  const jobDueAt = !forJob && entry.nextRunAt ? Date.parse(entry.nextRunAt) - ctx.config.schedulerLookaheadSeconds * 1000 : Infinity;
  const alsoWebhook =
    !isTerminal(entry.status) && entry.webhookEventId
      ? ({
          kind: 'webhooks',
          entry,
          dispatch: { message: { tenantId: entry.tenantId, jobId: entry.jobId, eventId: entry.webhookEventId } },
          nextSweepAt: Math.min(nowMs + backoffOf(ctx, entry), jobDueAt),
        } as const)
      : undefined;
  return [forJob, alsoWebhook].filter((a): a is Action => a !== undefined);
}

/** What to send for the job's own state, or nothing. */
function actionFor(ctx: ServiceContext, entry: SweepEntry, nowMs: number): Action | undefined {
  const backoffMs = backoffOf(ctx, entry);
  const message = { tenantId: entry.tenantId, jobId: entry.jobId };
  switch (entry.status) {
    case 'queued':
    case 'retry': {
      const nextRunAt = entry.nextRunAt;
      if (!nextRunAt) return undefined;
      const runAtMs = Date.parse(nextRunAt);
      // Not within the look-ahead yet: only a pending webhook of an earlier run brought the entry here.
      if (runAtMs - nowMs > ctx.config.schedulerLookaheadSeconds * 1000) return undefined;
      return {
        // Before nextRunAt the entry stood for "send within the look-ahead"; after it, for "should have run".
        kind: entry.sweepAt <= runAtMs ? 'dispatched' : 'redispatched',
        entry,
        dispatch: { message, delaySeconds: Math.max(0, runAtMs - nowMs) / 1000 },
        nextSweepAt: Math.max(runAtMs, nowMs) + backoffMs,
      };
    }
    case 'running':
      return { kind: 'leaseTakeovers', entry, dispatch: { message }, nextSweepAt: nowMs + backoffMs };
    // A succeeded or fatal job's entry is for its webhook: the message names the event when the entry does
    // (items of earlier versions), else it asks for whichever is pending (JobStore.toItem).
    case 'succeeded':
    case 'fatal': {
      const eventId = entry.webhookEventId;
      return { kind: 'webhooks', entry, dispatch: { message: { ...message, ...(eventId ? { eventId } : {}) } }, nextSweepAt: nowMs + backoffMs };
    }
    // Canceled after a re-run: an earlier run's event may still be pending (its entry names it).
    case 'canceled': {
      const eventId = entry.webhookEventId;
      if (!eventId) return undefined;
      return { kind: 'webhooks', entry, dispatch: { message: { ...message, eventId } }, nextSweepAt: nowMs + backoffMs };
    }
    default:
      return undefined;
  }
}

/**
 * The scheduler Lambda's handler (EventBridge rule, every minute): one bounded run.
 * The open-bucket scan reads 16 shards per tenant, so a handler run more often
 * than STALE_AFTER_SECONDS / 10 apart (the local twin's fast schedulers; never
 * the one-minute rule with the default 120 s) scans in every run that is at least
 * that long after its last scan: a lost create then comes back within 1.1 ×
 * STALE_AFTER_SECONDS + one run, where the rule's runs keep STALE_AFTER_SECONDS + one run.
 */
export function createSchedulerHandler(ctx: ServiceContext, options: DispatchOptions = {}) {
  let lastScanAt: number | undefined;
  return async (_event?: unknown, context?: Pick<Context, 'getRemainingTimeInMillis'>): Promise<DispatchReport> => {
    // Leave time to finish the sends and deferrals of the last page before the Lambda's own timeout.
    const remaining = context ? context.getRemainingTimeInMillis() - 10_000 : Infinity;
    const budgetMs = Math.max(1000, Math.min(options.budgetMs ?? DEFAULTS.budgetMs, remaining));
    const nowMs = ctx.now();
    // A clock that went back (a test's) scans at once.
    const scanOpenBuckets = options.scanOpenBuckets !== false && (lastScanAt === undefined || nowMs < lastScanAt || nowMs - lastScanAt >= ctx.config.staleAfterSeconds * 100);
    if (scanOpenBuckets) lastScanAt = nowMs;
    return publishingMetrics(ctx.metrics, () => dispatchDueJobs(ctx, { ...options, budgetMs, scanOpenBuckets }));
  };
}
