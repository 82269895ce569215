/**
 * The invariant checker itself (test/support/invariants.ts): silent on an honest
 * run, and names the invariant, the job and what it found when a run breaks one.
 */
import { randomUUID } from 'node:crypto';
import { createDocumentClient } from '../../lambdas/store/dynamodb-client';
import { JobStore } from '../../lambdas/store/job-store';
import { checkInvariants, type RunRecord } from '../support/invariants';
import { startReceiver, type Receiver } from '../support/receiver';
import { startTestTwin, type TestTwin } from '../support/twin';
import { waitFor } from '../support/wait-for';

let t: TestTwin;
let target: Receiver;
let hooks: Receiver;
let run: RunRecord;
const db = createDocumentClient();
let store: JobStore;
const check = (record: RunRecord) => checkInvariants(record, { store, db, tableName: t.twin.config.tableName, apiUrl: t.twin.url });

beforeAll(async () => {
  target = await startReceiver(() => ({ status: 200, body: 'ok' }));
  hooks = await startReceiver(() => ({ status: 204 }));
  t = await startTestTwin();
  store = new JobStore(db, { tableName: t.twin.config.tableName, now: Date.now, sweep: { lookaheadMs: 300_000, staleAfterMs: 2000 } });
  const webhookUrl = `${hooks.url}/hooks`;
  const echo = await t.api.submit({ type: 'echo', payload: { a: 1 }, webhookUrl }, { idempotencyKey: 'echo-1' });
  const http = await t.api.submit({ type: 'http', payload: { url: `${target.url}/x`, method: 'POST' }, webhookUrl }, { idempotencyKey: 'http-1' });
  for (const job of [echo, http]) await t.api.waitForJob(job.jobId, (j) => j.webhook.status === 'delivered');
  const tenantId = t.twin.dev.tenantId;
  run = {
    tenants: [{ tenantId, apiKey: t.twin.dev.apiKey, webhookSecrets: [t.twin.dev.webhookSecret] }],
    accepted: new Map([
      [echo.jobId, { tenantId, jobId: echo.jobId, type: 'echo' }],
      [http.jobId, { tenantId, jobId: http.jobId, type: 'http' }],
    ]),
    rejected: [],
    targetRequests: target.requests,
    webhookRequests: hooks.requests,
  };
  await waitFor(() => hooks.requests.length >= 2 && target.requests.every((r) => r.answeredStatus !== undefined));
});

afterAll(async () => {
  db.destroy();
  await t?.close();
  await target?.close();
  await hooks?.close();
});

it('finds nothing wrong with an honest run', async () => {
  const { violations, figures } = await check(run);
  expect(violations).toEqual([]);
  expect(figures).toMatchObject({ jobs: 2, itemsInTable: 2, byStatus: { succeeded: 2 }, webhooks: { delivered: 2, failed: 0 } });
});

it('reports a job it was told was accepted but cannot find', async () => {
  const ghost = randomUUID();
  const accepted = new Map(run.accepted).set(ghost, { tenantId: t.twin.dev.tenantId, jobId: ghost, type: 'echo' });
  const { violations } = await check({ ...run, accepted });
  expect(violations).toContainEqual(expect.objectContaining({ invariant: 'every accepted job is kept', jobId: ghost }));
});

it('reports a stored job no submission was accepted for', async () => {
  const [first, second] = [...run.accepted.values()];
  const { violations } = await check({ ...run, accepted: new Map([[first.jobId, first]]) });
  expect(violations).toContainEqual(expect.objectContaining({ invariant: 'no item written for a rejected request', jobId: second.jobId }));
});

it('reports two successful requests for one attempt of an http job', async () => {
  const success = target.requests.find((r) => r.answeredStatus === 200)!;
  const { violations } = await check({ ...run, targetRequests: [...target.requests, { ...success }] });
  expect(violations).toContainEqual(expect.objectContaining({ invariant: 'at most one successful request per attempt', detail: 'attempt 1: 2 answered 2xx' }));
});

it('reports a delivery whose signature does not verify, and a second webhook-id for one job', async () => {
  const delivery = hooks.requests[0];
  const forged = { ...delivery, body: delivery.body.replace('"succeeded"', '"fatal"') };
  const other = { ...delivery, headers: { ...delivery.headers, 'webhook-id': 'msg_other' } };
  const { violations } = await check({ ...run, webhookRequests: [...hooks.requests, forged, other] });
  const found = violations.map((v) => v.invariant);
  expect(found).toEqual(expect.arrayContaining(['deliveries have valid signatures', 'an event\'s body is the same on every try', 'one webhook-id per event']));
});

it('reports a job that was never finished', async () => {
  const job = await t.api.submit({ type: 'echo', payload: {}, runAt: new Date(Date.now() + 3_600_000).toISOString() }, { idempotencyKey: 'later' });
  const accepted = new Map(run.accepted).set(job.jobId, { tenantId: job.tenantId, jobId: job.jobId, type: 'echo' });
  const { violations } = await check({ ...run, accepted });
  expect(violations).toContainEqual(expect.objectContaining({ invariant: 'each accepted job ends terminal or canceled', jobId: job.jobId, detail: 'status queued' }));
  expect(await t.api.cancel(job.jobId)).toMatchObject({ status: 200 });
});
