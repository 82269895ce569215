/**
 * Environment → typed, validated configuration (SPEC §12). Read once per cold
 * start (or once per local twin); a bad value stops start with a message naming
 * the variable.
 */
import * as z from 'zod';
import { TABLE_NAME, USAGE_PLAN } from './resources';
import { SenderIdSchema } from './job-types/sms';
import { isWebhookSecret } from './outbound/signer';

const bool = z
  .enum(['1', '0', 'true', 'false', 'yes', 'no', 'on', 'off', ''])
  .transform((v) => ['1', 'true', 'yes', 'on'].includes(v));
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const port = int(0, 65535);
const secondsList = z
  .string()
  .regex(/^\s*\d+(\s*,\s*\d+)*\s*$/, 'comma-separated whole seconds, e.g. 5,30,120')
  .transform((s) => s.split(',').map((n) => Number(n.trim())));

const ConfigSchema = z.object({
  PORT: port.default(3000),
  JOBS_DATA_DIR: z.string().min(1).default('.data'),
  JOBS_IN_MEMORY: bool.default(false),
  JOBS_DEV_API_KEY: z.string().regex(/^[\x21-\x7e]{20,128}$/, '20..128 visible ASCII characters').optional(),
  JOBS_DEV_WEBHOOK_SECRET: z.string().refine(isWebhookSecret, 'whsec_ followed by standard base64 of 24 to 64 bytes').optional(),
  JOBS_DEV_TENANT: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lowercase letters, digits and dashes').default('dev'),
  RETENTION_DAYS: int(1, 365).default(7),
  DEFAULT_MAX_ATTEMPTS: int(1, 25).default(5),
  BACKOFF_BASE_SECONDS: z.coerce.number().min(0.001).max(3600).default(2),
  BACKOFF_MAX_SECONDS: z.coerce.number().min(0.001).max(86400).default(3600),
  JOB_TIMEOUT_SECONDS: z.coerce.number().min(0.1).max(900).default(30),
  STALE_AFTER_SECONDS: z.coerce.number().min(0.1).max(86400).default(120),
  SCHEDULER_INTERVAL_SECONDS: z.coerce.number().min(0.05).max(3600).default(10),
  SCHEDULER_LOOKAHEAD_SECONDS: z.coerce.number().min(0).max(840).default(300),
  WEBHOOK_RETRY_SCHEDULE: secondsList.default([5, 30, 120, 600, 1800, 3600, 7200, 14400, 28800]),
  WEBHOOK_TIMEOUT_SECONDS: z.coerce.number().min(0.1).max(60).default(10),
  ALLOW_PRIVATE_TARGETS: bool.default(false),
  JOBS_DYNAMODB_PORT: port.optional(),
  JOBS_SQS_PORT: port.optional(),
  JOBS_TABLE_NAME: z.string().min(3).max(255).default(TABLE_NAME),
  JOBS_QUEUE_URL: z.url().optional(),
  WEBHOOKS_QUEUE_URL: z.url().optional(),
  EMAIL_FROM: z.string().min(3).default('jobs@example.com'),
  API_RATE_LIMIT_PER_SECOND: z.coerce.number().min(0.001).max(100_000).default(USAGE_PLAN.rateLimitPerSecond),
  API_BURST_LIMIT: int(1, 100_000).default(USAGE_PLAN.burstLimit),
  SMS_SENDER_ID: SenderIdSchema.optional(),
});

/**
 * Read by the local twin itself (local/faults), which keeps them from the
 * handlers: set where a handler loads its configuration (a Lambda), they stop it.
 */
const TWIN_ONLY_VARIABLES = ['JOBS_FAULTS', 'JOBS_FAULTS_SEED'] as const;

