/**
 * One run of the service under injected faults (issue 9), shared by
 * test/e2e/faults.test.ts (1,000 jobs) and `npm run soak` (20,000 by default):
 *
 * - a twin in memory with JOBS_FAULTS, short timings and three tenants;
 * - `echo` jobs and `http` jobs to a flaky local target (mostly 2xx; some paths
 *   always 500 or 422, so jobs also end `fatal`), all with webhooks to a flaky
 *   webhook receiver; a few invalid submissions that must change nothing;
 * - submitted one by one and in batches by a client that retries 5xx, 503 and
 *   network errors with the same Idempotency-Key (after checking that a 503
 *   kept nothing), as SPEC §3.1 tells clients to;
 * - then waits until the sweep index is empty (every job terminal, every
 *   webhook settled), pauses the faults and checks every invariant.
 */
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { TenantAdmin, localKeyIssuer } from '../../cli/tenant-admin';
import { jobIdFor } from '../../lambdas/jobs/job-id';
import { STATUS_INDEX_SHARDS, SWEEP_SHARDS } from '../../lambdas/resources';
import { createDocumentClient } from '../../lambdas/store/dynamodb-client';
import { JobStore } from '../../lambdas/store/job-store';
import { TenantStore } from '../../lambdas/store/tenant-store';
import type { FaultCounts } from '../../local/faults';
import { checkInvariants, type AcceptedJob, type InvariantReport, type RejectedSubmission, type RunTenant, type Violation } from './invariants';
import { mapConcurrently } from './map-concurrently';
import { contractViolations, headersOf } from './openapi-contract';
import { flaky, scriptedByPath, startReceiver } from './receiver';
import { FAST_TWIN_ENV, startTestTwin } from './twin';
import { waitFor } from './wait-for';

export interface FaultRunOptions {
  readonly jobs: number;
  /** `JOBS_FAULTS`. */
  readonly faults: string;
  readonly seed: number;
  /** Share of requests the target and the webhook receiver fail (503 or reset). */
  readonly receiverFailureRate: number;
  /** How long to wait for the run to settle after the last submission. */
  readonly drainTimeoutMs: number;
  /** Concurrent submitting clients. @default 16 */
  readonly concurrency?: number;
  /** Twin settings over the run's own short timings (a longer run wants a longer STALE_AFTER_SECONDS). */
  readonly env?: Readonly<Record<string, string>>;
  readonly log?: (line: string) => void;
}

export interface FaultRunResult {
  readonly report: InvariantReport;
  /** Violations the client saw while submitting (a 503 that kept a job, a valid job refused). */
  readonly clientViolations: Violation[];
  readonly faultCounts: FaultCounts;
  readonly sdkRetries: { dynamodb: number; sqs: number };
  readonly submissions: { requests: number; retriedAfter5xx: number; answered503: number; rejected: number };
  readonly timings: { submitMs: number; drainMs: number; checkMs: number };
  readonly drained: boolean;
  /** When the run did not settle: a few entries still on the sweep index, with their jobs. */
  readonly unsettled: unknown[];
}

/** Timings short enough that crashes, lost messages and retries settle in seconds. */
const RUN_ENV = {
  ...FAST_TWIN_ENV,
  JOB_TIMEOUT_SECONDS: '2',
  STALE_AFTER_SECONDS: '5',
  SCHEDULER_INTERVAL_SECONDS: '0.2',
  BACKOFF_BASE_SECONDS: '0.05',
  BACKOFF_MAX_SECONDS: '0.5',
  WEBHOOK_RETRY_SCHEDULE: '1,1,1,1,1,1,1,1',
  WEBHOOK_TIMEOUT_SECONDS: '2',
  API_RATE_LIMIT_PER_SECOND: '100000',
  API_BURST_LIMIT: '100000',
};

const BATCH_SIZE = 20;
const MAX_SUBMIT_TRIES = 40;

interface Submission {
  readonly tenant: RunTenant;
  readonly idempotencyKey: string;
  readonly body: Record<string, unknown>;
  readonly valid: boolean;
}

