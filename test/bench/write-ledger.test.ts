/**
 * The bench's write trace: each write classified by what it changed, index
 * units and the partitions they land on (through dynamodb-capacity.ts), and the
 * scaling of a partition's writes to one tenant submitting 5,000 jobs/s.
 * Items are shaped as the job store writes them on main (8f1011f), with index
 * definitions of the same shape as that version's (lambdas/resources.ts), kept
 * here so the figures do not move when the service's indexes change; the real
 * ones are exercised by write-trace.test.ts.
 */
import type { IndexDefinition } from '../../lambdas/resources';
import {
  analyzeWrite,
  classifyWrite,
  describeWrite,
  hottestPartitions,
  ledgerPerJob,
  ledgerTotal,
  partitionName,
  webhookStateOf,
  writesPerSecondAt,
  WriteTrace,
  type PartitionCount,
} from '../../bench/write-ledger';

const STATUS_INDEX: IndexDefinition = {
  indexName: 'byTenantStatus',
  partitionKey: { name: 'gsi1pk', type: 'S' },
  sortKey: { name: 'gsi1sk', type: 'S' },
  nonKeyAttributes: ['jobId', 'tenantId', 'type', 'status', 'attempts', 'webhook', 'resultJson', 'updatedAt', 'finishedAt'],
};
const SWEEP_INDEX: IndexDefinition = {
  indexName: 'bySweepAt',
  partitionKey: { name: 'sweepShard', type: 'N' },
  sortKey: { name: 'sweepAt', type: 'N' },
  nonKeyAttributes: ['tenantId', 'jobId', 'status'],
};
const TABLE_INDEXES = [STATUS_INDEX, SWEEP_INDEX];

const at = '2026-12-01T10:00:00.000Z';

function jobItem(jobId: string, status: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    pk: `JOB#acme#${jobId}`,
    sk: 'JOB',
    entity: 'job',
    jobId,
    tenantId: 'acme',
    type: 'echo',
    status,
    attempts: status === 'queued' ? 0 : 1,
    payloadJson: '{"orderId":"order-00000001","action":"send-receipt"}',
    webhook: { status: 'none', attempts: 0, lastStatusCode: null, lastError: null, deliveredAt: null },
    gsi1pk: `acme#${status}`,
    gsi1sk: `${at}#${jobId}`,
    createdAt: at,
    updatedAt: at,
    ...extra,
  };
}

const queued = jobItem('j1', 'queued', { sweepShard: 1, sweepAt: 1_764_583_200_000 });
const running = jobItem('j1', 'running', { sweepShard: 1, sweepAt: 1_764_583_500_000, leaseUntil: 1_764_583_500_000 });
const succeeded = jobItem('j1', 'succeeded', { resultJson: '{"ok":true}', finishedAt: at });
const pendingWebhook = { status: 'pending', attempts: 0, lastStatusCode: null, lastError: null, deliveredAt: null };
const deliveredWebhook = { status: 'delivered', attempts: 1, lastStatusCode: 204, lastError: null, deliveredAt: at };

