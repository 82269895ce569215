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
import { loadConfig, type Config } from './config';
import { METRICS_NAMESPACE, SERVICE_NAME } from './resources';
import { createJobTypes, type JobTypes } from './job-types/registry';
import type { Senders } from './job-types/senders';
import { SesMailer } from './senders/ses-mailer';
import { SnsTexter } from './senders/sns-texter';
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
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** The clock every decision reads (epoch ms); tests inject their own. */
  readonly now: () => number;
  readonly db: DynamoDBDocumentClient;
  readonly sqs: SQSClient;
}

export interface ServiceContextOverrides {
  readonly config?: Config;
  readonly now?: () => number;
  readonly logger?: Logger;
  /** Where `email` and `sms` send. @default Amazon SES and SNS ({@link awsSenders}) */
  readonly senders?: Senders;
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
    metrics: new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME }),
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
    jobTypes: jobTypesFor(config, overrides.senders),
  };
}

/** The senders of a Lambda: SES for `email`, SNS for `sms`. */
export function awsSenders(): Senders {
  return { mailer: new SesMailer(), texter: new SnsTexter() };
}

/** The job types, built with `senders` and the deployment's defaults from `config`. */
export function jobTypesFor(config: Config, senders: Senders = awsSenders()): JobTypes {
  return createJobTypes({ ...senders, emailFrom: config.emailFrom, smsSenderId: config.smsSenderId });
}

function missing(variable: string): string {
  throw new Error(`${variable} is not set`);
}
