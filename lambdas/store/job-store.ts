/**
 * Jobs in DynamoDB (SPEC §7). One item per job, keyed by tenant and job id, so a
 * job id of another tenant finds nothing. Every write is one conditional
 * PutItem/UpdateItem/DeleteItem (no transactions: one item holds the job, its
 * attempts and its webhook event, so each transition is a single atomic write).
 *
 * Transitions follow one pattern: read the job (consistently), decide the next
 * state with a pure function, write it on condition that `version` is unchanged;
 * when another writer won, read again and decide again. The one exception is the
 * worker's claim of a waiting job (`claimInPlace`): one conditional update whose
 * condition is the decision's, no read before it; anything else falls back to
 * the pattern.
 */
import { randomUUID } from 'node:crypto';
import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { STATUS_INDEX_SHARDS, SWEEP_INDEX } from '../resources';
import { pendingWebhook, type Job, type JobStatus } from '../jobs/job';
import { sweepAtOf, sweepShardOf, type SweepSettings } from '../jobs/sweep';
import type { Decision, InPlaceClaim } from '../jobs/transitions';
import { ConcurrentUpdateError, isConditionalCheckFailed, isTransientFailure, ItemTooLargeError, StoreError, StoreUnavailableError } from './errors';
import { ITEM_LIMIT_BYTES, itemSize } from './item-size';
import { isInlinePayload, PAYLOAD_RETENTION_MARGIN_SECONDS, payloadFromItem, payloadItemKey, payloadItemOf } from './payload-item';
import { fitJobToItemLimit, jobAttributes, jobFromItem, jobKeyOfPk, newWriteId, sizeAtItsLargest, storedAttempt } from './job-item';
import { readItems, readOpenBucket, StatusIndexReader, statusIndexKeys, type JobPage, type ListQuery } from './status-index';

export { InvalidCursorError } from './list-cursor';
export type { JobPage, ListQuery } from './status-index';

export interface JobKey {
  readonly tenantId: string;
  readonly jobId: string;
}

export interface JobStoreOptions {
  readonly tableName: string;
  readonly sweep: SweepSettings;
  readonly now: () => number;
}

export type CreateOutcome = { created: true; job: Job } | { created: false; job: Job };

/** A claim in one write (`claimInPlace`): the job as it now runs, or the job as found when the write's condition did not hold. */
export type InPlaceClaimOutcome = { claimed: Job } | { claimed?: undefined; current: Job | undefined };

/** An entry of the sweep index, as projected (SPEC §4). */
export interface SweepEntry {
  tenantId: string;
  jobId: string;
  status: JobStatus;
  sweepAt: number;
  sweepCount: number;
  /** A waiting job's `nextRunAt` (ISO); null otherwise. */
  nextRunAt: string | null;
  /** The id of the job's pending webhook event; null when none is pending. */
  webhookEventId: string | null;
}

/** A job of a tenant's open bucket, as the open-bucket scan reads it (scheduler/recover-lost-creates.ts). */
export interface OpenJob {
  readonly tenantId: string;
  readonly jobId: string;
  readonly status: JobStatus;
  readonly attempts: number;
  /** When it is due (ISO); null when it is not waiting. */
  readonly nextRunAt: string | null;
  /** Whether the job is on the sweep index (any entry: its state's, a busy duplicate's, a dead letter's). */
  readonly onSweepIndex: boolean;
}

/** One page of an open-bucket shard read oldest first: each entry's `createdAt`, and its job (undefined: gone or expired). */
export interface OpenJobsPage {
  readonly entries: readonly { readonly createdAtMs: number; readonly job: OpenJob | undefined }[];
  /** Where the next page starts; undefined when the range is read to its end. */
  readonly startKey: Record<string, unknown> | undefined;
}

/** Per tenant, per open-bucket shard: every job created before this instant (epoch ms) has been looked at. */
export type OpenScanMarks = ReadonlyMap<string, readonly number[]>;

/** One stretch of the twin's TTL sweep: what it deleted, and where the next stretch starts (none: the table's end). */
export interface ExpiredSweep {
  deleted: number;
  resumeKey: Record<string, unknown> | undefined;
}

