import * as z from 'zod';
import { echoJobType } from '../../../lambdas/job-types/echo';
import { emailJobDefinition } from '../../../lambdas/job-types/email';
import { httpJobType } from '../../../lambdas/job-types/http';
import type { JobType, JobTypeDefinition } from '../../../lambdas/job-types/job-type';
import { createJobTypes, describeJobTypes, getJobTypeDefinition, listJobTypes } from '../../../lambdas/job-types/registry';
import { smsJobDefinition } from '../../../lambdas/job-types/sms';
import { runAttempt } from '../../../lambdas/worker/run-attempt';
import { jobContextFactory, recordingSenders } from './job-context';

const fifty = Array.from({ length: 50 }, (_, i) => `user${i}@example.com`);

describe('http payload', () => {
  it.each<[string, Record<string, unknown>]>([
    ['url only', { url: 'https://example.com/hook' }],
    ['every field', { url: 'https://example.com/hook', method: 'PUT', headers: { Authorization: 'Bearer x', 'X-Trace': 'a\tb' }, body: { a: [1, null] }, timeoutSeconds: 30 }],
    ['string body', { url: 'https://example.com', body: 'plain text' }],
    ['DELETE with a body', { url: 'https://example.com', method: 'DELETE', body: { id: 1 } }],
    ['GET with a null body', { url: 'https://example.com', method: 'GET', body: null }],
    ['timeoutSeconds 1', { url: 'https://example.com', timeoutSeconds: 1 }],
    ['content-type and user-agent set by the client', { url: 'https://example.com', headers: { 'Content-Type': 'text/csv', 'User-Agent': 'mine' } }],
  ])('accepts %s', (_name, payload) => {
    expect(httpJobType.schema.safeParse(payload).success).toBe(true);
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['no url', {}, 'url'],
    ['a bad method', { url: 'https://example.com', method: 'HEAD' }, 'method'],
    ['a lower-case method', { url: 'https://example.com', method: 'post' }, 'method'],
    ['timeoutSeconds 0', { url: 'https://example.com', timeoutSeconds: 0 }, 'timeoutSeconds'],
    ['timeoutSeconds 31', { url: 'https://example.com', timeoutSeconds: 31 }, 'timeoutSeconds'],
    ['timeoutSeconds 1.5', { url: 'https://example.com', timeoutSeconds: 1.5 }, 'timeoutSeconds'],
    ['GET with a body', { url: 'https://example.com', method: 'GET', body: 'x' }, 'body'],
    ['an unknown field', { url: 'https://example.com', timeout: 5 }, ''],
    ['header Connection', { url: 'https://example.com', headers: { Connection: 'close' } }, 'headers.Connection'],
    ['header keep-alive', { url: 'https://example.com', headers: { 'keep-alive': '5' } }, 'headers.keep-alive'],
    ['header Proxy-Authorization', { url: 'https://example.com', headers: { 'Proxy-Authorization': 'x' } }, 'headers.Proxy-Authorization'],
    ['header TE', { url: 'https://example.com', headers: { TE: 'trailers' } }, 'headers.TE'],
    ['header Trailer', { url: 'https://example.com', headers: { Trailer: 'x' } }, 'headers.Trailer'],
    ['header Transfer-Encoding', { url: 'https://example.com', headers: { 'Transfer-Encoding': 'chunked' } }, 'headers.Transfer-Encoding'],
    ['header Upgrade', { url: 'https://example.com', headers: { Upgrade: 'websocket' } }, 'headers.Upgrade'],
    ['header HOST', { url: 'https://example.com', headers: { HOST: 'internal' } }, 'headers.HOST'],
    ['header Content-Length', { url: 'https://example.com', headers: { 'Content-Length': '1' } }, 'headers.Content-Length'],
    ['header Idempotency-Key', { url: 'https://example.com', headers: { 'Idempotency-Key': 'k' } }, 'headers.Idempotency-Key'],
    ['header X-Job-Id', { url: 'https://example.com', headers: { 'X-Job-Id': 'j' } }, 'headers.X-Job-Id'],
    ['header x-job-attempt', { url: 'https://example.com', headers: { 'x-job-attempt': '9' } }, 'headers.x-job-attempt'],
    ['header Webhook-Signature', { url: 'https://example.com', headers: { 'Webhook-Signature': 'v1,x' } }, 'headers.Webhook-Signature'],
    ['header webhook-id', { url: 'https://example.com', headers: { 'webhook-id': 'x' } }, 'headers.webhook-id'],
    ['header webhook-timestamp', { url: 'https://example.com', headers: { 'webhook-timestamp': '1' } }, 'headers.webhook-timestamp'],
    ['a header name that is not a token', { url: 'https://example.com', headers: { 'Bad Name': 'x' } }, 'headers.Bad Name'],
    ['a header value with CR/LF', { url: 'https://example.com', headers: { 'X-A': 'a\r\nX-Injected: 1' } }, 'headers.X-A'],
    ['a header value with LF', { url: 'https://example.com', headers: { 'X-A': 'a\nb' } }, 'headers.X-A'],
    ['the same header twice', { url: 'https://example.com', headers: { 'X-A': '1', 'x-a': '2' } }, 'headers.x-a'],
    ['a non-string header value', { url: 'https://example.com', headers: { 'X-A': 1 } }, 'headers.X-A'],
  ])('rejects %s', (_name, payload, path) => {
    const parsed = httpJobType.schema.safeParse(payload);
    expect(parsed.success).toBe(false);
    expect(parsed.error!.issues.map((i) => i.path.join('.'))).toContain(path);
  });

  it('gives the target URL to the submit-time URL rules', () => {
    expect(httpJobType.targetUrl!({ url: 'https://example.com/x' })).toBe('https://example.com/x');
  });
});

