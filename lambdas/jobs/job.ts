/**
 * The domain of the Jobs Service.
 *
 * Glossary
 * - **job**: one unit of work a tenant submitted: a `type`, a `payload`, and the
 *   state the service keeps while running it.
 * - **attempt**: one run of a job's handler. Attempts are data: each one is kept on
 *   the job (status, error, timings), oldest first, the most recent 50 (`history`,
 *   served as `GET …/attempts`); `attempts` counts them all.
 * - **lease**: while an attempt runs, the job is `running` until `leaseUntilMs`. A
 *   worker that dies leaves the lease to expire; the next delivery takes the job
 *   over and records the lost attempt as failed with `lease expired`.
 * - **tenant**: the customer who owns jobs, API keys and a webhook signing secret.
 * - **idempotency key**: a client-chosen string that makes a submission safe to
 *   repeat: one key, one job, per tenant, while the job is retained.
 * - **webhook event**: the signed notification of one terminal transition; its id
 *   (`webhook-id`) and body stay the same on every delivery try (a webhook is
 *   *tried*, a job is *attempted*). A try in flight holds the event's delivery
 *   lease, so two copies of one message never POST at once. The job's webhook is
 *   one state (`WebhookState`): none, pending (awaiting the job's end, or an event
 *   in delivery), delivered or failed.
 * - **submission**: what a client sends to create a job; the submission rules
 *   (prepare-job.ts) turn it into a job or a rejection, as data.
 * - **dispatch**: handing a job's message (or its webhook event's) to SQS, by the
 *   api, a worker or the scheduler; `dispatched` says it was handed for the job's
 *   current wait, which decides where the job sits on the sweep index.
 * - **sweep index**: the sparse index of jobs that will need attention at
 *   `sweepAt` (dispatch, re-dispatch, webhook retry). A running job has no
 *   entry: the message in flight that claimed it covers it.
 */

/**
 * Job statuses, who moves a job in and out of each, and what brings it back if
 * the mover dies (SPEC §4: a message in SQS, an entry on the sweep index or, for
 * a create due at once, the scheduler's open-bucket scan; never none).
 */
export const JOB_STATUSES = [
  /**
   * In: the api Lambda on submit (its message sent first, `sentFirst`; or put
   * first and sent after when the submission carries an Idempotency-Key, or not
   * sent when it is due far ahead or the send failed), the retry route; a
   * worker stopped by shutdown during a first attempt hands it back uncounted.
   * Out: a worker claims it (→ running), the cancel route (→ canceled). The
   * scheduler sends the message of a job on the sweep index.
   */
  'queued',
  /**
   * In: a worker's claim (attempts + 1, lease set), or a later delivery taking over
   * an expired lease (the lost attempt failed). No sweep entry: the claiming
   * message stays in flight until the outcome is written, so if the worker dies
   * SQS delivers it again after the queue's visibility timeout (or the scheduler
   * takes it back from the DLQ) and that delivery takes the lease over. Out: the
   * same worker finishing the attempt (→ succeeded | retry | fatal), a takeover
   * once the lease expired (→ running again, or → fatal when it was the last
   * attempt), a shutdown handing it back (→ queued | retry).
   */
  'running',
  /**
   * In: a worker after a retryable failure with attempts left (or handing back a
   * later attempt at shutdown): the retry's delayed message sent first
   * (`sentFirst`). Out: a worker claims it when
   * `nextRunAt` comes (→ running), or the cancel route (→ canceled). The
   * scheduler only sends it.
   */
  'retry',
  /** In: a worker whose handler returned. Terminal; out only through the delete route or retention (TTL). */
  'succeeded',
  /**
   * In: a worker after a non-retryable failure or the last attempt, or a takeover
   * of an expired lease on the last attempt. Out: the retry route (→ queued),
   * delete, retention.
   */
  'fatal',
  /** In: the cancel route from queued or retry. Out: the retry route (→ queued), delete, retention. */
  'canceled',
] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

export const TERMINAL_STATUSES: ReadonlySet<JobStatus> = new Set(['succeeded', 'fatal', 'canceled']);

