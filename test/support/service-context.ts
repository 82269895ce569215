/**
 * A ServiceContext on a real embedded DynamoDB (dynalite, in memory) with
 * recording queues and a hand-moved clock: for handler tests that call the
 * worker, the scheduler or the webhook Lambda directly and look at the sends.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { loadConfig } from '../../lambdas/config';
import { MessageQueue, type Dispatch, type JobMessage, type WebhookMessage } from '../../lambdas/queue/job-queue';
import { jobTypesFor } from '../../lambdas/job-types/deployment';
import type { ServiceContext } from '../../lambdas/service-context';
import { JobStore } from '../../lambdas/store/job-store';
import { TenantStore } from '../../lambdas/store/tenant-store';
import { ensureTable, startDynamoDb } from '../../local/dynamodb';
import { TestClock } from './clock';

/** A queue that keeps what is sent; `failNext(n)` makes the next n sends fail (per message). */
export class RecordingQueue<M extends { tenantId: string }> extends MessageQueue<M> {
  readonly sent: Dispatch<M>[] = [];
  private failures = 0;

  constructor() {
    super(undefined as unknown as SQSClient, 'http://127.0.0.1:1/000000000000/recording');
  }

  failNext(count = 1): void {
    this.failures += count;
  }

  override async send(dispatch: Dispatch<M>): Promise<void> {
    if (this.failures > 0) {
      this.failures--;
      throw new Error('SendMessage failed (test)');
    }
    this.sent.push(dispatch);
  }

  override async sendMany(dispatches: readonly Dispatch<M>[]): Promise<Dispatch<M>[]> {
    const failed: Dispatch<M>[] = [];
    for (const dispatch of dispatches) {
      if (this.failures > 0) {
        this.failures--;
        failed.push(dispatch);
      } else {
        this.sent.push(dispatch);
      }
    }
    return failed;
  }

  /** Takes what was sent so far (and forgets it). */
  drain(): Dispatch<M>[] {
    return this.sent.splice(0, this.sent.length);
  }
}

export interface ContextHarness {
  readonly ctx: ServiceContext;
  readonly clock: TestClock;
  readonly jobsQueue: RecordingQueue<JobMessage>;
  readonly webhooksQueue: RecordingQueue<WebhookMessage>;
  close(): Promise<void>;
}

/** Starts dynalite in memory with the service's table; `env` holds SPEC §12 variables. */
export async function startContextHarness(env: Record<string, string> = {}): Promise<ContextHarness> {
  // As on the twin: no EMF lines in the test output (each metric reads this when it is emitted).
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  const dynamodb = await startDynamoDb({});
  const client = new DynamoDBClient({
    endpoint: dynamodb.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  await ensureTable(client, 'jobs');
  const db = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false } });
  const config = loadConfig({ JOBS_TABLE_NAME: 'jobs', ALLOW_PRIVATE_TARGETS: 'true', ...env });
  const clock = new TestClock(Date.UTC(2026, 5, 1, 12));
  const jobsQueue = new RecordingQueue<JobMessage>();
  const webhooksQueue = new RecordingQueue<WebhookMessage>();
  const ctx: ServiceContext = {
    config,
    now: clock.now,
    db,
    sqs: undefined as unknown as SQSClient,
    logger: new Logger({ serviceName: 'test', logLevel: 'SILENT' }),
    metrics: new Metrics({ namespace: 'Test', serviceName: 'test' }),
    jobs: new JobStore(db, {
      tableName: config.tableName,
      now: clock.now,
      sweep: { lookaheadMs: config.schedulerLookaheadSeconds * 1000, staleAfterMs: config.staleAfterSeconds * 1000 },
    }),
    tenants: new TenantStore(db, config.tableName),
    jobsQueue,
    webhooksQueue,
    jobTypes: jobTypesFor(config),
  };
  return {
    ctx,
    clock,
    jobsQueue,
    webhooksQueue,
    async close() {
      client.destroy();
      await dynamodb.close();
    },
  };
}
