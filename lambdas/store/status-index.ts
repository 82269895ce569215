/**
 * The status index (SPEC §3.3, §7): its keys, and the list route's read of it.
 *
 * Keys (STATUS_INDEX in resources.ts): `gsi1pk = tenantId#bucket#shard`,
 * `gsi1sk = createdAt#jobId`. The three open statuses share one bucket, so the
 * key stays put while a job waits, runs and retries; each terminal status has
 * its own. The shard (two hex digits) spreads one tenant's writes over
 * STATUS_INDEX_SHARDS partitions. Every part has a fixed width, so an item's
 * index keys never grow after its create (the size reserved then holds).
 *
 * A list reads each shard of the bucket newest first (plus, while they last,
 * the partitions of the previous index's keys), merges them by sort key,
 * reads the items through with BatchGetItem and keeps those of the asked
 * status that have not expired. The cursor is the last position examined: every
 * job sorts at one position that never changes, so pages neither skip nor
 * repeat a job however the shards are interleaved.
 */
import { BatchGetCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { JobStatus, JobSummary } from '../jobs/job';
import { STATUS_INDEX } from '../resources';
import { StoreUnavailableError } from './errors';
import { jobKeyOfPk, jobSummaryFromItem } from './job-item';
import { decodeListCursor, encodeListCursor } from './list-cursor';

export interface ListQuery {
  readonly tenantId: string;
  readonly status: JobStatus;
  readonly type?: string;
  readonly limit: number;
  readonly cursor?: string;
}

export interface JobPage {
  items: JobSummary[];
  nextCursor: string | null;
}

const BUCKET_OF: Readonly<Record<JobStatus, string>> = { queued: 'O', running: 'O', retry: 'O', succeeded: 'S', fatal: 'F', canceled: 'C' };
const OPEN_STATUSES: readonly JobStatus[] = ['queued', 'running', 'retry'];
const MAX_SHARDS = 256;

/** The bucket a status lists from: `O` (queued, running, retry) or its own. */
export function statusBucketOf(status: JobStatus): string {
  return BUCKET_OF[status];
}

/** A stable shard per job (FNV-1a of the id): with a power-of-two count, a job's shard under a smaller count is its shard under a larger one. */
export function statusIndexShardOf(jobId: string, shards: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < jobId.length; i++) hash = Math.imul(hash ^ jobId.charCodeAt(i), 0x01000193) >>> 0;
  return hash % shards;
}

function partitionOf(tenantId: string, bucket: string, shard: number): string {
  return `${tenantId}#${bucket}#${shard.toString(16).padStart(2, '0')}`;
}

/** The job's status-index key attributes (written by every put of the job, and by any update that changes its status). */
export function statusIndexKeys(
  job: { readonly tenantId: string; readonly jobId: string; readonly status: JobStatus; readonly createdAt: string },
  shards: number,
): { gsi1pk: string; gsi1sk: string } {
  return {
    gsi1pk: partitionOf(job.tenantId, statusBucketOf(job.status), statusIndexShardOf(job.jobId, shards)),
    gsi1sk: `${job.createdAt}#${job.jobId}`,
  };
}

/**
 * The partitions a list of `status` reads: every shard of its bucket, and the
 * keys the previous index version wrote (`tenantId#status`; an item keeps them
 * until its next put, an open one through an in-place claim too), which hold
 * nothing once those items have expired (7 days + TTL's lag after the upgrade).
 */
export function listPartitions(tenantId: string, status: JobStatus, shards: number): string[] {
  const bucket = statusBucketOf(status);
  const current = Array.from({ length: shards }, (_, shard) => partitionOf(tenantId, bucket, shard));
  const previous = (bucket === 'O' ? OPEN_STATUSES : [status]).map((s) => `${tenantId}#${s}`);
  return [...current, ...previous];
}

