/**
 * The other half of the safety net (SPEC §4, nothing is stranded): creates whose
 * message was lost. A create due at once whose message was handed to SQS
 * carries no sweep entry (jobs/sweep.ts): SQS holds its message. If SQS accepted
 * the send and lost it, or the api died between a keyed put and its send, the
 * job would wait forever; but every job sits in its tenant's open bucket of the
 * status index (queued, running, retry; `gsi1sk = createdAt#jobId`) from its
 * create until it finishes, at no extra write. So each scheduler run reads,
 * for every tenant and every open-bucket shard, the jobs created since the
 * tenant's mark up to `now − STALE_AFTER_SECONDS`, oldest first, and reads them
 * through. One still `queued` with no attempt and no sweep entry should have
 * been claimed long ago: it is put on the sweep index due now (a conditional
 * update, so a job that moved on meanwhile is left alone) and sent at once, as
 * the sweep re-dispatches (backoff, then the regular sweep). Anything else
 * found (running, retry, finished meanwhile, with an entry) is covered already.
 * A lost create comes back within STALE_AFTER_SECONDS + one scheduler run (a
 * scheduler run more often than STALE_AFTER_SECONDS / 10 scans less often than
 * it sweeps, see `createSchedulerHandler`: within 1.1 × STALE_AFTER_SECONDS + one run).
 *
 * The marks (JobStore.openScanMarks): per tenant one item with, per shard, the
 * instant before which every job was looked at. A shard's mark moves up to what
 * was read, never past `now − CREATE_VISIBLE_WITHIN_SECONDS` (a create's put
 * lands within the api's timeout, so nothing can appear below the mark later).
 * Read to the end, a shard's mark moves to the top of its window; cut short (the
 * run's budget), to the `createdAt` of the last job looked at, so a run always
 * gains ground, and the next one reads the rest (a job looked at twice is
 * harmless: the conditional update makes a repeat a no-op). The marks are
 * written only when they move past a job the run looked at: an empty stretch
 * costs the same to read again (a Query is billed half a unit at least), and a
 * job above the marks is read again anyway, so an idle tenant costs no write. A tenant without marks yet (a fresh deploy) is read from the
 * start of its open bucket; the jobs created before the upgrade carry the
 * entries their version gave them, and are passed over.
 *
 * Cost per run: per tenant 16 Queries (half a read unit each when nothing is
 * found), one BatchGetItem per page found, at most one write; plus one Query
 * each of the tenants and of the marks.
 */
import { CREATE_VISIBLE_WITHIN_SECONDS, STATUS_INDEX_SHARDS } from '../resources';
import type { ServiceContext } from '../service-context';
import type { OpenJob, SweepEntry } from '../store/job-store';

export interface RecoverLostCreatesOptions {
  /** Stop starting new pages at this instant (real time, `Date.now()`). */
  readonly deadline: number;
  /** Ends the run early, after the page in hand. */
  readonly signal?: AbortSignal;
  /** Open-bucket entries read per Query. @default 100 (a BatchGetItem's most) */
  readonly pageSize?: number;
  /** Entries looked at per tenant and shard per run (the rest next run). @default 500 */
  readonly maxPerShard?: number;
  /**
   * Sends the messages of the jobs just put on the sweep index and pushes their
   * entries out (the sweep's own handling of due entries). A failed send leaves
   * an entry due, which the next run's sweep sends.
   */
  readonly dispatch: (entries: SweepEntry[], nowMs: number) => Promise<void>;
}

export interface RecoverLostCreatesReport {
  /** Creates found waiting for a first attempt with neither message nor entry: put on the sweep index and sent. */
  recovered: number;
  /** Open-bucket jobs looked at. */
  examined: number;
  /** False when the budget (or a failure) left a stretch unread; the next run reads it. */
  complete: boolean;
}

const DEFAULT_PAGE_SIZE = 100;
const DEFAULT_MAX_PER_SHARD = 500;
/** Tenants read at once (each reads its 16 shards at once). */
const TENANT_CONCURRENCY = 8;

/** A job the scan finds that is covered by nothing: waiting for its first attempt, off the sweep index. */
export function isLostCreate(job: OpenJob): boolean {
  return job.status === 'queued' && job.attempts === 0 && !job.onSweepIndex;
}

export async function recoverLostCreates(ctx: ServiceContext, options: RecoverLostCreatesOptions): Promise<RecoverLostCreatesReport> {
  const report: RecoverLostCreatesReport = { recovered: 0, examined: 0, complete: true };
  const nowMs = ctx.now();
  const window = {
    toMs: nowMs - ctx.config.staleAfterSeconds * 1000,
    // Marks stay at or below this line: every job created before it is on the index.
    settledBefore: nowMs - Math.max(ctx.config.staleAfterSeconds, CREATE_VISIBLE_WITHIN_SECONDS) * 1000 + 1,
  };
  const [tenants, marks] = await Promise.all([ctx.tenants.listTenants(), ctx.jobs.openScanMarks()]);
  const queue = tenants.map((t) => t.tenantId);
  const workers = Array.from({ length: Math.min(TENANT_CONCURRENCY, queue.length) }, async () => {
    for (let tenantId = queue.shift(); tenantId !== undefined; tenantId = queue.shift()) {
      await scanTenant(ctx, tenantId, marks.get(tenantId), window, nowMs, options, report);
    }
  });
  await Promise.all(workers);
  return report;
}

