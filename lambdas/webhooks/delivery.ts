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
import type { Job } from '../jobs/job';
import { LEASE_MARGIN_MS, type Decision } from '../jobs/transitions';
import { countJobs, publishingMetrics } from '../observability';
import { TenantProfiles } from '../store/tenant-profiles';
import { parseWebhookMessage, type WebhookMessage } from '../queue/job-queue';
import { MAX_SQS_DELAY_SECONDS } from '../resources';
import type { ServiceContext } from '../service-context';
import { OutboundError } from '../outbound/errors';
import { sendPinnedRequest } from '../outbound/pinned-request';
import { signWebhook } from '../outbound/signer';
import type { Resolver } from '../outbound/url-guard';
import { leaseDelivery, LOST_TRY_ERROR, outcomeOfStatus, recordTry, type SkipReason, type TryOutcome, type TryResult } from './webhook-transitions';

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
  async deliver(message: WebhookMessage): Promise<DeliveryReport> {
    const { ctx } = this;
    const key = { tenantId: message.tenantId, jobId: message.jobId };
    const timing = () => ({ nowMs: ctx.now(), retentionDays: ctx.config.retentionDays });
    const retrySchedule = ctx.config.webhookRetrySchedule;
    const token = randomUUID();
    // Long enough for the whole try (DNS and the POST are within the timeout) and its outcome write.
    const leaseMs = ctx.config.webhookTimeoutSeconds * 1000 + LEASE_MARGIN_MS;
    const lease = await ctx.jobs.transition(key, (job) => leaseDelivery(job, message, { token, leaseMs, retrySchedule }, timing()), { withPayload: false });
    const logKeys = { tenantId: message.tenantId, jobId: message.jobId, eventId: message.eventId };
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
    const jobType = lease.job.type;
    const attempt = lease.attempt;
    if (lease.lostTry) ctx.logger.warn('webhook try lost (lease expired); taking the event over', { ...logKeys, type: jobType, attempt });
    const outcome = await this.tryOnce(lease.url, lease.event.id, lease.event.body, message.tenantId);

    const result = await this.recordOutcome(lease.job, (current) =>
      recordTry(
        current,
        { eventId: lease.event.id, token, outcome, retrySchedule, dispatchWithinMs: MAX_SQS_DELAY_SECONDS * 1000 },
        timing(),
      ),
    );
    const statusCode = outcome.statusCode;
    const fields = { ...logKeys, type: jobType, attempt, statusCode };
    switch (result.outcome) {
      case 'stale':
        ctx.logger.info('webhook try not recorded: its lease expired and another try took the event over', fields);
        return { outcome: 'stale', attempt, statusCode };
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
        if (result.dispatch) await this.enqueue(message, result.delayMs);
        return { outcome: 'retry', attempt: result.attempt, statusCode };
    }
  }

  /**
   * Writes the outcome on top of the job as the lease write left it, without
   * reading it again; only if something else wrote since (the job re-run or
   * finished again, the redeliver route) is it read and decided afresh.
   */
  private async recordOutcome(leased: Job, decide: (job: Job | undefined) => Decision<TryResult>): Promise<TryResult> {
    const decision = decide(leased);
    if ('write' in decision && (await this.ctx.jobs.replace(decision.write, leased.version))) return decision.result;
    return this.ctx.jobs.transition(leased, decide, { withPayload: false });
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
    return deliverer.deliver(message);
  };
  return async (event, context) => {
    // One processor per invocation: the local twin runs several batches at once through one handler.
    const processor = new BatchProcessor(EventType.SQS);
    return publishingMetrics(ctx.metrics, () => processPartialResponse(event, handleRecord, processor, { context, throwOnFullBatchFailure: false }));
  };
}