export interface StatusIndexOptions {
  readonly tableName: string;
  readonly now: () => number;
  /** STATUS_INDEX_SHARDS in production; a power of two, at most 256. */
  readonly shards: number;
  /** Entries asked of a shard per Query; by default what the page still needs, at least MIN_QUERY_LIMIT. Tests ask fewer to make the merge work harder. */
  readonly queryLimit?: number;
}

/** Read-through rounds per page: a bucket's other statuses are skipped while the page fills, boundedly. */
const MAX_READ_ROUNDS = 5;
/** Rounds of shard queries per page (a `type` filter can thin each shard's page out). */
const MAX_QUERY_WAVES = 8;
/** Entries asked of a shard at least: a Query is billed per 4 KB read, about 24 entries, however few it returns. */
const MIN_QUERY_LIMIT = 24;
/** Tries for a BatchGetItem's unprocessed keys (throttled reads of one page), with backoff. */
const MAX_BATCH_GET_TRIES = 6;

/** An index entry: where it sorts, and the item it points at. */
interface Entry {
  readonly position: string;
  readonly key: { readonly pk: string; readonly sk: string };
}

/** One partition being read newest first. */
interface Source {
  readonly partition: string;
  /** Entries read and not yet merged, newest first. */
  buffer: Entry[];
  /** The lowest position read so far (everything at or above it is known); undefined before the first read. */
  frontier: string | undefined;
  startKey: Record<string, unknown> | undefined;
  done: boolean;
}

export class StatusIndexReader {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly options: StatusIndexOptions,
  ) {
    if (!Number.isInteger(options.shards) || options.shards < 1 || options.shards > MAX_SHARDS || (options.shards & (options.shards - 1)) !== 0) {
      throw new Error(`status index shards must be a power of two from 1 to ${MAX_SHARDS}, not ${options.shards}`);
    }
  }

  /** A tenant's jobs in one status, newest first (SPEC §3.3). InvalidCursorError for a cursor not issued for this query. */
  async list(query: ListQuery): Promise<JobPage> {
    // Decoded against the caller's own tenant, status and type: a cursor only says where in that list.
    const start = query.cursor === undefined ? undefined : decodeListCursor(query, query.cursor);
    const merge = new MergedSources(
      this.db,
      this.options.tableName,
      listPartitions(query.tenantId, query.status, this.options.shards).map((partition) => ({
        partition,
        buffer: [],
        frontier: undefined,
        startKey: undefined,
        done: false,
      })),
      start?.position,
      query.type,
      this.options.queryLimit,
    );
    const nowSeconds = Math.floor(this.options.now() / 1000);
    const items: JobSummary[] = [];
    let examined: string | undefined;
    for (let round = 0; round < MAX_READ_ROUNDS && items.length < query.limit; round++) {
      const candidates = await merge.next(query.limit - items.length);
      if (candidates.length === 0) break;
      const read = await readItems(this.db, this.options.tableName, candidates.map((entry) => entry.key));
      for (const entry of candidates) {
        examined = entry.position;
        const item = read.get(entry.key.pk);
        if (item && isListed(item, query, nowSeconds)) items.push(jobSummaryFromItem(item));
      }
    }
    if (merge.exhausted()) return { items, nextCursor: null };
    // Nothing examined (a `type` filter thinned every shard out for the whole budget): resume below what was read.
    const resumeAt = examined ?? merge.resumePosition();
    if (resumeAt === undefined) throw new Error('list: a page ended with nothing read');
    return { items, nextCursor: encodeListCursor(query, resumeAt) };
  }
}

/**
 * The items behind `keys` (at most 100), by `pk`; missing ones absent. Eventually
 * consistent, as the index is. Whole items unless `projection` names attributes
 * (a read is billed on the whole item either way).
 */
