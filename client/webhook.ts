/**
 * Verifying a completion webhook (SPEC §6) in a receiver, with the Standard
 * Webhooks reference library: the signature over `${webhook-id}.${webhook-timestamp}.${body}`
 * with the tenant's `whsec_…` secret, and a timestamp within 5 minutes. It runs on
 * Node and in browsers (standardwebhooks is plain JS, no node: imports).
 */
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import type { WebhookEvent } from './types';

/** Node's `req.headers`, a fetch `Headers`, or a plain record. */
export type WebhookHeaders = Headers | Readonly<Record<string, string | readonly string[] | undefined>>;

/**
 * Returns the event when `rawBody` (the bytes as received, before any JSON parsing)
 * is signed with `secret`; throws WebhookVerificationError otherwise. De-duplicate
 * by the `webhook-id` header: delivery is at least once.
 */
export function verifyWebhook(rawBody: string | Uint8Array, headers: WebhookHeaders, secret: string): WebhookEvent {
  const body = typeof rawBody === 'string' ? rawBody : new TextDecoder('utf-8', { fatal: true }).decode(rawBody);
  return new Webhook(secret).verify(body, plainHeaders(headers)) as WebhookEvent;
}

function plainHeaders(headers: WebhookHeaders): Record<string, string> {
  const plain: Record<string, string> = {};
  if (headers instanceof Headers) {
    headers.forEach((value, name) => (plain[name] = value));
    return plain;
  }
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    plain[name.toLowerCase()] = typeof value === 'string' ? value : value.join(', ');
  }
  return plain;
}

export { WebhookVerificationError };
