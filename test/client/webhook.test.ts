/**
 * verifyWebhook's inputs as receivers have them: Node's `req.headers`, a fetch
 * `Headers`, the body as a string or as bytes. Signed here with the standardwebhooks
 * reference implementation; a real delivery from the twin is verified in ./readme.test.ts.
 */
import { Webhook } from 'standardwebhooks';
import { verifyWebhook, WebhookVerificationError } from '../../client';

const secret = `whsec_${Buffer.from('0123456789abcdef01234567').toString('base64')}`;
const body = JSON.stringify({ type: 'job.succeeded', timestamp: '2026-12-01T10:00:00.000Z', data: { jobId: 'j-1', status: 'succeeded' } });
const id = 'msg_1';
const now = new Date();
const signature = new Webhook(secret).sign(id, now, body);
const headers = { 'webhook-id': id, 'webhook-timestamp': String(Math.floor(now.getTime() / 1000)), 'webhook-signature': signature };
// Signed correctly, but 10 minutes ago: receivers reject more than 5 minutes of skew (SPEC §6).
const old = new Date(now.getTime() - 600_000);
const oldHeaders = { 'webhook-id': id, 'webhook-timestamp': String(Math.floor(old.getTime() / 1000)), 'webhook-signature': new Webhook(secret).sign(id, old, body) };

it.each([
  ['a string body and Node-style headers', body, headers],
  ['a byte body and fetch Headers', new TextEncoder().encode(body), new Headers(headers)],
  ['header names in any case, a value as an array', body, { 'Webhook-Id': [id], 'WEBHOOK-TIMESTAMP': headers['webhook-timestamp'], 'webhook-signature': signature }],
])('verifies %s', (_name, raw, given) => {
  expect(verifyWebhook(raw, given, secret)).toEqual(JSON.parse(body));
});

it.each([
  ['another body', body.replace('succeeded', 'fatal'), headers, secret],
  ['another secret', body, headers, `whsec_${Buffer.from('another secret of 24 bytes').toString('base64')}`],
  ['no signature', body, { 'webhook-id': id, 'webhook-timestamp': headers['webhook-timestamp'] }, secret],
  ['a delivery signed 10 minutes ago', body, oldHeaders, secret],
])('refuses %s with WebhookVerificationError', (_name, raw, given, key) => {
  expect(() => verifyWebhook(raw, given, key)).toThrow(WebhookVerificationError);
});
