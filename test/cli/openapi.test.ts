/**
 * The OpenAPI document (SPEC §3.8): generated from the route table, committed
 * as openapi.json, served as it is, and a true description of what the
 * service sends, checked with ajv (the same validator the e2e suite holds
 * every response to: test/support/openapi-contract.ts).
 */
import { readFileSync } from 'node:fs';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { openApiDocument, openApiText } from '../../cli/openapi-document';
import { HttpProblem, PROBLEM_CODES, PROBLEMS, problemDocument, validationFailed, type ProblemCode } from '../../lambdas/api/problem';
import { problemsOf, ROUTES, type RouteSpec } from '../../lambdas/api/routes';
import { describeJobTypes, listJobTypes } from '../../lambdas/job-types/registry';
import { JOB_STATUSES, toJobView, type Job } from '../../lambdas/jobs/job';
import { contractViolations, OPENAPI_PATH } from '../support/openapi-contract';
import { startTestTwin, type TestTwin } from '../support/twin';

type Json = Record<string, any>;
const doc = JSON.parse(readFileSync(OPENAPI_PATH, 'utf8')) as Json;

const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addSchema({ $id: 'c', $defs: JSON.parse(JSON.stringify(doc.components.schemas).replaceAll('#/components/schemas/', 'c#/$defs/')) });
/** The ajv errors of `value` against component `name` ([] when it is valid). */
const errorsOf = (name: string, value: unknown) => {
  const validate = ajv.getSchema(`c#/$defs/${name}`)!;
  return validate(value) ? [] : validate.errors!.map((e) => ({ at: e.instancePath, keyword: e.keyword }));
};

const operations = () =>
  Object.entries(doc.paths as Json).flatMap(([path, item]) => Object.entries(item as Json).map(([method, op]) => ({ path, method: method.toUpperCase(), op: op as Json })));
const deref = (node: Json): Json => (node.$ref ? deref((node.$ref as string).slice(2).split('/').reduce<any>((at, key) => at[key], doc)) : node);
const codesOf = (response: Json): string[] => deref(response).content['application/problem+json'].schema.properties.code.enum;

/** A job that has been through a bit of everything. */
const sampleJob: Job = {
  jobId: '5f0c9a2e-1b2c-4d3e-8f40-123456789abc',
  tenantId: 'acme',
  type: 'email',
  status: 'succeeded',
  payload: { to: 'ann@example.com', subject: 'Hi', text: 'Hello' },
  payloadHash: `sha256:${'ab'.repeat(32)}`,
  idempotencyKey: 'order-42',
  webhookUrl: 'https://hooks.example.com/jobs',
  maxAttempts: 5,
  attemptLimit: 5,
  attempts: 2,
  nextRunAt: null,
  leaseUntilMs: null,
  result: { messageId: 'ses-1' },
  lastError: 'HTTP 503 from target',
  history: [
    { attempt: 1, status: 'failed', error: 'HTTP 503 from target', startedAt: '2026-12-01T10:00:00.000Z', finishedAt: '2026-12-01T10:00:00.412Z', durationMs: 412 },
    { attempt: 2, status: 'succeeded', error: null, startedAt: '2026-12-01T10:00:05.000Z', finishedAt: '2026-12-01T10:00:05.100Z', durationMs: 100 },
  ],
  webhook: {
    status: 'delivered',
    event: { id: 'evt-1', type: 'job.succeeded', body: '{}', nextAttemptAt: null },
    attempts: 1,
    lastStatusCode: 200,
    deliveredAt: '2026-12-01T10:00:06.000Z',
  },
  dispatched: true,
  createdAt: '2026-12-01T10:00:00.000Z',
  updatedAt: '2026-12-01T10:00:06.000Z',
  finishedAt: '2026-12-01T10:00:05.100Z',
  expiresAt: 1_796_000_000,
  version: 7,
};
/** A job just submitted, without key or webhook. */
const freshJob: Job = {
  ...sampleJob,
  type: 'echo',
  status: 'queued',
  payload: {},
  idempotencyKey: null,
  webhookUrl: null,
  attempts: 0,
  nextRunAt: '2026-12-01T10:00:00.000Z',
  result: null,
  lastError: null,
  history: [],
  webhook: { status: 'none' },
  finishedAt: null,
};

describe('openapi.json', () => {
  let t: TestTwin;
  beforeAll(async () => {
    t = await startTestTwin();
  });
  afterAll(() => t.close());

  it('is what the route table generates (run `npm run openapi` after changing a route, schema, problem or job type)', () => {
    expect(readFileSync(OPENAPI_PATH, 'utf8')).toBe(openApiText());
  });

  it('is what GET /v1/openapi.json serves, without a key', async () => {
    const response = await t.api.request('GET', '/v1/openapi.json', { apiKey: null });
    expect(response.status).toBe(200);
    expect(response.body).toStrictEqual(doc);
    expect(response.body).toStrictEqual(openApiDocument());
  });
});

