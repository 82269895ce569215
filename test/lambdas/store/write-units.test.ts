/**
 * The write-unit ledger of one job (issue 11): every write to a job item while
 * a job is submitted, claimed and finished (and its webhook delivered), priced by
 * DynamoDB's billing rules (bench/dynamodb-capacity.ts: a write is billed on the
 * larger of the item before and after; an index on its entries before and after).
 * Through the real use case, worker and webhook Lambda on dynalite, so what is
 * counted is what the code writes, not a model of it.
 */
import { randomBytes } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { InitializeHandler, InitializeHandlerArguments, MetadataBearer } from '@smithy/types';
import { indexEntryOf, indexWriteUnits, itemSize, writeUnits } from '../../../bench/dynamodb-capacity';
import { webhookEventOf } from '../../../lambdas/jobs/job';
import { STATUS_INDEX, SWEEP_INDEX } from '../../../lambdas/resources';
import { jobItemKey } from '../../../lambdas/store/job-store';
import { submitJob } from '../../../lambdas/use-cases/submit-job';
import { WebhookDeliverer } from '../../../lambdas/webhooks/delivery';
import { JobWorker } from '../../../lambdas/worker/process-job';
import { startReceiver, type Receiver } from '../../support/receiver';
import { startContextHarness, type ContextHarness } from '../../support/service-context';
import { tenantFactory } from '../../support/tenant-factory';

interface LedgerLine {
  operation: string;
  table: number;
  statusIndex: number;
  sweepIndex: number;
}

let h: ContextHarness;
let receiver: Receiver;
let recording: string | undefined;
/** Set while the ledger reads an item itself: those reads are not the code's. */
let ledgerReading = false;
const ledger: LedgerLine[] = [];
const reads: string[] = [];

beforeAll(async () => {
  h = await startContextHarness();
  await h.ctx.tenants.createTenant(tenantFactory({ tenantId: 'acme', name: 'Acme' }));
  receiver = await startReceiver(() => ({ status: 200, body: 'ok' }));
  const rawItem = async (key: Record<string, unknown>) => {
    ledgerReading = true;
    try {
      return (await h.ctx.db.send(new GetCommand({ TableName: h.ctx.config.tableName, Key: key, ConsistentRead: true }))).Item;
    } finally {
      ledgerReading = false;
    }
  };
  // Around every call on the recorded job's item: its reads counted, its writes priced from the item before and after.
  h.ctx.db.middlewareStack.add(
    (next: InitializeHandler<object, MetadataBearer>, context) => async (args: InitializeHandlerArguments<object>) => {
      const input = args.input as { Key?: { pk?: string; sk?: string }; Item?: { pk?: string; sk?: string } };
      const key = input.Key ?? input.Item;
      const operation = (context.commandName ?? '').replace(/Command$/, '');
      if (recording === undefined || key?.pk !== recording || ledgerReading) return next(args);
      if (operation === 'GetItem' || operation === 'Query') {
        reads.push(operation);
        return next(args);
      }
      const itemKey = { pk: key.pk, sk: key.sk };
      const before = await rawItem(itemKey);
      const result = await next(args);
      const after = await rawItem(itemKey);
      ledger.push({
        operation,
        table: writeUnits(Math.max(itemSize(before ?? {}), itemSize(after ?? {}))),
        statusIndex: indexWriteUnits(indexEntryOf(before, STATUS_INDEX), indexEntryOf(after, STATUS_INDEX)),
        sweepIndex: indexWriteUnits(indexEntryOf(before, SWEEP_INDEX), indexEntryOf(after, SWEEP_INDEX)),
      });
      return result;
    },
    { step: 'initialize', name: 'writeLedger' },
  );
});

afterAll(async () => {
  await receiver?.close();
  await h?.close();
});

beforeEach(() => {
  ledger.length = 0;
  reads.length = 0;
  h.jobsQueue.drain();
  h.webhooksQueue.drain();
});

/** Submits `body`, then runs its message through the worker (and a webhook through the webhook Lambda). */
async function runJob(
  body: Record<string, unknown>,
  idempotencyKey?: string,
): Promise<{ jobId: string; create: LedgerLine[]; run: LedgerLine[]; webhook: LedgerLine[]; workerReads: string[] }> {
  // The job id is known once the job is prepared: record its item from the create on.
  const create = h.ctx.jobs.create.bind(h.ctx.jobs);
  const spy = jest.spyOn(h.ctx.jobs, 'create').mockImplementation(async (job) => {
    recording = jobItemKey(job).pk;
    return create(job);
  });
  const submitted = await submitJob(h.ctx, 'acme', body, idempotencyKey).finally(() => spy.mockRestore());
  if (submitted.kind !== 'submitted') throw new Error('rejected');
  const created = ledger.splice(0);
  const [dispatch] = h.jobsQueue.sent.splice(0);
  reads.length = 0;
  expect(await new JobWorker(h.ctx).processMessage(JSON.stringify(dispatch.message))).toBe('succeeded');
  const run = ledger.splice(0);
  const workerReads = reads.splice(0);
  const [webhookDispatch] = h.webhooksQueue.sent.splice(0);
  if (webhookDispatch) expect((await new WebhookDeliverer(h.ctx).deliver(webhookDispatch.message)).outcome).toBe('delivered');
  const webhook = ledger.splice(0);
  recording = undefined;
  return { jobId: submitted.job.jobId, create: created, run, webhook, workerReads };
}

