/**
 * The local twin (SPEC §9): the whole service in one Node process, on embedded
 * DynamoDB (dynalite) and SQS endpoints — or on ones the user brings
 * (local/backends.ts) — with an HTTP front playing API Gateway.
 * The handlers are the Lambda handlers, unchanged: the twin only sets the SDK's
 * standard endpoint variables and calls them as AWS would.
 *
 * One twin per process at a time (handlers read the process environment).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  QueueNameExists,
  SetQueueAttributesCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { Logger } from '@aws-lambda-powertools/logger';
import { buildConsoleAssets } from '../console/build';
import { createApiHandler } from '../lambdas/api/api-handler';
import { ConfigError, loadConfig, type Config } from '../lambdas/config';
import { jobTypesFor } from '../lambdas/job-types/deployment';
import { DLQ_RETENTION_SECONDS, JOBS_QUEUE, WEBHOOKS_QUEUE, type QueueDefinition } from '../lambdas/resources';
import { LEASE_MARGIN_MS } from '../lambdas/jobs/transitions';
import { createServiceContext, type ServiceContext } from '../lambdas/service-context';
import { startSqsEndpointOnThread } from './sqs/thread';
import { startApiGateway } from './api-gateway';
import { writeFileAtomically } from './atomic-file';
import { EVENT_SOURCE_CONCURRENCY_UNDER_FAULTS, startBackground, type Background } from './background';
import { ensureDevTenant, type DevTenant } from './dev-tenant';
import { lockDirectory, type DirectoryLock } from './directory-lock';
import { outboxSenders } from './outbox';
import { loadTwinConfig, type TwinConfig } from './twin-config';
import { credentialVariables, loadBackends, regionOfAwsEndpoint, type Backends } from './backends';
import { ensureTable, startDynamoDb } from './dynamodb';
import { TwinHealth } from './twin-health';
import { TwinMetrics } from './twin-metrics';
import { FAULT_VARIABLES, FaultInjection, type FaultReport } from './faults';

export interface TwinOptions {
  /** Variables layered over `process.env` (SPEC §12 names). */
  readonly env?: Readonly<Record<string, string>>;
  /** Clock for every decision the handlers make (tests inject one). */
  readonly now?: () => number;
  readonly logger?: Logger;
}

export interface Twin {
  readonly url: string;
  /** Which backends are the user's own (`JOBS_DYNAMODB_ENDPOINT` / `JOBS_SQS_ENDPOINT`); the others are embedded. */
  readonly backends: Backends;
  readonly dynamodbUrl: string;
  readonly sqsUrl: string;
  readonly jobsQueueUrl: string;
  readonly webhooksQueueUrl: string;
  readonly jobsDlqUrl: string;
  readonly webhooksDlqUrl: string;
  readonly dataDir: string | undefined;
  readonly outboxDir: string;
  readonly dev: DevTenant;
  readonly config: Config;
  readonly twinConfig: TwinConfig;
  readonly context: ServiceContext;
  /** The pollers, scheduler and TTL sweeper; tests run the scheduler on demand through it. */
  readonly background: Background;
  /** Fault injection (`JOBS_FAULTS`): what was injected so far; undefined when off. */
  readonly faults: FaultReport | undefined;
  close(): Promise<void>;
}

/** Variables the twin defaults differently from AWS (SPEC §6, §12). */
const TWIN_DEFAULTS: Record<string, string> = { ALLOW_PRIVATE_TARGETS: 'true' };

/** The twin-only health route the console's strip reads (./twin-health.ts), relative to the API's base. */
const TWIN_HEALTH_URL = 'twin/health';

/** Where a running twin says where it listens (cli/target.ts reads it). */
const TWIN_FILE = 'twin.json';

const dataDirInUse = (dataDir: string, waitedMs: number) =>
  `JOBS_DATA_DIR ${dataDir} is in use by another running twin (waited ${waitedMs / 1000} s for it to stop). ` +
  'Stop that twin, or start this one on another directory: JOBS_DATA_DIR=<another directory> npm start ' +
  '(or JOBS_IN_MEMORY=1 for a twin that keeps nothing).';

