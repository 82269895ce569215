/**
 * A job ↔ its DynamoDB item, and the item's size.
 *
 * Tenant JSON (`payload`, `result`) is stored as JSON text (`payloadJson`,
 * `resultJson`), not as a Map: a DynamoDB Map is unordered (DynamoDB returns
 * `{"hello":"world","n":1}` as `{"n":1,"hello":"world"}`), the marshaller
 * refuses keys such as `constructor`, and Maps nest at most 32 levels. As text,
 * every key is an ordinary key and comes back in the order it was sent.
 * (The webhook event's body is text already.) Items written before this
 * (payload and result as Maps) still read.
 */
import {
  ATTEMPT_HISTORY_LIMIT,
  ERROR_LIMIT_BYTES,
  RESULT_LIMIT_BYTES,
  pendingWebhook,
  toJobView,
  webhookEventOf,
  webhookViewOf,
  type Attempt,
  type Job,
  type JobSummary,
  type WebhookEvent,
  type WebhookState,
  type WebhookView,
} from '../jobs/job';
import { ITEM_LIMIT_BYTES, itemSize } from './item-size';

/** Attributes of the item that are not fields of the job. */
const ITEM_ONLY_ATTRIBUTES = [
  'pk', 'sk', 'gsi1pk', 'gsi1sk', 'sweepShard', 'sweepAt', 'sweepCount', 'webhookEventId', 'entity', 'writeId', 'payloadJson', 'resultJson',
  'webhookEvent', 'webhookBacklog',
] as const;

/**
 * The webhook's state as the attributes every version of the service wrote: its
 * fields as the API shows them (`webhook`, which the status index projects for
 * lists), the event (`webhookEvent`) and the events waiting behind it
 * (`webhookBacklog`) beside. An older service reads these items as it always did.
 */
function webhookAttributes(webhook: WebhookState): { webhook: WebhookView; webhookEvent: WebhookEvent | null; webhookBacklog?: WebhookEvent[] } {
  const backlog = pendingWebhook(webhook)?.backlog ?? [];
  return { webhook: webhookViewOf(webhook), webhookEvent: webhookEventOf(webhook), ...(backlog.length > 0 ? { webhookBacklog: backlog } : {}) };
}

/** The state those attributes describe (written by this version or an earlier one). */
function webhookFromAttributes(item: Record<string, unknown>): WebhookState {
  const view = (item.webhook ?? {}) as Partial<WebhookView>;
  const event = (item.webhookEvent ?? null) as WebhookEvent | null;
  const tries = { attempts: view.attempts ?? 0, lastStatusCode: view.lastStatusCode ?? null, lastError: view.lastError ?? null };
  const status = view.status ?? 'none';
  // Every write that ends an event keeps it, so a delivered or failed state always has one;
  // an item that says otherwise is read as having no webhook rather than not read at all.
  if (status === 'none' || (event === null && status !== 'pending')) return { status: 'none' };
  if (status === 'pending') return event === null ? { status, event } : { status, event, ...tries, backlog: (item.webhookBacklog ?? []) as WebhookEvent[] };
  if (status === 'delivered') return { status, event: event!, attempts: tries.attempts, lastStatusCode: tries.lastStatusCode ?? 200, deliveredAt: view.deliveredAt ?? String(item.updatedAt) };
  return { status, event: event!, ...tries, lastError: tries.lastError ?? '' };
}

/** The job's fields as item attributes: tenant JSON as text, the webhook's state as its three attributes. */
export function jobAttributes(job: Job): Record<string, unknown> {
  const { payload, result, webhook, sentFirst, ...rest } = job;
  return {
    ...rest,
    // Only when true: most states have no message sent ahead of them, and every byte is billed on every write.
    ...(sentFirst ? { sentFirst: true } : {}),
    ...webhookAttributes(webhook),
    // Absent on a job whose size is estimated without it (sizeAtItsLargest: the payload's text is in the item already),
    // and on one whose payload has its own item.
    ...(payload === undefined || job.payloadItem !== undefined ? {} : { payloadJson: JSON.stringify(payload) }),
    resultJson: JSON.stringify(result ?? null),
  };
}

