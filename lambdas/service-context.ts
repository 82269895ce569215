/**
 * Everything a handler needs, built once per cold start (or once per local twin)
 * from the environment. Handlers never know where they run: AWS clients use
 * default configuration, so the SDK's `AWS_ENDPOINT_URL_DYNAMODB` /
 * `AWS_ENDPOINT_URL_SQS` point them at the local twin's endpoints. The one
 * effect the twin swaps is where `email` and `sms` send: SES and SNS here, its
 * outbox there (the `senders` override).
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { Log } from './observability';
import { loadConfig, type Config } from './config';
import { METRICS_NAMESPACE, SERVICE_NAME } from './resources';
import type { JobTypes } from './job-types/registry';
import type { Senders } from './job-types/senders';
import { createDocumentClient } from './store/dynamodb-client';
import { JobStore } from './store/job-store';
import { TenantStore } from './store/tenant-store';
import { createSqsClient, DeadLetterQueue, MessageQueue, type JobMessage, type WebhookMessage } from './queue/job-queue';

export interface ServiceContext {
  readonly config: Config;
  readonly jobs: JobStore;
  readonly tenants: TenantStore;
  readonly jobsQueue: MessageQueue<JobMessage>;
  readonly webhooksQueue: MessageQueue<WebhookMessage>;
  /** The dead-letter queues the scheduler drains (SPEC §4), when configured. */
  readonly jobsDeadLetters?: DeadLetterQueue;
  readonly webhooksDeadLetters?: DeadLetterQueue;
  /** The runnable job types, built with this context's senders. */
  readonly jobTypes: JobTypes;
  readonly logger: Log;
  /** One instance for the process; handlers publish what it buffered once per invocation (./observability.ts). */
  readonly metrics: Metrics;
  /** The clock every decision reads (epoch ms); tests inject their own. */
  readonly now: () => number;
  readonly db: DynamoDBDocumentClient;
  readonly sqs: SQSClient;
}

export interface ServiceContextOverrides {
  readonly config?: Config;
  readonly now?: () => number;
  readonly logger?: Log;
  /** Where `email` and `sms` send. @default Amazon SES and SNS (job-types/deployment.ts's awsSenders) */
  readonly senders?: Senders;
  /**
   * Builds the job types (job-types/deployment.ts's `jobTypesFor`). Passed by what runs
   * jobs (the api and worker entry points, the twin), so the scheduler's and the
   * webhook's cold starts load none of the types' payload schemas (zod). Without it
   * `jobTypes` throws.
   */
  readonly jobTypes?: (config: Config, senders?: Senders) => JobTypes;
  /** Where handlers publish metrics (the twin taps them for its health route). @default a Powertools Metrics in namespace JobsService */
  readonly metrics?: Metrics;
}

export function createServiceContext(overrides: ServiceContextOverrides = {}): ServiceContext {
  const config = overrides.config ?? loadConfig();
  const now = overrides.now ?? Date.now;
  const db = createDocumentClient();
  const sqs = createSqsClient();
  const logger = overrides.logger ?? new Logger({ serviceName: SERVICE_NAME });
  return {
    config,
    now,
    db,
    sqs,
    logger,
    metrics: overrides.metrics ?? new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME }),
    jobs: new JobStore(db, {
      tableName: config.tableName,
      now,
      sweep: { lookaheadMs: config.schedulerLookaheadSeconds * 1000, staleAfterMs: config.staleAfterSeconds * 1000 },
    }),
    tenants: new TenantStore(db, config.tableName),
    jobsQueue: new MessageQueue<JobMessage>(sqs, config.jobsQueueUrl ?? missing('JOBS_QUEUE_URL')),
    webhooksQueue: new MessageQueue<WebhookMessage>(sqs, config.webhooksQueueUrl ?? missing('WEBHOOKS_QUEUE_URL')),
    ...(config.jobsDlqUrl ? { jobsDeadLetters: new DeadLetterQueue(sqs, config.jobsDlqUrl) } : {}),
    ...(config.webhooksDlqUrl ? { webhooksDeadLetters: new DeadLetterQueue(sqs, config.webhooksDlqUrl) } : {}),
    jobTypes: overrides.jobTypes?.(config, overrides.senders) ?? runsNoJobs,
  };
}

function runsNoJobs(type: string): never {
  throw new Error(`this function runs no jobs (asked for job type ${type}): pass jobTypes to createServiceContext`);
}

function missing(variable: string): string {
  throw new Error(`${variable} is not set`);
}