export type AttemptStatus = 'running' | 'failed' | 'succeeded';

export interface Attempt {
  attempt: number;
  status: AttemptStatus;
  error: string | null;
  startedAt: string;
  finishedAt: string | null;
  durationMs: number | null;
}

export type WebhookStatus = 'none' | 'pending' | 'delivered' | 'failed';

/**
 * The job's webhook, one state with only its own fields. "An event is pending"
 * is `pendingWebhook(state)`, nowhere spelled out again.
 */
export type WebhookState = NoWebhook | AwaitedWebhook | PendingWebhook | DeliveredWebhook | FailedWebhook;

/** No webhook to send. In: submit or a finish without `webhookUrl`, the cancel route with no event in delivery. Out: the retry route (→ pending). */
export interface NoWebhook {
  status: 'none';
}

/**
 * The job has a `webhookUrl` and has not finished (API: `pending`). In: submit,
 * the retry route. Out: the job's terminal transition creates the event (→ in
 * delivery), the cancel route (→ none).
 */
export interface AwaitedWebhook {
  status: 'pending';
  event: null;
}

/**
 * An event being delivered (lambdas/webhooks/webhook-transitions.ts). In: the
 * job's terminal transition, the redeliver route, the end of the event before it
 * in the backlog. Out: the webhook Lambda recording a try (→ delivered | failed,
 * or the next backlog event). Survives cancel and the retry route.
 */
export interface PendingWebhook {
  status: 'pending';
  event: WebhookEvent;
  /** Tries of this event so far, and how the last one ended. */
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  /**
   * Events of later terminal transitions (the job was re-run by the retry route
   * and finished again while this one was in delivery), oldest first: each is
   * delivered after the one before it is delivered or has failed.
   */
  backlog: WebhookEvent[];
}

/**
 * The receiver answered 2xx. Out: the redeliver route (the same event → pending),
 * the retry route (→ awaiting); on a job re-run meanwhile, its next finish (→ a
 * new event in delivery) or the cancel route (→ none).
 */
export interface DeliveredWebhook {
  status: 'delivered';
  event: WebhookEvent;
  attempts: number;
  lastStatusCode: number;
  deliveredAt: string;
}

/** Tries exhausted, 410 Gone, or a target that can never be reached. Out: as delivered. */
export interface FailedWebhook {
  status: 'failed';
  event: WebhookEvent;
  attempts: number;
  lastStatusCode: number | null;
  lastError: string;
}

/** The webhook as the API shows it (SPEC §3.6); also how the store keeps the state's own fields. */
export interface WebhookView {
  status: WebhookStatus;
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  deliveredAt: string | null;
}

/** The event in delivery, if there is one. */
export function pendingWebhook(webhook: WebhookState): PendingWebhook | undefined {
  return webhook.status === 'pending' && webhook.event !== null ? webhook : undefined;
}

/** The job's latest event (in delivery, delivered or failed), or null when there is none. */
export function webhookEventOf(webhook: WebhookState): WebhookEvent | null {
  return webhook.status === 'none' ? null : webhook.event;
}

/** A fresh event in delivery, not tried yet, with the events waiting behind it. */
export function freshDelivery(event: WebhookEvent, backlog: WebhookEvent[] = []): PendingWebhook {
  return { status: 'pending', event, attempts: 0, lastStatusCode: null, lastError: null, backlog };
}

/** A webhook waiting for its job to finish, or none when the job has no `webhookUrl`. */
export function awaitedWebhook(webhookUrl: string | null): NoWebhook | AwaitedWebhook {
  return webhookUrl ? { status: 'pending', event: null } : { status: 'none' };
}

export function webhookViewOf(webhook: WebhookState): WebhookView {
  switch (webhook.status) {
    case 'none':
      return { status: 'none', attempts: 0, lastStatusCode: null, lastError: null, deliveredAt: null };
    case 'pending':
      if (webhook.event === null) return { status: 'pending', attempts: 0, lastStatusCode: null, lastError: null, deliveredAt: null };
      return { status: 'pending', attempts: webhook.attempts, lastStatusCode: webhook.lastStatusCode, lastError: webhook.lastError, deliveredAt: null };
    case 'delivered':
      return { status: 'delivered', attempts: webhook.attempts, lastStatusCode: webhook.lastStatusCode, lastError: null, deliveredAt: webhook.deliveredAt };
    case 'failed':
      return { status: 'failed', attempts: webhook.attempts, lastStatusCode: webhook.lastStatusCode, lastError: webhook.lastError, deliveredAt: null };
    default:
      return unreachable(webhook);
  }
}

