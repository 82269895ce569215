/**
 * Counts the AWS usage the twin's handlers cause, as AWS would bill it:
 *
 * - DynamoDB: a middleware on the service's document client (every handler and
 *   poller of the twin shares it) asks every call for `ReturnConsumedCapacity:
 *   'TOTAL'` and sums what comes back; it adds what dynalite leaves out (GSI
 *   writes and failed conditional writes, see dynamodb-capacity.ts) from a
 *   shadow of each item's index entries.
 * - SQS: a middleware on the service's SQS client (the API, the worker and the
 *   twin's pollers share it) counts requests by queue and operation, in 64 KiB
 *   chunks, and the batches handed to the worker and webhook handlers (a
 *   ReceiveMessage that returned messages is one Lambda invocation on AWS), with
 *   their duration (receive → DeleteMessageBatch).
 * - Logs: what the process writes to stdout/stderr (the Powertools logger's JSON
 *   lines), swallowed while the bench runs.
 * - Writes, one by one, for a run that asks (`startTrace`): the item before (the
 *   meter's shadow of what was last written) and after, for the ledger by
 *   transition and the partition keys (write-ledger.ts).
 *
 * Counters only grow; a phase takes a snapshot before and after and subtracts.
 */
import { performance } from 'node:perf_hooks';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { STATUS_INDEX, SWEEP_INDEX, SWEEP_SHARDS, TABLE_INDEXES, TABLE_KEYS } from '../lambdas/resources';
import {
  API_ACCESS_LOG_BYTES_PER_REQUEST,
  gbSeconds,
  LAMBDA_PLATFORM_LOG_BYTES_PER_INVOCATION,
  type PerJobUsage,
} from './cost-model';
import { failedConditionalWriteUnits, itemSize, keyText, type DocumentItem } from './dynamodb-capacity';
import { analyzeWrite, WriteTrace } from './write-ledger';

export interface DynamoDbUsage {
  calls: number;
  /** Read request units DynamoDB (dynalite) reported; at least a request's minimum (0.5, or 1 consistent). */
  readUnits: number;
  /** Write request units DynamoDB (dynalite) reported for the table. */
  writeUnits: number;
  /** Modelled: GSI writes, which dynalite does not report. */
  indexWriteUnits: number;
  conditionalFailures: number;
  /** Modelled: units the failed conditional writes consume on AWS. */
  failedWriteUnits: number;
  /** Time spent in these calls (client side, summed). */
  ms: number;
}

export interface SqsUsage {
  requests: number;
  /** Requests as billed: one per 64 KiB chunk of payload. */
  billedRequests: number;
  messages: number;
}

export interface UsageCounters {
  /** By operation; background work the twin does on a timer has its own label (see `isBackground`). */
  dynamodb: Record<string, DynamoDbUsage>;
  /** By `queue:operation`; a ReceiveMessage that returned nothing is `queue:ReceiveMessage (empty)`. */
  sqs: Record<string, SqsUsage>;
  /** Batches handed to the handlers; scheduler runs (from its sweep-index queries). */
  invocations: { worker: number; webhook: number; scheduler: number };
  /** Summed duration of the batches whose delete was seen, and how many those were. */
  batchMs: { worker: number; webhook: number };
  timedBatches: { worker: number; webhook: number };
  logBytes: number;
}

/** Labels of work that is not per job: the scheduler's idle sweeps, the twin's TTL Scan (free on AWS). */
export const SWEEP_QUERY = `Query (${SWEEP_INDEX.indexName})`;
export const TTL_SCAN = 'Scan (twin TTL sweep)';
export const EMPTY_RECEIVE = 'ReceiveMessage (empty)';
/**
 * The scheduler's open-bucket scan (lambdas/scheduler/recover-lost-creates.ts):
 * per run and tenant, its 16 shard Queries (oldest first, which no list reads),
 * the tenants' and marks' Queries and the marks' write. A fixed cost per run and
 * tenant, reported with the idle sweep. Its read-through of the jobs it finds
 * (BatchGetItem with a projection, which no list asks for) is per job, but only
 * per job still open STALE_AFTER_SECONDS after its create (delayed, long-running,
 * retrying): labelled apart, so the report shows it, and not per job of the
 * end-to-end runs, whose jobs finish within seconds.
 */
