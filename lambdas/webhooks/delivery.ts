/**
 * The webhook Lambda's work (SPEC §6): one webhooks-queue message → at most one
 * signed POST of the job's pending webhook event → its outcome recorded on the job.
 *
 * A message is only a pointer (`{tenantId, jobId, eventId}`); the job item holds
 * the event (id, body, next try) and its delivery state, so duplicate, stale and
 * early messages are recognised and dropped (webhook-transitions.ts). Each try:
 * - takes the event's delivery lease with one conditional write, so a second copy
 *   of the message (the queue's re-send and the scheduler's re-dispatch can both
 *   arrive) stands back instead of POSTing the event at the same time;
 * - signs the event's fixed body with every current secret of the tenant
 *   (two during a rotation), `webhook-timestamp` in real time whatever clock the
 *   rest of the service reads (receivers reject skew);
 * - POSTs through the SSRF guard: the URL is checked again, resolved, every
 *   address checked, the connection pinned to the checked address, no redirects,
 *   the `WEBHOOK_TIMEOUT_SECONDS` deadline (pinned-request.ts);
 * - records the outcome with a conditional write fenced by the lease, clearing
 *   it; a retry due within SQS's 15 minutes is re-sent with a delay, a later one
 *   waits on the sweep index for the scheduler.
 *
 * Store cost of a try: one consistent read and two writes (lease, outcome); a
 * copy that stands back costs the read only.
 *
 * Logs name the job, tenant, event, try and status code; never the body, the
 * URL (its query string may hold a receiver's token) or a secret.
 */
import { randomUUID } from 'node:crypto';
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { webhookEventOf, type Job, type WebhookEvent } from '../jobs/job';
import { LEASE_MARGIN_MS, webhookBodyOf, type Decision } from '../jobs/transitions';
import { countJobs, publishingMetrics } from '../observability';
import { TenantProfiles } from '../store/tenant-profiles';
import { parseWebhookMessage, type WebhookMessage } from '../queue/job-queue';
import { MAX_SQS_DELAY_SECONDS } from '../resources';
import type { ServiceContext } from '../service-context';
import { OutboundError } from '../outbound/errors';
import { sendPinnedRequest } from '../outbound/pinned-request';
import { signWebhook } from '../outbound/signer';
import type { Resolver } from '../outbound/url-guard';
import type { JobKey } from '../store/job-store';
import { firstTry, leaseDelivery, LOST_TRY_ERROR, outcomeOfStatus, recordTry, type SkipReason, type TryFence, type TryOutcome } from './webhook-transitions';

/** The try about to be made: the job and event as it holds them, its number, how its outcome is fenced. */
interface Attempt {
  readonly job: Job;
  readonly url: string;
  readonly event: WebhookEvent;
  readonly number: number;
  readonly fence: TryFence;
}

export const USER_AGENT = 'JobsService-Webhooks/1';
/** The receiver's answer is not used; reading a little of it lets the connection end cleanly. */
const MAX_RESPONSE_BYTES = 1024;

export interface WebhookHandlerOptions {
  /** DNS for the delivery-time URL check; tests pass their own. @default the system resolver */
  readonly resolver?: Resolver;
  /**
   * How long a tenant's signing secrets stay cached in this container. Harmless
   * to rotation: while one is in progress both secrets sign, so a receiver
   * holding either accepts a list cached just before or after. @default 60 s
   */
  readonly secretsTtlMs?: number;
}

export type SqsBatchHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

/** What handling one message came to. */
export type DeliveryReport =
  | { outcome: 'skipped'; reason: SkipReason }
  | { outcome: 'delivered' | 'retry' | 'failed' | 'stale'; attempt: number; statusCode: number | null };

/** A webhooks-queue message that is not one this service sends: it goes to the DLQ after its receives. */
export class MalformedWebhookMessageError extends Error {
  override name = 'MalformedWebhookMessageError';
}

export class WebhookDeliverer {
  private readonly tenantProfiles: TenantProfiles;

  constructor(
    private readonly ctx: ServiceContext,
    private readonly options: WebhookHandlerOptions = {},
  ) {
    this.tenantProfiles = new TenantProfiles(ctx.tenants, options.secretsTtlMs);
  }