export async function readItems(
  db: DynamoDBDocumentClient,
  tableName: string,
  keys: readonly { readonly pk: string; readonly sk: string }[],
  projection?: readonly string[],
): Promise<Map<string, Record<string, unknown>>> {
  const found = new Map<string, Record<string, unknown>>();
  const names = projection && Object.fromEntries(['pk', ...projection].map((name, i) => [`#a${i}`, name]));
  let pending = [...keys];
  for (let attempt = 0; pending.length > 0; attempt++) {
    if (attempt === MAX_BATCH_GET_TRIES) {
      throw new StoreUnavailableError(`DynamoDB left ${pending.length} keys unread after ${MAX_BATCH_GET_TRIES} tries`);
    }
    if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, Math.random() * 25 * 2 ** attempt));
    const { Responses, UnprocessedKeys } = await db.send(
      new BatchGetCommand({
        RequestItems: {
          [tableName]: {
            Keys: pending.map((key) => ({ pk: key.pk, sk: key.sk })),
            ...(names ? { ProjectionExpression: Object.keys(names).join(', '), ExpressionAttributeNames: names } : {}),
          },
        },
      }),
    );
    for (const item of Responses?.[tableName] ?? []) found.set(String(item.pk), item);
    // Asked again as our own request (dynalite's UnprocessedKeys leave the request's other parameters out).
    const unread = new Set((UnprocessedKeys?.[tableName]?.Keys ?? []).map((key) => String(key.pk)));
    pending = pending.filter((key) => unread.has(key.pk));
  }
  return found;
}

/** One page of a tenant's open-bucket shard read oldest first (`readOpenBucket`). */
export interface OpenBucketPage {
  readonly entries: readonly { readonly position: string; readonly key: { readonly pk: string; readonly sk: string } }[];
  /** Where the next page starts; undefined when the range is read to its end. */
  readonly startKey: Record<string, unknown> | undefined;
}

/**
 * The entries of shard `shard` of a tenant's open bucket (queued, running, retry)
 * created in `[fromMs, toMs]`, oldest first, one page: the scheduler's scan for
 * creates whose message was lost (scheduler/recover-lost-creates.ts). Only the
 * current keys: an item the previous index version keyed (`tenantId#status`)
 * was written by a version that gave every waiting job a sweep entry.
 */
export async function readOpenBucket(
  db: DynamoDBDocumentClient,
  tableName: string,
  range: { tenantId: string; shard: number; fromMs: number | undefined; toMs: number; limit: number; startKey?: Record<string, unknown> },
): Promise<OpenBucketPage> {
  // Every position is `createdAt#jobId` with a fixed-width ISO createdAt: `iso$` sorts after every job of that millisecond.
  const upTo = `${new Date(range.toMs).toISOString()}$`;
  const from = range.fromMs === undefined ? undefined : new Date(range.fromMs).toISOString();
  const page = await db.send(
    new QueryCommand({
      TableName: tableName,
      IndexName: STATUS_INDEX.indexName,
      KeyConditionExpression: `#partition = :partition AND ${from === undefined ? '#position <= :upTo' : '#position BETWEEN :from AND :upTo'}`,
      ProjectionExpression: '#pk, #sk, #position',
      ExpressionAttributeNames: { '#partition': STATUS_INDEX.partitionKey.name, '#position': STATUS_INDEX.sortKey.name, '#pk': 'pk', '#sk': 'sk' },
      ExpressionAttributeValues: {
        ':partition': partitionOf(range.tenantId, statusBucketOf('queued'), range.shard),
        ':upTo': upTo,
        ...(from === undefined ? {} : { ':from': from }),
      },
      ScanIndexForward: true,
      Limit: range.limit,
      ExclusiveStartKey: range.startKey,
    }),
  );
  return {
    entries: (page.Items ?? []).map((item) => ({ position: String(item[STATUS_INDEX.sortKey.name]), key: { pk: String(item.pk), sk: String(item.sk) } })),
    startKey: page.LastEvaluatedKey,
  };
}

/** The `createdAt` (epoch ms) of an open-bucket position. */
export function createdAtOfPosition(position: string): number {
  return Date.parse(position.slice(0, position.indexOf('#')));
}