/** A `default:` that the type checker proves unreachable: a new state fails to compile until handled. */
export function unreachable(value: never): never {
  throw new Error(`unreachable: ${JSON.stringify(value)}`);
}

/**
 * The webhook event of a terminal transition; fixed when created. Its body is
 * the finished job's view (SPEC §6), so it is not stored while the job still
 * is that finished job: it is made again, byte for byte, from the job and
 * `at` / `expiresAt` at each try (transitions.ts `webhookBodyOf`), and written
 * out only once the job moves on (the retry route) or for an event that waits
 * in the backlog. Issue 11: about 3 KB in the job item made every later write
 * of a webhook job cost 3 write units.
 */
export interface WebhookEvent {
  /** `webhook-id`: the same on every try of this event. */
  id: string;
  type: 'job.succeeded' | 'job.fatal';
  /** The exact body sent on every try, when stored (see above; items of earlier versions always store it). */
  body?: string;
  /** Epoch ms of the terminal transition: the body's `timestamp`, and the job's `updatedAt` / `finishedAt` in it. */
  at?: number;
  /** The job's `expiresAt` (epoch seconds) as the body shows it: the job's own moves with every later write. */
  expiresAt?: number;
  /** Epoch ms of the next delivery try, while pending. */
  nextAttemptAt: number | null;
  /** Set while a try is in flight: that try owns the event until `untilMs` (lambdas/webhooks/webhook-transitions.ts). */
  deliveryLease?: DeliveryLease;
}

/**
 * A delivery try's hold on its event, taken with one conditional write before the
 * POST and cleared by the write of its outcome, which it fences (`token`).
 */
export interface DeliveryLease {
  token: string;
  /** Epoch ms; past it, the try counts as lost and another delivery may take the event over. */
  untilMs: number;
}

/** A job as stored (without the store's key attributes). Times are ISO strings unless named `…Ms`. */
export interface Job {
  jobId: string;
  tenantId: string;
  type: string;
  status: JobStatus;
  /**
   * The payload as sent. A large one lives in its own item, written once
   * (`payloadItem`); a job read without it (JobStore `withPayload: false`, the
   * worker's one-write claim) has it undefined until loaded.
   */
  payload: Record<string, unknown>;
  /** Store: the id of the payload's own item, when the payload is too large to keep in the job item every transition rewrites. */
  payloadItem?: string;
  /** Store: epoch seconds the payload's item expires (kept past the job's own `expiresAt`). */
  payloadExpiresAt?: number;
  payloadHash: string;
  idempotencyKey: string | null;
  webhookUrl: string | null;
  /** Attempts granted per run (1..25). */
  maxAttempts: number;
  /** Total attempts allowed before `fatal`: `maxAttempts`, raised by `maxAttempts` on each retry route call. */
  attemptLimit: number;
  attempts: number;
  /** When a waiting job may next run (ISO); null unless waiting. */
  nextRunAt: string | null;
  /** End of the running attempt's lease (epoch ms); null unless running. */
  leaseUntilMs: number | null;
  result: unknown;
  lastError: string | null;
  history: Attempt[];
  webhook: WebhookState;
  /**
   * Whether a message for the job's current wait (or its pending webhook) has been
   * handed to SQS. Decides where the job sits on the sweep index.
   */
  dispatched: boolean;
  /**
   * The message for the job's current wait was sent *before* this state was
   * written (create, a retry, a hand-back), so the state never exists without
   * its message. Implies `dispatched` (and, like it, cover in case SQS loses the
   * message: an entry at `nextRunAt + STALE_AFTER_SECONDS`, or, for a create due
   * at once, the open-bucket scan: lambdas/jobs/sweep.ts).
   * Absent means false.
   */
  sentFirst?: boolean;
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
  /** TTL: epoch seconds after which the job is gone (SPEC §7). */
  expiresAt: number;
  /** Optimistic-concurrency version: every transition is a write conditional on it. */
  version: number;
}