describe('classifyWrite', () => {
  it.each([
    ['no item before: create', undefined, queued, 'create'],
    ['a payload item of its own, written once: create', undefined, { pk: 'JOB#acme#j1', sk: 'PAYLOAD#w1', payload: 'x' }, 'create'],
    ['queued → running: claim', queued, running, 'claim'],
    ['retry → running: claim', { ...queued, status: 'retry' }, running, 'claim'],
    ['running → succeeded: finish', running, succeeded, 'finish'],
    ['running → fatal: finish', running, { ...succeeded, status: 'fatal' }, 'finish'],
    ['running → canceled: finish', running, { ...succeeded, status: 'canceled' }, 'finish'],
    ['webhook pending → delivered on the job item', { ...succeeded, webhook: pendingWebhook }, { ...succeeded, webhook: deliveredWebhook }, 'webhookDelivered'],
    ['an event item of its own, pending → delivered', { pk: 'JOB#acme#j1', sk: 'EVENT#e1', status: 'pending' }, { pk: 'JOB#acme#j1', sk: 'EVENT#e1', status: 'delivered' }, 'webhookDelivered'],
    ['a flat webhookStatus, pending → delivered', { ...succeeded, webhook: undefined, webhookStatus: 'pending' }, { ...succeeded, webhook: undefined, webhookStatus: 'delivered' }, 'webhookDelivered'],
    ['running → retry: other', running, { ...running, status: 'retry' }, 'other'],
    ['queued → canceled: other (never claimed)', queued, { ...queued, status: 'canceled' }, 'other'],
    ['running → running (a lease renewed or taken over): other', running, { ...running, attempts: 2 }, 'other'],
    ['webhook pending → failed: other', { ...succeeded, webhook: pendingWebhook }, { ...succeeded, webhook: { ...pendingWebhook, status: 'failed' } }, 'other'],
    ['a delete: other', succeeded, undefined, 'other'],
  ])('%s', (_, before, after, expected) => {
    expect(classifyWrite(before, after)).toBe(expected);
  });

  it('a finish that also makes the webhook pending is a finish', () => {
    expect(classifyWrite({ ...running, webhook: { status: 'pending', attempts: 0 } }, { ...succeeded, webhook: pendingWebhook })).toBe('finish');
  });

  it('reads no webhook state from a job status', () => {
    expect(webhookStateOf(running)).toBe('none');
    expect(webhookStateOf({ pk: 'x', sk: 'y', status: 'succeeded' })).toBeUndefined();
  });
});

describe('describeWrite', () => {
  it('names the item kind and what changed', () => {
    expect(describeWrite(undefined, queued)).toBe('job created');
    expect(describeWrite(queued, running)).toBe('job queued→running');
    expect(describeWrite({ ...succeeded, webhook: pendingWebhook }, { ...succeeded, webhook: deliveredWebhook })).toBe('job succeeded→succeeded, webhook pending→delivered');
    expect(describeWrite(succeeded, undefined)).toBe('job deleted');
    expect(describeWrite(undefined, { pk: 'JOB#acme#j1', sk: 'PAYLOAD#w1' })).toBe('PAYLOAD created');
  });
});

describe('analyzeWrite', () => {
  it('a create puts the status entry and the sweep entry, each on its partition', () => {
    const analysis = analyzeWrite(undefined, queued, 1, TABLE_INDEXES);
    expect(analysis.indexUnits).toEqual({ [STATUS_INDEX.indexName]: 1, [SWEEP_INDEX.indexName]: 1 });
    expect(analysis.partitionUnits).toEqual([
      { partition: 'table pk=JOB#acme#j1', units: 1 },
      { partition: `${STATUS_INDEX.indexName} gsi1pk=acme#queued`, units: 1 },
      { partition: `${SWEEP_INDEX.indexName} sweepShard=1`, units: 1 },
    ]);
  });

  it('a status index key that moves deletes on the old partition and puts on the new one', () => {
    const analysis = analyzeWrite(queued, running, 1, [STATUS_INDEX]);
    expect(analysis.indexUnits[STATUS_INDEX.indexName]).toBe(2);
    expect(analysis.partitionUnits).toEqual([
      { partition: 'table pk=JOB#acme#j1', units: 1 },
      { partition: `${STATUS_INDEX.indexName} gsi1pk=acme#queued`, units: 1 },
      { partition: `${STATUS_INDEX.indexName} gsi1pk=acme#running`, units: 1 },
    ]);
  });

  it('a key that stays put costs nothing when no projected attribute changed, one update on its partition when one did', () => {
    const keysOnly: IndexDefinition = { indexName: 'byBucket', partitionKey: { name: 'gsi1pk', type: 'S' }, sortKey: { name: 'gsi1sk', type: 'S' }, nonKeyAttributes: ['type'] };
    const projectsStatus: IndexDefinition = { ...keysOnly, indexName: 'byBucketWithStatus', nonKeyAttributes: ['type', 'status'] };
    const open = { ...queued, gsi1pk: 'acme#open#3' };
    const claimed = { ...running, gsi1pk: 'acme#open#3' };
    const analysis = analyzeWrite(open, claimed, 1, [keysOnly, projectsStatus]);
    expect(analysis.indexUnits).toEqual({ byBucket: 0, byBucketWithStatus: 1 });
    expect(analysis.partitionUnits).toEqual([
      { partition: 'table pk=JOB#acme#j1', units: 1 },
      { partition: 'byBucketWithStatus gsi1pk=acme#open#3', units: 1 },
    ]);
  });

  it('a finish that leaves the sweep index deletes its entry there', () => {
    const analysis = analyzeWrite(running, succeeded, 1, [SWEEP_INDEX]);
    expect(analysis.indexUnits[SWEEP_INDEX.indexName]).toBe(1);
    expect(analysis.partitionUnits).toContainEqual({ partition: `${SWEEP_INDEX.indexName} sweepShard=1`, units: 1 });
  });
});

