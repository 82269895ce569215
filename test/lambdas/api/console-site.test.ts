/**
 * The web console's page as the api Lambda serves it (SPEC §16,
 * lambdas/api/console-site.ts): no key, the files it was given byte for byte,
 * a strict Content-Security-Policy on every answer, revalidation by ETag,
 * and the problems of SPEC §3 for what is not there.
 */
import type { Context } from 'aws-lambda';
import { createApiHandler } from '../../../lambdas/api/api-handler';
import type { ConsoleSite } from '../../../lambdas/api/console-site';
import { apiEventFactory } from '../../support/api-event';
import { startContextHarness, type ContextHarness } from '../../support/service-context';

const files = new Map<string, Uint8Array>([
  ['index.html', Buffer.from('<!doctype html><title>Jobs</title><script src="console/console.js" defer></script>')],
  ['console.js', Buffer.from('document.title="Jobs é"')],
  ['console.css', Buffer.from('body{margin:0}')],
]);
const site: ConsoleSite = { files: () => files, config: { healthUrl: null, dashboardUrl: 'https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#dashboards:name=Jobs-eu-west-1' } };
const context = {} as Context;
let harness: ContextHarness;
beforeAll(async () => {
  harness = await startContextHarness();
});
afterAll(() => harness.close());

async function get(path: string, options: Parameters<typeof apiEventFactory>[2] & { method?: string } = {}) {
  const handler = createApiHandler(harness.ctx, { console: site });
  const result = await handler(apiEventFactory(options.method ?? 'GET', path, options), context);
  const headers = result.headers as Record<string, string>;
  return { ...result, headers, bytes: Buffer.from(result.body, result.isBase64Encoded ? 'base64' : 'utf8') };
}

describe('the console page and its files', () => {
  test.each([
    ['/console', 'index.html', 'text/html; charset=utf-8'],
    ['/console/console.js', 'console.js', 'text/javascript; charset=utf-8'],
    ['/console/console.css', 'console.css', 'text/css; charset=utf-8'],
  ])('%s: %s as given, without a key, with its type', async (path, name, type) => {
    const served = await get(path);
    expect(served.statusCode).toBe(200);
    expect(served.bytes.equals(Buffer.from(files.get(name)!))).toBe(true);
    expect(served.headers['content-type']).toBe(type);
    expect(served.headers['x-request-id']).toEqual(expect.any(String));
  });

  test('every answer forbids inline script, framing and sniffing', async () => {
    for (const path of ['/console', '/console/console.js', '/console/config.json', '/console/']) {
      const { headers } = await get(path);
      const policy = headers['content-security-policy'];
      expect({ path, defaultSrc: policy.includes("default-src 'self'"), frames: policy.includes("frame-ancestors 'none'") }).toEqual({ path, defaultSrc: true, frames: true });
      expect(policy).not.toContain('unsafe-inline');
      expect(headers['x-content-type-options']).toBe('nosniff');
    }
  });

  test("config.json says what the page links: here, AWS's dashboard and no health route", async () => {
    const served = await get('/console/config.json');
    expect(JSON.parse(served.bytes.toString('utf8'))).toEqual(site.config);
    expect(served.headers['cache-control']).toBe('no-store');
  });

  test('the same file again with its ETag is a 304 without a body', async () => {
    const first = await get('/console/console.js');
    const again = await get('/console/console.js', { headers: { 'If-None-Match': first.headers.etag } });
    expect([again.statusCode, again.body]).toEqual([304, '']);
    const changed = await get('/console/console.js', { headers: { 'If-None-Match': '"other"' } });
    expect(changed.statusCode).toBe(200);
  });

  test('/console/ sends the browser to /console, relatively (the stage prefix is not known here)', async () => {
    const served = await get('/console/');
    expect([served.statusCode, served.headers.location]).toEqual([308, '../console']);
  });

  test.each(['/console/nope.js', '/console/index.html/x', '/console/..%2Fconsole.js', '/consoles'])('%s: 404 not_found', async (path) => {
    const served = await get(path);
    expect(served.statusCode).toBe(404);
    expect(JSON.parse(served.bytes.toString('utf8'))).toMatchObject({ code: 'not_found', status: 404 });
  });

  test('POST /console: 405 with Allow', async () => {
    const served = await get('/console', { method: 'POST', body: {} });
    expect(served.statusCode).toBe(405);
    expect(served.headers.allow).toBe('GET, HEAD');
  });

  test('a deployment without the files: /console is an unknown path', async () => {
    const handler = createApiHandler(harness.ctx, { console: { ...site, files: () => undefined } });
    const served = await handler(apiEventFactory('GET', '/console'), context);
    expect(served.statusCode).toBe(404);
  });
});
