/**
 * What DynamoDB bills that dynalite does not report: item sizes, GSI writes
 * (insert, delete, key change, projected change) and failed conditional writes.
 */
import { createRequire } from 'node:module';
import { marshall } from '@aws-sdk/util-dynamodb';
import {
  failedConditionalWriteUnits,
  indexEntryOf,
  indexWriteUnits,
  itemSize,
  writeUnits,
} from '../../bench/dynamodb-capacity';
import { STATUS_INDEX, SWEEP_INDEX } from '../../lambdas/resources';

// dynalite's own size function, as a second opinion on ASCII items.
const dynaliteItemSize = createRequire(__filename)('dynalite/db').itemSize as (item: Record<string, unknown>) => number;

const job = {
  pk: 'JOB#acme#5f0c',
  sk: 'JOB',
  entity: 'job',
  jobId: '5f0c',
  tenantId: 'acme',
  status: 'queued',
  attempts: 0,
  payload: { to: ['ann@example.com'], subject: 'Hi', nested: { ok: true, none: null } },
  gsi1pk: 'acme#queued',
  gsi1sk: '2026-12-01T10:00:00.000Z#5f0c',
  sweepShard: 2,
  sweepAt: 1_764_583_200_000,
};

describe('itemSize', () => {
  it.each([
    ['a string: name + UTF-8 bytes', { ab: 'xyz' }, 5],
    ['multi-byte UTF-8', { s: 'é€' }, 1 + 5],
    ['a number: 1 byte per two digits + 1', { n: 12345 }, 1 + 4],
    ['booleans and null: 1 byte', { t: true, z: null }, 2 + 2],
    ['a list: 3 bytes + 1 per element', { l: ['a', 'b'] }, 1 + 3 + 2 + 2],
    ['a map: 3 bytes + 1 per element + names', { m: { a: 'x' } }, 1 + 3 + 1 + 1 + 1],
    ['undefined attributes are not stored', { a: 'x', b: undefined }, 2],
  ])('%s', (_, item, expected) => {
    expect(itemSize(item)).toBe(expected);
  });

  it('agrees with dynalite on an ASCII job item', () => {
    expect(itemSize(job)).toBe(dynaliteItemSize(marshall(job) as Record<string, unknown>));
  });
});

describe('writeUnits', () => {
  it('bills 1 KB per unit, at least one', () => {
    expect([0, 1, 1024, 1025, 4096].map(writeUnits)).toEqual([1, 1, 1, 2, 4]);
  });
});

describe('indexWriteUnits', () => {
  const entry = (item: Record<string, unknown> | undefined) => indexEntryOf(item, STATUS_INDEX);

  it('an item without the index keys is not in the (sparse) index', () => {
    expect(indexEntryOf({ pk: 'TENANTS', sk: 'TENANT#acme' }, STATUS_INDEX)).toBeUndefined();
    expect(indexEntryOf({ ...job, sweepAt: undefined }, SWEEP_INDEX)).toBeUndefined();
  });

  it('projects only the index keys, the table keys and the listed attributes', () => {
    const sweep = indexEntryOf(job, SWEEP_INDEX)!;
    expect(JSON.parse(sweep.projection)).toEqual({
      pk: job.pk, sk: job.sk, sweepShard: 2, sweepAt: job.sweepAt, tenantId: 'acme', jobId: '5f0c', status: 'queued',
    });
  });

  it.each([
    ['a new entry: one put', undefined, job, 1],
    ['a removed entry: one delete', job, undefined, 1],
    ['a changed index key: delete + put', job, { ...job, status: 'running', gsi1pk: 'acme#running' }, 2],
    ['a changed projected attribute: one update', job, { ...job, type: 'email' }, 1],
    ['only unprojected attributes changed (the status index projects keys and type): nothing', job, { ...job, attempts: 1 }, 0],
    ['only unprojected attributes changed: nothing', job, { ...job, payload: { other: 1 } }, 0],
  ])('%s', (_, before, after, expected) => {
    expect(indexWriteUnits(entry(before), entry(after))).toBe(expected);
  });

  it('bills large entries by the KB', () => {
    const big = { ...job, type: 'x'.repeat(3000) };
    expect(indexWriteUnits(undefined, entry(big))).toBe(4);
  });
});

describe('failedConditionalWriteUnits', () => {
  it('bills the existing item, at least one unit', () => {
    expect(failedConditionalWriteUnits(undefined)).toBe(1);
    expect(failedConditionalWriteUnits(2500)).toBe(3);
  });
});
