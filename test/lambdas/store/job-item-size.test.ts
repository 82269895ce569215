/**
 * The bench's 200 B `echo` job (bench/payloads.ts `smallPayload`: its result is
 * its payload) keeps its item within one write unit (1 KB) at create, after the
 * one-write claim and at the finish (issue 11: 3 table writes of 1 unit each).
 * DynamoDB bills an UpdateItem on the larger of the item before and after, a
 * PutItem the same way: measured on the items as dynalite stores them, priced
 * by bench/dynamodb-capacity.ts.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { itemSize, writeUnits } from '../../../bench/dynamodb-capacity';
import { getJobTypeDefinition } from '../../../lambdas/job-types/registry';
import { toJobView, webhookEventOf, webhookViewOf, type Job } from '../../../lambdas/jobs/job';
import { firstTry, outcomeOfStatus, recordTry } from '../../../lambdas/webhooks/webhook-transitions';
import { prepareJob, type SubmissionPolicy } from '../../../lambdas/jobs/prepare-job';
import { finishAttempt, inPlaceClaim } from '../../../lambdas/jobs/transitions';
import { jobFromItem } from '../../../lambdas/store/job-item';
import { JobStore, jobItemKey } from '../../../lambdas/store/job-store';
import { startDynamoDb } from '../../../local/dynamodb';
import { storeOn } from '../../support/store-on';

const NOW = Date.UTC(2026, 11, 3, 12);
const timing = { nowMs: NOW, retentionDays: 7 };
const LEASE_MS = 60_000;
const TENANT = 'tenant-bench-0001';

/** One of bench/payloads.ts `smallPayload(…)` (the bench's own 200 B job; that module is the bench's). */
const SMALL_PAYLOAD = {
  orderId: 'order-00004242',
  customerId: 'cus_0k3x9q2m',
  email: 'customer4242@example.com',
  action: 'send-receipt',
  amountCents: 31_337,
  currency: 'USD',
  items: 7,
  placedAt: '2026-11-04T00:00:00.000Z',
};

const policy: SubmissionPolicy = {
  jobType: getJobTypeDefinition,
  checkUrl: () => ({ ok: true }),
  defaultMaxAttempts: 3,
  retentionDays: 7,
  lookaheadMs: 300_000,
};

let local: { url: string; close(): Promise<void> };
let client: DynamoDBClient;
let db: DynamoDBDocumentClient;
let store: JobStore;
const rawItem = async (job: Job) => (await db.send(new GetCommand({ TableName: 'jobs', Key: jobItemKey(job), ConsistentRead: true }))).Item!;

beforeAll(async () => {
  local = await startDynamoDb({});
  ({ client, db, store } = await storeOn(local.url, NOW));
}, 60_000);

afterAll(async () => {
  client?.destroy();
  await local?.close();
});

function smallJob(overrides: { idempotencyKey?: string } = {}): Job {
  const prepared = prepareJob({ tenantId: TENANT, body: { type: 'echo', payload: SMALL_PAYLOAD }, idempotencyKey: overrides.idempotencyKey }, policy, NOW);
  if (prepared.kind !== 'prepared') throw new Error(prepared.detail);
  // Sent first, as the create path does for a job due now without an Idempotency-Key.
  return overrides.idempotencyKey === undefined ? { ...prepared.job, sentFirst: true } : prepared.job;
}

/** Creates `job`, claims it in one write, finishes it with echo's result; the item's size after each. */
async function run(job: Job): Promise<{ create: number; claim: number; finish: number; finished: Job }> {
  await store.create(job);
  const create = itemSize(await rawItem(job));
  const claimed = await store.claimInPlace(job, inPlaceClaim(0, LEASE_MS, timing));
  if (!claimed.claimed) throw new Error('not claimed');
  const claim = itemSize(await rawItem(job));
  await store.transition(job, (current) => finishAttempt(current, 1, { kind: 'succeeded', result: current?.payload }, 0, timing));
  const finish = itemSize(await rawItem(job));
  return { create, claim, finish, finished: (await store.get(job, { consistent: true }))! };
}

describe("the bench's 200 B echo job", () => {
  it.each([
    ['sent first (no Idempotency-Key)', {}],
    ['put first (with an Idempotency-Key)', { idempotencyKey: 'order-00004242-receipt' }],
  ])('%s: its item stays within one write unit at create, claim and finish', async (_name, overrides) => {
    const job = smallJob(overrides);
    expect(Buffer.byteLength(JSON.stringify(job.payload))).toBeGreaterThanOrEqual(200);
    const { create, claim, finish, finished } = await run(job);
    process.stdout.write(`item bytes: create ${create}, claim ${claim}, finish ${finish}\n`);
    // A write is billed on the larger of the item before and after it.
    expect([writeUnits(create), writeUnits(Math.max(create, claim)), writeUnits(Math.max(claim, finish))]).toEqual([1, 1, 1]);
    // With room to spare: a longer tenant id, type or key must not tip it over.
    expect(Math.max(create, claim, finish)).toBeLessThanOrEqual(960);
    expect(finished.status).toBe('succeeded');
    expect(finished.result).toEqual(SMALL_PAYLOAD);
    expect(finished.history).toEqual([
      { attempt: 1, status: 'succeeded', error: null, startedAt: new Date(NOW).toISOString(), finishedAt: new Date(NOW).toISOString(), durationMs: 0 },
    ]);
  });
});