export const OPEN_SCAN = 'open-bucket scan (scheduler, per run and tenant)';
/** Its two Queries per run (the tenants, the marks): one each per run, so they also count the scan's runs. */
export const OPEN_SCAN_SETUP = 'open-bucket scan setup (scheduler, per run)';
/** Its marks' writes (at most one per tenant and run). */
export const OPEN_SCAN_MARKS = 'PutItem (open-bucket scan marks)';
export const OPEN_SCAN_READ_THROUGH = 'BatchGetItem (open-bucket scan read-through)';

export function isBackground(label: string): boolean {
  return (
    label === SWEEP_QUERY || label === TTL_SCAN || label === OPEN_SCAN || label === OPEN_SCAN_SETUP || label === OPEN_SCAN_MARKS || label === OPEN_SCAN_READ_THROUGH || label.endsWith(EMPTY_RECEIVE)
  );
}

const CAPACITY_OPERATIONS = new Set([
  'GetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'Query', 'Scan',
  'BatchGetItem', 'BatchWriteItem', 'TransactGetItems', 'TransactWriteItems',
]);
const WRITE_OPERATIONS = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'TransactWriteItems']);
const SQS_CHUNK_BYTES = 64 * 1024;

// The SDK's middleware types live in @smithy/types (not a direct dependency): the shapes used here, loosely.
type Args = { input: Record<string, unknown> };
type Result = { output: Record<string, unknown> };
type Handler = (args: Args) => Promise<Result>;
type Middleware = (next: Handler, context: { commandName?: string }) => Handler;
interface Instrumentable {
  middlewareStack: { add(middleware: Middleware, options: { step: 'initialize'; name: string; priority?: 'high' | 'low' }): void };
}

export class UsageMeter {
  private readonly counters: UsageCounters = emptyCounters();
  /** Each item as last written (by table key): what the next write changes, and its size for a failed condition. */
  private readonly shadow = new Map<string, DocumentItem>();
  /** Write traces being recorded (startTrace → stopTrace). */
  private readonly traces = new Set<WriteTrace>();
  /** Receipt handle of a received batch's first message → when the handler got it. */
  private readonly openBatches = new Map<string, { fn: 'worker' | 'webhook'; at: number }>();

  constructor(private readonly logs: LogTap) {}

  /** Instruments the service's two clients; call before the phases start. */
  attach(clients: { db: DynamoDBDocumentClient; sqs: SQSClient }, queues: { jobs: string; webhooks: string }): void {
    (clients.db as unknown as Instrumentable).middlewareStack.add(this.dynamoDbMiddleware(), {
      step: 'initialize',
      name: 'benchDynamoDbUsage',
      priority: 'high',
    });
    (clients.sqs as unknown as Instrumentable).middlewareStack.add(this.sqsMiddleware(queues), {
      step: 'initialize',
      name: 'benchSqsUsage',
      priority: 'high',
    });
  }

  /** Starts recording every write (items before and after) into a new trace, until `stopTrace`. */
  startTrace(): WriteTrace {
    const trace = new WriteTrace(TABLE_INDEXES);
    this.traces.add(trace);
    return trace;
  }

  stopTrace(trace: WriteTrace): WriteTrace {
    this.traces.delete(trace);
    return trace;
  }

  snapshot(): UsageCounters {
    return { ...structuredClone(this.counters), logBytes: this.logs.bytes };
  }