  /**
   * Handles one message. Throws only when the message is malformed or the store
   * fails; SQS then brings the message back (and finally to the DLQ).
   */
  async deliver(message: WebhookMessage, receiveCount = 1): Promise<DeliveryReport> {
    const { ctx } = this;
    const key = { tenantId: message.tenantId, jobId: message.jobId };
    const timing = () => ({ nowMs: ctx.now(), retentionDays: ctx.config.retentionDays });
    const retrySchedule = ctx.config.webhookRetrySchedule;
    const read = await ctx.jobs.get(key, { consistent: true, withPayload: false });
    const logKeys = { tenantId: message.tenantId, jobId: message.jobId, eventId: message.eventId ?? (read && webhookEventOf(read.webhook)?.id) };
    // A first receive covers a crash with its own message: no lease write before the POST.
    const first = receiveCount <= 1 ? firstTry(read, message, ctx.now()) : { outcome: 'lease-needed' as const };
    let attempt: Attempt;
    if (first.outcome === 'skipped') {
      ctx.logger.debug('webhook message skipped', { ...logKeys, reason: first.reason });
      return { outcome: 'skipped', reason: first.reason };
    } else if (first.outcome === 'ready') {
      attempt = { job: first.job, url: first.url, event: first.event, number: first.attempt, fence: first.fence };
    } else {
      const token = randomUUID();
      // Long enough for the whole try (DNS and the POST are within the timeout) and its outcome write.
      const leaseMs = ctx.config.webhookTimeoutSeconds * 1000 + LEASE_MARGIN_MS;
      const lease = await this.decide(read, key, (job) => leaseDelivery(job, message, { token, leaseMs, retrySchedule }, timing()));
      if (lease.outcome === 'skipped') {
        ctx.logger.debug('webhook message skipped', { ...logKeys, reason: lease.reason });
        return { outcome: 'skipped', reason: lease.reason };
      }
      if (lease.outcome === 'failed') {
        ctx.logger.warn('webhook failed for good', { ...logKeys, type: lease.job.type, attempt: lease.attempt, error: LOST_TRY_ERROR });
        countJobs(ctx.metrics, 'WebhooksFailed', lease.job.type);
        if (lease.next) await this.enqueue({ ...message, eventId: lease.next.id }, 0);
        return { outcome: 'failed', attempt: lease.attempt, statusCode: null };
      }
      if (lease.lostTry) ctx.logger.warn('webhook try lost (lease expired); taking the event over', { ...logKeys, type: lease.job.type, attempt: lease.attempt });
      attempt = { job: lease.job, url: lease.url, event: lease.event, number: lease.attempt, fence: { token } };
    }
    const jobType = attempt.job.type;
    const outcome = await this.tryOnce(attempt.url, attempt.event.id, webhookBodyOf(attempt.job, attempt.event), message.tenantId);

    const result = await this.decide(attempt.job, key, (current) =>
      recordTry(
        current,
        { eventId: attempt.event.id, fence: attempt.fence, outcome, retrySchedule, dispatchWithinMs: MAX_SQS_DELAY_SECONDS * 1000 },
        timing(),
      ),
    );
    const statusCode = outcome.statusCode;
    const fields = { ...logKeys, type: jobType, attempt: attempt.number, statusCode };
    switch (result.outcome) {
      case 'stale':
        ctx.logger.info('webhook try not recorded: another try or a redelivery changed the event meanwhile', fields);
        return { outcome: 'stale', attempt: attempt.number, statusCode };
      case 'delivered':
        ctx.logger.info('webhook delivered', { ...fields, attempt: result.attempt });
        countJobs(ctx.metrics, 'WebhooksDelivered', jobType);
        if (result.next) await this.enqueue({ ...message, eventId: result.next.id }, 0);
        return { outcome: 'delivered', attempt: result.attempt, statusCode };
      case 'failed':
        ctx.logger.warn('webhook failed for good', { ...fields, attempt: result.attempt, error: errorOf(outcome) });
        countJobs(ctx.metrics, 'WebhooksFailed', jobType);
        if (result.next) await this.enqueue({ ...message, eventId: result.next.id }, 0);
        return { outcome: 'failed', attempt: result.attempt, statusCode };
      case 'retry':
        ctx.logger.info('webhook try failed; will retry', {
          ...fields,
          attempt: result.attempt,
          error: errorOf(outcome),
          retryInSeconds: result.delayMs / 1000,
        });
        if (result.dispatch) await this.enqueue({ ...message, eventId: attempt.event.id }, result.delayMs);
        return { outcome: 'retry', attempt: result.attempt, statusCode };
    }
  }

