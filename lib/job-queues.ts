/**
 * A work queue and its dead-letter queue, built from a `QueueDefinition` in
 * `lambdas/resources.ts` (the twin creates its queues from the same data), and
 * the event source that feeds it to its consuming function.
 */
import { Duration } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { DLQ_RETENTION_SECONDS, type QueueDefinition } from '../lambdas/resources';

/**
 * Lambda's rule for an SQS event source: the queue's visibility timeout is at
 * least the function's timeout (a message never comes back while an invocation
 * may still hold it). AWS advises six times more, room for retries when the
 * function is throttled; the jobs queue keeps its visibility shorter on purpose
 * (a dead worker's message is what brings its running job back, lambdas/resources.ts),
 * so the check is Lambda's rule alone.
 */
export const VISIBILITY_TIMEOUT_FACTOR = 1;

export interface WorkQueueProps {
  /** Receive count, visibility, retention and event-source settings. */
  readonly definition: QueueDefinition;
}

export class WorkQueue extends Construct {
  public readonly queue: sqs.Queue;
  public readonly deadLetterQueue: sqs.Queue;
  public readonly definition: QueueDefinition;

  constructor(scope: Construct, id: string, props: WorkQueueProps) {
    super(scope, id);
    const { definition } = props;
    this.definition = definition;
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.seconds(DLQ_RETENTION_SECONDS),
    });
    this.queue = new sqs.Queue(this, 'Queue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: Duration.seconds(definition.visibilityTimeoutSeconds),
      retentionPeriod: Duration.seconds(definition.retentionSeconds),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: definition.maxReceiveCount },
    });
  }

  /**
   * Makes `consumer` the queue's Lambda consumer: batches with partial
   * failures reported per message, the definition's batch size, batching
   * window and maximum concurrency. Grants it receive and delete.
   *
   * @throws Error when the visibility timeout is under the consumer's timeout
   */
  consumeWith(consumer: lambda.Function): void {
    const timeoutSeconds = consumer.timeout?.toSeconds() ?? 3;
    if (this.definition.visibilityTimeoutSeconds < VISIBILITY_TIMEOUT_FACTOR * timeoutSeconds) {
      throw new Error(
        `${this.node.path}: visibility timeout ${this.definition.visibilityTimeoutSeconds}s is under ` +
          `${VISIBILITY_TIMEOUT_FACTOR} × the consumer's ${timeoutSeconds}s timeout`,
      );
    }
    consumer.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize: this.definition.batchSize,
        maxBatchingWindow: Duration.seconds(this.definition.maxBatchingWindowSeconds),
        maxConcurrency: this.definition.maxConcurrency,
        reportBatchItemFailures: true,
      }),
    );
  }
}