/** Events waiting behind a pending one; beyond this the oldest waiting ones are dropped. */
export const WEBHOOK_BACKLOG_LIMIT = 10;

/** Attempts kept on a job (SPEC §7). */
export const ATTEMPT_HISTORY_LIMIT = 50;
/** Largest `result` kept as is; bigger results are replaced by `{ truncated, bytes }`. */
export const RESULT_LIMIT_BYTES = 4096;
/** Longest error message kept on an attempt or as `lastError`. */
export const ERROR_LIMIT_BYTES = 1024;

export function isTerminal(status: JobStatus): boolean {
  return TERMINAL_STATUSES.has(status);
}

/** A job as the status index holds it (SPEC §3.3 lists): no payload, attempts or event; the webhook as shown. */
export type JobSummary = Pick<
  Job,
  | 'jobId'
  | 'tenantId'
  | 'type'
  | 'status'
  | 'attempts'
  | 'maxAttempts'
  | 'nextRunAt'
  | 'idempotencyKey'
  | 'payloadHash'
  | 'webhookUrl'
  | 'result'
  | 'lastError'
  | 'createdAt'
  | 'updatedAt'
  | 'finishedAt'
  | 'expiresAt'
> & { webhook: WebhookView };

/** The API representation (SPEC §3.6): absent values are null; `payload` only where asked. */
export function toJobView(job: Job | JobSummary, options: { withPayload: boolean }): Record<string, unknown> {
  // A summary (a list's item) has no attempts' history, so none is how it is told from a whole job.
  const full = 'history' in job ? job : undefined;
  return {
    jobId: job.jobId,
    tenantId: job.tenantId,
    type: job.type,
    status: job.status,
    attempts: job.attempts,
    maxAttempts: job.maxAttempts,
    nextRunAt: job.nextRunAt ?? null,
    idempotencyKey: job.idempotencyKey ?? null,
    payloadHash: job.payloadHash,
    ...(options.withPayload && full ? { payload: full.payload } : {}),
    webhookUrl: job.webhookUrl ?? null,
    webhook: full ? webhookViewOf(full.webhook) : job.webhook,
    result: job.result ?? null,
    lastError: job.lastError ?? null,
    createdAt: job.createdAt,
    updatedAt: job.updatedAt,
    finishedAt: job.finishedAt ?? null,
    expiresAt: new Date(job.expiresAt * 1000).toISOString(),
  };
}

/** Keeps a handler's result within RESULT_LIMIT_BYTES of JSON (SPEC §3.6). */
export function boundResult(result: unknown): unknown {
  if (result === undefined) return null;
  const json = JSON.stringify(result);
  if (json === undefined) return null;
  const bytes = Buffer.byteLength(json);
  return bytes <= RESULT_LIMIT_BYTES ? result : { truncated: true, bytes };
}

/** Cuts an error message to ERROR_LIMIT_BYTES, on a character boundary, first line only. */
export function boundError(message: string): string {
  const firstLine = message.split('\n', 1)[0] ?? '';
  if (Buffer.byteLength(firstLine) <= ERROR_LIMIT_BYTES) return firstLine;
  let cut = firstLine.slice(0, ERROR_LIMIT_BYTES);
  // '…' is 3 bytes of UTF-8: leave room for it.
  while (Buffer.byteLength(cut) > ERROR_LIMIT_BYTES - Buffer.byteLength('…')) cut = cut.slice(0, -1);
  return `${cut}…`;
}

/** `expiresAt` (SPEC §7): retention counted from the later of the last update and `nextRunAt`. */
export function expiryOf(updatedAtMs: number, nextRunAtMs: number | null, retentionDays: number): number {
  const from = Math.max(updatedAtMs, nextRunAtMs ?? 0);
  return Math.ceil((from + retentionDays * 86_400_000) / 1000);
}