describe('WriteTrace', () => {
  /** One job's life as today's store writes it: create, claim, finish, webhook delivered; plus a failed claim. */
  function traceOf(jobIds: readonly string[]): WriteTrace {
    const trace = new WriteTrace(TABLE_INDEXES);
    for (const id of jobIds) {
      const item = (x: Record<string, unknown>) => ({ ...x, pk: `JOB#acme#${id}`, jobId: id, gsi1sk: `${at}#${id}` });
      const finished = item({ ...succeeded, webhook: pendingWebhook });
      trace.recordWrite(undefined, item(queued), 1);
      trace.recordWrite(item(queued), item(running), 1);
      trace.recordWrite(item(running), finished, 1);
      trace.recordWrite(finished, { ...finished, webhook: deliveredWebhook }, 1);
    }
    trace.recordFailedCondition('UpdateItem', `JOB#acme#${jobIds[0]}`, 1);
    return trace;
  }

  it('keeps a ledger row per transition, the table and each index apart, failed conditions apart', () => {
    const ledger = ledgerPerJob(traceOf(['j1', 'j2']).ledger, 2);
    const { create, claim, finish, webhookDelivered, other } = ledger.transitions;
    const status = STATUS_INDEX.indexName;
    const sweep = SWEEP_INDEX.indexName;
    expect(create).toMatchObject({ writes: 1, tableUnits: 1, indexUnits: { [status]: 1, [sweep]: 1 }, kinds: { 'job created': 1 } });
    // queued → running moves the status key (delete + put) and the sweep entry's sort key (delete + put).
    expect(claim).toMatchObject({ writes: 1, tableUnits: 1, indexUnits: { [status]: 2, [sweep]: 2 } });
    // running → succeeded moves the status key and drops the sweep entry.
    expect(finish).toMatchObject({ writes: 1, tableUnits: 1, indexUnits: { [status]: 2, [sweep]: 1 } });
    // The webhook view is projected into the status index: one update there.
    expect(webhookDelivered).toMatchObject({ writes: 1, tableUnits: 1, indexUnits: { [status]: 1, [sweep]: 0 } });
    expect(other.writes).toBe(0);
    expect(ledger.failedConditions).toEqual({ writes: 0.5, units: 0.5, byOperation: { UpdateItem: 0.5 } });
    expect(ledgerTotal(ledger)).toBeCloseTo(4 + 2 + 4 + 3 + 1 + 0.5);
  });

  it('tells each job finished once, also when the meter saw its claim before its create (a sent-first job)', () => {
    // Arrange: j1 in order; j2's claim answered before its put (the claim reads as a create, the put as running → queued).
    const trace = traceOf(['j1']);
    const item = (x: Record<string, unknown>) => ({ ...x, pk: 'JOB#acme#j2', jobId: 'j2', gsi1sk: `${at}#j2` });
    trace.recordWrite(undefined, item(running), 1);
    trace.recordWrite(item(running), item(queued), 1);

    // Act
    trace.recordWrite(item(queued), item(succeeded), 1);

    // Assert: the finish row misses j2, the finished jobs do not.
    expect(trace.ledger.transitions.finish.writes).toBe(1);
    expect([...trace.finishedJobs].sort()).toEqual(['JOB#acme#j1', 'JOB#acme#j2']);
  });

  it("counts each partition key's units and the jobs that wrote it", () => {
    const trace = traceOf(['j1', 'j2', 'j3']);
    const queuedKey = trace.partitions.get(partitionName(STATUS_INDEX.indexName, 'gsi1pk', 'acme#queued'))!;
    expect(queuedKey.units).toBe(6);
    expect([...queuedKey.jobs].sort()).toEqual(['JOB#acme#j1', 'JOB#acme#j2', 'JOB#acme#j3']);
    // j1's own partition: 4 writes and the failed condition.
    expect(trace.partitions.get('table pk=JOB#acme#j1')).toEqual({ units: 5, jobs: new Set(['JOB#acme#j1']) });
  });

  it('finds the hottest keys at 5,000 jobs/s: shared index partitions, not job partitions', () => {
    const trace = traceOf(['j1', 'j2', 'j3', 'j4']);
    const [hottest, ...next] = hottestPartitions(trace.partitions, 4);
    // Every job here is on sweep shard 1: a put at create, delete + put at claim, a delete at finish → 4 units per job.
    expect(hottest).toEqual({ key: `${SWEEP_INDEX.indexName} sweepShard=1`, where: SWEEP_INDEX.indexName, unitsInRun: 16, jobsInRun: 4, writesPerSecondAt5kJobs: 20_000 });
    // Each status partition of the tenant: 2 units per job (queued: put + delete; running: put + delete; succeeded: put + the webhook update).
    expect(next.slice(0, 3).map((h) => [h.key, h.writesPerSecondAt5kJobs])).toEqual(
      ['queued', 'running', 'succeeded'].map((status) => [`${STATUS_INDEX.indexName} gsi1pk=acme#${status}`, 10_000]),
    );
    const jobPartition = hottestPartitions(trace.partitions, 4, 5000, 100).find((h) => h.key === 'table pk=JOB#acme#j2')!;
    expect(jobPartition.writesPerSecondAt5kJobs).toBe(4);
  });
});