async function scanTenant(
  ctx: ServiceContext,
  tenantId: string,
  marks: readonly number[] | undefined,
  window: { toMs: number; settledBefore: number },
  nowMs: number,
  options: RecoverLostCreatesOptions,
  report: RecoverLostCreatesReport,
): Promise<void> {
  let passed = 0;
  const before = Array.from({ length: STATUS_INDEX_SHARDS }, (_, shard) => marks?.[shard] ?? 0);
  const after = await Promise.all(
    before.map(async (mark, shard) => {
      try {
        const { mark: next, examined, complete } = await scanShard(ctx, tenantId, shard, mark, window, nowMs, options, report);
        report.examined += examined.length;
        passed += examined.filter((createdAtMs) => createdAtMs < next).length;
        if (!complete) report.complete = false;
        return next;
      } catch (error) {
        report.complete = false;
        ctx.logger.warn('open-bucket scan failed; read again next run', { tenantId, shard, errorName: (error as Error)?.name });
        return mark;
      }
    }),
  );
  // No job looked at falls below the new marks: reading the same stretch again costs what reading it once did.
  if (passed === 0 || after.every((mark, shard) => mark === before[shard])) return;
  try {
    await ctx.jobs.saveOpenScanMarks(tenantId, after);
  } catch (error) {
    // The old marks stand: the next run reads this stretch again.
    report.complete = false;
    ctx.logger.warn('open-bucket scan marks not saved; read again next run', { tenantId, errorName: (error as Error)?.name });
  }
}

/** Reads one shard from `mark` to the window's top (or the deadline); returns its new mark, and the `createdAt` of each job looked at. */
async function scanShard(
  ctx: ServiceContext,
  tenantId: string,
  shard: number,
  mark: number,
  window: { toMs: number; settledBefore: number },
  nowMs: number,
  options: RecoverLostCreatesOptions,
  report: RecoverLostCreatesReport,
): Promise<{ mark: number; examined: number[]; complete: boolean }> {
  if (mark > window.toMs) return { mark, examined: [], complete: true };
  let startKey: Record<string, unknown> | undefined;
  const examined: number[] = [];
  let next = mark;
  for (;;) {
    const left = (options.maxPerShard ?? DEFAULT_MAX_PER_SHARD) - examined.length;
    if (options.signal?.aborted || Date.now() >= options.deadline || left <= 0) return { mark: next, examined, complete: false };
    const limit = Math.min(options.pageSize ?? DEFAULT_PAGE_SIZE, left);
    const page = await ctx.jobs.openJobsCreatedBetween({ tenantId, shard, fromMs: mark, toMs: window.toMs, limit, startKey });
    const lost = page.entries.flatMap((entry) => (entry.job && isLostCreate(entry.job) ? [entry.job] : []));
    const swept = await Promise.all(lost.map(async (job) => ((await ctx.jobs.sweepLostCreate(job, nowMs)) ? job : undefined)));
    const recovered = swept.filter((job): job is OpenJob => job !== undefined);
    if (recovered.length > 0) {
      report.recovered += recovered.length;
      ctx.logger.warn('create found with no message: sent again', { tenantId, jobIds: recovered.map((job) => job.jobId) });
      // On the sweep index already: a send that fails here is the next run's sweep's to make.
      await options.dispatch(recovered.map((job) => entryOf(job, nowMs)), nowMs).catch((error: unknown) => {
        ctx.logger.warn('lost creates not sent; the sweep sends them next run', { count: recovered.length, errorName: (error as Error)?.name });
      });
    }
    examined.push(...page.entries.map((entry) => entry.createdAtMs));
    startKey = page.startKey;
    if (!startKey) return { mark: Math.max(mark, Math.min(window.toMs + 1, window.settledBefore)), examined, complete: true };
    // Every job created before the last one looked at has been looked at (its own millisecond may hold more).
    const last = page.entries[page.entries.length - 1];
    if (last) next = Math.max(mark, Math.min(last.createdAtMs, window.settledBefore));
  }
}

/** The sweep entry `sweepLostCreate` just gave the job (due now, never swept). */
function entryOf(job: OpenJob, nowMs: number): SweepEntry {
  return { tenantId: job.tenantId, jobId: job.jobId, status: 'queued', sweepAt: nowMs, sweepCount: 0, nextRunAt: job.nextRunAt, webhookEventId: null };
}