const MAX_DECISION_ROUNDS = 8;
/** Tries to delete a create's own write after a failed answer (about 1.5 s at most). */
const UNDO_CREATE_TRIES = 6;
/** The scheduler's own items: its open-bucket scan marks, one per tenant. */
const SCHEDULER_PK = 'SCHEDULER';
const OPEN_SCAN_PREFIX = 'OPEN_SCAN#';
/** What the open-bucket scan reads of an item (billed on the whole item all the same). */
const OPEN_JOB_ATTRIBUTES = ['sk', 'entity', 'status', 'attempts', 'nextRunAt', 'sweepAt', 'expiresAt'] as const;

export function jobItemKey(key: JobKey): { pk: string; sk: string } {
  return { pk: `JOB#${key.tenantId}#${key.jobId}`, sk: 'JOB' };
}

export class JobStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly options: JobStoreOptions,
  ) {}

  /**
   * Creates a job with one conditional put. The job id already encodes the
   * idempotency key (see `jobIdFor`), so the condition both enforces one job per
   * (tenant, key) and lets a new job take the place of an expired one.
   */
  async create(job: Job): Promise<CreateOutcome> {
    const placed = this.placePayload(job);
    const stored = placed.job;
    // Built once (the payload's JSON text can be 256 KiB); each round only stamps its own writeId.
    const item = this.toItem(stored, '');
    this.checkRoomToGrow(item, stored);
    if (placed.payloadItem) await this.putPayload(job, placed.payloadItem);
    const dropOurPayload = () => (placed.payloadItem ? this.deletePayload(stored) : Promise.resolve());
    try {
      const outcome = await this.createItem(stored, item);
      // A replay keeps the winner's payload; ours is an orphan.
      if (!outcome.created) {
        await dropOurPayload();
        return { created: false, job: await this.loadPayload(outcome.job, { consistent: true }) };
      }
      return outcome;
    } catch (error) {
      await dropOurPayload();
      throw error;
    }
  }

  /** The job as it is stored: a large payload moved to an item of its own (`payload-item.ts`), which is returned to be written first. */
  private placePayload(job: Job): { job: Job; payloadItem?: Record<string, unknown> } {
    if (job.payloadItem !== undefined) return { job };
    const payloadJson = JSON.stringify(job.payload);
    if (isInlinePayload(payloadJson)) return { job };
    const id = randomUUID();
    const payloadExpiresAt = job.expiresAt + PAYLOAD_RETENTION_MARGIN_SECONDS;
    const payloadItem = payloadItemOf(jobItemKey(job).pk, id, payloadJson, payloadExpiresAt);
    const bytes = itemSize(payloadItem);
    if (bytes > ITEM_LIMIT_BYTES) throw new ItemTooLargeError(bytes, ITEM_LIMIT_BYTES);
    return { job: { ...job, payloadItem: id, payloadExpiresAt }, payloadItem };
  }

  /** Writes a new payload's item (a fresh id: there is nothing to overwrite). A failure is the create's: 503 for what may pass. */
  private async putPayload(job: Job, item: Record<string, unknown>): Promise<void> {
    try {
      await this.db.send(new PutCommand({ TableName: this.options.tableName, Item: item, ConditionExpression: 'attribute_not_exists(pk)' }));
    } catch (error) {
      if (error instanceof StoreError || !isTransientFailure(error)) throw error;
      throw new StoreUnavailableError(`job ${job.jobId}: DynamoDB did not take the payload (${(error as Error).name})`, { cause: error });
    }
  }

  /** Deletes a job's payload item, best effort: what stays is an orphan its TTL removes. */
  private async deletePayload(job: Job): Promise<void> {
    if (job.payloadItem === undefined) return;
    await this.db
      .send(new DeleteCommand({ TableName: this.options.tableName, Key: payloadItemKey(jobItemKey(job).pk, job.payloadItem) }))
      .catch(() => undefined);
  }

  /**
   * The job with its payload, read from the payload's own item if it has one and
   * `payload` is not loaded yet: eventually consistent first (the item was written
   * before the job's, long ago as a rule), consistently if that finds nothing.
   */
  async loadPayload(job: Job, options: { consistent?: boolean } = {}): Promise<Job> {
    if (job.payload !== undefined || job.payloadItem === undefined) return job;
    for (const consistent of options.consistent ? [true] : [false, true]) {
      const { Item } = await this.db.send(
        new GetCommand({ TableName: this.options.tableName, Key: payloadItemKey(jobItemKey(job).pk, job.payloadItem), ConsistentRead: consistent }),
      );
      if (Item) return { ...job, payload: payloadFromItem(Item) };
    }
    throw new StoreError(`job ${job.jobId}: the item of its payload is missing`);
  }

  /** The create's conditional put of the job item (see `create`). */
  private async createItem(job: Job, item: Record<string, unknown>): Promise<CreateOutcome> {
    for (let round = 0; round < MAX_DECISION_ROUNDS; round++) {
      const nowSeconds = Math.floor(this.options.now() / 1000);
      const noJobYet = 'attribute_not_exists(pk)';
      const onlyAnExpiredJob = 'expiresAt <= :nowSeconds';
      const writeId = newWriteId();
      try {
        try {
          await this.db.send(
            new PutCommand({
              TableName: this.options.tableName,
              Item: { ...item, writeId },
              ConditionExpression: `${noJobYet} OR ${onlyAnExpiredJob}`,
              ExpressionAttributeValues: { ':nowSeconds': nowSeconds },
              ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
            }),
          );
          return { created: true, job };
        } catch (error) {
          if (!isConditionalCheckFailed(error)) throw error;
          const existing = await this.itemAfterLostCondition(job, error);
          if (existing?.writeId === writeId) return { created: true, job };
          if (existing && !this.isExpired(this.fromItem(existing))) return { created: false, job: this.fromItem(existing) };
          // It was deleted or expired between our put and our read: try again.
        }
      } catch (error) {
        // Our put may have landed and the job moved on already (a worker claims a job sent first
        // within milliseconds): then it runs, and the answer is 202, not a 503 for a job that exists.
        if ((await this.undoCreate(job, writeId)) === 'moved-on') return { created: true, job };
        throw createError(job, error);
      }
    }
    throw new ConcurrentUpdateError(`job ${job.jobId}: create kept losing to concurrent writers`);
  }

  /**
   * Throws ItemTooLargeError when `job` could not be stored: checked before
   * anything is sent for it (send-first creates), so a refused job leaves no message.
   */
  assertStorable(job: Job): void {
    const stored = this.placePayload(job).job;
    this.checkRoomToGrow(this.toItem(stored, ''), stored);
  }

  /** Refuses a job whose item could not hold what the job gains later (see `sizeAtItsLargest`). */
  private checkRoomToGrow(item: Record<string, unknown>, job: Job): void {
    const bytes = sizeAtItsLargest({ ...item, writeId: newWriteId() }, job);
    if (bytes > ITEM_LIMIT_BYTES) throw new ItemTooLargeError(bytes, ITEM_LIMIT_BYTES);
  }

  /**
   * A create whose write failed otherwise than by its condition. Its answer may
   * have been lost after the item was written, so the item is deleted again if
   * it is this write's (its `writeId`): a job the client was told nothing about
   * must not run. When the item is this create's but already changed (a worker
   * claimed the job its message named), it is `moved-on`: the job runs, so the
   * create stands. Best effort: if even the delete fails, the job stays and runs,
   * and a retry with the same Idempotency-Key finds it (a 200 replay, not a second job).
   */
  private async undoCreate(job: Job, writeId: string): Promise<'undone' | 'moved-on' | 'unknown'> {
    // Tried a few times of our own: the SDK's retry quota may be spent by the very failures that got us here.
    for (let attempt = 0; attempt < UNDO_CREATE_TRIES; attempt++) {
      try {
        await this.db.send(
          new DeleteCommand({
            TableName: this.options.tableName,
            Key: jobItemKey(job),
            ConditionExpression: 'writeId = :writeId',
            ExpressionAttributeValues: { ':writeId': writeId },
          }),
        );
        return 'undone';
      } catch (deleteError) {
        if (isConditionalCheckFailed(deleteError)) {
          const current = await this.get(job, { consistent: true, withPayload: false }).catch(() => undefined);
          return current && isThisCreate(current, job) ? 'moved-on' : 'undone';
        }
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 50 * 2 ** attempt));
      }
    }
    return 'unknown';
  }

  /**
   * The job, or undefined when it does not exist, belongs to no such tenant, or
   * has expired. With its payload (one Query on the job's partition reads a large
   * payload's item too), unless `withPayload: false` (the job item alone, payload
   * undefined when it has its own item).
   */
  async get(key: JobKey, options: { consistent?: boolean; withPayload?: boolean } = {}): Promise<Job | undefined> {
    const consistent = options.consistent ?? false;
    let items: Record<string, unknown>[];
    if (options.withPayload === false) {
      const { Item } = await this.db.send(new GetCommand({ TableName: this.options.tableName, Key: jobItemKey(key), ConsistentRead: consistent }));
      items = Item ? [Item] : [];
    } else {
      const { Items } = await this.db.send(
        new QueryCommand({
          TableName: this.options.tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': jobItemKey(key).pk },
          ConsistentRead: consistent,
        }),
      );
      items = Items ?? [];
    }
    const item = items.find((i) => i.sk === 'JOB');
    if (!item || item.entity !== 'job') return undefined;
    const job = this.fromItem(item);
    if (this.isExpired(job)) return undefined;
    if (options.withPayload === false || job.payloadItem === undefined) return job;
    const payload = items.find((i) => i.sk === payloadItemKey(String(item.pk), job.payloadItem!).sk);
    return payload ? { ...job, payload: payloadFromItem(payload) } : this.loadPayload(job, { consistent: true });
  }

  /**
   * Reads the job, lets `decide` pick the next state, and writes it on condition
   * that nobody else wrote in between; on a lost race, reads and decides again.
   * `decide` gets undefined for a missing or expired job.
   */
  async transition<R>(key: JobKey, decide: (job: Job | undefined) => Decision<R>, options: { withPayload?: boolean } = {}): Promise<R> {
    for (let round = 0; round < MAX_DECISION_ROUNDS; round++) {
      const current = await this.get(key, { consistent: true, withPayload: options.withPayload });
      const decision = decide(current);
      if ('write' in decision) {
        if (!current) throw new Error('transition: cannot write a job that does not exist');
        if (await this.replace(decision.write, current.version)) return decision.result;
      } else if ('delete' in decision) {
        if (!current) return decision.result;
        if (await this.delete(current)) return decision.result;
      } else {
        return decision.result;
      }
    }
    throw new ConcurrentUpdateError(`job ${key.jobId}: transition kept losing to concurrent writers`);
  }

  /**
   * `queued|retry → running` in one conditional UpdateItem that returns the new
   * item (ReturnValues ALL_NEW): no read before it. The condition is the claim's
   * own (transitions.ts `inPlaceClaim`): waiting with the expected attempt count,
   * due, not expired, room for the attempt record, no webhook event pending (whose
   * sweep entry would have to be recomputed). The sweep entry a waiting job may
   * carry goes: a running job needs none (a create due at once carries none, and
   * removing absent attributes writes the sweep index nothing). The status index entry stays where it
   * is: queued, retry and running share its open bucket (status-index.ts). When the condition fails, the job as it
   * stands is returned (from the error on AWS, else a consistent read) for the
   * caller's read-and-decide path; our own write that landed, its answer lost and
   * the SDK's retry failing the condition on it, is told by its `writeId`.
   */
  async claimInPlace(key: JobKey, claim: InPlaceClaim): Promise<InPlaceClaimOutcome> {
    const writeId = newWriteId();
    const names = { '#status': 'status' };
    const values = {
      ':job': 'job',
      ':queued': 'queued',
      ':retry': 'retry',
      ':running': 'running',
      ':expected': claim.attempts - 1,
      ':attempts': claim.attempts,
      ':dueBy': claim.dueBy,
      ':nowSeconds': claim.nowSeconds,
      ':historyLimit': claim.historyLimit,
      ':pending': 'pending',
      ':null': null,
      ':lease': claim.leaseUntilMs,
      ':entry': [storedAttempt(claim.attempt)],
      ':updatedAt': claim.updatedAt,
      ':expiresAt': claim.expiresAt,
      ':one': 1,
      ':writeId': writeId,
    };
    const condition = [
      'entity = :job',
      '#status IN (:queued, :retry)',
      'attempts = :expected',
      'nextRunAt <= :dueBy',
      'expiresAt > :nowSeconds',
      'size(history) < :historyLimit',
      // No event: absent (this version), or null (the previous ones).
      '(attribute_not_exists(webhookEvent) OR webhookEvent = :null OR webhook.#status <> :pending)',
    ].join(' AND ');
    const update =
      'SET #status = :running, attempts = :attempts, leaseUntilMs = :lease, ' +
      'history = list_append(history, :entry), updatedAt = :updatedAt, expiresAt = :expiresAt, version = version + :one, ' +
      'writeId = :writeId ' +
      // Null and false are stored as absent (job-item.ts).
      'REMOVE nextRunAt, dispatched, sentFirst, sweepShard, sweepAt, sweepCount, webhookEventId';
    try {
      const { Attributes } = await this.db.send(
        new UpdateCommand({
          TableName: this.options.tableName,
          Key: jobItemKey(key),
          UpdateExpression: update,
          ConditionExpression: condition,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { claimed: this.fromItem(Attributes!) };
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
      const existing = await this.itemAfterLostCondition(key, error);
      if (existing?.writeId === writeId) return { claimed: this.fromItem(existing) };
      const current = existing ? this.fromItem(existing) : undefined;
      return { current: current && !this.isExpired(current) ? current : undefined };
    }
  }

  /** Writes `job` (with version + 1) if the stored version is still `expectedVersion`. */
  async replace(job: Job, expectedVersion: number): Promise<boolean> {
    await this.keepPayloadPastJob(job);
    const writeId = newWriteId();
    // A write that grows the item never fails on its size: what can be shed is shed.
    const fitted = fitJobToItemLimit({ ...job, version: expectedVersion + 1 }, (candidate) => this.toItem(candidate, writeId));
    if (!fitted.fits) throw new ItemTooLargeError(fitted.bytes, ITEM_LIMIT_BYTES);
    const next = fitted.job;
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.options.tableName,
          Item: fitted.item,
          ConditionExpression: 'version = :expectedVersion',
          ExpressionAttributeValues: { ':expectedVersion': expectedVersion },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
      if ((await this.itemAfterLostCondition(job, error))?.writeId !== writeId) return false;
    }
    // The caller's job becomes what was written (its new version, and anything shed).
    Object.assign(job, next);
    return true;
  }

  /**
   * The item as it stands after a conditional write lost. Also tells a write that
   * did land from one that did not: when the SDK retries a put whose first try
   * succeeded but whose answer was lost, the retry fails its condition against
   * our own item, recognisable by its `writeId`. AWS returns the item with the
   * error (as raw AttributeValues even through lib-dynamodb); dynalite does not,
   * so it is read consistently instead.
   */
  private async itemAfterLostCondition(key: JobKey, error: { Item?: Record<string, unknown> }): Promise<Record<string, unknown> | undefined> {
    if (error.Item) return unmarshall(error.Item as never);
    const { Item } = await this.db.send(new GetCommand({ TableName: this.options.tableName, Key: jobItemKey(key), ConsistentRead: true }));
    return Item?.entity === 'job' ? Item : undefined;
  }

  /**
   * A payload's item must outlive its job: a write that takes the job's
   * `expiresAt` past the payload's pushes the payload's out first (rare: the
   * payload starts PAYLOAD_RETENTION_MARGIN_SECONDS ahead).
   */
  private async keepPayloadPastJob(job: Job): Promise<void> {
    if (job.payloadItem === undefined || job.payloadExpiresAt === undefined || job.expiresAt <= job.payloadExpiresAt) return;
    const payloadExpiresAt = job.expiresAt + PAYLOAD_RETENTION_MARGIN_SECONDS;
    await this.db.send(
      new UpdateCommand({
        TableName: this.options.tableName,
        Key: payloadItemKey(jobItemKey(job).pk, job.payloadItem),
        UpdateExpression: 'SET expiresAt = :expiresAt',
        ConditionExpression: 'attribute_exists(pk) AND expiresAt < :expiresAt',
        ExpressionAttributeValues: { ':expiresAt': payloadExpiresAt },
      }),
    ).catch((error: unknown) => {
      if (!isConditionalCheckFailed(error)) throw error;
    });
    job.payloadExpiresAt = payloadExpiresAt;
  }

  private async delete(job: Job): Promise<boolean> {
    const deleted = await this.deleteItem(job);
    if (deleted) await this.deletePayload(job);
    return deleted;
  }

  private async deleteItem(job: Job): Promise<boolean> {
    try {
      await this.db.send(
        new DeleteCommand({
          TableName: this.options.tableName,
          Key: jobItemKey(job),
          ConditionExpression: 'version = :expectedVersion',
          ExpressionAttributeValues: { ':expectedVersion': job.version },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }

  /** A tenant's jobs in one status, newest first, through the status index (never a Scan; lambdas/store/status-index.ts). */
  async list(query: ListQuery): Promise<JobPage> {
    return new StatusIndexReader(this.db, { tableName: this.options.tableName, now: this.options.now, shards: STATUS_INDEX_SHARDS }).list(query);
  }

  /** Entries of one sweep shard due at or before `nowMs`, oldest first. */
  async dueForSweep(shard: number, nowMs: number, limit: number): Promise<SweepEntry[]> {
    const { Items } = await this.db.send(
      new QueryCommand({
        TableName: this.options.tableName,
        IndexName: SWEEP_INDEX.indexName,
        KeyConditionExpression: 'sweepShard = :shard AND sweepAt <= :now',
        ExpressionAttributeValues: { ':shard': shard, ':now': nowMs },
        Limit: limit,
      }),
    );
    return (Items ?? []).map((item) => ({
      // From the table's key, which every index projects (items of the previous versions also have the two attributes).
      ...jobKeyOfPk(String(item.pk)),
      status: item.status as JobStatus,
      sweepAt: Number(item.sweepAt),
      sweepCount: Number(item.sweepCount ?? 0),
      nextRunAt: typeof item.nextRunAt === 'string' ? item.nextRunAt : null,
      webhookEventId: typeof item.webhookEventId === 'string' ? item.webhookEventId : null,
    }));
  }

  /**
   * Moves a job's sweep entry to `nextSweepAt`, if the entry is still the one the
   * scheduler saw, and marks the job dispatched when the scheduler did send its
   * message. Does not bump `version`: the job's state is unchanged, and a
   * concurrent transition recomputes the entry anyway.
   */
  async deferSweep(entry: SweepEntry, nextSweepAt: number, markDispatched = false): Promise<boolean> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.options.tableName,
          Key: jobItemKey(entry),
          UpdateExpression: `SET sweepAt = :next, sweepCount = :count${markDispatched ? ', dispatched = :true' : ''}`,
          ConditionExpression: 'sweepAt = :seen',
          ExpressionAttributeValues: {
            ':next': nextSweepAt,
            ':count': entry.sweepCount + 1,
            ':seen': entry.sweepAt,
            ...(markDispatched ? { ':true': true } : {}),
          },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }

  /**
   * Puts a job on the sweep index at `atMs` (or earlier, if it is there already
   * earlier), without touching its state: for a job that may have no message
   * left (a busy duplicate, a dead letter), so that the scheduler sends it one.
   * A send could be lost; an entry is not. The job's next write recomputes the
   * entry from its state, as every write does. `whileStatus`: only if the job
   * is still in it (a job that has moved on set its own entry). False: not written.
   */
  async sweepNoLaterThan(key: JobKey, atMs: number, whileStatus?: JobStatus): Promise<boolean> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.options.tableName,
          Key: jobItemKey(key),
          UpdateExpression: 'SET sweepShard = :shard, sweepAt = :at, sweepCount = :zero',
          ConditionExpression: `entity = :job AND (attribute_not_exists(sweepAt) OR sweepAt > :at)${whileStatus ? ' AND #status = :status' : ''}`,
          ...(whileStatus ? { ExpressionAttributeNames: { '#status': 'status' } } : {}),
          ExpressionAttributeValues: { ':shard': sweepShardOf(key.jobId), ':at': atMs, ':zero': 0, ':job': 'job', ...(whileStatus ? { ':status': whileStatus } : {}) },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }

  /**
   * One page of shard `shard` of a tenant's open bucket (queued, running, retry
   * share it), jobs created in `[fromMs, toMs]`, oldest first, read through
   * (BatchGetItem, eventually consistent, as the index is): the scheduler's scan
   * for creates whose message was lost.
   */
  async openJobsCreatedBetween(range: {
    tenantId: string;
    shard: number;
    fromMs: number;
    toMs: number;
    limit: number;
    startKey?: Record<string, unknown>;
  }): Promise<OpenJobsPage> {
    const page = await readOpenBucket(this.db, this.options.tableName, range);
    const items = page.entries.length === 0 ? new Map<string, Record<string, unknown>>() : await readItems(this.db, this.options.tableName, page.entries.map((e) => e.key), OPEN_JOB_ATTRIBUTES);
    const nowSeconds = Math.floor(this.options.now() / 1000);
    return {
      entries: page.entries.map((entry) => {
        const createdAtMs = Date.parse(entry.position.slice(0, entry.position.indexOf('#')));
        const item = items.get(entry.key.pk);
        if (!item || item.entity !== 'job' || item.sk !== 'JOB' || Number(item.expiresAt) <= nowSeconds) return { createdAtMs, job: undefined };
        return {
          createdAtMs,
          job: {
            ...jobKeyOfPk(String(item.pk)),
            status: item.status as JobStatus,
            attempts: Number(item.attempts ?? 0),
            nextRunAt: typeof item.nextRunAt === 'string' ? item.nextRunAt : null,
            onSweepIndex: item.sweepAt !== undefined && item.sweepAt !== null,
          },
        };
      }),
      startKey: page.startKey,
    };
  }

  /**
   * Puts a create whose message was lost on the sweep index, due at `atMs`: only
   * if it is still waiting for its first attempt with no entry (a job that moved
   * on, or got an entry meanwhile, is covered by what moved it). False: not written.
   */
  async sweepLostCreate(key: JobKey, atMs: number): Promise<boolean> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.options.tableName,
          Key: jobItemKey(key),
          UpdateExpression: 'SET sweepShard = :shard, sweepAt = :at, sweepCount = :zero',
          ConditionExpression: 'entity = :job AND #status = :queued AND attempts = :zero AND attribute_not_exists(sweepAt) AND expiresAt > :nowSeconds',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':shard': sweepShardOf(key.jobId),
            ':at': atMs,
            ':zero': 0,
            ':job': 'job',
            ':queued': 'queued',
            ':nowSeconds': Math.floor(this.options.now() / 1000),
          },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }

  /** The open-bucket scan's marks of every tenant scanned so far (one Query of the scheduler's partition). */
  async openScanMarks(): Promise<OpenScanMarks> {
    const marks = new Map<string, number[]>();
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(
        new QueryCommand({
          TableName: this.options.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': SCHEDULER_PK, ':prefix': OPEN_SCAN_PREFIX },
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) {
        if (Array.isArray(item.shards)) marks.set(String(item.sk).slice(OPEN_SCAN_PREFIX.length), item.shards.map(Number));
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return marks;
  }

  /**
   * Saves a tenant's open-bucket scan marks. Unconditional: two runs that overlap
   * each write only what they looked at, so whichever lands last, nothing unread
   * is marked read (an older mark only makes a run read a stretch again).
   */
  async saveOpenScanMarks(tenantId: string, shards: readonly number[]): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.options.tableName,
        Item: { pk: SCHEDULER_PK, sk: `${OPEN_SCAN_PREFIX}${tenantId}`, entity: 'openScan', shards: [...shards] },
      }),
    );
  }

  /**
   * Deletes expired items from one stretch of the table: what DynamoDB TTL does
   * on AWS, for the local twin (dynalite has no TTL). A Scan, acceptable only
   * there; bounded to `pageSize` items read per call, so a big table is swept a
   * stretch at a time (pass back `resumeKey`) without holding up everything else.
   */
  async deleteExpired(options: { resumeKey?: Record<string, unknown>; pageSize?: number } = {}): Promise<ExpiredSweep> {
    const nowSeconds = Math.floor(this.options.now() / 1000);
    const page = await this.db.send(
      new ScanCommand({
        TableName: this.options.tableName,
        FilterExpression: 'expiresAt <= :nowSeconds',
        ExpressionAttributeValues: { ':nowSeconds': nowSeconds },
        ProjectionExpression: 'pk, sk',
        ExclusiveStartKey: options.resumeKey,
        Limit: options.pageSize ?? 500,
      }),
    );
    let deleted = 0;
    for (const item of page.Items ?? []) {
      try {
        await this.db.send(
          new DeleteCommand({
            TableName: this.options.tableName,
            Key: { pk: item.pk as string, sk: item.sk as string },
            ConditionExpression: 'expiresAt <= :nowSeconds',
            ExpressionAttributeValues: { ':nowSeconds': nowSeconds },
          }),
        );
        deleted++;
      } catch (error) {
        if (!isConditionalCheckFailed(error)) throw error;
      }
    }
    return { deleted, resumeKey: page.LastEvaluatedKey };
  }

  private isExpired(job: Job): boolean {
    return job.expiresAt * 1000 <= this.options.now();
  }

  /** Job → item: the index attributes are derived here and nowhere else. */
  private toItem(job: Job, writeId: string): Record<string, unknown> {
    const sweepAt = sweepAtOf(job, this.options.sweep);
    const pending = pendingWebhook(job.webhook);
    return {
      ...jobItemKey(job),
      entity: 'job',
      ...jobAttributes(job),
      writeId,
      ...statusIndexKeys(job, STATUS_INDEX_SHARDS),
      // sweepCount 0 is left out (read as 0): every byte counts on every write.
      ...(sweepAt === null ? {} : { sweepShard: sweepShardOf(job.jobId), sweepAt }),
      // Top level so the sweep index can project it, for a job re-run (or canceled) while an earlier event is
      // pending: the scheduler sends the event too. A succeeded or fatal job's entry is for its webhook anyway,
      // and the scheduler's message names no event (the pending one is delivered): 50 B fewer at such a finish.
      ...(sweepAt !== null && pending && job.status !== 'succeeded' && job.status !== 'fatal' ? { webhookEventId: pending.event.id } : {}),
    };
  }

  private fromItem(item: Record<string, unknown>): Job {
    return jobFromItem(item);
  }
}

/**
 * Whether `stored` is the job `created` wrote, whatever happened to it since: the
 * same id (tenant + Idempotency-Key), created at the same instant with the same
 * request. Only asked after this create's own put failed: whether it was this
 * create or an identical one in the same millisecond (a batch repeating a key),
 * the job exists and runs, so the answer is 202, never a 503.
 */
function isThisCreate(stored: Job, created: Job): boolean {
  return stored.createdAt === created.createdAt && stored.payloadHash === created.payloadHash;
}

/** What a create that could not be written throws: transient failures as StoreUnavailableError (503). */
function createError(job: Job, error: unknown): unknown {
  if (error instanceof StoreError || !isTransientFailure(error)) return error;
  return new StoreUnavailableError(`job ${job.jobId}: DynamoDB did not take the write (${(error as Error).name})`, { cause: error });
}
