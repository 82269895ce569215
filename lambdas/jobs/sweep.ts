/**
 * When a job next needs the scheduler's attention (SPEC §4, the sweep index).
 * A pure function of the job's state, so every transition that writes the job
 * also writes the right `sweepAt`.
 *
 * The rule it keeps: every waiting state is covered by a message in SQS or by an
 * entry here, never neither.
 * - `queued|retry` whose message was handed to SQS, before the write (`sentFirst`)
 *   or after it (`dispatched`): `nextRunAt + STALE_AFTER_SECONDS`, in case the
 *   message is lost (SPEC §4: the fault suite's `sqs.send.drop` has SQS accept a
 *   send and discard it; without this entry such a job would wait forever). Not
 *   sent (far ahead, or the send failed): `nextRunAt − look-ahead`, when the
 *   scheduler sends it.
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
      // A message sent first is as lost as one sent after when SQS drops it: both keep the entry.
      const handedToSqs = job.dispatched || job.sentFirst === true;
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