export async function runUnderFaults(options: FaultRunOptions): Promise<FaultRunResult> {
  const log = options.log ?? (() => undefined);
  const target = scriptedByPath();
  target.script('/fail', { status: 500, body: 'always failing' });
  target.script('/reject', { status: 422, body: 'never acceptable' });
  const targetReceiver = await startReceiver(flaky(target.responder, { failureRate: options.receiverFailureRate, seed: options.seed }));
  const webhookReceiver = await startReceiver(flaky(() => ({ status: 204 }), { failureRate: options.receiverFailureRate, seed: options.seed + 1 }));
  const { twin } = await startTestTwin({ env: { ...RUN_ENV, ...options.env, JOBS_FAULTS: options.faults, JOBS_FAULTS_SEED: String(options.seed) } });
  const faults = twin.faults!;
  // The checker's own clients: no faults on them.
  const db = createDocumentClient();
  const sqs = new SQSClient({});
  const store = new JobStore(db, {
    tableName: twin.config.tableName,
    now: Date.now,
    sweep: { lookaheadMs: twin.config.schedulerLookaheadSeconds * 1000, staleAfterMs: twin.config.staleAfterSeconds * 1000 },
  });
  try {
    const admin = new TenantAdmin(new TenantStore(db, twin.config.tableName), localKeyIssuer);
    const tenants: RunTenant[] = [{ tenantId: twin.dev.tenantId, apiKey: twin.dev.apiKey, webhookSecrets: [twin.dev.webhookSecret] }];
    for (const tenantId of ['acme', 'globex']) {
      const created = await admin.createTenant({ tenantId });
      tenants.push({ tenantId, apiKey: created.apiKey, webhookSecrets: [created.webhookSecret] });
    }

    const submissions = planSubmissions(options, tenants, targetReceiver.url, webhookReceiver.url);
    const client = new RetryingClient(twin.url, store);
    log(`submitting ${options.jobs} jobs (${submissions.length - options.jobs} invalid submissions besides) under ${faults.rates ? options.faults : ''} seed ${options.seed}`);
    const submitStarted = Date.now();
    const singles = submissions.filter((_, i) => i % 3 !== 0);
    const batches = chunk(submissions.filter((_, i) => i % 3 === 0), BATCH_SIZE);
    await Promise.all([
      mapConcurrently(singles, options.concurrency ?? 16, (s) => client.submit(s)),
      mapConcurrently(batches, 2, (b) => client.submitBatch(b)),
    ]);
    const submitMs = Date.now() - submitStarted;
    log(`submitted in ${(submitMs / 1000).toFixed(1)} s; waiting for every job and webhook to settle`);

    const drainStarted = Date.now();
    // Settled: nothing on the sweep index, no message left (a running job has no entry: its message in flight covers it),
    // and no job open (a create whose message was lost has neither until the scheduler's open-bucket scan finds it).
    const settled = async () =>
      (await sweepIndexEmpty(store)) &&
      (await queuesEmpty(sqs, [twin.jobsQueueUrl, twin.webhooksQueueUrl])) &&
      (await openBucketsEmpty(store, tenants.map((t) => t.tenantId)));
    const drained = await waitFor(settled, { timeoutMs: options.drainTimeoutMs, intervalMs: 250, description: 'sweep index and queues empty' }).then(
      () => true,
      () => false,
    );
    const drainMs = Date.now() - drainStarted;
    faults.pause();
    const unsettled = drained ? [] : await unsettledSample(store);
    log(`${drained ? 'settled' : 'NOT settled'} after ${(drainMs / 1000).toFixed(1)} s; checking invariants`);

    const checkStarted = Date.now();
    const report = await checkInvariants(
      {
        tenants,
        accepted: client.accepted,
        rejected: client.rejected,
        targetRequests: targetReceiver.requests,
        webhookRequests: webhookReceiver.requests,
        writes: faults.writes,
      },
      { store, db, tableName: twin.config.tableName, apiUrl: twin.url },
    );
    for (const submission of submissions) {
      const jobId = jobIdFor(submission.tenant.tenantId, submission.idempotencyKey);
      if (submission.valid && !client.accepted.has(jobId)) {
        client.violations.push({ invariant: 'a valid submission is accepted once retried', jobId, tenantId: submission.tenant.tenantId, detail: 'never accepted' });
      }
      if (!submission.valid && client.accepted.has(jobId)) {
        client.violations.push({ invariant: 'an invalid submission is refused', jobId, tenantId: submission.tenant.tenantId, detail: 'accepted' });
      }
    }
    return {
      report,
      clientViolations: client.violations,
      faultCounts: faults.counts(),
      sdkRetries: faults.sdkRetries(),
      submissions: client.figures,
      timings: { submitMs, drainMs, checkMs: Date.now() - checkStarted },
      drained,
      unsettled,
    };
  } finally {
    db.destroy();
    sqs.destroy();
    await twin.close();
    await targetReceiver.close();
    await webhookReceiver.close();
  }
}