  private dynamoDbMiddleware(): Middleware {
    return (next, context) => async (args) => {
      const operation = operationOf(context.commandName);
      if (!CAPACITY_OPERATIONS.has(operation)) return next(args);
      const input = args.input;
      const label = labelOf(operation, input);
      // UpdateItem is billed on the whole item: ask for it (and hide it again) to see what the indexes get.
      const borrowAttributes = operation === 'UpdateItem' && (input.ReturnValues === undefined || input.ReturnValues === 'NONE');
      const patched = { ...input, ReturnConsumedCapacity: 'TOTAL', ...(borrowAttributes ? { ReturnValues: 'ALL_NEW' } : {}) };
      const key = itemKeyOf(operation, input);
      const usage = (this.counters.dynamodb[label] ??= emptyDynamoDbUsage());
      const started = performance.now();
      try {
        const result = await next({ ...args, input: patched });
        const output = result.output;
        const consumed = sumCapacity(output.ConsumedCapacity);
        usage.calls++;
        if (WRITE_OPERATIONS.has(operation)) usage.writeUnits += consumed;
        // dynalite reports 0 for a Query or Scan that reads nothing; DynamoDB bills every read request at least its minimum.
        else usage.readUnits += Math.max(consumed, input.ConsistentRead === true ? 1 : 0.5);
        // The scan's marks are the scheduler's own fixed cost per run (reported with it), not a job's write.
        if (WRITE_OPERATIONS.has(operation) && label !== OPEN_SCAN_MARKS) usage.indexWriteUnits += this.recordWrite(operation, key, input, output, consumed);
        delete output.ConsumedCapacity;
        if (borrowAttributes) delete output.Attributes;
        return result;
      } catch (error) {
        usage.calls++;
        if ((error as Error).name === 'ConditionalCheckFailedException') {
          usage.conditionalFailures++;
          const existing = key === undefined ? undefined : this.shadow.get(key);
          const units = failedConditionalWriteUnits(existing && itemSize(existing));
          usage.failedWriteUnits += units;
          const pk = itemKeyPartOf(operation, input);
          for (const trace of this.traces) trace.recordFailedCondition(operation, pk, units);
        }
        throw error;
      } finally {
        usage.ms += performance.now() - started;
      }
    };
  }

  /**
   * Updates the shadow of the written item and the traces; returns the GSI write
   * units the write cost. The item after the write: the put's item, the update's
   * returned attributes (asked for when the caller did not), none for a delete.
   */
  private recordWrite(operation: string, key: string | undefined, input: Record<string, unknown>, output: Record<string, unknown>, tableUnits: number): number {
    const returnValues = input.ReturnValues ?? 'NONE';
    const knowable = key !== undefined && (operation !== 'UpdateItem' || returnValues === 'NONE' || returnValues === 'ALL_NEW' || returnValues === 'UPDATED_NEW');
    if (!knowable) {
      // BatchWriteItem, TransactWriteItems, an update returning old values: table units only (the store uses none today).
      if (key !== undefined) this.shadow.delete(key);
      for (const trace of this.traces) trace.recordUntracked(operation, tableUnits);
      return 0;
    }
    const before = this.shadow.get(key);
    const returned = output.Attributes as DocumentItem | undefined;
    const after: DocumentItem | undefined =
      operation === 'PutItem'
        ? (input.Item as DocumentItem)
        : operation === 'UpdateItem'
          ? returnValues === 'UPDATED_NEW'
            ? { ...before, ...returned }
            : returned
          : undefined;
    if (after) this.shadow.set(key, after);
    else this.shadow.delete(key);
    const analysis = analyzeWrite(before, after, tableUnits, TABLE_INDEXES);
    for (const trace of this.traces) trace.recordWrite(before, after, tableUnits, analysis);
    return Object.values(analysis.indexUnits).reduce((sum, n) => sum + n, 0);
  }