describe('email payload', () => {
  it.each<[string, Record<string, unknown>]>([
    ['one address and text', { to: 'a@example.com', subject: 'Hi', text: 'Hello' }],
    ['50 addresses and html', { to: fifty, subject: 'Hi', html: '<p>Hello</p>' }],
    ['text and html, from and replyTo', { to: ['a@example.com'], subject: 'Hi', text: 'x', html: '<b>x</b>', from: 'me@example.org', replyTo: ['r@example.com', 's@example.com'] }],
    ['a 998-character subject', { to: 'a@example.com', subject: 's'.repeat(998), text: 'x' }],
    ['a Unicode subject', { to: 'a@example.com', subject: 'Grüße 👋', text: 'x' }],
  ])('accepts %s', (_name, payload) => {
    expect(emailJobDefinition.schema.safeParse(payload).success).toBe(true);
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['neither text nor html', { to: 'a@example.com', subject: 'Hi' }, 'text'],
    ['51 recipients', { to: [...fifty, 'one-more@example.com'], subject: 'Hi', text: 'x' }, 'to'],
    ['an empty recipient list', { to: [], subject: 'Hi', text: 'x' }, 'to'],
    ['a bad address', { to: 'not-an-address', subject: 'Hi', text: 'x' }, 'to'],
    ['a bad address in a list', { to: ['a@example.com', 'nope'], subject: 'Hi', text: 'x' }, 'to'],
    ['an empty subject', { to: 'a@example.com', subject: '', text: 'x' }, 'subject'],
    ['a 999-character subject', { to: 'a@example.com', subject: 's'.repeat(999), text: 'x' }, 'subject'],
    ['a two-line subject', { to: 'a@example.com', subject: 'Hi\r\nBcc: x@example.com', text: 'x' }, 'subject'],
    ['an empty text', { to: 'a@example.com', subject: 'Hi', text: '' }, 'text'],
    ['a bad from', { to: 'a@example.com', subject: 'Hi', text: 'x', from: 'me' }, 'from'],
    ['a bad replyTo', { to: 'a@example.com', subject: 'Hi', text: 'x', replyTo: ['ok@example.com', 'bad'] }, 'replyTo'],
    ['an unknown field', { to: 'a@example.com', subject: 'Hi', text: 'x', cc: 'b@example.com' }, ''],
  ])('rejects %s', (_name, payload, path) => {
    const parsed = emailJobDefinition.schema.safeParse(payload);
    expect(parsed.success).toBe(false);
    expect(parsed.error!.issues.map((i) => i.path[0] ?? '')).toContain(path);
  });

  it('says plainly that a body is missing', () => {
    const parsed = emailJobDefinition.schema.safeParse({ to: 'a@example.com', subject: 'Hi' });
    expect(parsed.error!.issues[0].message).toBe('give text, html or both');
  });
});

