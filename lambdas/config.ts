/**
 * Environment → typed, validated configuration of the Lambdas (SPEC §12).
 * Read once per cold start (or once per local twin); a bad value stops start
 * with a message naming the variable. The twin's own settings (ports, data
 * directory, dev tenant…) are in local/twin-config.ts, read the same way.
 *
 * Each setting is declared once, with the variable it is read from; `Config`
 * is what the schema gives (z.infer).
 */
import * as z from 'zod';
import { SenderIdSchema } from './job-types/sms';
import { TABLE_NAME } from './resources';

// ---------------------------------------------------------------------------
// Reading settings from variables (shared with local/twin-config.ts)

/** The value kinds variables are written in. */
export const bool = z
  .enum(['1', '0', 'true', 'false', 'yes', 'no', 'on', 'off', ''])
  .transform((v) => ['1', 'true', 'yes', 'on'].includes(v));
export const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
export const port = int(0, 65535);
const secondsList = z
  .string()
  .regex(/^\s*\d+(\s*,\s*\d+)*\s*$/, 'comma-separated whole seconds, e.g. 5,30,120')
  .transform((s) => s.split(',').map((n) => Number(n.trim())));

/** A setting read from the environment variable `name`. */
export function variable<S extends z.ZodType>(name: string, schema: S): S {
  return schema.meta({ variable: name });
}

/** The variable a setting of `schema` is read from. */
export function variableOf(schema: z.ZodObject, field: string): string {
  const setting = (schema.shape as Record<string, z.ZodType | undefined>)[field];
  const name = setting?.meta()?.variable;
  if (typeof name !== 'string') throw new Error(`${field} is not read from a variable`);
  return name;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * Validates the variables of `schema`'s settings in `env`; unset and empty
 * variables take their defaults.
 *
 * @throws ConfigError naming each bad variable
 */
export function readSettings<S extends z.ZodObject>(schema: S, env: NodeJS.ProcessEnv): z.infer<S> {
  const present = Object.fromEntries(
    Object.keys(schema.shape)
      .map((field) => [field, env[variableOf(schema, field)]] as const)
      .filter(([, value]) => value !== undefined && value !== ''),
  );
  const parsed = schema.safeParse(present);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const field = issue.path[0];
      return `${typeof field === 'string' && field in schema.shape ? variableOf(schema, field) : issue.path.join('.')}: ${issue.message}`;
    });
    throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
  }
  return parsed.data;
}

// ---------------------------------------------------------------------------
// The Lambdas' settings

const ConfigSchema = z
  .object({
    retentionDays: variable('RETENTION_DAYS', int(1, 365).default(7)),
    defaultMaxAttempts: variable('DEFAULT_MAX_ATTEMPTS', int(1, 25).default(5)),
    backoffBaseSeconds: variable('BACKOFF_BASE_SECONDS', z.coerce.number().min(0.001).max(3600).default(2)),
    backoffMaxSeconds: variable('BACKOFF_MAX_SECONDS', z.coerce.number().min(0.001).max(86400).default(3600)),
    jobTimeoutSeconds: variable('JOB_TIMEOUT_SECONDS', z.coerce.number().min(0.1).max(900).default(30)),
    staleAfterSeconds: variable('STALE_AFTER_SECONDS', z.coerce.number().min(0.1).max(86400).default(120)),
    /** Jobs due within this many seconds are handed to SQS (with a delay) rather than left on the sweep index. */
    schedulerLookaheadSeconds: variable('SCHEDULER_LOOKAHEAD_SECONDS', z.coerce.number().min(0).max(840).default(300)),
    webhookRetrySchedule: variable('WEBHOOK_RETRY_SCHEDULE', secondsList.default([5, 30, 120, 600, 1800, 3600, 7200, 14400, 28800])),
    webhookTimeoutSeconds: variable('WEBHOOK_TIMEOUT_SECONDS', z.coerce.number().min(0.1).max(60).default(10)),
    /** Developer mode (the twin turns it on): plain http and private targets allowed (SPEC §6). */
    allowPrivateTargets: variable('ALLOW_PRIVATE_TARGETS', bool.default(false)),
    tableName: variable('JOBS_TABLE_NAME', z.string().min(3).max(255).default(TABLE_NAME)),
    jobsQueueUrl: variable('JOBS_QUEUE_URL', z.url().optional()),
    webhooksQueueUrl: variable('WEBHOOKS_QUEUE_URL', z.url().optional()),
    /** The dead-letter queues the scheduler drains (SPEC §4, poison messages); unset, it drains none. */
    jobsDlqUrl: variable('JOBS_DLQ_URL', z.url().optional()),
    webhooksDlqUrl: variable('WEBHOOKS_DLQ_URL', z.url().optional()),
    /** Sender of `email` jobs that give no `from`. */
    emailFrom: variable('EMAIL_FROM', z.string().min(3).default('jobs@example.com')),
    /** Sender id of `sms` jobs that give none. */
    smsSenderId: variable('SMS_SENDER_ID', SenderIdSchema.optional()),
  })
  .refine((c) => c.backoffMaxSeconds >= c.backoffBaseSeconds, {
    message: 'must be at least BACKOFF_BASE_SECONDS',
    path: ['backoffMaxSeconds'],
  });

export type Config = Readonly<z.infer<typeof ConfigSchema>>;

/** The variable a setting is read from (lib/ sets them on the functions). */
export function configVariable(field: keyof Config): string {
  return variableOf(ConfigSchema, field);
}

/**
 * Read by the local twin itself (local/faults), which keeps them from the
 * handlers: set where a handler loads its configuration (a Lambda), they stop it.
 */
const TWIN_ONLY_VARIABLES = ['JOBS_FAULTS', 'JOBS_FAULTS_SEED'] as const;

/** Validates the variables in `env`; unset and empty variables take their defaults. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  for (const name of TWIN_ONLY_VARIABLES) {
    if (env[name] !== undefined && env[name] !== '') {
      throw new ConfigError(`invalid configuration: ${name}: fault injection runs only in the local twin (npm start), never in a Lambda`);
    }
  }
  return readSettings(ConfigSchema, env);
}
