/**
 * The worker: runs jobs handed to it by SQS (SPEC §4).
 *
 * Per message: claim the job with a conditional write (`queued|retry → running`,
 * attempts + 1, a lease; one UpdateItem without a read when the message says how
 * many attempts the job had), run its type's handler under a deadline, then
 * finish the attempt with a write fenced by the attempt number. Everything a
 * duplicate, late or stale message could do wrong is decided by those two writes:
 * it finds the job running (busy), finished, canceled or gone, and does nothing.
 *
 * A message is deleted only once the state it leads to is written, and never
 * while it may be the only thing that brings its job back (SPEC §4, nothing is
 * stranded): the claiming message stays in flight until the outcome is written
 * (a dead worker's job comes back with it, after the visibility timeout); a
 * message that finds no job while young (the api sends before it puts) is sent
 * again, delayed; one that finds the job busy puts it on the sweep index at the
 * lease's end (a send could be lost, an entry cannot); a retry's message is sent
 * before the retry is written.
 *
 * Batches go through Powertools' BatchProcessor: records run concurrently and a
 * record that throws is reported in `batchItemFailures`, so SQS redelivers only
 * it (and moves it to the DLQ after `maxReceiveCount`).
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { JobTypes } from '../job-types/registry';
import { pendingWebhook, type Job } from '../jobs/job';
import {
  claim,
  finishAttempt,
  inPlaceClaim,
  LEASE_MARGIN_MS,
  releaseAttempt,
  type AttemptOutcome,
  type ClaimResult,
  type FinishResult,
  type Timing,
} from '../jobs/transitions';
import { countJobs, publishingMetrics, recordDuration, recordSeconds, withKeys } from '../observability';
import { parseJobMessage, type JobMessage } from '../queue/job-queue';
import { API_TIMEOUT_SECONDS } from '../resources';
import type { ServiceContext } from '../service-context';
import { runAttempt, type Interrupted } from './run-attempt';
import { TenantProfiles, type TenantProfile } from '../store/tenant-profiles';

export interface WorkerOptions {
  /** Finds a job type by name. @default the context's (lambdas/job-types/registry.ts, built with its senders) */
  readonly jobTypes?: JobTypes;
  /** Draws the backoff's jitter, in [0, 1). @default Math.random */
  readonly random?: () => number;
  /** Aborted when the process shuts down: running attempts stop and their jobs are handed back. */
  readonly stop?: AbortSignal;
}

/** How one message ended; the handler deletes the message for all of them (a thrown error keeps it). */
export type MessageOutcome =
  /** No such job (deleted, expired, never existed). */
  | 'missing'
  /** No job yet for a create message younger than CREATE_WINDOW_MS: sent again, delayed, as its put may still land. */
  | 'awaiting-create'
  /** Terminal or canceled: nothing runs. */
  | 'finished'
  /** Running under another delivery's live lease: put on the sweep index at the lease's end (it may be the job's only message). */
  | 'busy'
  /** Early: sent again with a delay, or left to the sweep index when far off. */
  | 'not-due'
  /** The expired lease was the last attempt: the job is now fatal. */
  | 'lease-expired-fatal'
  /** The attempt ran and its outcome was written. */
  | 'succeeded'
  | 'retry'
  | 'fatal'
  /** The attempt ran but the job had moved on (its lease expired and it was taken over): outcome discarded. */
  | 'lost'
  /** Shutdown stopped the attempt; the job waits again, the attempt uncounted. */
  | 'released';

/**
 * How long after its send a create message may arrive before its job's put
 * lands: the api function's timeout (its put cannot land after it) and a margin.
 * An older message that finds no job is an orphan of a create that failed (503).
 */
export const CREATE_WINDOW_MS = (API_TIMEOUT_SECONDS + 5) * 1000;
/** Delay of a create message sent again because its put has not landed yet. */
const AWAIT_CREATE_DELAY_SECONDS = 2;
/** A busy job is looked at again this long after its lease's end. */
const BUSY_MARGIN_MS = 1000;

export class UnparseableMessageError extends Error {
  override name = 'UnparseableMessageError';
}

export type WorkerHandler = (event: SQSEvent, context?: Context) => Promise<SQSBatchResponse>;

export class JobWorker {
  private readonly tenantProfiles: TenantProfiles;
  private readonly jobTypes: JobTypes;
  private readonly random: () => number;
  private readonly stop: AbortSignal | undefined;