export function jobFromItem(item: Record<string, unknown>): Job {
  const job: Record<string, unknown> = { ...item };
  for (const attribute of ITEM_ONLY_ATTRIBUTES) delete job[attribute];
  // Items of the previous version keep payload and result as Maps: they are read as they are.
  if (typeof item.payloadJson === 'string') job.payload = JSON.parse(item.payloadJson);
  if (typeof item.resultJson === 'string') job.result = JSON.parse(item.resultJson);
  job.result ??= null;
  job.webhook = webhookFromAttributes(item);
  return job as unknown as Job;
}

/** A job as read from the status index (lists): only what it projects; the webhook as the API shows it. */
export function jobSummaryFromItem(item: Record<string, unknown>): JobSummary {
  const webhook = (item.webhook ?? {}) as Partial<WebhookView>;
  return {
    jobId: String(item.jobId),
    tenantId: String(item.tenantId),
    type: String(item.type),
    status: item.status as JobSummary['status'],
    attempts: Number(item.attempts ?? 0),
    maxAttempts: Number(item.maxAttempts),
    nextRunAt: (item.nextRunAt ?? null) as string | null,
    idempotencyKey: (item.idempotencyKey ?? null) as string | null,
    payloadHash: String(item.payloadHash),
    webhookUrl: (item.webhookUrl ?? null) as string | null,
    // Items of the previous version keep the result as a Map.
    result: typeof item.resultJson === 'string' ? JSON.parse(item.resultJson) : (item.result ?? null),
    lastError: (item.lastError ?? null) as string | null,
    createdAt: String(item.createdAt),
    updatedAt: String(item.updatedAt),
    finishedAt: (item.finishedAt ?? null) as string | null,
    expiresAt: Number(item.expiresAt),
    webhook: {
      status: webhook.status ?? 'none',
      attempts: webhook.attempts ?? 0,
      lastStatusCode: webhook.lastStatusCode ?? null,
      lastError: webhook.lastError ?? null,
      deliveredAt: webhook.deliveredAt ?? null,
    },
  };
}

/**
 * Webhook events room is kept for at create: the current one and one waiting
 * behind it. A deeper backlog (the retry route called again and again while an
 * event is still being tried; at most WEBHOOK_BACKLOG_LIMIT) is the first thing
 * shed when room runs short ({@link fitJobToItemLimit}; WEBHOOK_BACKLOG_LIMIT in jobs/job.ts). Reserving a full backlog would
 * refuse webhook jobs with payloads well under the 256 KiB body limit.
 */
export const RESERVED_WEBHOOK_EVENTS = 2;

/**
 * The size the job's item reaches at its largest, checked at create so that
 * later writes fit without shedding anything: a result of RESULT_LIMIT_BYTES,
 * ATTEMPT_HISTORY_LIMIT attempts with errors of ERROR_LIMIT_BYTES, a last error,
 * a failed webhook state and, for a job with a `webhookUrl`,
 * RESERVED_WEBHOOK_EVENTS events whose bodies hold the job's view at its
 * largest. Measured on the job itself (its `webhookUrl`, idempotency key and
 * type are in every event body).
 */