const total = (lines: LedgerLine[], column: keyof Omit<LedgerLine, 'operation'>) => lines.reduce((sum, line) => sum + line[column], 0);
const print = (name: string, lines: LedgerLine[]) =>
  `${name}: ${lines.map((l) => `${l.operation} table ${l.table} status ${l.statusIndex} sweep ${l.sweepIndex}`).join('; ')}`;

/** The bench's 200 B job (bench/api-client.ts). */
const SMALL = { type: 'echo', payload: { orderId: 'order-00000042', action: 'send-receipt', locale: 'en-US' } };

describe('a 200 B echo job, one attempt, no webhook', () => {
  it('costs 3 table writes of 1 unit each, the sweep index nothing, and no read of the job before its claim', async () => {
    const { create, run, workerReads } = await runJob(SMALL);
    process.stdout.write(`${print('create', create)}\n${print('claim+finish', run)}\n`);
    expect([...create, ...run].map((l) => [l.operation, l.table])).toEqual([
      ['PutItem', 1],
      ['UpdateItem', 1],
      ['PutItem', 1],
    ]);
    // The open-bucket scan covers a lost create message (the fault suite's sqs.send.drop); a running job needs no entry, a finished one neither.
    expect([...create, ...run].map((l) => l.sweepIndex)).toEqual([0, 0, 0]);
    // The status index: the create puts the open-bucket entry, the claim leaves it, the finish moves it (delete + put).
    expect([...create, ...run].map((l) => l.statusIndex)).toEqual([1, 0, 2]);
    expect(workerReads).toEqual([]);
  });

  it('with an Idempotency-Key (put first, sent after) costs the sweep index nothing either', async () => {
    const { create, run } = await runJob(SMALL, `ledger-${Date.now()}`);
    expect(create.map((l) => l.sweepIndex)).toEqual([0]);
    expect(run.map((l) => l.sweepIndex)).toEqual([0, 0]);
  });

  it('with a delay keeps its sweep entry (put at create, gone at the claim): the open-bucket scan passes it before it is due', async () => {
    const { create, run } = await runJob({ ...SMALL, delaySeconds: 1 });
    expect(create.map((l) => l.sweepIndex)).toEqual([1]);
    expect(run.map((l) => l.sweepIndex)).toEqual([1, 0]);
  });
});

describe('an echo job with a webhook delivered first time', () => {
  it('is priced, write by write: no write before the POST, every table write 1 unit (issue 11)', async () => {
    const { jobId, create, run, webhook } = await runJob({ ...SMALL, webhookUrl: `${receiver.url}/hook` });
    process.stdout.write(`${print('create', create)}\n${print('claim+finish', run)}\n${print('webhook', webhook)}\n`);
    // No entry while the job waits and runs; the finish puts the event's (in case its message is lost); the first try
    // writes only its outcome (its message covers a crash), which removes the entry. The body is not in the item: 1 unit each.
    expect(run.map((l) => [l.table, l.sweepIndex])).toEqual([
      [1, 0],
      [1, 1],
    ]);
    expect(webhook.map((l) => [l.operation, l.table, l.sweepIndex])).toEqual([['PutItem', 1, 1]]);
    const job = await h.ctx.jobs.get({ tenantId: 'acme', jobId }, { consistent: true });
    expect(job?.webhook.status).toBe('delivered');
    expect(webhookEventOf(job!.webhook)).not.toBeNull();
  });
});

describe('an 8 KiB echo job', () => {
  it.each([
    ['compressible', 'x'.repeat(8 * 1024 - 12)],
    ['incompressible', randomBytes(6 * 1024).toString('base64').slice(0, 8 * 1024 - 12)],
  ])('(%s) writes its payload once: the claim and the finish rewrite a job item of under 1 KB', async (_name, blob) => {
    const { create, run, workerReads } = await runJob({ type: 'echo', payload: { blob } });
    process.stdout.write(`${print('create', create)}\n${print('claim+finish', run)}\nworker reads: ${workerReads.join(', ')}\n`);
    expect(create.map((l) => l.operation)).toEqual(['PutItem', 'PutItem']);
    expect(run.map((l) => [l.operation, l.table])).toEqual([
      ['UpdateItem', 1],
      ['PutItem', 1],
    ]);
    expect(total([...create, ...run], 'sweepIndex')).toBe(0);
    // The payload's item, read once (eventually consistent) after the claim.
    expect(workerReads).toEqual(['GetItem']);
  });
});
