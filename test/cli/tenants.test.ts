/**
 * The tenants CLI against the local twin (issue 6, done-when 5), through HTTP:
 * a second tenant's key works at once, its jobs stay invisible to the dev
 * tenant, disabled keys get 403. Also: how the CLI finds the twin, the real
 * entry point, and the api Lambda resolving a tenant from an API Gateway key id
 * (done-when 4).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { createApiHandler } from '../../lambdas/api/api-handler';
import { JOB_STATUSES } from '../../lambdas/jobs/job';
import { hashApiKey, localApiKeyId, TenantStore } from '../../lambdas/store/tenant-store';
import { isWebhookSecret } from '../../lambdas/outbound/signer';
import { lockDirectory, type DirectoryLock } from '../../local/directory-lock';
import { startTwin, type Twin } from '../../local/twin';
import { connect, resolveTarget, type Connection, type Target } from '../../cli/target';
import { TenantAdmin, TenantAdminError, type KeyIssuer } from '../../cli/tenant-admin';
import { main } from '../../cli/tenants';

/** The twin's clock: real time plus whatever a test skips ahead. */
let skippedMs = 0;
const now = () => Date.now() + skippedMs;

let twin: Twin;
let target: Target;
let connection: Connection;
let admin: TenantAdmin;

beforeAll(async () => {
  twin = await startTwin({ env: { JOBS_IN_MEMORY: '1', PORT: '0' }, now });
  target = { kind: 'local', dynamodbUrl: twin.dynamodbUrl, tableName: twin.config.tableName, source: 'test' };
  connection = connect(target);
  admin = connection.admin;
});

afterAll(async () => {
  connection?.close();
  await twin?.close();
});

