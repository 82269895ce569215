/**
 * Standard Webhooks signatures (https://www.standardwebhooks.com/), used for
 * completion webhooks and for `http` job requests (SPEC §5, §6), so receivers
 * can verify with any Standard Webhooks library.
 *
 * Secret: `whsec_` + base64 of the key bytes. Signature:
 * `v1,` + base64(HMAC-SHA256(key, `${id}.${timestamp}.${body}`)). During secret
 * rotation a delivery is signed with every current secret, space-separated, so
 * a receiver holding either the old or the new secret accepts it.
 */
import { createHmac, randomBytes } from 'node:crypto';

export interface SignedHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

const SECRET_PREFIX = 'whsec_';
const SECRET_BYTES = 32;
/** The specification's bounds on key length: at least 192 bits, at most 512. */
const MIN_SECRET_BYTES = 24;
const MAX_SECRET_BYTES = 64;
/** Canonical padded base64; Buffer.from(…, 'base64') would silently skip bad characters. */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** A new secret: `whsec_` + base64 of 32 random bytes. */
export function generateWebhookSecret(): string {
  return `${SECRET_PREFIX}${randomBytes(SECRET_BYTES).toString('base64')}`;
}

/** True when `value` is `whsec_` + canonical base64 of 24 to 64 bytes. */
export function isWebhookSecret(value: string): boolean {
  if (typeof value !== 'string' || !value.startsWith(SECRET_PREFIX)) return false;
  const encoded = value.slice(SECRET_PREFIX.length);
  if (!BASE64.test(encoded)) return false;
  const length = Buffer.from(encoded, 'base64').length;
  return length >= MIN_SECRET_BYTES && length <= MAX_SECRET_BYTES;
}

/**
 * Signs one delivery. `body` must be the exact string sent: receivers verify
 * the bytes they receive, so re-serialising JSON after signing breaks them.
 *
 * @throws TypeError on an empty secret list, a malformed secret (the message
 *   never includes it) or a timestamp that is not whole non-negative seconds
 */
export function signWebhook(input: {
  id: string;
  timestampSeconds: number;
  body: string;
  secrets: readonly string[];
}): SignedHeaders {
  const { id, timestampSeconds, body, secrets } = input;
  if (secrets.length === 0) throw new TypeError('signWebhook needs at least one secret');
  if (!Number.isSafeInteger(timestampSeconds) || timestampSeconds < 0) {
    throw new TypeError('timestampSeconds must be whole non-negative Unix seconds');
  }
  const signedContent = `${id}.${timestampSeconds}.${body}`;
  const signatures = secrets.map((secret, index) => {
    if (!isWebhookSecret(secret)) throw new TypeError(`secret #${index + 1} is not a valid whsec_ secret`);
    const key = Buffer.from(secret.slice(SECRET_PREFIX.length), 'base64');
    return `v1,${createHmac('sha256', key).update(signedContent, 'utf8').digest('base64')}`;
  });
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestampSeconds),
    'webhook-signature': signatures.join(' '),
  };
}
