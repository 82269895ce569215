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

/**
 * Number of shards of the sweep index; the scheduler queries each one per run.
 * A create due at once has no entry (the open-bucket scan covers it), but every
 * delayed job, retry and webhook event puts one that its next step removes: at
 * 5,000 jobs/s from one tenant of those that is 10,000 index writes/s, so 16
 * shards keep each under the ~1,000 writes/s a partition absorbs (about 650). Only ever raise it: an entry
 * written under fewer shards sits in a shard the scheduler still queries.
 */
export const SWEEP_SHARDS = 16;

export interface IndexDefinition {
  readonly indexName: string;
  readonly partitionKey: { readonly name: string; readonly type: 'S' | 'N' };
  readonly sortKey: { readonly name: string; readonly type: 'S' | 'N' };
  /** Non-key attributes copied into the index (INCLUDE projection): as few as the queries need. */
  readonly nonKeyAttributes: readonly string[];
}

/**
 * Jobs of one tenant by status, newest first (SPEC §3.3; lambdas/store/status-index.ts).
 * `gsi1pk = tenantId#bucket#shard`, `gsi1sk = createdAt#jobId`. A bucket holds
 * one terminal status (`S` succeeded, `F` fatal, `C` canceled) or all three
 * open ones (`O`: queued, running, retry), so the key does not move while a job
 * waits and runs: a claim or a retry writes the index nothing, a create puts
 * one entry and the finish moves it once. Projects the table keys and `type`
 * only (immutable; the `type` filter): no transition changes what the index
 * holds, and a list reads the items through (BatchGetItem).
 *
 * A new name: DynamoDB cannot change an index's projection in place. The
 * previous index (`byTenantStatus`, gsi1pk = `tenantId#status`, 18 projected
 * attributes) shares the key attributes, so this one indexes the items it
 * wrote too, and a list reads their partitions until they have expired.
 */
export const STATUS_INDEX: IndexDefinition = {
  indexName: 'byTenantBucket',
  partitionKey: { name: 'gsi1pk', type: 'S' },
  sortKey: { name: 'gsi1sk', type: 'S' },
  nonKeyAttributes: ['type'],
};

/**
 * The status index as the previous version defined it. Nothing queries it; an
 * existing stack keeps it for one deploy (`-c keepRetiredStatusIndex=true`):
 * CloudFormation adds or deletes at most one index per update, so the upgrade
 * adds `byTenantBucket` first and drops this one in the deploy after.
 */
export const RETIRED_STATUS_INDEX: IndexDefinition = {
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
 * Shards of each (tenant, bucket) of the status index. A DynamoDB partition
 * takes about 1,000 writes/s. Every tier shares one usage plan, so any tenant
 * can submit `rateLimitPerSecond` batches of 100 a second (5,000 jobs/s), and
 * each job writes its open bucket twice (the create's put, the finish's
 * delete): 10,000 writes/s, over 16 shards 625 a shard. A power of two that is
 * only ever raised: a job's shard is its job id's hash modulo the count, so
 * the jobs written under a smaller count lie in the first shards of a larger
 * one and a list, which reads every shard of today's count, still finds them.
 */
export const STATUS_INDEX_SHARDS = 16;

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

/**
 * How long after its `createdAt` a new job is certainly on the status index: its
 * put is the create's last write and lands within the api function's timeout,
 * and the index takes it within the margin (DynamoDB propagates to a GSI in
 * well under a second, as a rule). The open-bucket scan
 * (scheduler/recover-lost-creates.ts) never marks a younger stretch as read,
 * whatever STALE_AFTER_SECONDS is, so no create can land below its marks.
 */
export const CREATE_VISIBLE_WITHIN_SECONDS = API_TIMEOUT_SECONDS + 35;

/** SQS cannot delay a message longer than this; further-away work waits on the sweep index. */
export const MAX_SQS_DELAY_SECONDS = 900;

/**
 * The default API Gateway usage plan every tenant's API key joins: per-key
 * steady rate and burst (token bucket) and a daily quota. The twin's gateway
 * applies the same rate and burst (API_RATE_LIMIT_PER_SECOND / API_BURST_LIMIT
 * override them there).
 */
/** Where the web console is served (SPEC §16): the page itself, its files under `/console/…`; no key. */
export const CONSOLE_PATH = '/console';

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

/**
 * The API's access-log line (lib/jobs-api.ts): one JSON line per request, each
 * key holding an API Gateway `$context` variable. What ops need to follow a
 * request — its id (also `x-request-id` and `requestId` in the function's lines),
 * the caller's key id (its tenant; never the key), method, path, status, latency
 * end to end and in the Lambda, the gateway's own error — and nothing more: the
 * line is billed on every call (request time, protocol, user agent and response
 * length were 40 % of it). The bench prices its size (bench/cost-model.ts).
 */
export const API_ACCESS_LOG_FORMAT = {
  requestId: '$context.requestId',
  ip: '$context.identity.sourceIp',
  apiKeyId: '$context.identity.apiKeyId',
  httpMethod: '$context.httpMethod',
  path: '$context.path',
  status: '$context.status',
  responseLatency: '$context.responseLatency',
  integrationLatency: '$context.integrationLatency',
  errorType: '$context.error.responseType',
} as const;
