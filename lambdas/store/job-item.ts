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
import { randomBytes } from 'node:crypto';
import {
  ATTEMPT_HISTORY_LIMIT,
  ERROR_LIMIT_BYTES,
  RESULT_LIMIT_BYTES,
  isTerminal,
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
 * The webhook's state as attributes: its fields as the API shows them
 * (`webhook`), the event (`webhookEvent`, absent when none) and the events
 * waiting behind it (`webhookBacklog`); none of them for a job without a
 * webhook. Compact (issue 11: a 200 B job with a webhook stays within one write
 * unit at its finish, its sweep entry included): `webhook` is left out while it
 * is a fresh one's (pending, not tried), and an event is `{ i, y?, b?, a?, x?,
 * n?, l? }` (`StoredEvent`), its id as 16 bytes, its type and time left out
 * while they are the finished job's. Items of earlier versions (the view always,
 * events as `{ id, type, body, nextAttemptAt, deliveryLease? }`) still read.
 */
function webhookAttributes(job: Job): { webhook?: StoredView; webhookEvent?: StoredEvent; webhookBacklog?: StoredEvent[] } {
  const { webhook } = job;
  // No webhook: none of them (read back as none; the status index's readers default the view).
  if (webhook.status === 'none') return {};
  const event = webhookEventOf(webhook);
  const backlog = pendingWebhook(webhook)?.backlog ?? [];
  const view = webhookViewOf(webhook);
  const fresh = view.status === 'pending' && view.attempts === 0 && view.lastStatusCode === null && view.lastError === null;
  // Left out only where the reader makes the same state again (`webhookFromAttributes`).
  const implied = fresh && (event !== null || (job.webhookUrl !== null && !isTerminal(job.status)));
  return {
    ...(implied ? {} : { webhook: storedView(view) }),
    ...(event === null ? {} : { webhookEvent: storedEvent(event, job) }),
    ...(backlog.length > 0 ? { webhookBacklog: backlog.map((queued) => storedEvent(queued, job)) } : {}),
  };
}

/**
 * The view as stored: `status` (the key older versions, the one-write claim's
 * condition and the bench read), the rest short and only when not null or zero:
 * `k` tries, `c` last status code, `e` last error, `d` delivered at (epoch ms).
 */
interface StoredView {
  status: WebhookView['status'];
  k?: number;
  c?: number;
  e?: string;
  d?: number | string;
}

function storedView(view: WebhookView): StoredView {
  const stored: StoredView = { status: view.status };
  if (view.attempts !== 0) stored.k = view.attempts;
  if (view.lastStatusCode !== null) stored.c = view.lastStatusCode;
  if (view.lastError !== null) stored.e = view.lastError;
  if (view.deliveredAt !== null) stored.d = storedStamp(view.deliveredAt);
  return stored;
}

/** A stored view of this version or an earlier one (every field, long names) as the view. */
function viewFromItem(stored: Partial<WebhookView> & Partial<StoredView>): Partial<WebhookView> {
  return {
    status: stored.status,
    attempts: stored.attempts ?? stored.k,
    lastStatusCode: stored.lastStatusCode ?? stored.c,
    lastError: stored.lastError ?? stored.e,
    deliveredAt: stored.deliveredAt ?? (stored.d === undefined ? undefined : stampFromItem(stored.d)),
  };
}

/** A webhook event as this version stores it (see `webhookAttributes`). */
interface StoredEvent {
  /** The id: `msg_` + 32 hex digits as their 16 bytes, any other id as text. */
  i: Uint8Array | string;
  /** The type, unless it is the finished job's (`job.<status>`). */
  y?: WebhookEvent['type'];
  b?: string;
  /** `at`, unless it is the job's `finishedAt`. */
  a?: number;
  x?: number;
  /** `nextAttemptAt`; absent: null. */
  n?: number;
  l?: WebhookEvent['deliveryLease'];
}

const EVENT_ID = /^msg_[0-9a-f]{32}$/;

const eventTypeOfStatus = (status: unknown): WebhookEvent['type'] | undefined =>
  status === 'succeeded' ? 'job.succeeded' : status === 'fatal' ? 'job.fatal' : undefined;

const finishedMsOf = (finishedAt: unknown): number | undefined => (typeof finishedAt === 'string' ? Date.parse(finishedAt) : undefined);

function storedEvent(event: WebhookEvent, job: Job): StoredEvent {
  const stored: StoredEvent = { i: EVENT_ID.test(event.id) ? new Uint8Array(Buffer.from(event.id.slice(4), 'hex')) : event.id };
  if (event.type !== eventTypeOfStatus(job.status)) stored.y = event.type;
  if (event.body !== undefined) stored.b = event.body;
  if (event.at !== undefined && event.at !== finishedMsOf(job.finishedAt)) stored.a = event.at;
  if (event.expiresAt !== undefined) stored.x = event.expiresAt;
  if (event.nextAttemptAt !== null) stored.n = event.nextAttemptAt;
  if (event.deliveryLease) stored.l = event.deliveryLease;
  return stored;
}

function eventFromItem(stored: unknown, item: Record<string, unknown>): WebhookEvent {
  if (typeof stored === 'object' && stored !== null && 'id' in stored) {
    const earlier = stored as WebhookEvent; // an earlier version's form, body included
    return { ...earlier, nextAttemptAt: earlier.nextAttemptAt ?? null };
  }
  const s = stored as StoredEvent;
  const id = s.i instanceof Uint8Array ? `msg_${Buffer.from(s.i).toString('hex')}` : s.i;
  const at = s.a ?? (s.b === undefined ? finishedMsOf(item.finishedAt) : undefined);
  return {
    id,
    type: s.y ?? eventTypeOfStatus(item.status)!,
    ...(s.b === undefined ? {} : { body: s.b }),
    ...(at === undefined ? {} : { at }),
    ...(s.x === undefined ? {} : { expiresAt: s.x }),
    nextAttemptAt: s.n ?? null,
    ...(s.l ? { deliveryLease: s.l } : {}),
  };
}

/** The state those attributes describe (written by this version or an earlier one). */
function webhookFromAttributes(item: Record<string, unknown>): WebhookState {
  const event = item.webhookEvent ? eventFromItem(item.webhookEvent, item) : null;
  const implied = event !== null || (typeof item.webhookUrl === 'string' && !isTerminal(item.status as Job['status'])) ? { status: 'pending' as const } : {};
  const view = viewFromItem((item.webhook ?? implied));
  const tries = { attempts: view.attempts ?? 0, lastStatusCode: view.lastStatusCode ?? null, lastError: view.lastError ?? null };
  const status = view.status ?? 'none';
  // Every write that ends an event keeps it, so a delivered or failed state always has one;
  // an item that says otherwise is read as having no webhook rather than not read at all.
  if (status === 'none' || (event === null && status !== 'pending')) return { status: 'none' };
  if (status === 'pending') {
    return event === null ? { status, event } : { status, event, ...tries, backlog: ((item.webhookBacklog ?? []) as unknown[]).map((queued) => eventFromItem(queued, item)) };
  }
  if (status === 'delivered') return { status, event: event!, attempts: tries.attempts, lastStatusCode: tries.lastStatusCode ?? 200, deliveredAt: view.deliveredAt ?? String(item.updatedAt) };
  return { status, event: event!, ...tries, lastError: tries.lastError ?? '' };
}

/**
 * The stored form is compact (issue 11: a 200 B job's item stays within one
 * write unit, 1 KB, at create, claim and finish; every byte is billed on every
 * write): a field whose value is null, false or its default is left out and read
 * back as such; `jobId` and `tenantId` are read from `pk`; `payloadHash` is its
 * 32 bytes (Binary); an attempt record is `{ n, s, b, f?, e?, d? }` with epoch-ms
 * stamps (its `durationMs` only when it is not `f - b`); `writeId` is 16
 * characters. Items of the previous versions (every field, ISO stamps in the
 * attempts) still read, and the API view is the same from either.
 */
const NULLABLE_FIELDS = ['idempotencyKey', 'webhookUrl', 'nextRunAt', 'leaseUntilMs', 'lastError', 'finishedAt'] as const;

/** A write's id, told apart from any other write's (JobStore's lost-answer checks): 96 random bits. */
export function newWriteId(): string {
  return randomBytes(12).toString('base64url');
}

/** The inverse of JobStore's `jobItemKey`: `JOB#<tenantId>#<jobId>` (a job id is a UUID, never with a `#`). */
export function jobKeyOfPk(pk: string): { tenantId: string; jobId: string } {
  const at = pk.lastIndexOf('#');
  return { tenantId: pk.slice('JOB#'.length, at), jobId: pk.slice(at + 1) };
}