  constructor(
    private readonly ctx: ServiceContext,
    options: WorkerOptions = {},
  ) {
    this.tenantProfiles = new TenantProfiles(ctx.tenants);
    this.jobTypes = options.jobTypes ?? ctx.jobTypes;
    this.random = options.random ?? Math.random;
    this.stop = options.stop;
  }

  private get jobTimeoutMs(): number {
    return this.ctx.config.jobTimeoutSeconds * 1000;
  }

  private get lookaheadMs(): number {
    return this.ctx.config.schedulerLookaheadSeconds * 1000;
  }

  private timing(): Timing {
    return { nowMs: this.ctx.now(), retentionDays: this.ctx.config.retentionDays };
  }

  /**
   * Handles one jobs-queue message body. Resolves when the message may be
   * deleted; throws when SQS should deliver it again (unparseable, or a store
   * or queue failure before anything was decided).
   *
   * @param remainingMs time the invocation has left, which bounds the attempt
   */
  async processMessage(body: string, remainingMs?: number): Promise<MessageOutcome> {
    const message = parseJobMessage(body);
    if (!message) {
      this.ctx.logger.warn('unparseable jobs message: left to SQS redrive (DLQ after maxReceiveCount)');
      throw new UnparseableMessageError('not a jobs-queue message');
    }
    // Read before the claim: a failure here leaves the job untouched and the message for another try.
    const tenant = await this.tenantProfiles.of(message.tenantId);

    const { claimed, dueMs } = await this.claim(message);

    switch (claimed.outcome) {
      case 'missing':
        if (message.sentAt !== undefined && this.ctx.now() - message.sentAt < CREATE_WINDOW_MS) {
          // The api sends before it puts: this put may not have landed yet. A failed send throws, keeping this message.
          await this.ctx.jobsQueue.send({ message, delaySeconds: AWAIT_CREATE_DELAY_SECONDS });
          return 'awaiting-create';
        }
        this.ctx.logger.debug('nothing to run', { jobId: message.jobId, tenantId: message.tenantId, outcome: claimed.outcome });
        return claimed.outcome;
      case 'busy':
        // It may be the job's only message (this very one, delivered again while the lease still held): the job goes
        // on the sweep index at the lease's end, so the scheduler sends it then. A failed write throws, keeping this message.
        await this.ctx.jobs.sweepNoLaterThan(message, claimed.leaseUntilMs + BUSY_MARGIN_MS, 'running');
        this.ctx.logger.debug('nothing to run', { jobId: message.jobId, tenantId: message.tenantId, outcome: claimed.outcome });
        return 'busy';
      case 'finished':
        this.ctx.logger.debug('nothing to run', { jobId: message.jobId, tenantId: message.tenantId, outcome: claimed.outcome });
        return claimed.outcome;
      case 'not-due':
        await this.notDue(message, claimed.dueInMs);
        return 'not-due';
      case 'lease-expired-fatal': {
        const job = claimed.job;
        this.ctx.logger.warn('lease expired on the last attempt: job is fatal', { ...this.keysOf(job), attempt: job.attempts });
        countJobs(this.ctx.metrics, 'JobsFatal', job.type);
        await this.enqueueWebhook(job);
        return 'lease-expired-fatal';
      }
      case 'claimed':
        // The one-write claim returns the job item alone: a large payload is read from its own item.
        return this.runClaimed(await this.ctx.jobs.loadPayload(claimed.job), dueMs, tenant, remainingMs, claimed.lostAttempt);
    }
  }

  /**
   * The claim. A message that says how many attempts its job had tries the one
   * conditional update (no read); when that does not apply (another count, a
   * lease to take over, not due, …) the job it found is decided on and written
   * against its version, and only a lost race goes round the store's
   * read-decide-write loop. `dueMs`: when the job became due, for the queue wait.
   */
  private async claim(message: JobMessage): Promise<{ claimed: ClaimResult; dueMs?: number }> {
    const leaseMs = this.jobTimeoutMs + LEASE_MARGIN_MS;
    const dueOf = (job: Job | undefined) => job && Math.max(Date.parse(job.createdAt), Date.parse(job.nextRunAt ?? job.createdAt));
    if (message.attempts !== undefined) {
      const inPlace = await this.ctx.jobs.claimInPlace(message, inPlaceClaim(message.attempts, leaseMs, this.timing()));
      if (inPlace.claimed) {
        const dueMs = Math.max(Date.parse(inPlace.claimed.createdAt), message.dueAt ?? 0);
        return { claimed: { outcome: 'claimed', job: inPlace.claimed }, dueMs };
      }
      const decision = claim(inPlace.current, leaseMs, this.timing());
      if (!('write' in decision)) return { claimed: decision.result };
      if (await this.ctx.jobs.replace(decision.write, inPlace.current!.version)) return { claimed: decision.result, dueMs: dueOf(inPlace.current) };
    }
    let before: Job | undefined;
    const claimed = await this.ctx.jobs.transition(message, (job) => {
      before = job;
      return claim(job, leaseMs, this.timing());
    });
    return { claimed, dueMs: dueOf(before) };
  }