export async function startTwin(options: TwinOptions = {}): Promise<Twin> {
  const env: Record<string, string | undefined> = { ...TWIN_DEFAULTS, ...process.env, ...options.env };
  const faults = FaultInjection.fromEnvironment(env);
  // The twin's business, not the handlers': their configuration refuses these variables.
  for (const variable of FAULT_VARIABLES) delete env[variable];
  const twinConfig = loadTwinConfig(env);
  const bootConfig = loadConfig(env);
  const backends = loadBackends(env);
  const dataDir = twinConfig.inMemory ? undefined : resolve(twinConfig.dataDir);
  const outboxDir = dataDir ? join(dataDir, 'outbox') : mkdtempSync(join(tmpdir(), 'jobs-outbox-'));
  const closers: Array<() => Promise<void>> = [];
  const close = async () => {
    for (const closer of closers.reverse()) await closer().catch(() => undefined);
    if (!dataDir) rmSync(outboxDir, { recursive: true, force: true });
  };
  let lock: DirectoryLock | undefined;
  try {
    if (dataDir) {
      // One twin per data directory: two would corrupt each other's stores. The kernel drops the lock when this process dies.
      const held = await lockDirectory(dataDir, { inUseMessage: dataDirInUse });
      lock = held;
      closers.push(() => held.release());
      // Left by a twin that was killed: it names ports nobody listens on any more.
      rmSync(join(dataDir, TWIN_FILE), { force: true });
    }
    // An external backend is only used: nothing here stops, empties or deletes it.
    const dynamodb = backends.dynamodbEndpoint
      ? { url: backends.dynamodbEndpoint }
      : await startDynamoDb({ port: twinConfig.dynamodbPort, dataDir: dataDir && join(dataDir, 'dynamodb'), thread: true });
    if ('close' in dynamodb) closers.push(() => dynamodb.close());
    const sqs = backends.sqsEndpoint
      ? { url: backends.sqsEndpoint }
      : await startSqsEndpointOnThread({ port: twinConfig.sqsPort, dataDir: dataDir && join(dataDir, 'sqs') });
    if ('close' in sqs) closers.push(() => sqs.close());
    const sqsFront = faults && (await faults.startSqsFront(sqs.url));
    if (sqsFront) closers.push(() => sqsFront.close());

    // Handlers find the endpoints the way they would find LocalStack: through the SDK's own variables.
    const sdkEnvironment = {
      AWS_ENDPOINT_URL_DYNAMODB: dynamodb.url,
      AWS_ENDPOINT_URL_SQS: sqsFront?.url ?? sqs.url,
      AWS_REGION: env.AWS_REGION ?? regionOf(backends) ?? 'us-east-1',
      ...credentialVariables(env, backends),
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      // EMF metric lines are for CloudWatch; the twin prints only the logs unless asked.
      POWERTOOLS_METRICS_DISABLED: env.POWERTOOLS_METRICS_DISABLED ?? 'true',
    };
    Object.assign(env, sdkEnvironment);
    Object.assign(process.env, sdkEnvironment);

    const setupDb = new DynamoDBClient({});
    try {
      await ensureTable(setupDb, bootConfig.tableName);
    } catch (error) {
      throw backends.dynamodbEndpoint ? unreachable('JOBS_DYNAMODB_ENDPOINT', backends.dynamodbEndpoint, error) : error;
    } finally {
      setupDb.destroy();
    }
    const setupSqs = new SQSClient({});
    const queueSettings = (definition: QueueDefinition) => ({
      // On the twin a stuck message comes back sooner than on AWS: a few job timeouts. A jobs message
      // brings a dead worker's running job back, as on AWS within STALE_AFTER_SECONDS + one scheduler
      // run, and never before the worker's own time limit (background.ts) has passed.
      visibilityTimeoutSeconds:
        definition === JOBS_QUEUE
          ? Math.max(
              Math.ceil(bootConfig.jobTimeoutSeconds + (2 * LEASE_MARGIN_MS) / 1000),
              Math.min(definition.visibilityTimeoutSeconds, Math.ceil(bootConfig.staleAfterSeconds + twinConfig.schedulerIntervalSeconds)),
            )
          : Math.min(definition.visibilityTimeoutSeconds, Math.max(30, Math.ceil(6 * bootConfig.jobTimeoutSeconds))),
    });
    // A queue found on an external SQS may be someone else's: used as it is, never reconfigured.
    const updateExisting = !backends.sqsEndpoint;
    const createQueues = async () => ({
      jobs: await createQueuePair(setupSqs, JOBS_QUEUE, queueSettings(JOBS_QUEUE).visibilityTimeoutSeconds, updateExisting),
      webhooks: await createQueuePair(setupSqs, WEBHOOKS_QUEUE, queueSettings(WEBHOOKS_QUEUE).visibilityTimeoutSeconds, updateExisting),
    });
    const { jobs, webhooks } = await createQueues()
      .catch((error: unknown) => {
        throw backends.sqsEndpoint ? unreachable('JOBS_SQS_ENDPOINT', backends.sqsEndpoint, error) : error;
      })
      .finally(() => setupSqs.destroy());
    process.env.JOBS_QUEUE_URL = env.JOBS_QUEUE_URL = jobs.url;
    process.env.WEBHOOKS_QUEUE_URL = env.WEBHOOKS_QUEUE_URL = webhooks.url;
    process.env.JOBS_DLQ_URL = env.JOBS_DLQ_URL = jobs.dlqUrl;
    process.env.WEBHOOKS_DLQ_URL = env.WEBHOOKS_DLQ_URL = webhooks.dlqUrl;

    const config = loadConfig(env);
    // The handlers' metrics, tapped for the health route's figures (./twin-metrics.ts).
    const metrics = new TwinMetrics({ now: options.now ?? Date.now });
    const context = createServiceContext({ config, now: options.now, logger: options.logger, senders: outboxSenders(outboxDir), jobTypes: jobTypesFor, metrics });
    closers.push(() => {
      context.db.destroy();
      context.sqs.destroy();
      return Promise.resolve();
    });
    if (faults) {
      faults.instrument(context);
      // Pushed before the pollers' and the gateway's closers, so it runs after them: the final counts.
      closers.push(() => Promise.resolve(context.logger.warn('fault injection: faults injected', { faults: faults.counts(), sdkRetries: faults.sdkRetries(), seed: faults.seed })));
    }
    const dev = await ensureDevTenant(context.tenants, twinConfig, dataDir);
    const background = startBackground(context, {
      schedulerIntervalSeconds: twinConfig.schedulerIntervalSeconds,
      runInvocation: faults?.runInvocation,
      ...(faults ? { concurrency: EVENT_SOURCE_CONCURRENCY_UNDER_FAULTS } : {}),
    });
    closers.push(() => background.stop());
    // The web console's files, built as the CDK builds them for the api Lambda: the same bytes.
    const consoleFiles = await buildConsoleAssets();
    // The console's health strip (./twin-health.ts), answered in front of the api Lambda, which knows no such route.
    const health = new TwinHealth({
      sqsUrl: sqs.url,
      embeddedSqs: !backends.sqsEndpoint,
      queues: [
        { name: 'jobs', url: jobs.url, dlqUrl: jobs.dlqUrl },
        { name: 'webhooks', url: webhooks.url, dlqUrl: webhooks.dlqUrl },
      ],
      metrics,
      tenants: context.tenants,
      now: context.now,
      logger: context.logger,
    });
    closers.push(() => Promise.resolve(health.close()));
    // Closed first on shutdown: stop taking requests, then finish or release background work.
    const gateway = await startApiGateway({
      port: twinConfig.port,
      handler: health.answering(createApiHandler(context, { console: { files: () => consoleFiles, config: { healthUrl: TWIN_HEALTH_URL, dashboardUrl: null } } })),
      throttle: { ratePerSecond: twinConfig.apiRateLimitPerSecond, burst: twinConfig.apiBurstLimit },
    });
    closers.push(() => gateway.close());
    if (dataDir) {
      // Where tools (the tenants CLI) find this twin while it runs. `lockAddress` answers a connect
      // exactly while this process lives, so a file left by a twin killed with -9 is told apart.
      const twinInfo = { apiUrl: gateway.url, dynamodbUrl: dynamodb.url, sqsUrl: sqs.url, tableName: config.tableName, lockAddress: lock?.address };
      const twinFile = join(dataDir, TWIN_FILE);
      writeFileAtomically(twinFile, `${JSON.stringify(twinInfo, null, 2)}\n`);
      closers.push(() => Promise.resolve(rmSync(twinFile, { force: true })));
    }

    if (faults) {
      context.logger.warn('fault injection is on (JOBS_FAULTS): this twin fails on purpose', { faults: faults.describe() });
      faults.resume();
    }

    return {
      url: gateway.url,
      backends,
      dynamodbUrl: dynamodb.url,
      sqsUrl: sqs.url,
      jobsQueueUrl: jobs.url,
      webhooksQueueUrl: webhooks.url,
      jobsDlqUrl: jobs.dlqUrl,
      webhooksDlqUrl: webhooks.dlqUrl,
      dataDir,
      outboxDir,
      dev,
      config,
      twinConfig,
      context,
      background,
      faults,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

function regionOf(backends: Backends): string | undefined {
  return [backends.dynamodbEndpoint, backends.sqsEndpoint].map((url) => url && regionOfAwsEndpoint(url)).find(Boolean);
}

/** A backend the user named that does not answer: a mistake of the person starting it, said plainly. */
function unreachable(variable: string, url: string, error: unknown): ConfigError {
  const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return new ConfigError(`${variable}=${url}: the twin could not set up its table or queues there (${reason})`);
}

async function createQueuePair(sqs: SQSClient, definition: QueueDefinition, visibilityTimeoutSeconds: number, updateExisting: boolean) {
  const dlqUrl = await createOrFindQueue(sqs, definition.deadLetterName, { MessageRetentionPeriod: String(DLQ_RETENTION_SECONDS) }, updateExisting);
  const dlqArn = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['QueueArn'] }));
  const attributes = {
    VisibilityTimeout: String(visibilityTimeoutSeconds),
    MessageRetentionPeriod: String(definition.retentionSeconds),
    RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn.Attributes!.QueueArn, maxReceiveCount: definition.maxReceiveCount }),
  };
  return { url: await createOrFindQueue(sqs, definition.name, attributes, updateExisting), dlqUrl };
}

/** CreateQueue, or the URL of the queue of that name that exists with other attributes. */
async function createOrFindQueue(sqs: SQSClient, name: string, attributes: Record<string, string>, updateExisting: boolean): Promise<string> {
  try {
    return (await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }))).QueueUrl!;
  } catch (error) {
    if (!(error instanceof QueueNameExists)) throw error;
    // Kept from an earlier run with other settings (e.g. another JOB_TIMEOUT_SECONDS): keep its messages, update it.
    const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: name }));
    if (updateExisting) await sqs.send(new SetQueueAttributesCommand({ QueueUrl, Attributes: attributes }));
    return QueueUrl!;
  }
}
