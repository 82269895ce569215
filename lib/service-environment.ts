/**
 * The one typed configuration every function of the service gets (SPEC §12):
 * settings in, environment variables out. The names are the ones
 * `lambdas/config.ts` reads, and the values are checked with that same module
 * at synthesis, so a bad setting fails `cdk synth` rather than a cold start.
 */
import { Token } from 'aws-cdk-lib';
import { configVariable, loadConfig } from '../lambdas/config';
import { METRICS_NAMESPACE, SERVICE_NAME } from '../lambdas/resources';

export interface ServiceSettings {
  /** Name of the jobs table (`JOBS_TABLE_NAME`). */
  readonly tableName: string;
  /** URL of the jobs queue (`JOBS_QUEUE_URL`). */
  readonly jobsQueueUrl: string;
  /** URL of the webhooks queue (`WEBHOOKS_QUEUE_URL`). */
  readonly webhooksQueueUrl: string;
  /** URLs of the dead-letter queues the scheduler drains (`JOBS_DLQ_URL`, `WEBHOOKS_DLQ_URL`). @default - none drained */
  readonly jobsDlqUrl?: string;
  readonly webhooksDlqUrl?: string;
  /**
   * Sender of `email` jobs that give no `from`: an SES-verified identity (`EMAIL_FROM`).
   * @default - the service default (`jobs@example.com`), which SES will refuse
   */
  readonly emailFrom?: string;
  /** @default - no sender id on SMS (`SMS_SENDER_ID`) */
  readonly smsSenderId?: string;
  /** @default 7 (`RETENTION_DAYS`) */
  readonly retentionDays?: number;
  /** @default 5 (`DEFAULT_MAX_ATTEMPTS`) */
  readonly defaultMaxAttempts?: number;
  /** @default 2 (`BACKOFF_BASE_SECONDS`) */
  readonly backoffBaseSeconds?: number;
  /** @default 3600 (`BACKOFF_MAX_SECONDS`) */
  readonly backoffMaxSeconds?: number;
  /** Time limit of one attempt; must fit in the worker's timeout. @default 30 (`JOB_TIMEOUT_SECONDS`) */
  readonly jobTimeoutSeconds?: number;
  /** @default 120 (`STALE_AFTER_SECONDS`) */
  readonly staleAfterSeconds?: number;
  /** @default 300 (`SCHEDULER_LOOKAHEAD_SECONDS`) */
  readonly schedulerLookaheadSeconds?: number;
  /** @default 5,30,120,600,1800,3600,7200,14400,28800 (`WEBHOOK_RETRY_SCHEDULE`) */
  readonly webhookRetrySchedule?: readonly number[];
  /** @default 10 (`WEBHOOK_TIMEOUT_SECONDS`) */
  readonly webhookTimeoutSeconds?: number;
}

/** The settings a deployment chooses; the resource names and URLs come from the stack. */
export type ServiceTunables = Omit<ServiceSettings, 'tableName' | 'jobsQueueUrl' | 'webhooksQueueUrl' | 'jobsDlqUrl' | 'webhooksDlqUrl'>;

/** Stand-ins for values only known at deploy time, so the rest can be validated at synthesis. */
const DEPLOY_TIME_PLACEHOLDERS: Partial<Record<string, string>> = {
  JOBS_TABLE_NAME: 'placeholder-table',
  JOBS_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/000000000000/placeholder',
  WEBHOOKS_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/000000000000/placeholder',
  JOBS_DLQ_URL: 'https://sqs.us-east-1.amazonaws.com/000000000000/placeholder',
  WEBHOOKS_DLQ_URL: 'https://sqs.us-east-1.amazonaws.com/000000000000/placeholder',
};

/**
 * The environment of every function. Settings left out are not set, so the
 * service's own defaults apply. `ALLOW_PRIVATE_TARGETS` is never set here: on
 * AWS, webhook and `http` targets must be public (SPEC §6).
 *
 * @throws ConfigError (from lambdas/config.ts) when a setting is out of range
 */
export function serviceEnvironment(settings: ServiceSettings): Record<string, string> {
  const environment: Record<string, string> = {
    POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
    POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
    POWERTOOLS_LOG_LEVEL: 'INFO',
  };
  // Each setting has the name of a Config field, read from its variable (`configVariable`).
  for (const [setting, value] of Object.entries(settings) as Array<[keyof ServiceSettings, ServiceSettings[keyof ServiceSettings]]>) {
    if (value === undefined) continue;
    environment[configVariable(setting)] = Array.isArray(value) ? value.join(',') : String(value);
  }
  loadConfig(
    Object.fromEntries(
      Object.entries(environment).map(([name, value]) => [name, Token.isUnresolved(value) ? (DEPLOY_TIME_PLACEHOLDERS[name] ?? value) : value]),
    ),
  );
  return environment;
}