  private async runClaimed(
    job: Job,
    dueMs: number | undefined,
    tenant: TenantProfile,
    remainingMs: number | undefined,
    lostAttempt: number | undefined,
  ): Promise<MessageOutcome> {
    const attempt = job.attempts;
    const logger = withKeys(this.ctx.logger, { ...this.keysOf(job), attempt });
    if (lostAttempt !== undefined) logger.warn('took over a job whose lease expired', { lostAttempt });
    if (attempt === 1 && dueMs !== undefined) {
      recordSeconds(this.ctx.metrics, 'QueueWaitSeconds', Math.max(0, this.ctx.now() - dueMs) / 1000, { tenantTier: tenant.tier });
    }

    const timeoutMs = Math.max(1, Math.min(this.jobTimeoutMs, (remainingMs ?? Infinity) - LEASE_MARGIN_MS));
    const startedAt = Date.now();
    const jobType = this.jobTypes(job.type);
    const outcome: AttemptOutcome | Interrupted = jobType
      ? await runAttempt(
          jobType,
          job.payload,
          {
            jobId: job.jobId,
            tenantId: job.tenantId,
            attempt,
            signingSecrets: tenant.secrets,
            allowPrivateTargets: this.ctx.config.allowPrivateTargets,
            logger,
          },
          { timeoutMs, backoff: this.backoffPolicy(), random: this.random, stop: this.stop },
        )
      : { kind: 'fatal', error: `unknown job type "${job.type}"` };
    const durationMs = Date.now() - startedAt;
    if (outcome.kind === 'interrupted') return this.release(job, attempt, logger);
    recordDuration(this.ctx.metrics, 'AttemptDuration', job.type, durationMs);

    const finished = await this.finish(job, attempt, outcome);
    // The error text stays on the attempt record (GET …/attempts): it may quote recipients from SES or SNS.
    const summary = { outcome: finished.outcome, durationMs, ...(outcome.kind === 'retryable' ? { retryInMs: outcome.delayMs } : {}) };
    switch (finished.outcome) {
      case 'lost':
        logger.warn('attempt outcome discarded: the job was taken over after its lease expired', summary);
        return 'lost';
      case 'succeeded':
      case 'fatal':
        logger.info('attempt finished', summary);
        countJobs(this.ctx.metrics, finished.outcome === 'succeeded' ? 'JobsSucceeded' : 'JobsFatal', job.type);
        await this.enqueueWebhook(finished.job);
        return finished.outcome;
      case 'retry':
        logger.info('attempt failed; will retry', summary);
        countJobs(this.ctx.metrics, 'JobsRetried', job.type);
        return 'retry';
    }
  }

  /**
   * Ends the attempt, fenced by its number. `claimed` is the job as the claim
   * wrote it (the store stamped its new version on it), so the first try writes
   * against it without reading the job again; only when someone else wrote in
   * between (a takeover after the lease ran out) is the job read and decided again.
   * A retry due within the look-ahead has its delayed message sent first, so the
   * retry state needs no sweep entry (if that send fails, it gets one).
   */
  private async finish(claimed: Job, attempt: number, outcome: AttemptOutcome): Promise<FinishResult> {
    const t = this.timing();
    const first = finishAttempt(claimed, attempt, outcome, this.lookaheadMs, t);
    const retrying = 'write' in first && first.result.outcome === 'retry' && first.write.dispatched ? first.write : undefined;
    const sent = retrying ? await this.sendRetryFirst(retrying) : undefined;
    const decision = sent === undefined ? first : finishAttempt(claimed, attempt, outcome, this.lookaheadMs, t, sent);
    if ('write' in decision && (await this.ctx.jobs.replace(decision.write, claimed.version))) return decision.result;
    return this.ctx.jobs.transition(claimed, (current) => finishAttempt(current, attempt, outcome, this.lookaheadMs, this.timing(), sent), {
      withPayload: false,
    });
  }

