/**
 * Plays Lambda's SQS event source mapping on the local twin: long-polls a queue,
 * hands batches (up to `batchSize`) to the handler as an `SQSEvent`, deletes the
 * records that succeeded, and leaves `batchItemFailures` (or the whole batch, if
 * the handler throws) to come back after the visibility timeout. Several batches
 * run at once, up to `maxConcurrency`.
 */
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { setMaxListeners } from 'node:events';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { errorForLog, type Log } from '../lambdas/observability';

export type SqsHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | void>;

export interface SqsEventSourceOptions {
  readonly name: string;
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  readonly handler: SqsHandler;
  readonly batchSize: number;
  readonly maxConcurrency: number;
  /** How long the function may run (ms), as Lambda's timeout. */
  readonly functionTimeoutMs: number;
  readonly logger: Log;
  /**
   * Runs each invocation (the handler and the delete of what it handled), as
   * Lambda's runtime would; a rejection means the invocation died, and its
   * batch is abandoned to come back after its visibility timeout. The twin's
   * fault injection passes one (`worker.crash`). @default runs it as is
   */
  readonly runInvocation?: InvocationRunner;
}

/** `subject` names the batch stably (its message bodies), `records` is its size. */
export type InvocationRunner = (name: string, subject: string, records: number, invocation: () => Promise<void>) => Promise<void>;

export interface StopOptions {
  /** How long running batches get to finish. @default 3000 */
  readonly graceMs?: number;
  /**
   * Called when the grace period ends with batches still running (e.g. to abort
   * their attempts so the handler hands the jobs back); they then get `settleMs`
   * more to return before their messages are released.
   */
  readonly interrupt?: () => void;
  /** @default 2000 */
  readonly settleMs?: number;
}

export interface SqsEventSource {
  /** Stops receiving; lets running batches finish (or interrupts them), then releases what is left. */
  stop(options?: StopOptions): Promise<void>;
}

const LONG_POLL_SECONDS = 2;

export function startSqsEventSource(options: SqsEventSourceOptions): SqsEventSource {
  const abort = new AbortController();
  // Every poller's pending receive listens on it (the SDK adds a couple of listeners per request).
  setMaxListeners(4 * options.maxConcurrency + 10, abort.signal);
  const inFlight = new Map<string, Message>();
  let stopping = false;

  const arn = `arn:aws:sqs:us-east-1:000000000000:${options.queueUrl.split('/').pop()}`;
  const toRecord = (message: Message): SQSRecord =>
    ({
      messageId: message.MessageId!,
      receiptHandle: message.ReceiptHandle!,
      body: message.Body ?? '',
      attributes: message.Attributes ?? {},
      messageAttributes: message.MessageAttributes ?? {},
      md5OfBody: message.MD5OfBody ?? '',
      eventSource: 'aws:sqs',
      eventSourceARN: arn,
      awsRegion: 'us-east-1',
    }) as unknown as SQSRecord;

  const runInvocation: InvocationRunner = options.runInvocation ?? ((_name, _subject, _records, invocation) => invocation());

  async function runBatch(messages: Message[]): Promise<void> {
    for (const m of messages) inFlight.set(m.MessageId!, m);
    const subject = messages.map((m) => m.Body ?? '').sort().join('\n');
    try {
      await runInvocation(options.name, subject, messages.length, () => invoke(messages));
    } catch (error) {
      // A dead invocation deletes nothing: its messages come back after their visibility timeout.
      options.logger.warn(`${options.name}: invocation died; its batch returns after its visibility timeout`, { error: (error as Error).message });
    } finally {
      for (const m of messages) inFlight.delete(m.MessageId!);
    }
  }

  /** One invocation: the handler on the batch, then the delete of the records it handled. */
  async function invoke(messages: Message[]): Promise<void> {
    const deadline = Date.now() + options.functionTimeoutMs;
    const context = {
      functionName: options.name,
      awsRequestId: `${options.name}-${messages[0].MessageId}`,
      getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    } as unknown as Context;
    let failedIds: Set<string>;
    try {
      const response = await options.handler({ Records: messages.map(toRecord) }, context);
      failedIds = new Set((response?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
    } catch (error) {
      options.logger.error(`${options.name}: invocation failed; the batch returns after its visibility timeout`, errorForLog(error));
      failedIds = new Set(messages.map((m) => m.MessageId!));
    }
    const done = messages.filter((m) => !failedIds.has(m.MessageId!));
    if (done.length > 0) {
      try {
        await options.sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: options.queueUrl,
            Entries: done.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
          }),
        );
      } catch (error) {
        // The messages come back and are handled again: the handlers are idempotent.
        options.logger.warn(`${options.name}: delete failed`, { error: (error as Error).message });
      }
    }
  }

  async function poll(): Promise<void> {
    while (!stopping) {
      let messages: Message[];
      try {
        const result = await options.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: options.queueUrl,
            MaxNumberOfMessages: options.batchSize,
            WaitTimeSeconds: LONG_POLL_SECONDS,
            MessageSystemAttributeNames: ['All'],
            MessageAttributeNames: ['All'],
          }),
          { abortSignal: abort.signal },
        );
        messages = result.Messages ?? [];
      } catch (error) {
        if (stopping) break;
        options.logger.warn(`${options.name}: receive failed`, { error: (error as Error).message });
        await new Promise((r) => setTimeout(r, 200));
        continue;
      }
      if (stopping) {
        await release(messages);
        break;
      }
      if (messages.length > 0) await runBatch(messages);
    }
  }

  async function release(messages: Message[]): Promise<void> {
    for (let i = 0; i < messages.length; i += 10) {
      const chunk = messages.slice(i, i + 10);
      await options.sqs
        .send(
          new ChangeMessageVisibilityBatchCommand({
            QueueUrl: options.queueUrl,
            Entries: chunk.map((m, j) => ({ Id: String(j), ReceiptHandle: m.ReceiptHandle!, VisibilityTimeout: 0 })),
          }),
        )
        .catch(() => undefined);
    }
  }

  const pollers = Array.from({ length: options.maxConcurrency }, () => poll());

  return {
    async stop({ graceMs = 3000, interrupt, settleMs = 2000 }: StopOptions = {}) {
      stopping = true;
      abort.abort();
      const allDone = Promise.all(pollers);
      await within(allDone, graceMs);
      if (inFlight.size > 0 && interrupt) {
        interrupt();
        await within(allDone, settleMs);
      }
      // Batches still running now: hand their messages back to the queue.
      await release([...inFlight.values()]);
    },
  };
}

/** Waits for `promise`, but no longer than `ms`. */
async function within(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise, new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}
