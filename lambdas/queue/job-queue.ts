/**
 * SQS adapter: the only module that sends to the jobs and webhooks queues. Every
 * message carries `MessageGroupId = tenantId`, which makes a standard queue an
 * SQS fair queue (SPEC §4). Bodies are tiny pointers; the job lives in DynamoDB.
 */
import { SendMessageBatchCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { MAX_SQS_DELAY_SECONDS } from '../resources';
import { cacheUserAgent } from '../sdk-user-agent';

/** A jobs-queue message: "look at this job". */
export interface JobMessage {
  readonly tenantId: string;
  readonly jobId: string;
}

/** A webhooks-queue message: "deliver this job's pending webhook event". */
export interface WebhookMessage {
  readonly tenantId: string;
  readonly jobId: string;
  readonly eventId: string;
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
  // The user agent is built once per operation (../sdk-user-agent.ts).
  return cacheUserAgent(new SQSClient({ retryMode: 'standard', maxAttempts: 6, md5: false }));
}

export function parseJobMessage(body: string): JobMessage | undefined {
  return parsePointer(body, ['tenantId', 'jobId']) as JobMessage | undefined;
}

export function parseWebhookMessage(body: string): WebhookMessage | undefined {
  return parsePointer(body, ['tenantId', 'jobId', 'eventId']) as WebhookMessage | undefined;
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