describe("the bench's 200 B echo job with a webhook (issue 11: at most 2 write units more than without)", () => {
  // Longer than the bench receiver's URL, as a real receiver's would be.
  const WEBHOOK_URL = 'https://hooks.example.com/jobs-service/receipts';

  it('keeps its item within one write unit at create, claim, finish and the delivered write, with no write between', async () => {
    // Arrange
    const job: Job = { ...smallJob(), webhookUrl: WEBHOOK_URL, webhook: { status: 'pending', event: null } };
    // Act
    const { create, claim, finish, finished } = await run(job);
    const check = firstTry(finished, { tenantId: job.tenantId, jobId: job.jobId, eventId: webhookEventOf(finished.webhook)!.id }, NOW);
    if (check.outcome !== 'ready') throw new Error(`not deliverable: ${check.outcome}`);
    const facts = { eventId: check.event.id, fence: check.fence, outcome: outcomeOfStatus(200), retrySchedule: [5], dispatchWithinMs: 900_000 };
    const recorded = await store.transition(job, (current) => recordTry(current, facts, timing));
    const delivered = itemSize(await rawItem(job));
    process.stdout.write(`item bytes with a webhook: create ${create}, claim ${claim}, finish ${finish}, delivered ${delivered}\n`);
    // Assert
    expect(recorded.outcome).toBe('delivered');
    expect([writeUnits(create), writeUnits(Math.max(create, claim)), writeUnits(Math.max(claim, finish)), writeUnits(Math.max(finish, delivered))]).toEqual([1, 1, 1, 1]);
    // Little room to spare (about 10 B with this URL): the sweep entry and the webhook's state fill it.
    expect(Math.max(create, claim, finish, delivered)).toBeLessThanOrEqual(1024);
    // The body is not in the item: it is made again from the job at each try.
    expect(JSON.stringify(await rawItem(job))).not.toContain('"timestamp"');
  });
});

/**
 * The item as the previous versions wrote it: every field (nulls and false
 * included), the key's parts again, the webhook's view when there is none, ISO
 * stamps in the attempt records, a UUID writeId.
 */
function previousVersionItem(job: Job): Record<string, unknown> {
  const { payload, result, webhook, sentFirst: _sentFirst, ...fields } = job;
  return {
    ...jobItemKey(job),
    entity: 'job',
    ...fields,
    webhook: webhookViewOf(webhook),
    webhookEvent: null,
    payloadJson: JSON.stringify(payload),
    resultJson: JSON.stringify(result ?? null),
    writeId: '7d4f3b0e-8c1a-4e4b-9a57-2f0d6c1b9e11',
    gsi1pk: `${job.tenantId}#${job.status}`,
    gsi1sk: `${job.createdAt}#${job.jobId}`,
    sweepShard: 3,
    sweepAt: NOW,
    sweepCount: 0,
  };
}

describe('an item of the previous versions', () => {
  const earlier = new Date(NOW - 60_000).toISOString();
  // Waiting for its second attempt: the first one's record in the old form.
  const waiting = (): Job => ({
    ...smallJob({ idempotencyKey: `previous-${Math.random()}` }),
    status: 'retry',
    attempts: 1,
    lastError: 'boom',
    history: [{ attempt: 1, status: 'failed', error: 'boom', startedAt: earlier, finishedAt: earlier, durationMs: 0 }],
    dispatched: false,
  });

  it('reads as the job it was written from', async () => {
    const job = waiting();
    await db.send(new PutCommand({ TableName: 'jobs', Item: previousVersionItem(job) }));
    const read = await store.get(job, { consistent: true });
    expect(read).toEqual(job);
    expect(toJobView(read!, { withPayload: true })).toEqual(toJobView(job, { withPayload: true }));
    expect(jobFromItem(previousVersionItem(job))).toEqual(job);
  });

  it('is claimed in one write and finished, and is then in the compact form with its old attempt kept', async () => {
    const job = waiting();
    await db.send(new PutCommand({ TableName: 'jobs', Item: previousVersionItem(job) }));
    const claimed = await store.claimInPlace(job, inPlaceClaim(1, LEASE_MS, timing));
    expect(claimed.claimed).toMatchObject({ status: 'running', attempts: 2, nextRunAt: null, dispatched: false, leaseUntilMs: NOW + LEASE_MS });
    expect(claimed.claimed?.history).toEqual([job.history[0], { attempt: 2, status: 'running', error: null, startedAt: new Date(NOW).toISOString(), finishedAt: null, durationMs: null }]);
    await store.transition(job, (current) => finishAttempt(current, 2, { kind: 'succeeded', result: current?.payload }, 0, timing));
    const item = await rawItem(job);
    expect(item).not.toHaveProperty('jobId');
    expect(item).not.toHaveProperty('webhook');
    expect(item).not.toHaveProperty('nextRunAt');
    const finished = await store.get(job, { consistent: true });
    expect(finished).toMatchObject({ jobId: job.jobId, tenantId: TENANT, status: 'succeeded', result: SMALL_PAYLOAD, payloadHash: job.payloadHash, lastError: null });
    expect(finished?.history.map((a) => [a.attempt, a.status, a.startedAt, a.durationMs])).toEqual([
      [1, 'failed', earlier, 0],
      [2, 'succeeded', new Date(NOW).toISOString(), 0],
    ]);
  });
});
