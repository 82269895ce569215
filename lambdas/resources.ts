/**
 * The shape of the service's AWS resources as plain data: table keys, indexes,
 * TTL attribute, queue settings. The CDK stack (lib/) and the local twin (local/)
 * both build from this module, so the two cannot drift apart. No AWS imports here.
 */

/** Default table name on the local twin; on AWS the stack passes the real name in `JOBS_TABLE_NAME`. */
export const TABLE_NAME = 'jobs';

/** Item keys: every item (job, tenant, API key) is addressed by `pk` + `sk`. */
export const TABLE_KEYS = {
  partitionKey: { name: 'pk', type: 'S' },
  sortKey: { name: 'sk', type: 'S' },
} as const;

/** TTL attribute: epoch seconds; DynamoDB deletes the item some time after it passes. */
export const TTL_ATTRIBUTE = 'expiresAt';

/** Number of shards of the sweep index; the scheduler queries each one per run. */
export const SWEEP_SHARDS = 4;

export interface IndexDefinition {
  readonly indexName: string;
  readonly partitionKey: { readonly name: string; readonly type: 'S' | 'N' };
  readonly sortKey: { readonly name: string; readonly type: 'S' | 'N' };
  /** Non-key attributes copied into the index (INCLUDE projection): as few as the queries need. */
  readonly nonKeyAttributes: readonly string[];
}

/**
 * Jobs of one tenant in one status, newest first: `gsi1pk = tenantId#status`,
 * `gsi1sk = createdAt#jobId`. Projects what the list view shows (a Job without
 * its payload and attempt history), so listing never reads the base table.
 * The result is stored as JSON text, `resultJson`; `result` is the Map that
 * items written before that carry, projected until they have all expired.
 */
export const STATUS_INDEX: IndexDefinition = {
  indexName: 'byTenantStatus',
  partitionKey: { name: 'gsi1pk', type: 'S' },
  sortKey: { name: 'gsi1sk', type: 'S' },
  nonKeyAttributes: [
    'jobId', 'tenantId', 'type', 'status', 'attempts', 'maxAttempts', 'nextRunAt',
    'idempotencyKey', 'payloadHash', 'webhookUrl', 'webhook', 'resultJson', 'result', 'lastError',
    'createdAt', 'updatedAt', 'finishedAt', 'expiresAt',
  ],
};

/**
 * The sweep index (SPEC §4): sparse — only items with `sweepAt` (epoch ms) are in
 * it. Partition `sweepShard` (0..SWEEP_SHARDS-1) spreads writes; the scheduler
 * queries `sweepAt <= now` per shard. Projects only what the scheduler needs to
 * decide which queue to send to.
 */
export const SWEEP_INDEX: IndexDefinition = {
  indexName: 'bySweepAt',
  partitionKey: { name: 'sweepShard', type: 'N' },
  sortKey: { name: 'sweepAt', type: 'N' },
  // nextRunAt: the delay of a (re-)dispatch; webhookEventId: the event a pending webhook message names.
  nonKeyAttributes: ['tenantId', 'jobId', 'status', 'sweepCount', 'nextRunAt', 'webhookEventId'],
};

export const TABLE_INDEXES: readonly IndexDefinition[] = [STATUS_INDEX, SWEEP_INDEX];

export interface QueueDefinition {
  /** Base name; the stack prefixes it, the twin uses it as is. */
  readonly name: string;
  readonly deadLetterName: string;
  /** Deliveries before SQS moves a message to the DLQ. */
  readonly maxReceiveCount: number;
  /** Seconds a received message stays hidden; ≥ the consumer's timeout (Lambda's rule). */
  readonly visibilityTimeoutSeconds: number;
  /** How long messages are kept (seconds). DLQs keep 14 days. */
  readonly retentionSeconds: number;
  /** Event source mapping: messages per batch, batching window, max concurrency. */
  readonly batchSize: number;
  readonly maxBatchingWindowSeconds: number;
  readonly maxConcurrency: number;
  /** Timeout of the consuming function (seconds). */
  readonly consumerTimeoutSeconds: number;
}

export const JOBS_QUEUE: QueueDefinition = {
  name: 'jobs',
  deadLetterName: 'jobs-dlq',
  maxReceiveCount: 10,
  consumerTimeoutSeconds: 60,
  // A running job has no sweep entry: if its worker dies, this message comes back after the
  // visibility timeout and takes the expired lease over. STALE_AFTER_SECONDS (120) + one
  // scheduler run (60) keeps SPEC §4's promise; it is 3 × the worker's timeout, over Lambda's 1 ×.
  visibilityTimeoutSeconds: 180,
  retentionSeconds: 4 * 24 * 3600,
  batchSize: 10,
  maxBatchingWindowSeconds: 1,
  maxConcurrency: 50,
};

export const WEBHOOKS_QUEUE: QueueDefinition = {
  name: 'webhooks',
  deadLetterName: 'webhooks-dlq',
  maxReceiveCount: 10,
  consumerTimeoutSeconds: 30,
  visibilityTimeoutSeconds: 180,
  retentionSeconds: 4 * 24 * 3600,
  batchSize: 10,
  maxBatchingWindowSeconds: 1,
  maxConcurrency: 20,
};

export const DLQ_RETENTION_SECONDS = 14 * 24 * 3600;

/** Timeout of the api function (seconds): a create's put cannot land later than this after its message was sent. */
export const API_TIMEOUT_SECONDS = 25;

/** SQS cannot delay a message longer than this; further-away work waits on the sweep index. */
export const MAX_SQS_DELAY_SECONDS = 900;

/**
 * The default API Gateway usage plan every tenant's API key joins: per-key
 * steady rate and burst (token bucket) and a daily quota. The twin's gateway
 * applies the same rate and burst (API_RATE_LIMIT_PER_SECOND / API_BURST_LIMIT
 * override them there).
 */
export const USAGE_PLAN = {
  rateLimitPerSecond: 50,
  burstLimit: 100,
  quotaPerDay: 1_000_000,
} as const;

/** The service's name in logs and metrics (Powertools `serviceName`, the `service` dimension). */
export const SERVICE_NAME = 'jobs-service';

/** CloudWatch namespace of the metrics the Lambdas emit as EMF log lines (SPEC §11). */
export const METRICS_NAMESPACE = 'JobsService';

/**
 * The metrics the Lambdas emit and the dashboard and alarms (lib/observability.ts)
 * read, by unit and dimensions.
 */
export const METRICS = {
  /** Count, by `jobType`. */
  jobCounts: ['JobsCreated', 'JobsReplayed', 'JobsSucceeded', 'JobsFatal', 'JobsRetried', 'WebhooksDelivered', 'WebhooksFailed'],
  /** Milliseconds, by `jobType`. */
  durations: ['AttemptDuration'],
  /** Seconds: `SweepOverdueSeconds` without a dimension, `QueueWaitSeconds` by `tenantTier`. */
  ages: ['SweepOverdueSeconds', 'QueueWaitSeconds'],
} as const;

export type JobCountMetric = (typeof METRICS.jobCounts)[number];
export type DurationMetric = (typeof METRICS.durations)[number];
export type AgeMetric = (typeof METRICS.ages)[number];
export type MetricName = JobCountMetric | DurationMetric | AgeMetric;

/**
 * Memory of each function (MB); Lambda gives CPU in proportion. The api and the
 * worker get more: they run on every request and every job, and more CPU
 * shortens their cold starts. `npm run bench` prices GB-seconds with these.
 */
export const FUNCTION_MEMORY_MB = { api: 1024, worker: 1024, scheduler: 512, webhook: 512 } as const;