async function api(method: string, path: string, apiKey: string | null, body?: unknown) {
  const response = await fetch(`${twin.url}${path}`, {
    method,
    headers: { ...(apiKey ? { 'x-api-key': apiKey } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, contentType: response.headers.get('content-type'), body: text ? JSON.parse(text) : undefined };
}

const submitEcho = (apiKey: string) => api('POST', '/v1/jobs', apiKey, { type: 'echo', payload: { from: 'tenants test' } });

describe('a second tenant, created by the CLI', () => {
  let acme: Awaited<ReturnType<TenantAdmin['createTenant']>>;
  let jobId: string;

  beforeAll(async () => {
    acme = await admin.createTenant({ tenantId: 'acme', name: 'Acme Corp' });
  });

  test('gets an API key (id as the twin gateway derives it) and a webhook secret', () => {
    expect(acme).toMatchObject({ tenantId: 'acme', name: 'Acme Corp', apiKeyId: localApiKeyId(acme.apiKey) });
    expect(acme.apiKey).toMatch(/^jobs_[A-Za-z0-9_-]{32}$/);
    expect(isWebhookSecret(acme.webhookSecret)).toBe(true);
  });

  test('its key works at once', async () => {
    const created = await submitEcho(acme.apiKey);
    expect(created.status).toBe(202);
    expect(created.body.tenantId).toBe('acme');
    jobId = created.body.jobId;
    expect((await api('GET', `/v1/jobs/${jobId}`, acme.apiKey)).status).toBe(200);
  });

  test('the dev tenant cannot see its job, by id or in any list', async () => {
    const byId = await api('GET', `/v1/jobs/${jobId}`, twin.dev.apiKey);
    expect(byId.status).toBe(404);
    expect(byId.body.code).toBe('job_not_found');
    for (const status of JOB_STATUSES) {
      const list = await api('GET', `/v1/jobs?status=${status}&limit=100`, twin.dev.apiKey);
      expect(list.status).toBe(200);
      expect(list.body.items.map((job: { jobId: string }) => job.jobId)).not.toContain(jobId);
    }
  });

  test('while acme sees its job in the list of its current status', async () => {
    const { body: job } = await api('GET', `/v1/jobs/${jobId}`, acme.apiKey);
    const list = await api('GET', `/v1/jobs?status=${job.status}&limit=100`, acme.apiKey);
    expect(list.body.items.map((item: { jobId: string }) => item.jobId)).toContain(jobId);
  });

  test('the table holds the key\'s hash, never the key', async () => {
    const record = await new TenantStore(twin.context.db, twin.config.tableName).getApiKey(acme.apiKeyId);
    expect(record).toMatchObject({ tenantId: 'acme', keyHash: hashApiKey(acme.apiKey), status: 'active' });
    expect(JSON.stringify(record)).not.toContain(acme.apiKey);
  });

  test('add-key: a second key works at once, alongside the first', async () => {
    const second = await admin.addKey('acme');
    expect(second.apiKeyId).not.toBe(acme.apiKeyId);
    expect((await api('GET', `/v1/jobs/${jobId}`, second.apiKey)).status).toBe(200);
    expect((await api('GET', `/v1/jobs/${jobId}`, acme.apiKey)).status).toBe(200);
  });

  test('disable-key: a key never used is refused at once, with a problem document', async () => {
    const unused = await admin.addKey('acme');
    await admin.disableKey(unused.apiKeyId);
    const refused = await submitEcho(unused.apiKey);
    expect(refused.status).toBe(403);
    expect(refused.contentType).toMatch(/^application\/problem\+json/);
    expect(refused.body).toMatchObject({ status: 403, code: 'forbidden', title: 'Forbidden' });
  });

  test('disable-key: a key in use is refused once the api Lambda\'s short cache expires', async () => {
    const inUse = await admin.addKey('acme');
    expect((await submitEcho(inUse.apiKey)).status).toBe(202);
    await admin.disableKey(inUse.apiKeyId);
    skippedMs += 31_000; // past the tenant resolver's 30 s cache
    expect((await submitEcho(inUse.apiKey)).status).toBe(403);
    expect((await api('GET', `/v1/jobs/${jobId}`, acme.apiKey)).status).toBe(200);
  });

  test('list: every tenant with its key ids and their states, no secrets', async () => {
    const tenants = await admin.list();
    const listed = tenants.find((t) => t.tenantId === 'acme')!;
    expect(listed).toMatchObject({ name: 'Acme Corp', status: 'active', tier: 'standard', webhookSecrets: 1 });
    expect(listed.keys.map((key) => key.status).sort()).toEqual(['active', 'active', 'disabled', 'disabled']);
    expect(tenants.map((t) => t.tenantId)).toContain(twin.dev.tenantId);
    expect(JSON.stringify(tenants)).not.toMatch(/whsec_|jobs_|keyHash/);
  });

  test('rotate-secret signs with new and old until finish-rotation', async () => {
    const store = new TenantStore(twin.context.db, twin.config.tableName);
    const { webhookSecret } = await admin.rotateSecret('acme');
    expect((await store.getTenant('acme'))!.webhookSecrets).toEqual([webhookSecret, acme.webhookSecret]);
    await admin.finishRotation('acme');
    expect((await store.getTenant('acme'))!.webhookSecrets).toEqual([webhookSecret]);
  });

  test('refuses a duplicate tenant, a malformed id, and unknown tenants and keys', async () => {
    await expect(admin.createTenant({ tenantId: 'acme' })).rejects.toThrow(/already exists/);
    await expect(admin.createTenant({ tenantId: 'Acme Corp' })).rejects.toThrow(TenantAdminError);
    await expect(admin.createTenant({ tenantId: 'zeta', tier: 'Gold Plus' })).rejects.toThrow(/tier/);
    await expect(admin.addKey('nobody')).rejects.toThrow(/no tenant nobody/);
    await expect(admin.disableKey('local-nope')).rejects.toThrow(/no API key with id local-nope/);
    await expect(admin.rotateSecret('nobody')).rejects.toThrow(/no tenant nobody/);
  });
});

describe('the command line', () => {
  const env = () => ({ ...process.env, AWS_ENDPOINT_URL_DYNAMODB: twin.dynamodbUrl, JOBS_TABLE_NAME: twin.config.tableName, JOBS_STACK_NAME: '' });
  const run = async (...argv: string[]) => {
    let stdout = '';
    let stderr = '';
    const code = await main(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), env: env() });
    return { code, stdout, stderr };
  };

  test('create prints the key and the secret once; the key works over HTTP', async () => {
    const { code, stdout } = await run('create', 'beta', '--name', 'Beta Ltd', '--tier', 'premium');
    expect(code).toBe(0);
    expect((await twin.context.tenants.getTenant('beta'))!.tier).toBe('premium');
    const apiKey = /API key {9}(\S+)/.exec(stdout)![1];
    expect(stdout.split(apiKey)).toHaveLength(2);
    expect(stdout).toMatch(/webhook secret {2}whsec_/);
    expect((await submitEcho(apiKey)).status).toBe(202);
  });

  test('--json for scripts', async () => {
    const { code, stdout } = await run('add-key', 'beta', '--json');
    expect(code).toBe(0);
    const issued = JSON.parse(stdout);
    expect(issued).toEqual({ tenantId: 'beta', apiKeyId: localApiKeyId(issued.apiKey), apiKey: expect.stringMatching(/^jobs_/) });
  });

  test('usage errors exit 2, command errors exit 1 with a message', async () => {
    expect((await run()).code).toBe(2);
    expect((await run('create')).code).toBe(2);
    expect((await run('launch', 'x')).code).toBe(2);
    const duplicate = await run('create', 'beta');
    expect(duplicate).toMatchObject({ code: 1, stderr: expect.stringContaining('already exists') });
    expect((await run('--help')).code).toBe(0);
  });

  test('`npm run tenants` (tsx cli/tenants.ts) lists the tenants', async () => {
    const { stdout } = await promisify(execFile)(join(process.cwd(), 'node_modules/.bin/tsx'), ['cli/tenants.ts', 'list'], { env: env(), timeout: 20_000 });
    expect(stdout).toMatch(/^acme {2}active {2}standard {2}"Acme Corp"/m);
    expect(stdout).toMatch(/^beta {2}active {2}premium/m);
  }, 30_000);
});

describe('finding the local twin', () => {
  let dataDir: string;
  /** What a running twin holds on its data directory. */
  let held: DirectoryLock;
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'jobs-cli-'));
    held = await lockDirectory(dataDir);
  });
  afterAll(async () => {
    await held.release();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('from the twin.json a running twin writes to its data dir', async () => {
    writeFileSync(
      join(dataDir, 'twin.json'),
      JSON.stringify({ apiUrl: 'http://127.0.0.1:3999', dynamodbUrl: 'http://127.0.0.1:4999', tableName: 'jobs', lockAddress: held.address }),
    );
    await expect(resolveTarget({}, { JOBS_DATA_DIR: dataDir })).resolves.toMatchObject({
      kind: 'local',
      dynamodbUrl: 'http://127.0.0.1:4999',
      tableName: 'jobs',
      apiUrl: 'http://127.0.0.1:3999',
    });
  });

  test('the SDK endpoint variable wins over twin.json', async () => {
    await expect(
      resolveTarget({}, { JOBS_DATA_DIR: dataDir, AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:5999', JOBS_TABLE_NAME: 'other' }),
    ).resolves.toMatchObject({ kind: 'local', dynamodbUrl: 'http://127.0.0.1:5999', tableName: 'other' });
  });

  test('no twin: a message that says how to start one', async () => {
    await expect(resolveTarget({}, { JOBS_DATA_DIR: join(dataDir, 'none') })).rejects.toThrow(/npm start/);
  });

  test.each([
    ['its lock let go', true],
    ['no lock named (a twin.json of an older twin)', false],
  ])('a twin.json left by a twin killed with -9 (%s) is not taken for a running twin', async (_case, namesLock) => {
    const leftBehind = mkdtempSync(join(tmpdir(), 'jobs-cli-stale-'));
    try {
      // What a killed twin leaves: its twin.json, naming a lock nobody holds any more.
      const gone = await lockDirectory(leftBehind);
      await gone.release();
      const info = { apiUrl: 'http://127.0.0.1:3999', dynamodbUrl: 'http://127.0.0.1:4999', tableName: 'jobs', ...(namesLock && { lockAddress: gone.address }) };
      writeFileSync(join(leftBehind, 'twin.json'), JSON.stringify(info));
      await expect(resolveTarget({}, { JOBS_DATA_DIR: leftBehind })).rejects.toThrow(/no local twin is running .*npm start/);
    } finally {
      rmSync(leftBehind, { recursive: true, force: true });
    }
  });

  test('--local wins over JOBS_STACK_NAME', async () => {
    await expect(resolveTarget({ local: true }, { JOBS_DATA_DIR: dataDir, JOBS_STACK_NAME: 'JobsService' })).resolves.toMatchObject({ kind: 'local' });
  });
});

describe('the api Lambda, given an API Gateway REST proxy event', () => {
  /** Plays API Gateway: its own key ids, unrelated to the key's value. */
  const gatewayIds: KeyIssuer = { issue: async () => 'a1b2c3d4e5', disable: async () => undefined, discard: async () => undefined };

  const proxyEvent = (path: string, apiKeyId: string | null): APIGatewayProxyEvent =>
    ({
      resource: path,
      path,
      httpMethod: 'GET',
      headers: { Host: 'abc123.execute-api.eu-west-1.amazonaws.com' },
      multiValueHeaders: {},
      queryStringParameters: null,
      multiValueQueryStringParameters: null,
      pathParameters: null,
      stageVariables: null,
      body: null,
      isBase64Encoded: false,
      requestContext: {
        accountId: '123456789012',
        apiId: 'abc123',
        stage: 'prod',
        path: `/prod${path}`,
        resourcePath: path,
        httpMethod: 'GET',
        requestId: 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef',
        requestTimeEpoch: Date.now(),
        identity: { apiKey: apiKeyId ? 'redacted' : null, apiKeyId, sourceIp: '203.0.113.9' },
      },
    }) as unknown as APIGatewayProxyEvent;
  const context = { awsRequestId: 'local', getRemainingTimeInMillis: () => 25_000 } as unknown as Context;

  test('maps requestContext.identity.apiKeyId to the tenant', async () => {
    const gatewayAdmin = new TenantAdmin(new TenantStore(twin.context.db, twin.config.tableName), gatewayIds);
    await gatewayAdmin.createTenant({ tenantId: 'gamma' });
    const handler = createApiHandler(twin.context);
    const response = await handler(proxyEvent('/v1/jobs', 'a1b2c3d4e5'), context);
    // Reached the route as tenant gamma: a list request without `status` is that route's validation error.
    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body)).toMatchObject({ code: 'validation_failed', requestId: 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef' });
    const listed = await handler({ ...proxyEvent('/v1/jobs', 'a1b2c3d4e5'), queryStringParameters: { status: 'queued' } }, context);
    expect(listed.statusCode).toBe(200);
  });

  test('an unmapped key id gets 403 problem+json', async () => {
    const response = await createApiHandler(twin.context)(proxyEvent('/v1/jobs', 'zz9zz9zz9z'), context);
    expect(response.statusCode).toBe(403);
    expect(response.headers).toMatchObject({ 'content-type': expect.stringMatching(/^application\/problem\+json/), 'x-request-id': 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef' });
    expect(JSON.parse(response.body)).toMatchObject({ type: 'about:blank', title: 'Forbidden', status: 403, code: 'forbidden' });
  });
});
