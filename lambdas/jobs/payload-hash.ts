import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';

/** Fields of a submission that define "the same request" (SPEC §3.1). */
export const HASHED_FIELDS = ['type', 'payload', 'webhookUrl', 'maxAttempts', 'runAt', 'delaySeconds'] as const;

/**
 * `sha256:<hex>` over the RFC 8785 canonical JSON of the hashed fields the client
 * sent: absent fields stay absent (not defaulted), `delaySeconds` as sent, so a
 * retry a second later hashes the same.
 */
export function payloadHash(body: Readonly<Record<string, unknown>>): string {
  const sent: Record<string, unknown> = {};
  for (const field of HASHED_FIELDS) {
    if (body[field] !== undefined) sent[field] = body[field];
  }
  const canonical = canonicalize(sent) ?? '{}';
  return `sha256:${createHash('sha256').update(canonical, 'utf8').digest('hex')}`;
}