/** The run's submissions: `jobs` valid ones spread over the tenants and types, and about 2 % invalid ones. */
function planSubmissions(options: FaultRunOptions, tenants: readonly RunTenant[], targetUrl: string, webhookUrl: string): Submission[] {
  const submissions: Submission[] = [];
  for (let i = 0; i < options.jobs; i++) {
    const tenant = tenants[i % tenants.length];
    const webhook = { webhookUrl: `${webhookUrl}/hooks/${tenant.tenantId}` };
    const kind = i % 20;
    let body: Record<string, unknown>;
    if (kind < 8) body = { type: 'echo', payload: { n: i, tenant: tenant.tenantId, nested: { list: [i, String(i)] } }, ...webhook };
    else if (kind < 18) body = { type: 'http', payload: { url: `${targetUrl}/ok/${i}`, method: 'POST', body: { n: i }, timeoutSeconds: 2 }, maxAttempts: 4, ...webhook };
    else if (kind === 18) body = { type: 'http', payload: { url: `${targetUrl}/fail`, method: 'POST', timeoutSeconds: 2 }, maxAttempts: 3, ...webhook };
    else body = { type: 'http', payload: { url: `${targetUrl}/reject`, method: 'POST', timeoutSeconds: 2 }, ...webhook };
    if (i % 10 === 5) body = { ...body, delaySeconds: 1 + (i % 3) };
    submissions.push({ tenant, idempotencyKey: `run-${options.seed}-${i}`, body, valid: true });
    if (i % 50 === 7) {
      const invalid = i % 100 === 7 ? { type: 'no-such-type', payload: {} } : { type: 'echo', payload: {}, maxAttempts: 99 };
      submissions.push({ tenant, idempotencyKey: `run-${options.seed}-invalid-${i}`, body: invalid, valid: false });
    }
  }
  return submissions;
}

/** Every job terminal and every webhook settled: nothing left on the sweep index. */
async function queuesEmpty(sqs: SQSClient, queueUrls: readonly string[]): Promise<boolean> {
  for (const QueueUrl of queueUrls) {
    const { Attributes = {} } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'] }),
    );
    const messages = Number(Attributes.ApproximateNumberOfMessages ?? 0) + Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0) + Number(Attributes.ApproximateNumberOfMessagesDelayed ?? 0);
    if (messages > 0) return false;
  }
  return true;
}

async function sweepIndexEmpty(store: JobStore): Promise<boolean> {
  const shards = await Promise.all(Array.from({ length: SWEEP_SHARDS }, (_, shard) => store.dueForSweep(shard, Number.MAX_SAFE_INTEGER, 1)));
  return shards.every((entries) => entries.length === 0);
}

/** No tenant has a job queued, running or retrying (one entry a shard is enough to tell). */
async function openBucketsEmpty(store: JobStore, tenantIds: readonly string[]): Promise<boolean> {
  for (const tenantId of tenantIds) {
    const shards = await Promise.all(
      Array.from({ length: STATUS_INDEX_SHARDS }, (_, shard) => store.openJobsCreatedBetween({ tenantId, shard, fromMs: 0, toMs: Date.now() + 86_400_000, limit: 1 })),
    );
    if (shards.some((page) => page.entries.some((entry) => entry.job !== undefined))) return false;
  }
  return true;
}

async function unsettledSample(store: JobStore): Promise<unknown[]> {
  const entries = (await Promise.all(Array.from({ length: SWEEP_SHARDS }, (_, shard) => store.dueForSweep(shard, Number.MAX_SAFE_INTEGER, 1)))).flat();
  return Promise.all(
    entries.slice(0, 3).map(async (entry) => {
      const job = await store.get(entry, { consistent: true });
      return { entry, job: job && { ...job, payload: undefined, history: job.history.slice(-3) } };
    }),
  );
}

/** A client that does what SPEC §3.1 asks of one: repeats a failed submit with the same Idempotency-Key. */
class RetryingClient {
  readonly accepted = new Map<string, AcceptedJob>();
  readonly rejected: RejectedSubmission[] = [];
  readonly violations: Violation[] = [];
  readonly figures = { requests: 0, retriedAfter5xx: 0, answered503: 0, rejected: 0 };
  /** Jobs whose key had an answer that leaves the outcome open (a network error, a 5xx other than 503): such a job may exist. */
  private readonly outcomeUnknown = new Map<string, string[]>();