/** The job's key as an item gives it: from `pk`, or the attributes an item of a previous version also has. */
function keyOfItem(item: Record<string, unknown>): { tenantId: string; jobId: string } {
  if (typeof item.jobId === 'string' && typeof item.tenantId === 'string') return { tenantId: item.tenantId, jobId: item.jobId };
  return jobKeyOfPk(String(item.pk));
}

const HASH_PATTERN = /^sha256:[0-9a-f]{64}$/;

function storedHash(hash: string): string | Uint8Array {
  return HASH_PATTERN.test(hash) ? new Uint8Array(Buffer.from(hash.slice('sha256:'.length), 'hex')) : hash;
}

function hashFromItem(value: unknown): string {
  return value instanceof Uint8Array ? `sha256:${Buffer.from(value).toString('hex')}` : String(value);
}

/** An ISO stamp as epoch ms when that reads back as the very same text, else the text. */
function storedStamp(stamp: string): number | string {
  const ms = Date.parse(stamp);
  return Number.isFinite(ms) && new Date(ms).toISOString() === stamp ? ms : stamp;
}

const stampFromItem = (value: unknown): string => (typeof value === 'number' ? new Date(value).toISOString() : String(value));

/** An attempt record as stored: `n` attempt, `s` status, `b`/`f` started/finished, `e` error, `d` durationMs (see above). */
interface StoredAttempt {
  n: number;
  s: Attempt['status'];
  b: number | string;
  f?: number | string;
  e?: string;
  d?: number | null;
}

