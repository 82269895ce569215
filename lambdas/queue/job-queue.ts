/**
 * SQS adapter: the only module that sends to the jobs and webhooks queues. Every
 * message carries `MessageGroupId = tenantId`, which makes a standard queue an
 * SQS fair queue (SPEC §4). Bodies are tiny pointers; the job lives in DynamoDB.
 */
import { ChangeMessageVisibilityCommand, DeleteMessageCommand, ReceiveMessageCommand, SendMessageBatchCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { MAX_SQS_DELAY_SECONDS } from '../resources';
import { cacheHandlers } from '../sdk-handler-cache';
import { cacheUserAgent } from '../sdk-user-agent';

/** A jobs-queue message: "look at this job". */
export interface JobMessage {
  readonly tenantId: string;
  readonly jobId: string;
  /**
   * The attempts the job had when this message was sent (0 for a new job): lets
   * the worker claim in one conditional write, without reading the job first.
   * Absent (the scheduler's sends): the worker reads and decides.
   */
  readonly attempts?: number;
  /**
   * Epoch ms the api sent this message, before the job's put: a worker that
   * finds no job for a young message sends it again, as the put may not have
   * landed yet. Only create messages carry it.
   */
  readonly sentAt?: number;
  /** Epoch ms the job was due when this create message was sent (its queue wait is measured from it). */
  readonly dueAt?: number;
}

/** A webhooks-queue message: "deliver this job's pending webhook event". */
export interface WebhookMessage {
  readonly tenantId: string;
  readonly jobId: string;
  /** The event it is for; absent (the scheduler's re-send for a finished job): whichever event is pending. */
  readonly eventId?: string;
}

export interface Dispatch<M> {
  readonly message: M;
  /** Seconds to wait before the message becomes visible; capped at SQS's 900. */
  readonly delaySeconds?: number;
}

const BATCH_LIMIT = 10;

export function createSqsClient(): SQSClient {
  // Default configuration: on the local twin `AWS_ENDPOINT_URL_SQS` points it at the embedded endpoint.
  // Standard retries: adaptive mode's one rate limiter per client would let one tenant's throttling slow all (store/dynamodb-client.ts).
  // No MD5 of every body sent and received: TLS already guards them in transit (and SigV4 the requests), and
  // the checks were a third of a SendMessage's client-side CPU (0.15 of 0.48 ms here).
  // The user agent is built once per operation (../sdk-user-agent.ts), the middleware stack resolved once per command (../sdk-handler-cache.ts).
  return cacheHandlers(cacheUserAgent(new SQSClient({ retryMode: 'standard', maxAttempts: 6, md5: false })));
}

export function parseJobMessage(body: string): JobMessage | undefined {
  const pointer = parsePointer(body, ['tenantId', 'jobId']);
  if (!pointer) return undefined;
  const value = JSON.parse(body) as Record<string, unknown>;
  const hints = { attempts: countIn(value.attempts), sentAt: countIn(value.sentAt), dueAt: countIn(value.dueAt) };
  const message: { -readonly [K in keyof JobMessage]: JobMessage[K] } = { tenantId: pointer.tenantId, jobId: pointer.jobId };
  for (const [name, hint] of Object.entries(hints)) if (hint !== undefined) message[name as keyof typeof hints] = hint;
  return message;
}

/** A non-negative integer, or undefined (a hint the worker can do without). */
function countIn(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : undefined;
}

export function parseWebhookMessage(body: string): WebhookMessage | undefined {
  const pointer = parsePointer(body, ['tenantId', 'jobId']);
  if (!pointer) return undefined;
  const eventId = (JSON.parse(body) as { eventId?: unknown }).eventId;
  if (eventId === undefined) return { tenantId: pointer.tenantId, jobId: pointer.jobId };
  if (typeof eventId !== 'string' || eventId.length === 0 || eventId.length > 256) return undefined;
  return { tenantId: pointer.tenantId, jobId: pointer.jobId, eventId };
}

export class MessageQueue<M extends { tenantId: string }> {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async send(dispatch: Dispatch<M>): Promise<void> {
    await this.sqs.send(new SendMessageCommand({ QueueUrl: this.queueUrl, ...this.entry(dispatch) }));
  }

  /**
   * Sends many messages in batches of ten. Returns the dispatches SQS refused
   * (per-entry failures); callers leave those to the sweep index.
   */
  async sendMany(dispatches: readonly Dispatch<M>[]): Promise<Dispatch<M>[]> {
    const failed: Dispatch<M>[] = [];
    const batches: Promise<void>[] = [];
    for (let i = 0; i < dispatches.length; i += BATCH_LIMIT) {
      const chunk = dispatches.slice(i, i + BATCH_LIMIT);
      batches.push(
        this.sqs
          .send(
            new SendMessageBatchCommand({
              QueueUrl: this.queueUrl,
              Entries: chunk.map((dispatch, index) => ({ Id: String(index), ...this.entry(dispatch) })),
            }),
          )
          .then(
            (result) => {
              for (const entry of result.Failed ?? []) failed.push(chunk[Number(entry.Id)]);
            },
            () => {
              failed.push(...chunk);
            },
          ),
      );
    }
    await Promise.all(batches);
    return failed;
  }

  private entry(dispatch: Dispatch<M>) {
    const delay = Math.min(MAX_SQS_DELAY_SECONDS, Math.max(0, Math.ceil(dispatch.delaySeconds ?? 0)));
    return {
      MessageBody: JSON.stringify(dispatch.message),
      MessageGroupId: dispatch.message.tenantId,
      DelaySeconds: delay,
    };
  }
}

/** A message received from a dead-letter queue: its body, and the handle that deletes it. */
export interface DeadLetter {
  readonly body: string;
  readonly receiptHandle: string;
}

/**
 * A dead-letter queue, read by the scheduler (SPEC §4, poison messages): what it
 * takes back to the work queue or drops is deleted here; what it cannot read is
 * left for operators (it shows again after the DLQ's visibility timeout).
 */
export class DeadLetterQueue {
  constructor(
    private readonly sqs: SQSClient,
    readonly queueUrl: string,
  ) {}

  /** Up to `max` (≤ 10) messages, without waiting when there are none. */
  async receive(max: number): Promise<DeadLetter[]> {
    const { Messages } = await this.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: this.queueUrl, MaxNumberOfMessages: Math.min(BATCH_LIMIT, max), WaitTimeSeconds: 0 }),
    );
    return (Messages ?? []).flatMap((m) => (m.Body !== undefined && m.ReceiptHandle ? [{ body: m.Body, receiptHandle: m.ReceiptHandle }] : []));
  }

  async delete(letter: DeadLetter): Promise<void> {
    await this.sqs.send(new DeleteMessageCommand({ QueueUrl: this.queueUrl, ReceiptHandle: letter.receiptHandle }));
  }

  /** Makes a received message visible again at once (for operators, and the next run). */
  async release(letter: DeadLetter): Promise<void> {
    await this.sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: this.queueUrl, ReceiptHandle: letter.receiptHandle, VisibilityTimeout: 0 }));
  }
}

function parsePointer(body: string, fields: readonly string[]): Record<string, string> | undefined {
  try {
    const value = JSON.parse(body) as Record<string, unknown>;
    if (typeof value !== 'object' || value === null) return undefined;
    const pointer: Record<string, string> = {};
    for (const field of fields) {
      const v = value[field];
      if (typeof v !== 'string' || v.length === 0 || v.length > 256) return undefined;
      pointer[field] = v;
    }
    return pointer;
  } catch {
    return undefined;
  }
}
