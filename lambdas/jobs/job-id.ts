import { createHash, randomUUID } from 'node:crypto';

/** UUIDv5 namespace of idempotent job ids (a fixed random UUID). */
const JOB_ID_NAMESPACE = Buffer.from('3f1c6a0e9b7d4e0f8a5b2c1d0e9f8a7b', 'hex');

/**
 * The job id: UUIDv5 of (tenant, idempotency key) when the client gave a key, so
 * one conditional put enforces "one job per key per tenant"; random otherwise.
 */
export function jobIdFor(tenantId: string, idempotencyKey: string | null): string {
  if (idempotencyKey === null) return randomUUID();
  const hash = createHash('sha1').update(JOB_ID_NAMESPACE).update(`${tenantId}\n${idempotencyKey}`, 'utf8').digest();
  hash[6] = (hash[6] & 0x0f) | 0x50;
  hash[8] = (hash[8] & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const JOB_ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Whether a path segment can be a job id at all (anything else is simply not found). */
export function isJobIdShaped(value: string): boolean {
  return JOB_ID_PATTERN.test(value);
}