export interface Config {
  readonly port: number;
  readonly dataDir: string;
  readonly inMemory: boolean;
  readonly devApiKey?: string;
  readonly devWebhookSecret?: string;
  readonly devTenant: string;
  readonly retentionDays: number;
  readonly defaultMaxAttempts: number;
  readonly backoffBaseSeconds: number;
  readonly backoffMaxSeconds: number;
  readonly jobTimeoutSeconds: number;
  readonly staleAfterSeconds: number;
  readonly schedulerIntervalSeconds: number;
  /** Jobs due within this many seconds are handed to SQS (with a delay) rather than left on the sweep index. */
  readonly schedulerLookaheadSeconds: number;
  readonly webhookRetrySchedule: readonly number[];
  readonly webhookTimeoutSeconds: number;
  readonly allowPrivateTargets: boolean;
  readonly dynamodbPort?: number;
  readonly sqsPort?: number;
  readonly tableName: string;
  readonly jobsQueueUrl?: string;
  readonly webhooksQueueUrl?: string;
  readonly emailFrom: string;
  /** Twin only (on AWS the usage plan sets them): per-API-key request rate and burst. */
  readonly apiRateLimitPerSecond: number;
  readonly apiBurstLimit: number;
  readonly smsSenderId?: string;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Validates the variables in `env`; unset and empty variables take their defaults. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const present = Object.fromEntries(
    Object.keys(ConfigSchema.shape)
      .filter((key) => env[key] !== undefined && env[key] !== '')
      .map((key) => [key, env[key]]),
  );
  for (const variable of TWIN_ONLY_VARIABLES) {
    if (env[variable] !== undefined && env[variable] !== '') {
      throw new ConfigError(`invalid configuration: ${variable}: fault injection runs only in the local twin (npm start), never in a Lambda`);
    }
  }
  const parsed = ConfigSchema.safeParse(present);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new ConfigError(`invalid configuration: ${problems}`);
  }
  const v = parsed.data;
  if (v.BACKOFF_MAX_SECONDS < v.BACKOFF_BASE_SECONDS) {
    throw new ConfigError('invalid configuration: BACKOFF_MAX_SECONDS must be at least BACKOFF_BASE_SECONDS');
  }
  return {
    port: v.PORT,
    dataDir: v.JOBS_DATA_DIR,
    inMemory: v.JOBS_IN_MEMORY,
    devApiKey: v.JOBS_DEV_API_KEY,
    devWebhookSecret: v.JOBS_DEV_WEBHOOK_SECRET,
    devTenant: v.JOBS_DEV_TENANT,
    retentionDays: v.RETENTION_DAYS,
    defaultMaxAttempts: v.DEFAULT_MAX_ATTEMPTS,
    backoffBaseSeconds: v.BACKOFF_BASE_SECONDS,
    backoffMaxSeconds: v.BACKOFF_MAX_SECONDS,
    jobTimeoutSeconds: v.JOB_TIMEOUT_SECONDS,
    staleAfterSeconds: v.STALE_AFTER_SECONDS,
    schedulerIntervalSeconds: v.SCHEDULER_INTERVAL_SECONDS,
    schedulerLookaheadSeconds: v.SCHEDULER_LOOKAHEAD_SECONDS,
    webhookRetrySchedule: v.WEBHOOK_RETRY_SCHEDULE,
    webhookTimeoutSeconds: v.WEBHOOK_TIMEOUT_SECONDS,
    allowPrivateTargets: v.ALLOW_PRIVATE_TARGETS,
    dynamodbPort: v.JOBS_DYNAMODB_PORT,
    sqsPort: v.JOBS_SQS_PORT,
    tableName: v.JOBS_TABLE_NAME,
    jobsQueueUrl: v.JOBS_QUEUE_URL,
    webhooksQueueUrl: v.WEBHOOKS_QUEUE_URL,
    emailFrom: v.EMAIL_FROM,
    apiRateLimitPerSecond: v.API_RATE_LIMIT_PER_SECOND,
    apiBurstLimit: v.API_BURST_LIMIT,
    smsSenderId: v.SMS_SENDER_ID,
  };
}