  private sqsMiddleware(queues: { jobs: string; webhooks: string }): Middleware {
    const queueOf = (url: unknown) => (url === queues.jobs ? 'jobs' : url === queues.webhooks ? 'webhooks' : 'other');
    return (next, context) => async (args) => {
      const operation = operationOf(context.commandName);
      const input = args.input;
      const queue = queueOf(input.QueueUrl);
      const result = await next(args);
      const output = result.output;
      let label = operation;
      let messages: number;
      let payloadBytes = 0;
      switch (operation) {
        case 'SendMessage':
          messages = 1;
          payloadBytes = messageBytes(input);
          break;
        case 'SendMessageBatch': {
          const entries = (input.Entries as Record<string, unknown>[] | undefined) ?? [];
          messages = entries.length;
          payloadBytes = entries.reduce((sum, entry) => sum + messageBytes(entry), 0);
          break;
        }
        case 'ReceiveMessage': {
          const received = (output.Messages as Array<{ Body?: string; ReceiptHandle?: string }> | undefined) ?? [];
          messages = received.length;
          if (messages === 0) {
            label = EMPTY_RECEIVE;
            break;
          }
          payloadBytes = received.reduce((sum, m) => sum + Buffer.byteLength(m.Body ?? ''), 0);
          const fn = queue === 'jobs' ? 'worker' : queue === 'webhooks' ? 'webhook' : undefined;
          if (fn) {
            this.counters.invocations[fn]++;
            for (const m of received) if (m.ReceiptHandle) this.openBatches.set(m.ReceiptHandle, { fn, at: performance.now() });
          }
          break;
        }
        case 'DeleteMessageBatch':
        case 'ChangeMessageVisibilityBatch': {
          const entries = (input.Entries as Array<{ ReceiptHandle?: string }> | undefined) ?? [];
          messages = entries.length;
          if (operation === 'DeleteMessageBatch') this.closeBatch(entries.map((e) => e.ReceiptHandle));
          break;
        }
        default:
          messages = input.ReceiptHandle ? 1 : 0;
      }
      const usage = (this.counters.sqs[`${queue}:${label}`] ??= { requests: 0, billedRequests: 0, messages: 0 });
      usage.requests++;
      usage.billedRequests += Math.max(1, Math.ceil(payloadBytes / SQS_CHUNK_BYTES));
      usage.messages += messages;
      return result;
    };
  }

  /** The handler's batch ends when its messages are deleted: one duration per batch. */
  private closeBatch(receiptHandles: ReadonlyArray<string | undefined>): void {
    let opened: { fn: 'worker' | 'webhook'; at: number } | undefined;
    for (const handle of receiptHandles) {
      if (!handle) continue;
      const batch = this.openBatches.get(handle);
      if (batch && (!opened || batch.at < opened.at)) opened = batch;
      this.openBatches.delete(handle);
    }
    if (!opened) return;
    this.counters.batchMs[opened.fn] += performance.now() - opened.at;
    this.counters.timedBatches[opened.fn]++;
  }
}

/** `after − before`, counter by counter. */
export function usageBetween(before: UsageCounters, after: UsageCounters): UsageCounters {
  const dynamodb: Record<string, DynamoDbUsage> = {};
  for (const [label, usage] of Object.entries(after.dynamodb)) {
    const base = before.dynamodb[label] ?? emptyDynamoDbUsage();
    dynamodb[label] = subtract(usage, base);
  }
  const sqs: Record<string, SqsUsage> = {};
  for (const [label, usage] of Object.entries(after.sqs)) {
    sqs[label] = subtract(usage, before.sqs[label] ?? { requests: 0, billedRequests: 0, messages: 0 });
  }
  return {
    dynamodb,
    sqs,
    invocations: subtract(after.invocations, before.invocations),
    batchMs: subtract(after.batchMs, before.batchMs),
    timedBatches: subtract(after.timedBatches, before.timedBatches),
    logBytes: after.logBytes - before.logBytes,
  };
}

/** The API calls a phase made, and how long one lasts when nothing else runs (the api Lambda's duration). */
export interface ApiCalls {
  readonly requests: number;
  readonly meanMs: number;
}

/**
 * What one job cost in a phase that submitted `jobs` jobs and saw them all
 * through. Background work (idle sweeps, the twin's TTL Scan, empty receives)
 * is left out: on AWS it is a fixed cost per month, not per job.
 */
