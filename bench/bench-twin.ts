/**
 * The twin the bench measures: in memory, on free ports, with the API's
 * per-key throttle out of the way, metrics off (as `npm start`), logs at INFO
 * (as on AWS), and the usage meter on its two AWS clients from the start.
 */
import { hashApiKey, localApiKeyId } from '../lambdas/store/tenant-store';
import { generateWebhookSecret } from '../lambdas/outbound/signer';
import { generateApiKey } from '../lambdas/store/tenant-store';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { ServiceContext } from '../lambdas/service-context';
import { startTwin, type Twin } from '../local/twin';
import { ApiClient, echoJob, runPool } from './api-client';
import { UsageMeter, type LogTap } from './aws-usage';

/**
 * Delay of the enqueue phase's jobs: inside SQS's 15 minutes, so the API sends
 * their message as for any job, and far enough that no worker touches them
 * while the bench runs. Needs SCHEDULER_LOOKAHEAD_SECONDS above it.
 */
export const PARKED_DELAY_SECONDS = 800;

/** The twin's pollers long-poll this long (local/event-sources.ts). */
const POLLER_LONG_POLL_MS = 2000;

export const BENCH_TWIN_ENV: Readonly<Record<string, string>> = {
  JOBS_IN_MEMORY: '1',
  PORT: '0',
  API_RATE_LIMIT_PER_SECOND: '100000',
  API_BURST_LIMIT: '100000',
  SCHEDULER_INTERVAL_SECONDS: '1',
  SCHEDULER_LOOKAHEAD_SECONDS: '840',
};

export interface BenchTwin {
  readonly twin: Twin;
  readonly meter: UsageMeter;
  /** A new active tenant with its own API key, and a client for it. */
  tenant(tenantId: string): Promise<ApiClient>;
  /** No visible or in-flight message on the queue (delayed ones, like the parked jobs', aside); asked past the meter. */
  queueIdle(queue: 'jobs' | 'webhooks'): Promise<boolean>;
  /** The webhook signing secret of a tenant made by `tenant`. */
  webhookSecretOf(tenantId: string): string;
  /**
   * Runs a few hundred jobs through before measuring: JIT, connections, the API's
   * tenant cache; and the pollers' long polls, begun before the meter was in
   * place, come round again with it.
   */
  warmUp(): Promise<void>;
  close(): Promise<void>;
}

export async function startBenchTwin(logs: LogTap): Promise<BenchTwin> {
  // The Powertools logger reads these when the twin builds its service context.
  process.env.POWERTOOLS_LOG_LEVEL = 'INFO';
  process.env.POWERTOOLS_DEV = 'false';
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const twin = await startTwin({ env: BENCH_TWIN_ENV });
  const meter = new UsageMeter(logs);
  meter.attach(twin.context, { jobs: twin.jobsQueueUrl, webhooks: twin.webhooksQueueUrl });
  // Its own client, not the service's: the meter counts only what the handlers do.
  const observer = new SQSClient({ endpoint: twin.sqsUrl });
  const clients: ApiClient[] = [];
  const secrets = new Map<string, string>();
  const tenant = async (tenantId: string): Promise<ApiClient> => {
    const { apiKey, webhookSecret } = await createBenchTenant(twin.context, tenantId);
    secrets.set(tenantId, webhookSecret);
    const client = new ApiClient(twin.url, apiKey);
    clients.push(client);
    return client;
  };
  return {
    twin,
    meter,
    tenant,
    async queueIdle(queue) {
      const { Attributes = {} } = await observer.send(
        new GetQueueAttributesCommand({
          QueueUrl: queue === 'jobs' ? twin.jobsQueueUrl : twin.webhooksQueueUrl,
          AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
        }),
      );
      return Attributes.ApproximateNumberOfMessages === '0' && Attributes.ApproximateNumberOfMessagesNotVisible === '0';
    },
    webhookSecretOf(tenantId) {
      const secret = secrets.get(tenantId);
      if (!secret) throw new Error(`no bench tenant ${tenantId}`);
      return secret;
    },
    async warmUp() {
      const client = await tenant('bench-warmup');
      await runPool(200, 32, (i) => client.submitJob(echoJob(i, PARKED_DELAY_SECONDS)));
      await runPool(4, 4, (call) => client.submitBatch(Array.from({ length: 100 }, (_, i) => echoJob(call * 100 + i, PARKED_DELAY_SECONDS))));
      await runPool(100, 32, (i) => client.submitJob(echoJob(i)));
      await new Promise((resolve) => setTimeout(resolve, POLLER_LONG_POLL_MS + 500));
    },
    async close() {
      for (const client of clients) client.close();
      observer.destroy();
      await twin.close();
    },
  };
}

/** A new active tenant with one webhook secret and one API key, straight in the store (as `npm run tenants` would). */
export async function createBenchTenant(context: ServiceContext, tenantId: string): Promise<{ apiKey: string; webhookSecret: string }> {
  const apiKey = generateApiKey();
  const webhookSecret = generateWebhookSecret();
  const createdAt = new Date().toISOString();
  const created = await context.tenants.createTenant({ tenantId, name: `bench ${tenantId}`, status: 'active', webhookSecrets: [webhookSecret], createdAt });
  if (!created) throw new Error(`tenant ${tenantId} exists already`);
  await context.tenants.putApiKey({ apiKeyId: localApiKeyId(apiKey), tenantId, keyHash: hashApiKey(apiKey), status: 'active', createdAt });
  return { apiKey, webhookSecret };
}