describe('writesPerSecondAt', () => {
  it('scales a key many jobs share by its units per job of the run', () => {
    expect(writesPerSecondAt(5000, 2000, { units: 4000, jobs: 2000 })).toBe(10_000);
    // One of 8 shards: an eighth of the jobs, 2 units each.
    expect(writesPerSecondAt(5000, 800, { units: 200, jobs: 100 })).toBe(1250);
  });

  it("caps a key one job wrote at that job's units", () => {
    expect(writesPerSecondAt(5000, 400, { units: 3, jobs: 1 })).toBe(3);
    expect(writesPerSecondAt(5000, 10_000, { units: 3, jobs: 1 })).toBeCloseTo(1.5);
  });

  it('is 0 for an empty run', () => {
    expect(writesPerSecondAt(5000, 0, { units: 0, jobs: 0 })).toBe(0);
  });

  it('orders keys hottest first, ties by name', () => {
    const counts = new Map<string, PartitionCount>([
      ['b', { units: 10, jobs: new Set(['1', '2']) }],
      ['a', { units: 10, jobs: new Set(['1', '2']) }],
      ['c', { units: 30, jobs: new Set(['1', '2', '3']) }],
    ]);
    expect(hottestPartitions(counts, 10).map((h) => h.key)).toEqual(['c', 'a', 'b']);
  });
});
