/**
 * The invariants of a run (issue 9), checked after it: reads every accepted job
 * and its attempts through the JobStore, the table (one Scan, for "nothing else
 * was written"), what the receivers saw, and what each tenant sees through the
 * API. Reports each violation (which invariant, which job, what was found), not
 * just a verdict, plus the run's figures.
 *
 * Used by test/e2e/faults.test.ts and by `npm run soak`.
 */
import { isDeepStrictEqual } from 'node:util';
import { ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { Webhook } from 'standardwebhooks';
import { isTerminal, type Job, type JobStatus, JOB_STATUSES, webhookEventOf } from '../../lambdas/jobs/job';
import { jobIdFor } from '../../lambdas/jobs/job-id';
import { jobKeyOfPk } from '../../lambdas/store/job-item';
import { jobItemKey, type JobStore } from '../../lambdas/store/job-store';
import type { JobWriteLog } from '../../local/faults';
import { mapConcurrently } from './map-concurrently';
import { contractViolations, headersOf } from './openapi-contract';
import type { ReceivedRequest } from './receiver';

export interface RunTenant {
  readonly tenantId: string;
  readonly apiKey: string;
  /** The secrets that may have signed its deliveries. */
  readonly webhookSecrets: readonly string[];
}

export interface AcceptedJob {
  readonly tenantId: string;
  readonly jobId: string;
  readonly type: string;
}

export interface RejectedSubmission {
  readonly tenantId: string;
  readonly idempotencyKey: string;
  readonly status: number;
}

/** What a run did, as its client and receivers saw it. */
export interface RunRecord {
  readonly tenants: readonly RunTenant[];
  /** Every job a submission was answered 202 or 200 for. */
  readonly accepted: ReadonlyMap<string, AcceptedJob>;
  /** Submissions answered with a 4xx (or a 503: nothing kept) and never accepted under their key. */
  readonly rejected: readonly RejectedSubmission[];
  /** Requests that reached the `http` jobs' target. */
  readonly targetRequests: readonly ReceivedRequest[];
  /** Requests that reached the webhook receiver. */
  readonly webhookRequests: readonly ReceivedRequest[];
  /** Job writes that took effect (the twin's fault injection logs them), for counting terminal transitions. */
  readonly writes?: JobWriteLog;
}

export interface CheckTarget {
  /** A JobStore on a client without faults. */
  readonly store: JobStore;
  /** A document client without faults, for the Scan. */
  readonly db: DynamoDBDocumentClient;
  readonly tableName: string;
  /** The API, for what each tenant can see (faults paused). */
  readonly apiUrl: string;
}

export interface Violation {
  readonly invariant: string;
  readonly jobId?: string;
  readonly tenantId?: string;
  readonly detail: string;
}

export interface RunFigures {
  jobs: number;
  byStatus: Partial<Record<JobStatus, number>>;
  attempts: number;
  /** Attempts after a job's first (retries and takeovers). */
  retriedAttempts: number;
  /** Attempts recorded as `lease expired` (their worker died or stalled). */
  leaseTakeovers: number;
  webhooks: { delivered: number; failed: number; requests: number; duplicateDeliveries: number };
  /** Requests to the http target beyond the first for one (job, attempt). */
  duplicateTargetRequests: number;
  /** Items in the table that are jobs. */
  itemsInTable: number;
}

export interface InvariantReport {
  violations: Violation[];
  figures: RunFigures;
}

const CONCURRENCY = 16;

export async function checkInvariants(run: RunRecord, target: CheckTarget): Promise<InvariantReport> {
  const violations: Violation[] = [];
  const violation = (invariant: string, detail: string, job?: { jobId: string; tenantId: string }) =>
    violations.push({ invariant, detail, ...(job ? { jobId: job.jobId, tenantId: job.tenantId } : {}) });
  const figures: RunFigures = {
    jobs: run.accepted.size,
    byStatus: {},
    attempts: 0,
    retriedAttempts: 0,
    leaseTakeovers: 0,
    webhooks: { delivered: 0, failed: 0, requests: run.webhookRequests.length, duplicateDeliveries: 0 },
    duplicateTargetRequests: 0,
    itemsInTable: 0,
  };

  const targetByJob = groupBy(run.targetRequests, (r) => header(r, 'x-job-id'));
  const webhooksByJob = groupBy(run.webhookRequests, (r) => jobIdOfDelivery(r));
  const tenants = new Map(run.tenants.map((t) => [t.tenantId, t]));

  const jobs = await mapConcurrently([...run.accepted.values()], CONCURRENCY, async (accepted) => ({
    accepted,
    job: await target.store.get(accepted, { consistent: true }),
  }));

  for (const { accepted, job } of jobs) {
    if (!job) {
      violation('every accepted job is kept', 'the job is not in the table (lost, or read as expired)', accepted);
      continue;
    }
    figures.byStatus[job.status] = (figures.byStatus[job.status] ?? 0) + 1;
    checkJob(job, accepted, run, violation);
    checkAttempts(job, violation, figures);
    checkTarget(job, targetByJob.get(job.jobId) ?? [], tenants.get(job.tenantId), violation, figures);
    checkWebhook(job, webhooksByJob.get(job.jobId) ?? [], tenants.get(job.tenantId), violation, figures);
  }
  for (const jobId of webhooksByJob.keys()) {
    if (!run.accepted.has(jobId)) violation('deliveries are for accepted jobs', `the webhook receiver got an event for job ${jobId}, never accepted`);
  }
  for (const jobId of targetByJob.keys()) {
    if (!run.accepted.has(jobId)) violation('requests are for accepted jobs', `the http target got a request for job ${jobId}, never accepted`);
  }

  await checkTable(run, target, violation, figures);
  await checkTenantIsolation(run, target, violation);
  return { violations, figures };
}

type Report = (invariant: string, detail: string, job?: { jobId: string; tenantId: string }) => void;

function checkJob(job: Job, accepted: AcceptedJob, run: RunRecord, violation: Report): void {
  if (job.tenantId !== accepted.tenantId) violation('a job stays its tenant\'s', `stored with tenant ${job.tenantId}`, accepted);
  if (!isTerminal(job.status)) violation('each accepted job ends terminal or canceled', `status ${job.status}`, job);
  if (run.writes) {
    const transitions = run.writes.terminalTransitions(jobItemKey(job).pk);
    if (transitions.length !== 1) {
      violation(
        'exactly one terminal transition',
        `${transitions.length} writes entered a terminal status: ${run.writes.of(jobItemKey(job).pk).map((w) => `v${w.version}:${w.status}`).join(' ')}`,
        job,
      );
    }
  }
  if (job.type === 'echo' && job.status === 'succeeded' && !isDeepStrictEqual(job.result, job.payload)) {
    violation('an echo job returns its payload', 'result differs from payload', job);
  }
}

function checkAttempts(job: Job, violation: Report, figures: RunFigures): void {
  figures.attempts += job.attempts;
  figures.retriedAttempts += Math.max(0, job.attempts - 1);
  const numbers = job.history.map((a) => a.attempt);
  const first = Math.max(1, job.attempts - job.history.length + 1);
  const expected = Array.from({ length: job.attempts - first + 1 }, (_, i) => first + i);
  if (!isDeepStrictEqual(numbers, expected)) {
    violation('attempts are numbered 1..n', `attempts ${job.attempts}, history [${numbers.join(',')}]`, job);
  }
  const running = job.history.filter((a) => a.status === 'running');
  if (running.length > 1) violation('at most one attempt running', `${running.length} running attempts`, job);
  if (isTerminal(job.status) && running.length > 0) violation('no attempt running at the end', `attempt ${running[0].attempt} still running`, job);
  if (job.attempts > job.attemptLimit) violation('attempts ≤ the attempt budget', `attempts ${job.attempts} > attemptLimit ${job.attemptLimit}`, job);
  // No job of a run is re-run by the retry route, so its budget is its maxAttempts.
  if (job.attemptLimit !== job.maxAttempts) violation('attempts ≤ maxAttempts', `attemptLimit ${job.attemptLimit} ≠ maxAttempts ${job.maxAttempts}`, job);
  figures.leaseTakeovers += job.history.filter((a) => a.error === 'lease expired').length;
  const last = job.history.at(-1);
  if (job.status === 'succeeded' && last?.status !== 'succeeded') violation('a succeeded job\'s last attempt succeeded', `last attempt ${last?.status}`, job);
  if (job.status === 'fatal' && last && last.status !== 'failed') violation('a fatal job\'s last attempt failed', `last attempt ${last.status}`, job);
  for (const attempt of job.history.slice(0, -1)) {
    if (attempt.status !== 'failed') violation('only the last attempt may have succeeded', `attempt ${attempt.attempt} ${attempt.status}`, job);
  }
}

function checkTarget(job: Job, requests: readonly ReceivedRequest[], tenant: RunTenant | undefined, violation: Report, figures: RunFigures): void {
  if (job.type !== 'http') {
    if (requests.length > 0) violation('only http jobs call the target', `${requests.length} requests`, job);
    return;
  }
  const byAttempt = groupBy(requests, (r) => header(r, 'x-job-attempt'));
  for (const [attempt, tries] of byAttempt) {
    figures.duplicateTargetRequests += tries.length - 1;
    const successes = tries.filter((r) => isSuccess(r.answeredStatus));
    if (successes.length > 1) violation('at most one successful request per attempt', `attempt ${attempt}: ${successes.length} answered 2xx`, job);
    if (Number(attempt) > job.attempts) violation('requests belong to recorded attempts', `a request for attempt ${attempt} of ${job.attempts}`, job);
  }
  for (const request of requests) {
    if (header(request, 'idempotency-key') !== job.jobId) violation('http requests carry Idempotency-Key = jobId', `got ${header(request, 'idempotency-key')}`, job);
    if (!tenant || !isSignedBy(request, tenant)) violation('http requests are signed with the tenant\'s secret', `attempt ${header(request, 'x-job-attempt')}`, job);
  }
  if (job.status === 'succeeded' && !(byAttempt.get(String(job.attempts)) ?? []).some((r) => isSuccess(r.answeredStatus))) {
    violation('a succeeded http job had its success from the target', `no 2xx answered for attempt ${job.attempts}`, job);
  }
}

function checkWebhook(job: Job, deliveries: readonly ReceivedRequest[], tenant: RunTenant | undefined, violation: Report, figures: RunFigures): void {
  if (!job.webhookUrl) {
    if (deliveries.length > 0) violation('no webhook without a webhookUrl', `${deliveries.length} deliveries`, job);
    return;
  }
  if (job.status === 'canceled') return;
  if (job.webhook.status === 'delivered') figures.webhooks.delivered++;
  else if (job.webhook.status === 'failed') figures.webhooks.failed++;
  else violation('each webhook ends delivered or failed', `webhook ${job.webhook.status}`, job);

  const byEvent = groupBy(deliveries, (r) => header(r, 'webhook-id'));
  // One run, one terminal transition, so one event.
  if (byEvent.size > 1) violation('one webhook-id per event', `${byEvent.size} webhook-ids: ${[...byEvent.keys()].join(', ')}`, job);
  for (const [eventId, tries] of byEvent) {
    if (eventId !== webhookEventOf(job.webhook)?.id) violation('deliveries carry the event\'s webhook-id', `got ${eventId}, the job's event is ${webhookEventOf(job.webhook)?.id}`, job);
    if (new Set(tries.map((r) => r.body)).size > 1) violation('an event\'s body is the same on every try', `${eventId}: bodies differ`, job);
    figures.webhooks.duplicateDeliveries += Math.max(0, tries.filter((r) => isSuccess(r.answeredStatus)).length - 1);
    for (const request of tries) {
      if (!tenant || !isSignedBy(request, tenant)) violation('deliveries have valid signatures', `${eventId}: signature does not verify`, job);
    }
    const sent = parseJson(tries[0].body) as { type?: string; data?: { status?: string } } | undefined;
    const expectedType: string = job.status === 'succeeded' ? 'job.succeeded' : 'job.fatal';
    if (sent?.type !== expectedType || sent?.data?.status !== job.status) {
      violation('the event tells the terminal status', `event ${sent?.type} with status ${sent?.data?.status}, job ${job.status}`, job);
    }
  }
  if (job.webhook.status === 'delivered') {
    const answered = (byEvent.get(webhookEventOf(job.webhook)?.id ?? '') ?? []).some((r) => isSuccess(r.answeredStatus));
    if (!answered) violation('a delivered webhook was answered 2xx', 'the receiver never answered 2xx for the event', job);
  }
}

/** Nothing but accepted jobs in the table: no item for a rejected request, none written twice under two ids. */
async function checkTable(run: RunRecord, target: CheckTarget, violation: Report, figures: RunFigures): Promise<void> {
  const inTable = new Map<string, { tenantId: string; jobId: string }>();
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await target.db.send(
      new ScanCommand({
        TableName: target.tableName,
        FilterExpression: 'entity = :job',
        ExpressionAttributeValues: { ':job': 'job' },
        ProjectionExpression: 'pk',
        ExclusiveStartKey: startKey,
        ConsistentRead: true,
      }),
    );
    for (const item of page.Items ?? []) {
      const key = jobKeyOfPk(String(item.pk));
      inTable.set(key.jobId, key);
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  figures.itemsInTable = inTable.size;
  for (const [jobId, item] of inTable) {
    if (!run.accepted.has(jobId)) violation('no item written for a rejected request', 'a job in the table that no submission was accepted for', item);
  }
  for (const rejected of run.rejected) {
    const jobId = jobIdFor(rejected.tenantId, rejected.idempotencyKey);
    if (inTable.has(jobId) && !run.accepted.has(jobId)) {
      violation('no item written for a rejected request', `answered ${rejected.status} under key ${rejected.idempotencyKey}, yet stored`, { jobId, tenantId: rejected.tenantId });
    }
  }
}

/** Each tenant lists exactly its own jobs, and reads another tenant's job as not found. */
async function checkTenantIsolation(run: RunRecord, target: CheckTarget, violation: Report): Promise<void> {
  const byTenant = groupBy([...run.accepted.values()], (j) => j.tenantId);
  for (const tenant of run.tenants) {
    const listed = new Set<string>();
    for (const status of JOB_STATUSES) {
      let cursor: string | null = null;
      do {
        const query = `status=${status}&limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
        const response = await fetch(`${target.apiUrl}/v1/jobs?${query}`, { headers: { 'x-api-key': tenant.apiKey } });
        const text = await response.clone().text();
        contractViolations({ method: 'GET', target: `/v1/jobs?${query}`, status: response.status, headers: headersOf(response.headers), body: text }).forEach((detail) =>
          violation('every response matches the OpenAPI document', detail),
        );
        if (response.status !== 200) {
          violation('each tenant can list its jobs', `GET /v1/jobs?status=${status} answered ${response.status}`);
          break;
        }
        const page = (await response.json()) as { items: Array<{ jobId: string; tenantId: string }>; nextCursor: string | null };
        for (const item of page.items) {
          if (item.tenantId !== tenant.tenantId) violation('no job of one tenant visible to another', `listed to ${tenant.tenantId}`, item);
          listed.add(item.jobId);
        }
        cursor = page.nextCursor;
      } while (cursor);
    }
    const own = byTenant.get(tenant.tenantId) ?? [];
    const missing = own.filter((j) => !listed.has(j.jobId));
    if (missing.length > 0) violation('each tenant can list its jobs', `${missing.length} of ${tenant.tenantId}'s jobs not listed, e.g. ${missing[0].jobId}`);
    // Another tenant's jobs, by id: not found, exactly like a job that does not exist.
    const others = [...run.accepted.values()].filter((j) => j.tenantId !== tenant.tenantId).slice(0, 20);
    for (const other of others) {
      const response = await fetch(`${target.apiUrl}/v1/jobs/${other.jobId}`, { headers: { 'x-api-key': tenant.apiKey } });
      const text = await response.text();
      contractViolations({ method: 'GET', target: `/v1/jobs/${other.jobId}`, status: response.status, headers: headersOf(response.headers), body: text }).forEach((detail) =>
        violation('every response matches the OpenAPI document', detail),
      );
      if (response.status !== 404) violation('no job of one tenant visible to another', `GET as ${tenant.tenantId} answered ${response.status}`, other);
    }
  }
}

/** Verifies the Standard Webhooks signature with the library's own signer (no timestamp tolerance: checked after the run). */
function isSignedBy(request: ReceivedRequest, tenant: RunTenant): boolean {
  const id = header(request, 'webhook-id');
  const timestamp = Number(header(request, 'webhook-timestamp'));
  const signatures = header(request, 'webhook-signature').split(' ');
  if (!id || !Number.isFinite(timestamp)) return false;
  return tenant.webhookSecrets.some((secret) => signatures.includes(new Webhook(secret).sign(id, new Date(timestamp * 1000), request.body)));
}

function jobIdOfDelivery(request: ReceivedRequest): string {
  const body = parseJson(request.body) as { data?: { jobId?: string } } | undefined;
  return body?.data?.jobId ?? '(unreadable body)';
}

function isSuccess(status: number | undefined): boolean {
  return status !== undefined && status >= 200 && status < 300;
}

function header(request: ReceivedRequest, name: string): string {
  const value = request.headers[name];
  return Array.isArray(value) ? value.join(',') : (value ?? '');
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function groupBy<T>(items: readonly T[], keyOf: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const group = groups.get(key);
    if (group) group.push(item);
    else groups.set(key, [item]);
  }
  return groups;
}