export function perJobUsage(usage: UsageCounters, jobs: number, api: ApiCalls): PerJobUsage {
  let readUnits = 0;
  let writeUnits = 0;
  for (const [label, d] of Object.entries(usage.dynamodb)) {
    if (isBackground(label)) continue;
    readUnits += d.readUnits;
    writeUnits += d.writeUnits + d.indexWriteUnits + d.failedWriteUnits;
  }
  let sqsRequests = 0;
  for (const [label, s] of Object.entries(usage.sqs)) if (!isBackground(label)) sqsRequests += s.billedRequests;
  const meanBatchMs = (fn: 'worker' | 'webhook') => (usage.timedBatches[fn] > 0 ? usage.batchMs[fn] / usage.timedBatches[fn] : 0);
  const invocations = { api: api.requests, worker: usage.invocations.worker, webhook: usage.invocations.webhook, scheduler: 0 };
  const totalInvocations = invocations.api + invocations.worker + invocations.webhook;
  const duration =
    gbSeconds('api', api.requests, api.meanMs) +
    gbSeconds('worker', invocations.worker, meanBatchMs('worker')) +
    gbSeconds('webhook', invocations.webhook, meanBatchMs('webhook'));
  const logBytes =
    usage.logBytes + totalInvocations * LAMBDA_PLATFORM_LOG_BYTES_PER_INVOCATION + api.requests * API_ACCESS_LOG_BYTES_PER_REQUEST;
  return {
    readUnits: readUnits / jobs,
    writeUnits: writeUnits / jobs,
    sqsRequests: sqsRequests / jobs,
    apiRequests: api.requests / jobs,
    invocations: { api: invocations.api / jobs, worker: invocations.worker / jobs, webhook: invocations.webhook / jobs, scheduler: 0 },
    gbSeconds: duration / jobs,
    logBytes: logBytes / jobs,
  };
}

/** Messages deleted from `queue` (the handlers finished them) in `usage`. */
export function messagesDeleted(usage: UsageCounters, queue: 'jobs' | 'webhooks'): number {
  return usage.sqs[`${queue}:DeleteMessageBatch`]?.messages ?? 0;
}

/** Scheduler runs seen in `usage`: each run queries every sweep shard once when little is due. */
export function schedulerRuns(usage: UsageCounters): number {
  return Math.round((usage.dynamodb[SWEEP_QUERY]?.calls ?? 0) / SWEEP_SHARDS);
}

function subtract<T extends object>(after: T, before: T): T {
  const result = {} as Record<string, number>;
  for (const [name, value] of Object.entries(after)) result[name] = (value as number) - ((before as Record<string, number>)[name] ?? 0);
  return result as T;
}

function emptyCounters(): UsageCounters {
  return {
    dynamodb: {},
    sqs: {},
    invocations: { worker: 0, webhook: 0, scheduler: 0 },
    batchMs: { worker: 0, webhook: 0 },
    timedBatches: { worker: 0, webhook: 0 },
    logBytes: 0,
  };
}

function emptyDynamoDbUsage(): DynamoDbUsage {
  return { calls: 0, readUnits: 0, writeUnits: 0, indexWriteUnits: 0, conditionalFailures: 0, failedWriteUnits: 0, ms: 0 };
}

/** `PutCommand` / `PutItemCommand` → `PutItem`. */
function operationOf(commandName: string | undefined): string {
  const name = (commandName ?? '').replace(/Command$/, '');
  const documentNames: Record<string, string> = { Put: 'PutItem', Get: 'GetItem', Update: 'UpdateItem', Delete: 'DeleteItem', BatchGet: 'BatchGetItem', BatchWrite: 'BatchWriteItem', TransactGet: 'TransactGetItems', TransactWrite: 'TransactWriteItems' };
  return documentNames[name] ?? name;
}

