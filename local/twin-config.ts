/**
 * The twin's own settings (SPEC §9, §12): where it listens, where it keeps its
 * data, its dev tenant, its throttle, its scheduler's period. The handlers
 * never read these (their configuration is lambdas/config.ts); both are read
 * from the same environment, the same way.
 */
import * as z from 'zod';
import { bool, int, port, readSettings, variable } from '../lambdas/config';
import { isWebhookSecret } from '../lambdas/outbound/signer';
import { USAGE_PLAN } from '../lambdas/resources';

const TwinConfigSchema = z.object({
  /** The API's port; 0 = any free port. */
  port: variable('PORT', z._default(port, 3000)),
  dataDir: variable('JOBS_DATA_DIR', z.string().min(1).default('.data')),
  inMemory: variable('JOBS_IN_MEMORY', z._default(bool, false)),
  devTenant: variable('JOBS_DEV_TENANT', z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lowercase letters, digits and dashes').default('dev')),
  devApiKey: variable('JOBS_DEV_API_KEY', z.string().regex(/^[\x21-\x7e]{20,128}$/, '20..128 visible ASCII characters').optional()),
  devWebhookSecret: variable(
    'JOBS_DEV_WEBHOOK_SECRET',
    z.string().refine(isWebhookSecret, 'whsec_ followed by standard base64 of 24 to 64 bytes').optional(),
  ),
  /** The embedded endpoints' ports; any free port when unset. */
  dynamodbPort: variable('JOBS_DYNAMODB_PORT', z.optional(port)),
  sqsPort: variable('JOBS_SQS_PORT', z.optional(port)),
  /** Per-API-key request rate and burst of the twin's gateway (on AWS the usage plan sets them). */
  apiRateLimitPerSecond: variable('API_RATE_LIMIT_PER_SECOND', z.coerce.number().min(0.001).max(100_000).default(USAGE_PLAN.rateLimitPerSecond)),
  apiBurstLimit: variable('API_BURST_LIMIT', z._default(int(1, 100_000), USAGE_PLAN.burstLimit)),
  /** The twin's scheduler period (on AWS an EventBridge rule runs it every minute). */
  schedulerIntervalSeconds: variable('SCHEDULER_INTERVAL_SECONDS', z.coerce.number().min(0.05).max(3600).default(10)),
});

export type TwinConfig = Readonly<z.infer<typeof TwinConfigSchema>>;

/** Validates the twin's variables in `env`; unset and empty variables take their defaults. */
export function loadTwinConfig(env: NodeJS.ProcessEnv = process.env): TwinConfig {
  return readSettings(TwinConfigSchema, env);
}
