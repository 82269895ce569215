/**
 * Environment → typed, validated configuration of the Lambdas (SPEC §12).
 * Read once per cold start (or once per local twin); a bad value stops start
 * with a message naming the variable. The twin's own settings (ports, data
 * directory, dev tenant…) are in local/twin-config.ts, read the same way.
 *
 * Each setting is declared once, with the variable it is read from; `Config`
 * is what the schema gives (z.infer).
 *
 * `zod/mini`, not classic zod: every function loads this file at cold start, and
 * the scheduler and webhook load no other zod (≈ 100 KB less to parse there).
 * `readSettings` takes classic schemas too (the twin's settings are classic).
 */
import * as z from 'zod/mini';
import { SENDER_ID, SENDER_ID_MESSAGE } from './job-types/sender-id';
import { TABLE_NAME } from './resources';

// ---------------------------------------------------------------------------
// Reading settings from variables (shared with local/twin-config.ts)

/** The value kinds variables are written in. */
const BOOL_WORDS = ['1', '0', 'true', 'false', 'yes', 'no', 'on', 'off', ''] as const;
export const bool = z.pipe(
  z.enum(BOOL_WORDS),
  z.transform((v: (typeof BOOL_WORDS)[number]) => ['1', 'true', 'yes', 'on'].includes(v)),
);
export const int = (min: number, max: number) => z.coerce.number().check(z.int(), z.minimum(min), z.maximum(max));
export const port = int(0, 65535);
const number = (min: number, max: number) => z.coerce.number().check(z.minimum(min), z.maximum(max));
const secondsList = z.pipe(
  z.string().check(z.regex(/^\s*\d+(\s*,\s*\d+)*\s*$/, 'comma-separated whole seconds, e.g. 5,30,120')),
  z.transform((s: string) => s.split(',').map((n) => Number(n.trim()))),
);
const senderId = z.string().check(z.regex(SENDER_ID, SENDER_ID_MESSAGE));

/**
 * A setting read from the environment variable `name`: a copy of `schema` (one
 * schema may serve two variables) with the name in zod's global registry, as
 * classic `.meta()` does.
 */
export function variable<S extends z.core.$ZodType>(name: string, schema: S): S {
  const setting = z.clone(schema);
  z.globalRegistry.add(setting, { ...z.globalRegistry.get(schema), variable: name });
  return setting;
}

/** The variable a setting of `schema` is read from. */
export function variableOf(schema: z.core.$ZodObject, field: string): string {
  const setting = schema._zod.def.shape[field];
  const name = setting && z.globalRegistry.get(setting)?.variable;
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
export function readSettings<S extends z.core.$ZodObject>(schema: S, env: NodeJS.ProcessEnv): z.infer<S> {
  const shape = schema._zod.def.shape;
  const present = Object.fromEntries(
    Object.keys(shape)
      .map((field) => [field, env[variableOf(schema, field)]] as const)
      .filter(([, value]) => value !== undefined && value !== ''),
  );
  const parsed = z.safeParse(schema, present);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const field = issue.path[0];
      return `${typeof field === 'string' && field in shape ? variableOf(schema, field) : issue.path.join('.')}: ${issue.message}`;
    });
    throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
  }
  return parsed.data;
}

// ---------------------------------------------------------------------------
// The Lambdas' settings

const ConfigSchema = z
  .object({
    retentionDays: variable('RETENTION_DAYS', z._default(int(1, 365), 7)),
    defaultMaxAttempts: variable('DEFAULT_MAX_ATTEMPTS', z._default(int(1, 25), 5)),
    backoffBaseSeconds: variable('BACKOFF_BASE_SECONDS', z._default(number(0.001, 3600), 2)),
    backoffMaxSeconds: variable('BACKOFF_MAX_SECONDS', z._default(number(0.001, 86400), 3600)),
    jobTimeoutSeconds: variable('JOB_TIMEOUT_SECONDS', z._default(number(0.1, 900), 30)),
    staleAfterSeconds: variable('STALE_AFTER_SECONDS', z._default(number(0.1, 86400), 120)),
    /** Jobs due within this many seconds are handed to SQS (with a delay) rather than left on the sweep index. */
    schedulerLookaheadSeconds: variable('SCHEDULER_LOOKAHEAD_SECONDS', z._default(number(0, 840), 300)),
    webhookRetrySchedule: variable('WEBHOOK_RETRY_SCHEDULE', z._default(secondsList, [5, 30, 120, 600, 1800, 3600, 7200, 14400, 28800])),
    webhookTimeoutSeconds: variable('WEBHOOK_TIMEOUT_SECONDS', z._default(number(0.1, 60), 10)),
    /** Developer mode (the twin turns it on): plain http and private targets allowed (SPEC §6). */
    allowPrivateTargets: variable('ALLOW_PRIVATE_TARGETS', z._default(bool, false)),
    tableName: variable('JOBS_TABLE_NAME', z._default(z.string().check(z.minLength(3), z.maxLength(255)), TABLE_NAME)),
    jobsQueueUrl: variable('JOBS_QUEUE_URL', z.optional(z.url())),
    webhooksQueueUrl: variable('WEBHOOKS_QUEUE_URL', z.optional(z.url())),
    /** The dead-letter queues the scheduler drains (SPEC §4, poison messages); unset, it drains none. */
    jobsDlqUrl: variable('JOBS_DLQ_URL', z.optional(z.url())),
    webhooksDlqUrl: variable('WEBHOOKS_DLQ_URL', z.optional(z.url())),
    /** The stack's CloudWatch dashboard, which the web console links (SPEC §16); the api function only. */
    dashboardUrl: variable('DASHBOARD_URL', z.optional(z.url())),
    /** Sender of `email` jobs that give no `from`. */
    emailFrom: variable('EMAIL_FROM', z._default(z.string().check(z.minLength(3)), 'jobs@example.com')),
    /** Sender id of `sms` jobs that give none. */
    smsSenderId: variable('SMS_SENDER_ID', z.optional(senderId)),
  })
  .check(
    z.refine((c) => c.backoffMaxSeconds >= c.backoffBaseSeconds, {
      message: 'must be at least BACKOFF_BASE_SECONDS',
      path: ['backoffMaxSeconds'],
    }),
  );

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