const derivedDuration = (startedAt: string, finishedAt: string | null) =>
  finishedAt === null ? null : Math.max(0, Date.parse(finishedAt) - Date.parse(startedAt));

/** Also written by the one-write claim (JobStore.claimInPlace appends it to `history`). */
export function storedAttempt(attempt: Attempt): StoredAttempt {
  return {
    n: attempt.attempt,
    s: attempt.status,
    b: storedStamp(attempt.startedAt),
    ...(attempt.finishedAt === null ? {} : { f: storedStamp(attempt.finishedAt) }),
    ...(attempt.error === null ? {} : { e: attempt.error }),
    ...(attempt.durationMs === derivedDuration(attempt.startedAt, attempt.finishedAt) ? {} : { d: attempt.durationMs }),
  };
}

function attemptFromItem(entry: StoredAttempt | Attempt): Attempt {
  if ('startedAt' in entry) return entry; // the previous versions' record, as the API shows it
  const startedAt = stampFromItem(entry.b);
  const finishedAt = entry.f === undefined ? null : stampFromItem(entry.f);
  return {
    attempt: entry.n,
    status: entry.s,
    error: entry.e ?? null,
    startedAt,
    finishedAt,
    durationMs: entry.d !== undefined ? entry.d : derivedDuration(startedAt, finishedAt),
  };
}

/** The job's fields as item attributes (see above): tenant JSON as text, the webhook's state as its attributes. */
export function jobAttributes(job: Job): Record<string, unknown> {
  const { jobId: _inPk, tenantId: _alsoInPk, payload, result, webhook: _webhook, sentFirst, dispatched, attemptLimit, payloadHash, history, ...rest } = job;
  const attributes: Record<string, unknown> = { ...rest };
  for (const field of NULLABLE_FIELDS) if (attributes[field] === null) delete attributes[field];
  return {
    ...attributes,
    payloadHash: storedHash(payloadHash),
    // Raised only by the retry route: until then it is `maxAttempts`.
    ...(attemptLimit === job.maxAttempts ? {} : { attemptLimit }),
    history: history.map(storedAttempt),
    ...(dispatched ? { dispatched: true } : {}),
    ...(sentFirst ? { sentFirst: true } : {}),
    ...webhookAttributes(job),
    // Absent on a job whose size is estimated without it (sizeAtItsLargest: the payload's text is in the item already),
    // and on one whose payload has its own item.
    ...(payload === undefined || job.payloadItem !== undefined ? {} : { payloadJson: JSON.stringify(payload) }),
    ...(result === null || result === undefined ? {} : { resultJson: JSON.stringify(result) }),
  };
}

export function jobFromItem(item: Record<string, unknown>): Job {
  const job: Record<string, unknown> = { ...item, ...keyOfItem(item) };
  for (const attribute of ITEM_ONLY_ATTRIBUTES) delete job[attribute];
  for (const field of NULLABLE_FIELDS) job[field] ??= null;
  job.payloadHash = hashFromItem(item.payloadHash);
  job.attemptLimit ??= item.maxAttempts;
  job.history = ((item.history ?? []) as Array<StoredAttempt | Attempt>).map(attemptFromItem);
  job.dispatched = item.dispatched === true;
  // Items of the previous version keep payload and result as Maps: they are read as they are.
  if (typeof item.payloadJson === 'string') job.payload = JSON.parse(item.payloadJson);
  if (typeof item.resultJson === 'string') job.result = JSON.parse(item.resultJson);
  job.result ??= null;
  job.webhook = webhookFromAttributes(item);
  return job as unknown as Job;
}