  /**
   * Shutdown stopped the attempt: hand the job back uncounted, due now, with a
   * fresh message (if the send fails, the sweep index dispatches it).
   */
  private async release(job: Job, attempt: number, logger: ServiceContext['logger']): Promise<MessageOutcome> {
    // Sent before the write, so the waiting state needs no sweep entry; if the job has moved on, the message finds that out.
    let sent = true;
    try {
      await this.ctx.jobsQueue.send({ message: { tenantId: job.tenantId, jobId: job.jobId, attempts: attempt - 1 } });
    } catch (error) {
      sent = false;
      logger.warn('release enqueue failed; the sweep index will dispatch it', { error: (error as Error).message });
    }
    const { released } = await this.ctx.jobs.transition(job, (current) => releaseAttempt(current, attempt, this.timing(), sent), { withPayload: false });
    if (!released) return 'lost';
    logger.info('attempt interrupted by shutdown; job handed back');
    return 'released';
  }

  private backoffPolicy() {
    return { baseMs: this.ctx.config.backoffBaseSeconds * 1000, maxMs: this.ctx.config.backoffMaxSeconds * 1000 };
  }

  /**
   * A message ahead of its job's time (clock skew, a duplicate of a retry's
   * message). Soon: sent again with the remaining delay. Far off: dropped, as
   * the sweep index dispatches the job when it comes within the look-ahead.
   */
  private async notDue(message: JobMessage, dueInMs: number): Promise<void> {
    if (dueInMs > this.lookaheadMs) return;
    await this.ctx.jobsQueue.send({ message, delaySeconds: dueInMs / 1000 });
  }

  /** The retry's message, delayed to `nextRunAt`, sent before the retry is written. False: it failed, and the retry goes on the sweep index. */
  private async sendRetryFirst(job: Job): Promise<boolean> {
    const delaySeconds = Math.max(0, Date.parse(job.nextRunAt!) - this.ctx.now()) / 1000;
    try {
      await this.ctx.jobsQueue.send({ message: { tenantId: job.tenantId, jobId: job.jobId, attempts: job.attempts }, delaySeconds });
      return true;
    } catch (error) {
      this.ctx.logger.warn('retry enqueue failed; the sweep index will dispatch it', { ...this.keysOf(job), error: (error as Error).message });
      return false;
    }
  }

  /** Hands a new terminal event to the webhooks queue. If this send fails the sweep index sends it. */
  private async enqueueWebhook(job: Job): Promise<void> {
    const pending = pendingWebhook(job.webhook);
    if (!pending) return;
    try {
      await this.ctx.webhooksQueue.send({ message: { tenantId: job.tenantId, jobId: job.jobId, eventId: pending.event.id } });
    } catch (error) {
      this.ctx.logger.warn('webhook enqueue failed; the sweep index will dispatch it', {
        ...this.keysOf(job),
        error: (error as Error).message,
      });
    }
  }

  private keysOf(job: Job) {
    return { jobId: job.jobId, tenantId: job.tenantId, type: job.type };
  }
}

/** The worker Lambda's handler: one SQS batch in, `batchItemFailures` out. */
export function createWorkerHandler(ctx: ServiceContext, options: WorkerOptions = {}): WorkerHandler {
  const worker = new JobWorker(ctx, options);
  return async (event, context) => {
    // A processor per invocation: it holds the batch's state, and the local twin runs several batches at once.
    const processor = new BatchProcessor(EventType.SQS);
    const recordHandler = (record: SQSRecord) => worker.processMessage(record.body, context?.getRemainingTimeInMillis());
    return publishingMetrics(ctx.metrics, () =>
      processPartialResponse(event, recordHandler, processor, {
        ...(context ? { context } : {}),
        processInParallel: true,
        // Report every failure per record, even when all failed: the outcome is the same, the report exact.
        throwOnFullBatchFailure: false,
      }),
    );
  };
}

/** One message, outside a batch (tests, tools). */
export function processJobMessage(ctx: ServiceContext, body: string, options: WorkerOptions = {}): Promise<MessageOutcome> {
  return new JobWorker(ctx, options).processMessage(body);
}
