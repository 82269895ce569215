import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { startSqsEndpoint, type SqsEndpoint, type SqsEndpointOptions } from '../../../local/sqs';

/** A clock the test moves by hand, for delays, visibility timeouts and retention without waiting. */
export class ManualClock {
  constructor(private current = Date.UTC(2026, 0, 1)) {}
  readonly now = (): number => this.current;
  advanceSeconds(seconds: number): void {
    this.current += seconds * 1000;
  }
}

/** The real SDK client, the way services and the twin build it. */
export function sqsClientFor(endpoint: Pick<SqsEndpoint, 'url'>): SQSClient {
  return new SQSClient({
    endpoint: endpoint.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    // A retried 500 would hide an endpoint bug behind a slow pass.
    maxAttempts: 1,
  });
}

export interface RunningSqs {
  endpoint: SqsEndpoint;
  sqs: SQSClient;
  stop(): Promise<void>;
}

export async function startSqs(options?: SqsEndpointOptions): Promise<RunningSqs> {
  const endpoint = await startSqsEndpoint(options);
  const sqs = sqsClientFor(endpoint);
  return {
    endpoint,
    sqs,
    async stop() {
      sqs.destroy();
      await endpoint.close();
    },
  };
}

let queueNumber = 0;

/** Creates a queue with a fresh name; returns its QueueUrl. */
export async function createQueue(sqs: SQSClient, attributes?: Record<string, string>, prefix = 'q'): Promise<string> {
  queueNumber++;
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({
    QueueName: `${prefix}-${queueNumber}-${process.pid}`,
    Attributes: attributes,
  }));
  return QueueUrl!;
}

export async function queueCounts(sqs: SQSClient, queueUrl: string) {
  const { Attributes = {} } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['All'] }));
  return {
    visible: Number(Attributes.ApproximateNumberOfMessages),
    inFlight: Number(Attributes.ApproximateNumberOfMessagesNotVisible),
    delayed: Number(Attributes.ApproximateNumberOfMessagesDelayed),
  };
}

export function temporaryDirectory(): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), 'sqs-endpoint-'));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}