/** A job as read from the status index (lists): only what it projects; the webhook as the API shows it. */
export function jobSummaryFromItem(item: Record<string, unknown>): JobSummary {
  return {
    ...keyOfItem(item),
    type: String(item.type),
    status: item.status as JobSummary['status'],
    attempts: Number(item.attempts ?? 0),
    maxAttempts: Number(item.maxAttempts),
    nextRunAt: (item.nextRunAt ?? null) as string | null,
    idempotencyKey: (item.idempotencyKey ?? null) as string | null,
    payloadHash: hashFromItem(item.payloadHash),
    webhookUrl: (item.webhookUrl ?? null) as string | null,
    // Items of the previous version keep the result as a Map.
    result: typeof item.resultJson === 'string' ? JSON.parse(item.resultJson) : (item.result ?? null),
    lastError: (item.lastError ?? null) as string | null,
    createdAt: String(item.createdAt),
    updatedAt: String(item.updatedAt),
    finishedAt: (item.finishedAt ?? null) as string | null,
    expiresAt: Number(item.expiresAt),
    webhook: summaryViewOf(item),
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
 * The widest attempt history's bytes, attribute name included: the same for
 * every job, so measured once per process (sized per create, its 50 records of
 * 1 KiB errors were a tenth of an echo job's handler CPU).
 */
let widestHistoryBytes: number | undefined;

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
  // The latest time there is, with every digit significant: the widest number an epoch-ms field stores (and its ISO text the longest).
  const latestMs = 8_639_999_999_999_999;
  const stamp = new Date(latestMs).toISOString();
  // Its durationMs not `f - b`, so stored too.
  const attempt: Attempt = { attempt: 1_000_000, status: 'succeeded', error, startedAt: stamp, finishedAt: stamp, durationMs: latestMs };
  // Wider than any one state: a status code, an error and a delivery time at once.
  const widestWebhook: WebhookView = { status: 'delivered', attempts: 1_000_000, lastStatusCode: 599, lastError: error, deliveredAt: stamp };
  const largest: Omit<Job, 'webhook'> = {
    ...job,
    status: 'succeeded',
    attempts: 1_000_000,
    attemptLimit: 1_000_000,
    nextRunAt: stamp,
    leaseUntilMs: latestMs,
    result,
    lastError: error,
    // Measured apart, once (widestHistoryBytes).
    history: [],
    updatedAt: stamp,
    finishedAt: stamp,
    expiresAt: 8.64e12,
    version: latestMs,
  };
  let events: WebhookEvent[] = [];
  if (job.webhookUrl) {
    const { history: _notInTheView, ...shown } = largest;
    const body = JSON.stringify({ type: 'job.succeeded', timestamp: stamp, data: toJobView({ ...shown, webhook: widestWebhook }, { withPayload: false }) });
    const event: WebhookEvent = { id: `msg_${'f'.repeat(32)}`, type: 'job.succeeded', body, nextAttemptAt: latestMs };
    events = Array.from({ length: RESERVED_WEBHOOK_EVENTS }, () => event);
  }
  const [current, ...backlog] = events;
  // The payload never grows: its JSON text is the one already in `item`, not made again.
  const grown: Job = { ...largest, payload: undefined as unknown as Job['payload'], webhook: { status: 'none' } };
  const widestAttributes = { webhook: widestWebhook, webhookEvent: current ?? null, webhookBacklog: backlog };
  const widest: Record<string, unknown> = { ...item, ...jobAttributes(grown), ...widestAttributes, sweepShard: 99, sweepAt: latestMs, sweepCount: 1_000_000, webhookEventId: current?.id };
  const { history: _measuredApart, ...attributes } = widest;
  widestHistoryBytes ??= itemSize({ history: Array.from({ length: ATTEMPT_HISTORY_LIMIT }, () => storedAttempt(attempt)) });
  return itemSize(attributes) + widestHistoryBytes;
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

/** The webhook as shown, from an item with or without its event (the status index of earlier versions projected the view alone). */
function summaryViewOf(item: Record<string, unknown>): WebhookView {
  if (!item.webhook) return webhookViewOf(webhookFromAttributes(item));
  const view = viewFromItem(item.webhook);
  return {
    status: view.status ?? 'none',
    attempts: view.attempts ?? 0,
    lastStatusCode: view.lastStatusCode ?? null,
    lastError: view.lastError ?? null,
    deliveredAt: view.deliveredAt ?? null,
  };
}
