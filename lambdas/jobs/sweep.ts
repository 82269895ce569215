/**
 * When a job next needs the scheduler's attention (SPEC §4, the sweep index).
 * A pure function of the job's state, so every transition that writes the job
 * also writes the right `sweepAt`.
 *
 * The rule it keeps: every waiting state is covered by a message in SQS, by an
 * entry here, or by the open-bucket scan (scheduler/recover-lost-creates.ts),
 * never none. The safety net has two halves:
 * - the open-bucket scan covers a **create whose message was handed to SQS**
 *   (`queued`, no attempt yet, due at its create: `nextRunAt` = `createdAt`, sent
 *   before the put, `sentFirst`, or put and then sent, `dispatched`). Such a job
 *   carries no entry: it sits in its tenant's open bucket of the status index
 *   from its create to its finish at no extra write, and the scheduler reads
 *   that bucket oldest first, STALE_AFTER_SECONDS behind the clock, and puts a
 *   job it finds still waiting there without an entry on this index, due now
 *   (SQS accepted its send and lost it, or the api died between its put and its
 *   send). So it comes back within STALE_AFTER_SECONDS + one scheduler run, as
 *   an entry would bring it back.
 * - everything else waiting keeps an entry: the scan passes a job once, at its
 *   `createdAt`, and cannot tell a job waiting for a later time from a lost one.
 *   - `queued|retry` whose message was handed to SQS but that is not a create due
 *     at once (a delay, a worker's retry, the retry route's re-run, a shutdown's
 *     hand-back: their `createdAt` is behind the scan, or their due time ahead of
 *     it): `nextRunAt + STALE_AFTER_SECONDS`, in case the message is lost (SPEC
 *     §4: the fault suite's `sqs.send.drop` has SQS accept a send and discard
 *     it). Not sent (far ahead, or the send failed): `nextRunAt − look-ahead`,
 *     when the scheduler sends it.
 *   - a busy duplicate, a dead letter: an entry put by the store
 *     (`sweepNoLaterThan`), whatever the state says.
 * - `running`: no entry. The claiming message is deleted only once the outcome is
 *   written; a worker that dies leaves it to come back after the jobs queue's
 *   visibility timeout (or from the DLQ, which the scheduler drains).
 * - finished with a pending webhook event: its next try (or, handed to the
 *   webhooks queue already, that try + STALE_AFTER_SECONDS).
 * - an earlier run's event still pending while the job runs again: as above.
 */
import { pendingWebhook, type Job } from './job';
import { SWEEP_SHARDS } from '../resources';

export interface SweepSettings {
  /** Jobs due within this many ms are sent to SQS now (with a delay). */
  readonly lookaheadMs: number;
  /** A waiting job whose message should have run by now is re-dispatched after this long. */
  readonly staleAfterMs: number;
}

/** Epoch ms at which the scheduler should look at this job, or null (not on the index). */
export function sweepAtOf(job: Job, settings: SweepSettings): number | null {
  const pendingEvent = pendingWebhook(job.webhook)?.event ?? null;
  const nextTry = pendingEvent ? (pendingEvent.nextAttemptAt ?? Date.parse(job.updatedAt)) : null;
  // A try in flight records what comes next itself; if it dies, its lease's end is when the event needs taking over.
  const leaseEnd = pendingEvent?.deliveryLease?.untilMs ?? null;
  switch (job.status) {
    case 'queued':
    case 'retry': {
      const webhook = webhookWhileRunning(nextTry, leaseEnd, settings);
      const runAt = Date.parse(job.nextRunAt ?? job.updatedAt);
      const handedToSqs = job.dispatched || job.sentFirst === true;
      if (handedToSqs && webhook === null && isCoveredByOpenScan(job)) return null;
      // A message sent first is as lost as one sent after when SQS drops it: both keep the entry.
      return earliest(handedToSqs ? runAt + settings.staleAfterMs : runAt - settings.lookaheadMs, webhook);
    }
    case 'running':
      return webhookWhileRunning(nextTry, leaseEnd, settings);
    default: {
      if (nextTry === null) return null;
      // An event already handed to the webhooks queue is looked at again only if its delivery stalls.
      const stalled = job.dispatched ? nextTry + settings.staleAfterMs : nextTry;
      // A try in flight that dies is seen once its lease has ended. Within the stall time already (a
      // first try, as a rule), the entry stays where it is: the lease's write moves nothing on the index.
      return leaseEnd === null ? stalled : job.dispatched ? Math.max(leaseEnd, stalled) : leaseEnd;
    }
  }
}

/**
 * A create due at once that no attempt has claimed yet: the open-bucket scan
 * finds it at its `createdAt` (scheduler/recover-lost-creates.ts). Due at create
 * exactly: a submission without a delay is due at the instant it was prepared
 * (prepare-job.ts), and anything later (a delay, the retry route's re-run, a
 * hand-back) keeps an entry.
 */
export function isCoveredByOpenScan(job: Pick<Job, 'status' | 'attempts' | 'nextRunAt' | 'createdAt'>): boolean {
  return job.status === 'queued' && job.attempts === 0 && job.nextRunAt !== null && Date.parse(job.nextRunAt) <= Date.parse(job.createdAt);
}

/**
 * An earlier event still being delivered while the job runs again (retry route):
 * its tries went to SQS or wait here; looked at once they should have happened
 * (for a try in flight: once its lease has ended).
 */
function webhookWhileRunning(nextTry: number | null, leaseEnd: number | null, settings: SweepSettings): number | null {
  if (nextTry === null) return null;
  return leaseEnd ?? nextTry + settings.staleAfterMs;
}

function earliest(a: number, b: number | null): number {
  return b === null ? a : Math.min(a, b);
}

/** Spreads the sweep index over a few partitions: a stable shard per job. */
export function sweepShardOf(jobId: string): number {
  let h = 0;
  for (let i = 0; i < jobId.length; i++) h = (h * 31 + jobId.charCodeAt(i)) >>> 0;
  return h % SWEEP_SHARDS;
}

/** Whether a job due at `runAtMs` is close enough to hand to SQS now. */
export function isDueForDispatch(runAtMs: number, nowMs: number, lookaheadMs: number): boolean {
  return runAtMs - nowMs <= lookaheadMs;
}