function isListed(item: Record<string, unknown>, query: ListQuery, nowSeconds: number): boolean {
  return (
    item.entity === 'job' &&
    // The item keeps its tenant in `pk` only (job-item.ts).
    jobKeyOfPk(String(item.pk)).tenantId === query.tenantId &&
    item.status === query.status &&
    (query.type === undefined || item.type === query.type) &&
    Number(item.expiresAt) > nowSeconds
  );
}

/**
 * A k-way merge of partitions read newest first. An entry is handed out only
 * when every partition still being read has read past it, so the merged order
 * is exact whichever partition a job sits in.
 */
class MergedSources {
  private waves = 0;
  private lastPosition: string | undefined;

  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly sources: Source[],
    /** Exclusive upper bound: the cursor's position. */
    private readonly below: string | undefined,
    private readonly type: string | undefined,
    private readonly queryLimit: number | undefined,
  ) {}

  /** Up to `count` next entries, newest first; fewer when the partitions end or the query budget does. */
  async next(count: number): Promise<Entry[]> {
    const out: Entry[] = [];
    while (out.length < count) {
      const best = this.bestHead();
      const blocking = this.sources.filter((s) => !s.done && (s.frontier === undefined || best === undefined || s.frontier > best.buffer[0].position));
      if (best && blocking.length === 0) {
        const entry = best.buffer.shift()!;
        // A job moving between partitions while they are read can show up in both: once is enough.
        if (entry.position !== this.lastPosition) out.push(entry);
        this.lastPosition = entry.position;
        continue;
      }
      if (blocking.length === 0 || this.waves === MAX_QUERY_WAVES) break;
      this.waves++;
      await Promise.all(blocking.map((source) => this.read(source, count - out.length)));
    }
    return out;
  }

  /** Every partition read to its end and merged. */
  exhausted(): boolean {
    return this.sources.every((s) => s.done && s.buffer.length === 0);
  }

  /**
   * Where a page that handed nothing out resumes: the highest point a partition
   * still being read has reached. Nothing handed out means every buffered entry
   * is below it, and the entry at it did not pass the filter (else it would be
   * buffered there and could have been handed out).
   */
  resumePosition(): string | undefined {
    const frontiers = this.sources.filter((s) => !s.done).map((s) => s.frontier);
    if (frontiers.length === 0 || frontiers.some((f) => f === undefined)) return undefined;
    return (frontiers as string[]).reduce((a, b) => (a > b ? a : b));
  }

  private bestHead(): Source | undefined {
    let best: Source | undefined;
    for (const source of this.sources) {
      const head = source.buffer[0];
      if (head && (!best || head.position > best.buffer[0].position)) best = source;
    }
    return best;
  }

  private async read(source: Source, limit: number): Promise<void> {
    const values: Record<string, unknown> = { ':partition': source.partition };
    const names: Record<string, string> = { '#pk': 'pk', '#sk': 'sk', '#position': STATUS_INDEX.sortKey.name };
    let condition = `${STATUS_INDEX.partitionKey.name} = :partition`;
    if (this.below !== undefined) {
      condition += ' AND #position < :below';
      values[':below'] = this.below;
    }
    if (this.type !== undefined) {
      names['#type'] = 'type';
      values[':type'] = this.type;
    }
    const page = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: STATUS_INDEX.indexName,
        KeyConditionExpression: condition,
        ...(this.type !== undefined ? { FilterExpression: '#type = :type' } : {}),
        ProjectionExpression: '#pk, #sk, #position',
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ScanIndexForward: false,
        Limit: this.queryLimit ?? Math.min(100, Math.max(MIN_QUERY_LIMIT, limit)),
        ExclusiveStartKey: source.startKey,
      }),
    );
    for (const item of page.Items ?? []) {
      source.buffer.push({ position: String(item[STATUS_INDEX.sortKey.name]), key: { pk: String(item.pk), sk: String(item.sk) } });
    }
    source.startKey = page.LastEvaluatedKey;
    if (!page.LastEvaluatedKey) {
      source.done = true;
      return;
    }
    source.frontier = String(page.LastEvaluatedKey[STATUS_INDEX.sortKey.name]);
  }
}