describe('OpenAPI document: operations come from the route table', () => {
  it('is OpenAPI 3.1 with the global API key', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.security).toEqual([{ apiKey: [] }]);
    expect(doc.components.securitySchemes.apiKey).toEqual({ type: 'apiKey', in: 'header', name: 'x-api-key', description: "The tenant's API key." });
  });

  it('has exactly the operations of the table, with their operationIds', () => {
    const documented = operations().map(({ path, method, op }) => `${method} ${path} ${op.operationId}`).sort();
    expect(documented).toEqual(ROUTES.map((route) => `${route.method} ${route.path} ${route.operationId}`).sort());
  });

  it.each(ROUTES.map((route) => [`${route.method} ${route.path}`, route] as const))('%s: key, parameters and responses as the table says', (_name, route: RouteSpec) => {
    const op = doc.paths[route.path][route.method.toLowerCase()] as Json;
    if (route.keyed) expect(op.security).toBeUndefined();
    else expect(op.security).toEqual([]);
    for (const [, name] of route.path.matchAll(/\{(\w+)\}/g)) {
      expect(op.parameters).toContainEqual(expect.objectContaining({ name, in: 'path', required: true, schema: expect.objectContaining({ type: 'string', format: 'uuid' }) }));
    }
    const problemCodes = problemsOf(route);
    const statuses = [...Object.keys(route.responses), ...problemCodes.map((code) => String(PROBLEMS[code].status))];
    expect(Object.keys(op.responses).sort()).toEqual([...new Set(statuses)].sort());
    const documentedCodes = Object.entries(op.responses as Json).filter(([status]) => Number(status) >= 400).flatMap(([status, response]) => {
      for (const code of codesOf(response)) expect({ code, status: PROBLEMS[code as ProblemCode].status }).toEqual({ code, status: Number(status) });
      return codesOf(response);
    });
    expect(documentedCodes.sort()).toEqual([...problemCodes].sort());
    for (const response of Object.values(op.responses as Json)) expect(Object.keys(deref(response).headers)).toContain('x-request-id');
  });

  it('gives POST /v1/jobs its SPEC §3.1 responses, headers and Idempotency-Key', () => {
    const op = doc.paths['/v1/jobs'].post;
    expect(Object.keys(op.responses).sort()).toEqual(['200', '202', '400', '403', '413', '415', '422', '429', '500', '503']);
    expect(codesOf(op.responses['400']).sort()).toEqual(
      ['invalid_json', 'validation_failed', 'unknown_job_type', 'invalid_webhook_url', 'invalid_target_url', 'invalid_idempotency_key'].sort(),
    );
    expect(Object.keys(op.responses['202'].headers).sort()).toEqual(['Location', 'x-request-id']);
    expect(Object.keys(op.responses['200'].headers).sort()).toEqual(['Idempotent-Replayed', 'Location', 'x-request-id']);
    expect(Object.keys(deref(op.responses['503']).headers).sort()).toEqual(['Retry-After', 'x-request-id']);
    expect(op.parameters).toContainEqual(expect.objectContaining({ name: 'Idempotency-Key', in: 'header', required: false, schema: expect.objectContaining({ pattern: '^[\\x21-\\x7E]{1,255}$' }) }));
  });

  it('lists jobs with status (required), limit (1..100, default 25), cursor and type', () => {
    const params = doc.paths['/v1/jobs'].get.parameters as Json[];
    expect(params.map((p) => `${p.in}:${p.name}:${p.required}`)).toEqual(['query:status:true', 'query:limit:false', 'query:cursor:false', 'query:type:false']);
    expect(params[0].schema.enum).toEqual([...JOB_STATUSES]);
    expect(params[1].schema).toEqual({ type: 'integer', minimum: 1, maximum: 100, default: 25 });
  });

  it('answers DELETE with an empty 204', () => {
    expect(doc.paths['/v1/jobs/{jobId}'].delete.responses['204'].content).toBeUndefined();
  });

  it('describes the route 404 and the 405 (with Allow) for paths and methods that are no operation', () => {
    expect(codesOf(doc.components.responses.NotFound)).toEqual(['not_found']);
    expect(codesOf(doc.components.responses.MethodNotAllowed)).toEqual(['method_not_allowed']);
    expect(Object.keys(doc.components.responses.MethodNotAllowed.headers).sort()).toEqual(['Allow', 'x-request-id']);
  });

  it('describes the completion webhook as a `webhooks` entry: signed headers and the event body', () => {
    const webhook = doc.webhooks.jobFinished.post;
    expect(webhook.parameters.map((p: Json) => `${p.in}:${p.name}:${p.required}`).sort()).toEqual(
      ['header:webhook-id:true', 'header:webhook-signature:true', 'header:webhook-timestamp:true'],
    );
    expect(webhook.requestBody.content['application/json'].schema).toEqual({ $ref: '#/components/schemas/WebhookEvent' });
    const event = { type: 'job.succeeded', timestamp: '2026-12-01T10:00:06.000Z', data: toJobView(sampleJob, { withPayload: false }) };
    expect(errorsOf('WebhookEvent', event)).toEqual([]);
    expect(errorsOf('WebhookEvent', { ...event, data: toJobView(sampleJob, { withPayload: true }) })).toEqual([]);
    expect(errorsOf('WebhookEvent', { ...event, type: 'job.canceled' })).toContainEqual({ at: '/type', keyword: 'enum' });
  });
});