describe('sms payload', () => {
  it.each<[string, Record<string, unknown>]>([
    ['a number and a message', { to: '+14155550100', message: 'Your code is 123456' }],
    ['the shortest E.164 number', { to: '+12', message: 'x' }],
    ['the longest E.164 number', { to: '+123456789012345', message: 'x' }],
    ['a 1600-character message', { to: '+447700900123', message: 'm'.repeat(1600) }],
    ['a sender id', { to: '+447700900123', message: 'x', senderId: 'Acme2' }],
    ['an 11-character sender id', { to: '+447700900123', message: 'x', senderId: 'AcmeCompany' }],
  ])('accepts %s', (_name, payload) => {
    expect(smsJobDefinition.schema.safeParse(payload).success).toBe(true);
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['no plus sign', { to: '14155550100', message: 'x' }, 'to'],
    ['a leading zero', { to: '+04155550100', message: 'x' }, 'to'],
    ['16 digits', { to: '+1234567890123456', message: 'x' }, 'to'],
    ['spaces', { to: '+1 415 555 0100', message: 'x' }, 'to'],
    ['only a country digit', { to: '+1', message: 'x' }, 'to'],
    ['an empty message', { to: '+14155550100', message: '' }, 'message'],
    ['a 1601-character message', { to: '+14155550100', message: 'm'.repeat(1601) }, 'message'],
    ['a 12-character sender id', { to: '+14155550100', message: 'x', senderId: 'AcmeCompany1' }, 'senderId'],
    ['an all-digit sender id', { to: '+14155550100', message: 'x', senderId: '12345' }, 'senderId'],
    ['a sender id with a space', { to: '+14155550100', message: 'x', senderId: 'Ac me' }, 'senderId'],
    ['an unknown field', { to: '+14155550100', message: 'x', type: 'Promotional' }, ''],
  ])('rejects %s', (_name, payload, path) => {
    const parsed = smsJobDefinition.schema.safeParse(payload);
    expect(parsed.success).toBe(false);
    expect(parsed.error!.issues.map((i) => i.path[0] ?? '')).toContain(path);
  });
});

describe('registry', () => {
  it('lists http, email, sms, echo in that order', () => {
    expect(listJobTypes().map((t) => t.type)).toEqual(['http', 'email', 'sms', 'echo']);
    expect(getJobTypeDefinition('email')).toBe(emailJobDefinition);
    expect(getJobTypeDefinition('nope')).toBeUndefined();
  });

  it('builds every listed type, each with its definition, and no other', () => {
    const jobTypes = createJobTypes({ ...recordingSenders(), emailFrom: 'jobs@example.com' });

    for (const definition of listJobTypes()) {
      expect(jobTypes(definition.type)).toMatchObject({ type: definition.type, schema: definition.schema, description: definition.description });
      expect(typeof jobTypes(definition.type)!.handle).toBe('function');
    }
    expect(jobTypes('nope')).toBeUndefined();
  });

  it.each<[string, JobTypeDefinition<any>]>([
    ['http', httpJobType],
    ['email', emailJobDefinition],
    ['sms', smsJobDefinition],
  ])('serves a JSON Schema for %s', (_name, type) => {
    const schema = z.toJSONSchema(type.schema, { unrepresentable: 'any' }) as { type: string; required?: string[] };
    expect(schema.type).toBe('object');
    expect(JSON.parse(JSON.stringify(schema))).toEqual(schema);
  });

  it('shows the http defaults in the schema without making those fields required', () => {
    const schema = z.toJSONSchema(httpJobType.schema, { unrepresentable: 'any' }) as {
      required: string[];
      properties: Record<string, { default?: unknown }>;
    };
    expect(schema.required).toEqual(['url']);
    expect(schema.properties.method.default).toBe('POST');
    expect(schema.properties.timeoutSeconds.default).toBe(10);
  });

  it('describes every type', () => {
    const { items } = describeJobTypes() as { items: Array<{ type: string; description: string }> };
    expect(items.map((i) => i.type)).toEqual(['http', 'email', 'sms', 'echo']);
    for (const item of items) expect(item.description.length).toBeGreaterThan(10);
  });
});

describe('payload schemas only validate (the handler gets the payload as sent)', () => {
  it.each(listJobTypes().map((t) => [t.type, t] as const))('%s: what it accepts and what it gives are the same shape (no transform, no default)', (_type, jobType) => {
    expect(z.toJSONSchema(jobType.schema, { io: 'output', unrepresentable: 'any' })).toEqual(z.toJSONSchema(jobType.schema, { io: 'input', unrepresentable: 'any' }));
  });

  it('runAttempt hands the handler the payload itself, not a copy without its `__proto__` key', async () => {
    const payload = JSON.parse('{"b":1,"__proto__":{"x":1},"constructor":"c"}');
    const outcome = await runAttempt(echoJobType as JobType<unknown>, payload, jobContextFactory(), { timeoutMs: 1000, backoff: { baseMs: 1000, maxMs: 1000 } });
    expect(outcome).toEqual({ kind: 'succeeded', result: payload });
    expect(JSON.stringify((outcome as { result: unknown }).result)).toBe('{"b":1,"__proto__":{"x":1},"constructor":"c"}');
  });
});
