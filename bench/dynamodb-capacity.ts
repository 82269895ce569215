/**
 * What DynamoDB bills for writes that `ReturnConsumedCapacity` on dynalite does
 * not report: the writes to global secondary indexes, and failed conditional
 * writes. Pure functions over document-level items (what lib-dynamodb takes and
 * returns), following the DynamoDB Developer Guide:
 *
 * - item size: attribute names (UTF-8) + values; a number ≈ 1 byte per two
 *   significant digits + 1; a list or map 3 bytes + 1 byte per element;
 * - a write request unit writes up to 1 KB of item; a GSI write costs the same
 *   for the index entry (its keys and projected attributes);
 * - a table write puts an entry into an index when the item gains the index
 *   keys, deletes one when it loses them, does both when a key value changes,
 *   updates one when only projected attributes change, and nothing otherwise;
 * - a failed conditional write still consumes units for the existing item's
 *   size (at least 1).
 */
import canonicalize from 'canonicalize';
import { TABLE_KEYS, type IndexDefinition } from '../lambdas/resources';

export type DocumentItem = Readonly<Record<string, unknown>>;

/** Bytes DynamoDB counts for an item (document form; undefined attributes are not stored). */
export function itemSize(item: DocumentItem): number {
  let size = 0;
  for (const [name, value] of Object.entries(item)) {
    if (value === undefined) continue;
    size += utf8Bytes(name) + valueSize(value);
  }
  return size;
}

function valueSize(value: unknown): number {
  if (value === null || typeof value === 'boolean') return 1;
  if (typeof value === 'string') return utf8Bytes(value);
  if (typeof value === 'number' || typeof value === 'bigint') return numberSize(value);
  if (value instanceof Uint8Array) return value.byteLength;
  if (value instanceof Set) return [...value].reduce((sum: number, v) => sum + valueSize(v), 0);
  if (Array.isArray(value)) return 3 + value.reduce((sum: number, v) => sum + 1 + valueSize(v), 0);
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    return 3 + entries.reduce((sum, [name, v]) => sum + 1 + utf8Bytes(name) + valueSize(v), 0);
  }
  return 0;
}

function numberSize(value: number | bigint): number {
  const digits = String(value)
    .replace(/^-/, '')
    .replace(/e.*$/i, '')
    .replace('.', '')
    .replace(/^0+/, '')
    .replace(/0+$/, '');
  return 1 + Math.ceil(Math.max(1, digits.length) / 2);
}

function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/** Write request units for `bytes` of item: 1 per started KB, at least 1. */
export function writeUnits(bytes: number): number {
  return Math.max(1, Math.ceil(bytes / 1024));
}

/** An item's entry in one index, as far as billing cares. */
export interface IndexEntry {
  /** The index partition key's value as text: where the entry's writes land. */
  readonly partition: string;
  /** The index key values; a change means delete + put. */
  readonly key: string;
  /** The projected attributes in canonical form; a change means an update. */
  readonly projection: string;
  readonly bytes: number;
}

/** The item's entry in `index`, or undefined when the item lacks the index keys (sparse index). */
export function indexEntryOf(item: DocumentItem | undefined, index: IndexDefinition): IndexEntry | undefined {
  if (!item) return undefined;
  const partition = item[index.partitionKey.name];
  const sort = item[index.sortKey.name];
  if (partition === undefined || partition === null || sort === undefined || sort === null) return undefined;
  const names = [TABLE_KEYS.partitionKey.name, TABLE_KEYS.sortKey.name, index.partitionKey.name, index.sortKey.name, ...index.nonKeyAttributes];
  const projected: Record<string, unknown> = {};
  for (const name of names) if (item[name] !== undefined) projected[name] = item[name];
  return { partition: keyText(partition), key: canonicalize([partition, sort]) ?? '', projection: canonicalize(projected) ?? '', bytes: itemSize(projected) };
}

/** A key attribute's value as text (keys are strings, numbers or binary). */
export function keyText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  return JSON.stringify(value) ?? '';
}

/** Write request units one index is billed when its entry goes from `before` to `after`. */
export function indexWriteUnits(before: IndexEntry | undefined, after: IndexEntry | undefined): number {
  if (!before && !after) return 0;
  if (!before) return writeUnits(after!.bytes);
  if (!after) return writeUnits(before.bytes);
  if (before.key !== after.key) return writeUnits(before.bytes) + writeUnits(after.bytes);
  return before.projection === after.projection ? 0 : writeUnits(after.bytes);
}

/** Units a conditional write that failed is billed: the existing item's size, at least 1. */
export function failedConditionalWriteUnits(existingItemBytes: number | undefined): number {
  return writeUnits(existingItemBytes ?? 0);
}