describe('OpenAPI document: schemas hold what the service sends', () => {
  it('every problem code of the catalogue is in the Problem schema, and each one\'s document validates', () => {
    expect([...doc.components.schemas.Problem.properties.code.enum].sort()).toEqual([...PROBLEM_CODES].sort());
    for (const code of PROBLEM_CODES) expect({ code, errors: errorsOf('Problem', problemDocument(new HttpProblem(code), 'req-1')) }).toEqual({ code, errors: [] });
    const invalid = problemDocument(validationFailed([{ path: 'payload.to', message: 'Invalid email address' }]), 'req-1');
    expect(errorsOf('Problem', invalid)).toEqual([]);
  });

  it('gives Job exactly the fields of toJobView with a payload, and JobSummary those without, all required', () => {
    const { Job: job, JobSummary: summary } = doc.components.schemas;
    for (const sample of [sampleJob, freshJob]) {
      expect(Object.keys(job.properties).sort()).toEqual(Object.keys(toJobView(sample, { withPayload: true })).sort());
      expect(Object.keys(summary.properties).sort()).toEqual(Object.keys(toJobView(sample, { withPayload: false })).sort());
    }
    expect([...job.required].sort()).toEqual(Object.keys(job.properties).sort());
    expect([...summary.required].sort()).toEqual(Object.keys(summary.properties).sort());
  });

  it('accepts the views, pages, attempts and batch results the API returns', () => {
    for (const job of [sampleJob, freshJob]) {
      expect(errorsOf('Job', toJobView(job, { withPayload: true }))).toEqual([]);
      expect(errorsOf('JobSummary', toJobView(job, { withPayload: false }))).toEqual([]);
      expect(errorsOf('AttemptList', { items: job.history })).toEqual([]);
    }
    expect(errorsOf('JobList', { items: [toJobView(sampleJob, { withPayload: false })], nextCursor: 'abc' })).toEqual([]);
    expect(errorsOf('JobList', { items: [], nextCursor: null })).toEqual([]);
    const conflict = problemDocument(new HttpProblem('job_not_cancelable', 'A succeeded job cannot be canceled.'), 'req-2');
    expect(
      errorsOf('BatchResult', {
        items: [
          { status: 202, job: toJobView(freshJob, { withPayload: true }) },
          { status: 200, job: toJobView(sampleJob, { withPayload: true }) },
          { status: 409, error: conflict },
        ],
      }),
    ).toEqual([]);
    expect(errorsOf('JobTypeList', describeJobTypes())).toEqual([]);
  });

  it('refuses views that break the SPEC, naming the field', () => {
    const view = toJobView(sampleJob, { withPayload: true });
    expect(errorsOf('Job', { ...view, status: 'done' })).toContainEqual({ at: '/status', keyword: 'enum' });
    expect(errorsOf('Job', { ...view, finishedAt: undefined })).toContainEqual({ at: '', keyword: 'required' });
    expect(errorsOf('Job', { ...view, result: undefined })).toContainEqual({ at: '', keyword: 'required' });
    expect(errorsOf('JobSummary', { ...view, lastError: 3 })).toContainEqual({ at: '/lastError', keyword: 'type' });
    expect(errorsOf('Job', { ...view, createdAt: 'yesterday' })).toContainEqual({ at: '/createdAt', keyword: 'format' });
    expect(errorsOf('Problem', { type: 'about:blank', title: 'Teapot', status: 418, code: 'teapot', detail: '', requestId: 'r' })).toContainEqual({ at: '/code', keyword: 'enum' });
  });

  it('has one submission variant per registered job type, told apart by `type`', () => {
    const submission = doc.components.schemas.JobSubmission;
    expect(submission.discriminator.propertyName).toBe('type');
    expect(Object.keys(submission.discriminator.mapping).sort()).toEqual(listJobTypes().map((t) => t.type).sort());
    for (const jobType of listJobTypes()) {
      const variant = deref({ $ref: submission.discriminator.mapping[jobType.type] });
      expect(variant.properties.type).toEqual({ type: 'string', enum: [jobType.type] });
      expect(deref(variant.properties.payload).type).toBe('object');
    }
  });

  it('accepts the submissions the service accepts, and refuses what it refuses', () => {
    const spec = {
      type: 'email',
      payload: { to: 'ann@example.com', subject: 'Hi', text: 'Hello' },
      webhookUrl: 'https://hooks.example.com/jobs',
      maxAttempts: 5,
      runAt: '2026-12-01T10:00:00.000Z',
    };
    expect(errorsOf('JobSubmission', spec)).toEqual([]);
    expect(errorsOf('JobSubmission', { type: 'http', payload: { url: 'https://example.com', method: 'PUT' }, delaySeconds: 60 })).toEqual([]);
    expect(errorsOf('JobSubmission', { type: 'echo', payload: { anything: [1, 2] } })).toEqual([]);
    // Each refusal fails the one variant of its type: oneOf finds no match.
    for (const refused of [
      { ...spec, extra: 1 },
      { ...spec, idempotencyKey: 'k' },
      { ...spec, delaySeconds: 5 },
      { ...spec, maxAttempts: 26 },
      { ...spec, payload: { to: 'ann@example.com' } },
      { ...spec, type: 'fax' },
      { type: 'sms', payload: { to: '12345', message: 'x' } },
    ]) {
      expect({ refused, errors: errorsOf('JobSubmission', refused) }).toEqual({ refused, errors: expect.arrayContaining([{ at: '', keyword: 'oneOf' }]) });
    }
    expect(errorsOf('BatchSubmission', { jobs: [spec, { ...spec, idempotencyKey: 'order-42' }] })).toEqual([]);
    expect(errorsOf('BatchSubmission', { jobs: [] })).toContainEqual({ at: '/jobs', keyword: 'minItems' });
    expect(errorsOf('BatchSubmission', { jobs: Array.from({ length: 101 }, () => spec) })).toContainEqual({ at: '/jobs', keyword: 'maxItems' });
    expect(errorsOf('BatchSubmission', { jobs: [spec], more: true })).toContainEqual({ at: '', keyword: 'additionalProperties' });
    expect(errorsOf('BatchSubmission', { jobs: [{ ...spec, idempotencyKey: 'with space' }] })).toContainEqual({ at: '/jobs/0', keyword: 'oneOf' });
  });
});