  constructor(
    private readonly apiUrl: string,
    private readonly store: JobStore,
  ) {}

  async submit(submission: Submission): Promise<void> {
    for (let attempt = 1; attempt <= MAX_SUBMIT_TRIES; attempt++) {
      const response = await this.post('/v1/jobs', submission.tenant.apiKey, submission.body, { 'idempotency-key': submission.idempotencyKey });
      if (await this.settle(submission, response)) return;
      await pause(attempt);
    }
  }

  async submitBatch(submissions: readonly Submission[]): Promise<void> {
    const byTenant = new Map<string, Submission[]>();
    for (const s of submissions) byTenant.set(s.tenant.tenantId, [...(byTenant.get(s.tenant.tenantId) ?? []), s]);
    for (const group of byTenant.values()) {
      let left = [...group];
      for (let attempt = 1; attempt <= MAX_SUBMIT_TRIES && left.length > 0; attempt++) {
        const response = await this.post('/v1/jobs/batch', group[0].tenant.apiKey, {
          jobs: left.map((s) => ({ ...s.body, idempotencyKey: s.idempotencyKey })),
        });
        if (response?.status === 200) {
          const items = (response.body as { items: Array<{ status: number; job?: { jobId: string; type: string }; error?: { code?: string } }> }).items;
          const next: Submission[] = [];
          for (const [index, item] of items.entries()) {
            if (!(await this.settle(left[index], { status: item.status, body: item.job ?? item.error }))) next.push(left[index]);
          }
          left = next;
        }
        if (left.length > 0) await pause(attempt);
      }
    }
  }

  /** Records a submission's answer; false when it should be tried again. */
  private async settle(submission: Submission, response: { status: number; body: unknown } | undefined): Promise<boolean> {
    const tenantId = submission.tenant.tenantId;
    const jobId = jobIdFor(tenantId, submission.idempotencyKey);
    if (response && (response.status === 202 || response.status === 200)) {
      const job = response.body as { jobId: string; type: string };
      if (job.jobId !== jobId) this.violations.push({ invariant: 'a key names one job', jobId, tenantId, detail: `answered with job ${job.jobId}` });
      this.accepted.set(jobId, { tenantId, jobId, type: job.type });
      return true;
    }
    if (response && response.status === 503) {
      this.figures.answered503++;
      // "Nothing was kept" (SPEC §3): nothing else writes this key before the client tries again,
      // unless an earlier try of it ended without a definite answer (that one may have created the job).
      const kept = this.outcomeUnknown.has(jobId) ? undefined : await this.store.get({ tenantId, jobId }, { consistent: true });
      if (kept) this.violations.push({ invariant: 'a 503 keeps nothing', jobId, tenantId, detail: `answered 503, yet the job is stored (${kept.status})` });
    } else if (!response || response.status >= 500) {
      this.outcomeUnknown.set(jobId, [...(this.outcomeUnknown.get(jobId) ?? []), response ? `${response.status} ${JSON.stringify(response.body).slice(0, 200)}` : 'network error']);
    }
    if (!response || response.status >= 500 || response.status === 429) {
      this.figures.retriedAfter5xx++;
      return false;
    }
    this.figures.rejected++;
    this.rejected.push({ tenantId, idempotencyKey: submission.idempotencyKey, status: response.status });
    if (submission.valid) {
      this.violations.push({ invariant: 'a valid submission is accepted', jobId, tenantId, detail: `answered ${response.status} ${JSON.stringify(response.body)}` });
    }
    return true;
  }

  private async post(path: string, apiKey: string, body: unknown, headers: Record<string, string> = {}) {
    this.figures.requests++;
    try {
      const response = await fetch(`${this.apiUrl}${path}`, {
        method: 'POST',
        headers: { 'x-api-key': apiKey, 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(30_000),
      });
      const text = await response.text();
      for (const detail of contractViolations({ method: 'POST', target: path, status: response.status, headers: headersOf(response.headers), body: text })) {
        this.violations.push({ invariant: 'every response matches the OpenAPI document', detail });
      }
      return { status: response.status, body: text ? (JSON.parse(text) as unknown) : undefined };
    } catch {
      return undefined;
    }
  }
}

function pause(attempt: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.min(1000, 25 * 2 ** Math.min(attempt, 6)) * Math.random()));
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  return Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));
}