function labelOf(operation: string, input: Record<string, unknown>): string {
  if (operation === 'Query' && input.IndexName === SWEEP_INDEX.indexName) return SWEEP_QUERY;
  if (operation === 'Query' && input.IndexName === STATUS_INDEX.indexName && input.ScanIndexForward === true) return OPEN_SCAN;
  const pkValue = (input.ExpressionAttributeValues as Record<string, unknown> | undefined)?.[':pk'];
  if (operation === 'Query' && input.IndexName === undefined && (pkValue === 'SCHEDULER' || pkValue === 'TENANTS')) return OPEN_SCAN_SETUP;
  if (operation === 'PutItem' && (input.Item as Record<string, unknown> | undefined)?.pk === 'SCHEDULER') return OPEN_SCAN_MARKS;
  if (operation === 'BatchGetItem') {
    const requests = Object.values((input.RequestItems as Record<string, { ProjectionExpression?: string }> | undefined) ?? {});
    if (requests.some((r) => r.ProjectionExpression !== undefined)) return OPEN_SCAN_READ_THROUGH;
  }
  if (operation === 'Query' && typeof input.IndexName === 'string') return `Query (${input.IndexName})`;
  if (operation === 'Scan') return TTL_SCAN;
  return operation;
}

function itemKeyOf(operation: string, input: Record<string, unknown>): string | undefined {
  const source = operation === 'PutItem' ? input.Item : operation === 'UpdateItem' || operation === 'DeleteItem' ? input.Key : undefined;
  if (!source || typeof source !== 'object') return undefined;
  const item = source as Record<string, unknown>;
  return JSON.stringify([item[TABLE_KEYS.partitionKey.name], item[TABLE_KEYS.sortKey.name]]);
}

/** The written item's partition key value (the job a failed condition was about). */
function itemKeyPartOf(operation: string, input: Record<string, unknown>): string | undefined {
  const source = operation === 'PutItem' ? input.Item : input.Key;
  const value = source && typeof source === 'object' ? (source as Record<string, unknown>)[TABLE_KEYS.partitionKey.name] : undefined;
  return value === undefined ? undefined : keyText(value);
}

function sumCapacity(consumed: unknown): number {
  const list = (Array.isArray(consumed) ? consumed : consumed ? [consumed] : []) as Array<{ CapacityUnits?: number }>;
  return list.reduce((sum, c) => sum + (c.CapacityUnits ?? 0), 0);
}

/** A message's billed payload: body plus message attribute names, types and values. */
function messageBytes(entry: Record<string, unknown>): number {
  let bytes = Buffer.byteLength(typeof entry.MessageBody === 'string' ? entry.MessageBody : '');
  const attributes = (entry.MessageAttributes as Record<string, { DataType?: string; StringValue?: string }> | undefined) ?? {};
  for (const [name, value] of Object.entries(attributes)) {
    bytes += Buffer.byteLength(name) + Buffer.byteLength(value.DataType ?? '') + Buffer.byteLength(value.StringValue ?? '');
  }
  return bytes;
}

/**
 * Captures what the process writes to stdout and stderr (the handlers' log
 * lines) and counts its bytes instead of printing it; the bench prints its own
 * lines through `print`. Keeps the last lines to show if the bench fails.
 */
export class LogTap {
  bytes = 0;
  private readonly tail: string[] = [];
  private readonly original = { stdout: process.stdout.write.bind(process.stdout), stderr: process.stderr.write.bind(process.stderr) };
  private active = false;

  start(): void {
    if (this.active) return;
    this.active = true;
    const capture = (chunk: unknown, encodingOrCallback?: unknown, callback?: unknown): boolean => {
      const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8');
      this.bytes += Buffer.byteLength(text);
      this.tail.push(text);
      if (this.tail.length > 40) this.tail.shift();
      const done = typeof encodingOrCallback === 'function' ? encodingOrCallback : callback;
      if (typeof done === 'function') process.nextTick(done);
      return true;
    };
    process.stdout.write = capture;
    process.stderr.write = capture;
  }

  stop(): void {
    if (!this.active) return;
    this.active = false;
    process.stdout.write = this.original.stdout;
    process.stderr.write = this.original.stderr;
  }

  /** Progress for the person running the bench (stderr, not counted). */
  print(line: string): void {
    this.original.stderr(`${line}\n`);
  }

  /** The last captured log lines. */
  lastLines(): string {
    return this.tail.join('');
  }
}