  /**
   * Decides on the job as last read (or written) and writes the decision on top
   * of it, without reading it again; only if something else wrote since is it
   * read and decided afresh (the store's read-decide-write loop).
   */
  private async decide<R>(known: Job | undefined, key: JobKey, decide: (job: Job | undefined) => Decision<R>): Promise<R> {
    const decision = decide(known);
    if (!('write' in decision)) return decision.result;
    if (known && (await this.ctx.jobs.replace(decision.write, known.version))) return decision.result;
    return this.ctx.jobs.transition(key, decide, { withPayload: false });
  }

  /** One signed POST; every way it can end becomes a TryOutcome (store errors aside). */
  private async tryOnce(url: string, eventId: string, body: string, tenantId: string): Promise<TryOutcome> {
    const { secrets } = await this.tenantProfiles.of(tenantId);
    if (secrets.length === 0) return { kind: 'failed', statusCode: null, error: 'the tenant has no webhook signing secret', retryable: false };
    let signature;
    try {
      // Real time, not ctx.now(): receivers compare it with their own clock (SPEC §6).
      signature = signWebhook({ id: eventId, timestampSeconds: Math.floor(Date.now() / 1000), body, secrets });
    } catch (error) {
      // The signer's messages never include a secret.
      return { kind: 'failed', statusCode: null, error: `cannot sign: ${(error as Error).message}`, retryable: false };
    }
    try {
      const response = await sendPinnedRequest({
        url,
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': USER_AGENT, ...signature },
        body,
        timeoutMs: this.ctx.config.webhookTimeoutSeconds * 1000,
        policy: { allowPrivate: this.ctx.config.allowPrivateTargets },
        resolver: this.options.resolver,
        maxResponseBytes: MAX_RESPONSE_BYTES,
      });
      return outcomeOfStatus(response.status);
    } catch (error) {
      if (!(error instanceof OutboundError)) throw error;
      // Outbound messages name the host at most, never the path or query string.
      return { kind: 'failed', statusCode: null, error: error.message, retryable: error.retryable };
    }
  }

  /** Sends a try (the next of this event, or the first of the next event) with its delay; if SQS refuses, the sweep index re-sends it. */
  private async enqueue(message: WebhookMessage, delayMs: number): Promise<void> {
    try {
      await this.ctx.webhooksQueue.send({ message, delaySeconds: delayMs / 1000 });
    } catch (error) {
      this.ctx.logger.warn('webhook enqueue failed; the sweep will dispatch it', {
        tenantId: message.tenantId,
        jobId: message.jobId,
        eventId: message.eventId,
        error: (error as Error).message,
      });
    }
  }
}

function errorOf(outcome: TryOutcome): string | null {
  return outcome.kind === 'failed' ? outcome.error : null;
}

/**
 * The webhook Lambda's SQS handler: each record handled on its own, failures
 * reported per record (`batchItemFailures`), so one bad message never makes the
 * others' deliveries repeat.
 */
export function createWebhookHandler(ctx: ServiceContext, options: WebhookHandlerOptions = {}): SqsBatchHandler {
  const deliverer = new WebhookDeliverer(ctx, options);
  const handleRecord = async (record: SQSRecord): Promise<DeliveryReport> => {
    const message = parseWebhookMessage(record.body);
    if (!message) {
      ctx.logger.error('malformed webhooks-queue message', { messageId: record.messageId });
      throw new MalformedWebhookMessageError(`message ${record.messageId} is not a webhook message`);
    }
    // Absent or unreadable: as if received again (the leased try, the safe side).
    const receiveCount = Number(record.attributes?.ApproximateReceiveCount ?? Number.NaN);
    return deliverer.deliver(message, Number.isInteger(receiveCount) ? receiveCount : 2);
  };
  return async (event, context) => {
    // One processor per invocation: the local twin runs several batches at once through one handler.
    const processor = new BatchProcessor(EventType.SQS);
    return publishingMetrics(ctx.metrics, () => processPartialResponse(event, handleRecord, processor, { context, throwOnFullBatchFailure: false }));
  };
}