export function sizeAtItsLargest(item: Record<string, unknown>, job: Job): number {
  const error = '"'.repeat(ERROR_LIMIT_BYTES); // a JSON string's worst: each byte escaped
  const result = 'x'.repeat(RESULT_LIMIT_BYTES - 2);
  const stamp = new Date(8.64e15).toISOString();
  const attempt: Attempt = { attempt: 1_000_000, status: 'succeeded', error, startedAt: stamp, finishedAt: stamp, durationMs: 8.64e15 };
  // Wider than any one state: a status code, an error and a delivery time at once.
  const widestWebhook: WebhookView = { status: 'delivered', attempts: 1_000_000, lastStatusCode: 599, lastError: error, deliveredAt: stamp };
  const largest: Omit<Job, 'webhook'> = {
    ...job,
    status: 'succeeded',
    attempts: 1_000_000,
    attemptLimit: 1_000_000,
    nextRunAt: stamp,
    leaseUntilMs: 8.64e15,
    result,
    lastError: error,
    history: Array.from({ length: ATTEMPT_HISTORY_LIMIT }, () => attempt),
    updatedAt: stamp,
    finishedAt: stamp,
    expiresAt: 8.64e12,
    version: 8.64e15,
  };
  let events: WebhookEvent[] = [];
  if (job.webhookUrl) {
    const { history: _notInTheView, ...shown } = largest;
    const body = JSON.stringify({ type: 'job.succeeded', timestamp: stamp, data: toJobView({ ...shown, webhook: widestWebhook }, { withPayload: false }) });
    const event: WebhookEvent = { id: `msg_${'f'.repeat(32)}`, type: 'job.succeeded', body, nextAttemptAt: 8.64e15 };
    events = Array.from({ length: RESERVED_WEBHOOK_EVENTS }, () => event);
  }
  const [current, ...backlog] = events;
  // The payload never grows: its JSON text is the one already in `item`, not made again.
  const grown: Job = { ...largest, payload: undefined as unknown as Job['payload'], webhook: { status: 'none' } };
  const widestAttributes = { webhook: widestWebhook, webhookEvent: current ?? null, webhookBacklog: backlog };
  return itemSize({ ...item, ...jobAttributes(grown), ...widestAttributes, sweepShard: 99, sweepAt: 8.64e15, sweepCount: 1_000_000, webhookEventId: current?.id });
}

/** The job as it fits, with the item it makes (built once: the payload's JSON text can be 256 KiB). */
export type FitResult = { fits: true; job: Job; item: Record<string, unknown> } | { fits: false; bytes: number };

/**
 * Kept free below the limit by every rewrite: the scheduler also updates an
 * item in place (`sweepCount` + 1, `dispatched`) without rewriting it
 * (JobStore.deferSweep), and that must never fail on size either.
 */
const IN_PLACE_UPDATE_BYTES = 64;

/**
 * A job whose item passed DynamoDB's limit on a later write (the reserve at
 * create makes this rare: items written by an older version, or an estimate
 * exceeded), shed until it fits, in this order: the result becomes
 * `{ truncated, bytes }` (SPEC §3.6), the oldest backlog events go, then the
 * oldest attempts (the latest one stays). What cannot be shed (the payload, the
 * current event) never grows after create.
 */
export function fitJobToItemLimit(job: Job, itemOf: (job: Job) => Record<string, unknown>): FitResult {
  let current = job;
  let item: Record<string, unknown> = {};
  const fits = (candidate: Job) => itemSize((item = itemOf(candidate))) <= ITEM_LIMIT_BYTES - IN_PLACE_UPDATE_BYTES;
  if (fits(current)) return { fits: true, job: current, item };
  const resultJson = JSON.stringify(current.result ?? null);
  const truncated = { truncated: true, bytes: Buffer.byteLength(resultJson) };
  if (JSON.stringify(truncated).length < resultJson.length) current = { ...current, result: truncated };
  for (let pending = pendingWebhook(current.webhook); !fits(current) && pending && pending.backlog.length > 0; pending = pendingWebhook(current.webhook)) {
    current = { ...current, webhook: { ...pending, backlog: pending.backlog.slice(1) } };
  }
  while (!fits(current) && current.history.length > 1) current = { ...current, history: current.history.slice(1) };
  return fits(current) ? { fits: true, job: current, item } : { fits: false, bytes: itemSize(item) };
}