describe('the e2e contract check (test/support/openapi-contract.ts)', () => {
  const json = { 'content-type': 'application/json; charset=utf-8', 'x-request-id': 'r' };
  const problem = { 'content-type': 'application/problem+json; charset=utf-8', 'x-request-id': 'r' };
  const doc404 = (code: string) => JSON.stringify({ type: 'about:blank', title: 'Not Found', status: 404, code, detail: 'x', requestId: 'r' });

  it('passes what the document describes', () => {
    expect(contractViolations({ method: 'GET', target: '/v1/jobs?status=queued', status: 200, headers: json, body: JSON.stringify({ items: [], nextCursor: null }) })).toEqual([]);
    expect(contractViolations({ method: 'GET', target: '/v1/nope', status: 404, headers: problem, body: doc404('not_found') })).toEqual([]);
    expect(contractViolations({ method: 'DELETE', target: `/v1/jobs/${sampleJob.jobId}`, status: 204, headers: { 'x-request-id': 'r' }, body: '' })).toEqual([]);
  });

  it.each([
    ['an undocumented status', { method: 'GET', target: '/v1/job-types', status: 404, headers: problem, body: doc404('job_not_found') }, /status 404 is not documented/],
    ['a body off its schema', { method: 'GET', target: '/v1/jobs?status=queued', status: 200, headers: json, body: JSON.stringify({ items: [{}], nextCursor: null }) }, /must have required property 'jobId'/],
    ['a code of another status', { method: 'GET', target: '/v1/nope', status: 404, headers: problem, body: doc404('job_not_found') }, /code must be equal to one of the allowed values/],
    ['a missing x-request-id', { method: 'GET', target: '/v1/jobs?status=queued', status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ items: [], nextCursor: null }) }, /header x-request-id is missing/],
    ['the wrong media type', { method: 'GET', target: '/v1/nope', status: 404, headers: json, body: doc404('not_found') }, /content-type .* is not application\/problem\+json/],
    ['a 405 without Allow', { method: 'PUT', target: '/v1/jobs', status: 405, headers: problem, body: '{}' }, /header Allow is missing/],
  ] as const)('fails %s', (_name, response, message) => {
    expect(contractViolations(response).join('\n')).toMatch(message);
  });
});
