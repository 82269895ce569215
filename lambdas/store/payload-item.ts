/**
 * A large payload's own item (issue 11): DynamoDB bills every write on the
 * whole item, so a payload that never changes stays out of the job item that
 * the claim and the finish rewrite. It sits in the job's partition (`pk`), under
 * `PAYLOAD#<id>`, written once before the job item; the id is fresh for each
 * create, so a concurrent create of the same job (an idempotent replay) never
 * overwrites the payload of the job that won. Compressed (raw DEFLATE) when that
 * is smaller; the JSON text otherwise, as the job item would hold it. It expires
 * after its job (`PAYLOAD_RETENTION_MARGIN_SECONDS` past the job's `expiresAt`,
 * pushed out when the job's is), and an orphan (a create that lost or failed)
 * goes with its TTL.
 */
import { deflateRawSync, inflateRawSync } from 'node:zlib';

/** A payload whose JSON is longer than this has its own item; a 200 B job stays in one item of under 1 KB. */
export const INLINE_PAYLOAD_BYTES = 1024;

/** How long a payload's item outlives its job's `expiresAt` (seconds): the job's writes rarely need to push it out. */
export const PAYLOAD_RETENTION_MARGIN_SECONDS = 7 * 86_400;

export function isInlinePayload(payloadJson: string): boolean {
  return Buffer.byteLength(payloadJson) <= INLINE_PAYLOAD_BYTES;
}

export function payloadItemKey(jobPk: string, id: string): { pk: string; sk: string } {
  return { pk: jobPk, sk: `PAYLOAD#${id}` };
}

/** The item for `payloadJson`, compressed when that saves bytes. */
export function payloadItemOf(jobPk: string, id: string, payloadJson: string, expiresAt: number): Record<string, unknown> {
  const text = Buffer.from(payloadJson);
  const compressed = deflateRawSync(text);
  const body = compressed.length < text.length ? { payloadZ: new Uint8Array(compressed) } : { payloadJson };
  return { ...payloadItemKey(jobPk, id), entity: 'payload', ...body, expiresAt };
}

/** The payload an item of `payloadItemOf` holds. */
export function payloadFromItem(item: Record<string, unknown>): Record<string, unknown> {
  const json = item.payloadZ instanceof Uint8Array ? inflateRawSync(item.payloadZ).toString('utf8') : String(item.payloadJson);
  return JSON.parse(json) as Record<string, unknown>;
}
