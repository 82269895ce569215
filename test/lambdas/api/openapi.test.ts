import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as z from 'zod';
import { ROUTES } from '../../../lambdas/api/job-routes';
import { openApiDocument, PROBLEM_CODES, PROBLEM_STATUS } from '../../../lambdas/api/openapi';
import { HttpProblem, problemDocument, validationFailed, type ProblemCode } from '../../../lambdas/api/problem';
import { listJobTypes } from '../../../lambdas/job-types/registry';
import { JOB_STATUSES, toJobView, type Job } from '../../../lambdas/jobs/job';

type Json = Record<string, any>;
const doc = openApiDocument() as Json;
const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/** Resolves a local `$ref` (`#/a/b~1c`) inside the document. */
function resolve(ref: string): unknown {
  if (!ref.startsWith('#/')) return undefined;
  let node: unknown = doc;
  for (const raw of ref.slice(2).split('/')) {
    const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    if (typeof node !== 'object' || node === null || !Object.hasOwn(node, key)) return undefined;
    node = (node as Json)[key];
  }
  return node;
}

const deref = (node: Json): Json => (typeof node.$ref === 'string' ? deref(resolve(node.$ref) as Json) : node);

function collectRefs(node: unknown, at = '#', out: Array<[string, string]> = []): Array<[string, string]> {
  if (Array.isArray(node)) node.forEach((item, i) => collectRefs(item, `${at}/${i}`, out));
  else if (typeof node === 'object' && node !== null) {
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref' && typeof value === 'string') out.push([at, value]);
      else collectRefs(value, `${at}/${key}`, out);
    }
  }
  return out;
}

function operations(): Array<{ path: string; method: string; op: Json; pathItem: Json }> {
  return Object.entries(doc.paths as Json).flatMap(([path, pathItem]) =>
    Object.entries(pathItem as Json)
      .filter(([method]) => HTTP_METHODS.includes(method))
      .map(([method, op]) => ({ path, method, op: op as Json, pathItem: pathItem as Json })),
  );
}

/**
 * A small JSON Schema (2020-12) checker for the keywords this document uses, so
 * the tests can hold real responses and requests against it. Returns the errors
 * and the properties it evaluated (for `unevaluatedProperties`).
 */
function check(schemaIn: Json | boolean, value: unknown, at = '$'): { errors: string[]; evaluated: Set<string> } {
  const errors: string[] = [];
  const evaluated = new Set<string>();
  if (schemaIn === true) return { errors, evaluated };
  if (schemaIn === false) return { errors: [`${at}: not allowed`], evaluated };
  const schema = schemaIn;
  const sub = (s: Json | boolean, v: unknown, p: string, keepEvaluated: boolean) => {
    const r = check(s, v, p);
    errors.push(...r.errors);
    if (keepEvaluated && r.errors.length === 0) r.evaluated.forEach((k) => evaluated.add(k));
    return r;
  };
  const typeOf = (v: unknown) =>
    v === null ? 'null' : Array.isArray(v) ? 'array' : Number.isInteger(v) ? 'integer' : typeof v;

  if (schema.$ref) sub(resolve(schema.$ref) as Json, value, at, true);
  for (const s of schema.allOf ?? []) sub(s, value, at, true);
  for (const [keyword, min, max] of [['oneOf', 1, 1], ['anyOf', 1, Infinity]] as const) {
    if (!schema[keyword]) continue;
    const results = (schema[keyword] as Json[]).map((s) => check(s, value, at));
    const passing = results.filter((r) => r.errors.length === 0);
    if (passing.length < min || passing.length > max) errors.push(`${at}: ${passing.length} of ${keyword} match (${results.flatMap((r) => r.errors).slice(0, 4).join('; ')})`);
    passing.forEach((r) => r.evaluated.forEach((k) => evaluated.add(k)));
  }
  if (schema.not && check(schema.not, value, at).errors.length === 0) errors.push(`${at}: matches "not"`);
  if (schema.type !== undefined) {
    const types = ([] as string[]).concat(schema.type);
    const actual = typeOf(value);
    if (!types.includes(actual) && !(actual === 'integer' && types.includes('number'))) errors.push(`${at}: ${actual} is not ${types.join('|')}`);
  }
  if (schema.enum && !schema.enum.some((e: unknown) => e === value)) errors.push(`${at}: ${JSON.stringify(value)} not in enum`);
  if ('const' in schema && schema.const !== value) errors.push(`${at}: is not ${JSON.stringify(schema.const)}`);
  if (typeof value === 'string') {
    if (schema.minLength !== undefined && value.length < schema.minLength) errors.push(`${at}: too short`);
    if (schema.maxLength !== undefined && value.length > schema.maxLength) errors.push(`${at}: too long`);
    if (schema.pattern !== undefined && !new RegExp(schema.pattern).test(value)) errors.push(`${at}: does not match ${schema.pattern}`);
  }
  if (typeof value === 'number') {
    if (schema.minimum !== undefined && value < schema.minimum) errors.push(`${at}: below minimum`);
    if (schema.maximum !== undefined && value > schema.maximum) errors.push(`${at}: above maximum`);
  }
  if (Array.isArray(value)) {
    if (schema.minItems !== undefined && value.length < schema.minItems) errors.push(`${at}: too few items`);
    if (schema.maxItems !== undefined && value.length > schema.maxItems) errors.push(`${at}: too many items`);
    if (schema.items !== undefined) value.forEach((item, i) => sub(schema.items, item, `${at}[${i}]`, false));
  }
  if (typeOf(value) === 'object') {
    const object = value as Json;
    for (const name of schema.required ?? []) if (!Object.hasOwn(object, name)) errors.push(`${at}: missing ${name}`);
    for (const [name, s] of Object.entries((schema.properties ?? {}) as Json)) {
      evaluated.add(name);
      if (Object.hasOwn(object, name)) sub(s, object[name], `${at}.${name}`, false);
    }
    if (schema.additionalProperties !== undefined) {
      for (const name of Object.keys(object)) {
        if (schema.properties && Object.hasOwn(schema.properties, name)) continue;
        evaluated.add(name);
        sub(schema.additionalProperties, object[name], `${at}.${name}`, false);
      }
    }
    if (schema.unevaluatedProperties === false) {
      for (const name of Object.keys(object)) if (!evaluated.has(name)) errors.push(`${at}: unknown property ${name}`);
    }
  }
  return { errors, evaluated };
}
const errorsOf = (schemaName: string, value: unknown) => check({ $ref: `#/components/schemas/${schemaName}` }, value).errors;

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

/** ROUTES' patterns as OpenAPI paths: `^\/v1\/jobs\/(?<jobId>[^/]+)$` → `/v1/jobs/{jobId}`. */
function openApiPath(pattern: RegExp): string {
  const path = pattern.source
    .replace(/^\^/, '')
    .replace(/\$$/, '')
    .replace(/\(\?<(\w+)>\[\^\/\]\+\)/g, '{$1}')
    .replace(/\\([/.])/g, '$1');
  if (/[\\()[\]^$*+?|]/.test(path)) throw new Error(`cannot turn ${pattern} into an OpenAPI path`);
  return path;
}

describe('OpenAPI document: shape', () => {
  it('is OpenAPI 3.1 with the service info, relative server and global API key', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info).toMatchObject({ title: 'Jobs Service API', version: '1.0.0', description: expect.any(String) });
    expect(doc.servers).toEqual([{ url: '/' }]);
    expect(doc.security).toEqual([{ apiKey: [] }]);
    expect(doc.components.securitySchemes.apiKey).toMatchObject({ type: 'apiKey', in: 'header', name: 'x-api-key' });
  });

  it('resolves every $ref inside the document', () => {
    const refs = collectRefs(doc);
    expect(refs.length).toBeGreaterThan(50);
    const broken = refs.filter(([, ref]) => resolve(ref) === undefined);
    expect(broken).toEqual([]);
  });

  it('gives every operation a unique operationId, a summary and responses', () => {
    const ops = operations();
    const ids = ops.map(({ op }) => op.operationId);
    expect(ids.every((id) => typeof id === 'string' && /^[A-Za-z][A-Za-z0-9]*$/.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    for (const { op } of ops) {
      expect(typeof op.summary).toBe('string');
      expect(Object.keys(op.responses).length).toBeGreaterThan(0);
    }
  });

  it('round-trips through JSON unchanged, and is built once', () => {
    expect(JSON.parse(JSON.stringify(doc))).toStrictEqual(doc);
    expect(openApiDocument()).toBe(doc);
  });

  it('only uses component names OpenAPI allows', () => {
    for (const section of Object.values(doc.components as Json)) {
      for (const name of Object.keys(section as Json)) expect(name).toMatch(/^[a-zA-Z0-9._-]+$/);
    }
  });
});

describe('OpenAPI document: routes', () => {
  it('has exactly the paths and methods of ROUTES', () => {
    const fromRoutes = ROUTES.flatMap((route) => Object.keys(route.methods).map((m) => `${m.toUpperCase()} ${openApiPath(route.pattern)}`)).sort();
    const documented = operations().map(({ path, method }) => `${method.toUpperCase()} ${path}`).sort();
    expect(documented).toEqual(fromRoutes);
  });

  it('routes every documented path, with sample parameters, to the route it documents', () => {
    for (const { path, method } of operations()) {
      const concrete = path.replace(/\{jobId\}/g, sampleJob.jobId);
      const route = ROUTES.find((r) => r.pattern.test(concrete));
      expect(route && openApiPath(route.pattern)).toBe(path);
      expect(Object.keys(route!.methods)).toContain(method.toUpperCase());
    }
  });

  it('declares each path parameter as a required uuid', () => {
    for (const { path, op, pathItem } of operations()) {
      const params = [...(pathItem.parameters ?? []), ...(op.parameters ?? [])].map(deref);
      for (const [, name] of path.matchAll(/\{(\w+)\}/g)) {
        const param = params.find((p) => p.in === 'path' && p.name === name);
        expect(param).toMatchObject({ required: true, schema: { type: 'string', format: 'uuid' } });
      }
    }
  });

  it('needs the API key everywhere except on the document itself', () => {
    for (const { path, op } of operations()) {
      if (path === '/v1/openapi.json') {
        expect(op.security).toEqual([]);
        expect(op.responses['403']).toBeUndefined();
      } else {
        expect(op.security).toBeUndefined();
        expect(deref(op.responses['403']).content['application/problem+json']).toBeDefined();
        expect(deref(op.responses['429']).headers['Retry-After']).toBeDefined();
      }
      expect(op.responses['500']).toBeDefined();
    }
  });

  it('documents x-request-id on every response, and problem responses as problem+json with their codes', () => {
    for (const { op } of operations()) {
      for (const [status, response] of Object.entries(op.responses as Json)) {
        const r = deref(response);
        expect(deref(r.headers['x-request-id'])).toMatchObject({ required: true });
        if (Number(status) >= 400) {
          const schema = r.content['application/problem+json'].schema;
          expect(schema.allOf).toEqual([{ $ref: '#/components/schemas/Problem' }]);
          for (const code of schema.properties.code.enum as ProblemCode[]) expect(PROBLEM_STATUS[code]).toBe(Number(status));
        }
      }
    }
  });

  const responsesOf = (path: string, method: string) => doc.paths[path][method].responses as Json;
  const codesOf = (response: Json): string[] => deref(response).content['application/problem+json'].schema.properties.code.enum;

  it('gives POST /v1/jobs its SPEC §3.1 responses and headers', () => {
    const op = doc.paths['/v1/jobs'].post;
    expect(Object.keys(op.responses).sort()).toEqual(['200', '202', '400', '403', '413', '415', '422', '429', '500', '503']);
    expect(deref(op.responses['503']).headers['Retry-After']).toBeDefined();
    expect(codesOf(op.responses['503'])).toEqual(['service_unavailable']);
    expect(op.parameters.map(deref)).toContainEqual(
      expect.objectContaining({ name: 'Idempotency-Key', in: 'header', schema: expect.objectContaining({ pattern: '^[\\x21-\\x7E]{1,255}$' }) }),
    );
    expect(Object.keys(op.responses['202'].headers).sort()).toEqual(['Location', 'x-request-id']);
    expect(Object.keys(op.responses['200'].headers).sort()).toEqual(['Idempotent-Replayed', 'Location', 'x-request-id']);
    expect(codesOf(op.responses['400']).sort()).toEqual(
      ['invalid_json', 'validation_failed', 'unknown_job_type', 'invalid_webhook_url', 'invalid_target_url', 'invalid_idempotency_key'].sort(),
    );
    expect(codesOf(op.responses['422'])).toEqual(['idempotency_key_reused']);
  });

  it('lists jobs with status, limit, cursor and type', () => {
    const params = (doc.paths['/v1/jobs'].get.parameters as Json[]).map(deref);
    expect(params.map((p) => `${p.in}:${p.name}`)).toEqual(['query:status', 'query:limit', 'query:cursor', 'query:type']);
    expect(deref(params[0]!.schema)).toMatchObject({ enum: [...JOB_STATUSES] });
    expect(params[0]!.required).toBe(true);
    expect(params[1]!.schema).toMatchObject({ type: 'integer', minimum: 1, maximum: 100, default: 25 });
    expect(codesOf(responsesOf('/v1/jobs', 'get')['400']).sort()).toEqual(['invalid_cursor', 'validation_failed']);
  });

  it.each([
    ['/v1/jobs/{jobId}', 'get', '200', undefined],
    ['/v1/jobs/{jobId}', 'delete', '204', 'job_not_deletable'],
    ['/v1/jobs/{jobId}/attempts', 'get', '200', undefined],
    ['/v1/jobs/{jobId}/cancel', 'post', '200', 'job_not_cancelable'],
    ['/v1/jobs/{jobId}/retry', 'post', '202', 'job_not_retryable'],
    ['/v1/jobs/{jobId}/webhook/redeliver', 'post', '202', 'webhook_not_redeliverable'],
  ])('%s %s: %s, 404 job_not_found, 409 %s', (path, method, success, conflict) => {
    const responses = responsesOf(path, method);
    expect(responses[success]).toBeDefined();
    expect(codesOf(responses['404'])).toEqual(['job_not_found']);
    if (conflict) expect(codesOf(responses['409'])).toEqual([conflict]);
    else expect(responses['409']).toBeUndefined();
  });

  it('answers DELETE with an empty 204 and retry with a Location', () => {
    expect(responsesOf('/v1/jobs/{jobId}', 'delete')['204'].content).toBeUndefined();
    expect(responsesOf('/v1/jobs/{jobId}/retry', 'post')['202'].headers.Location).toBeDefined();
  });

  it('keeps 405 and route 404 as documented components', () => {
    expect(codesOf(doc.components.responses.MethodNotAllowed)).toEqual(['method_not_allowed']);
    expect(doc.components.responses.MethodNotAllowed.headers.Allow).toBeDefined();
    expect(codesOf(doc.components.responses.NotFound)).toEqual(['not_found']);
  });
});

describe('OpenAPI document: schemas', () => {
  const schemas = () => doc.components.schemas as Json;

  it('lists every ProblemCode in the Problem code enum', () => {
    const source = readFileSync(join(__dirname, '../../../lambdas/api/problem.ts'), 'utf8');
    const union = /export type ProblemCode =([^;]+);/.exec(source)![1]!;
    const declared = [...union.matchAll(/'(\w+)'/g)].map((m) => m[1]);
    expect(declared.length).toBeGreaterThan(15);
    expect([...schemas().Problem.properties.code.enum].sort()).toEqual([...declared].sort());
    expect([...PROBLEM_CODES].sort()).toEqual([...declared].sort());
  });

  it('gives Job exactly the fields of toJobView with a payload, and JobSummary those without', () => {
    for (const job of [sampleJob, freshJob]) {
      expect(Object.keys(schemas().Job.properties).sort()).toEqual(Object.keys(toJobView(job, { withPayload: true })).sort());
      expect(Object.keys(schemas().JobSummary.properties).sort()).toEqual(Object.keys(toJobView(job, { withPayload: false })).sort());
    }
    expect(schemas().Job.required.sort()).toEqual(Object.keys(schemas().Job.properties).sort());
    expect(schemas().JobSummary.required.sort()).toEqual(Object.keys(schemas().JobSummary.properties).sort());
  });

  it('describes nullable fields as [type, "null"] and the statuses as enums', () => {
    const job = schemas().Job.properties;
    for (const name of ['nextRunAt', 'idempotencyKey', 'webhookUrl', 'lastError', 'finishedAt']) expect(job[name].type).toEqual(['string', 'null']);
    expect(deref(job.status).enum).toEqual([...JOB_STATUSES]);
    expect(deref(job.webhook).properties.status.enum).toEqual(['none', 'pending', 'delivered', 'failed']);
    expect(schemas().Attempt.properties.status.enum).toEqual(['running', 'failed', 'succeeded']);
  });

  it('accepts what the API actually returns', () => {
    for (const job of [sampleJob, freshJob]) {
      expect(errorsOf('Job', toJobView(job, { withPayload: true }))).toEqual([]);
      expect(errorsOf('JobSummary', toJobView(job, { withPayload: false }))).toEqual([]);
      expect(errorsOf('AttemptList', { items: job.history })).toEqual([]);
    }
    expect(errorsOf('JobList', { items: [toJobView(sampleJob, { withPayload: false })], nextCursor: 'abc' })).toEqual([]);
    expect(errorsOf('JobList', { items: [], nextCursor: null })).toEqual([]);
    const invalid = problemDocument(validationFailed([{ path: 'payload.to', message: 'Invalid email address' }]), 'req-1');
    const conflict = problemDocument(new HttpProblem(409, 'job_not_cancelable', 'A succeeded job cannot be canceled.'), 'req-2');
    expect(errorsOf('Problem', invalid)).toEqual([]);
    expect(errorsOf('Problem', conflict)).toEqual([]);
    expect(
      errorsOf('BatchResult', {
        items: [
          { status: 202, job: toJobView(freshJob, { withPayload: true }) },
          { status: 200, job: toJobView(sampleJob, { withPayload: true }) },
          { status: 400, error: invalid },
        ],
      }),
    ).toEqual([]);
  });

  it('rejects responses that break the SPEC', () => {
    const view = toJobView(sampleJob, { withPayload: true });
    expect(errorsOf('Job', { ...view, status: 'done' })).not.toEqual([]);
    expect(errorsOf('Job', { ...view, finishedAt: undefined })).not.toEqual([]);
    expect(errorsOf('JobSummary', { ...view, lastError: 3 })).not.toEqual([]);
    expect(errorsOf('Problem', { type: 'about:blank', title: 'Teapot', status: 418, code: 'teapot', detail: '', requestId: 'r' })).not.toEqual([]);
  });

  it('describes each registered job type: payload schema, submission variant, discriminator mapping', () => {
    const submission = schemas().JobSubmission;
    expect(submission.discriminator.propertyName).toBe('type');
    const mapped = Object.keys(submission.discriminator.mapping).sort();
    expect(mapped).toEqual(listJobTypes().map((t) => t.type).sort());
    expect(submission.oneOf).toHaveLength(listJobTypes().length);
    for (const jobType of listJobTypes()) {
      const variant = resolve(submission.discriminator.mapping[jobType.type]) as Json;
      expect(variant.properties.type).toEqual({ const: jobType.type });
      const payload = deref(variant.properties.payload);
      expect(payload.$schema).toBeUndefined();
      expect(payload.type).toBe('object');
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
    expect(errorsOf('JobSubmission', { ...spec, extra: 1 })).not.toEqual([]);
    expect(errorsOf('JobSubmission', { ...spec, idempotencyKey: 'k' })).not.toEqual([]);
    expect(errorsOf('JobSubmission', { ...spec, delaySeconds: 5 })).not.toEqual([]);
    expect(errorsOf('JobSubmission', { ...spec, maxAttempts: 26 })).not.toEqual([]);
    expect(errorsOf('JobSubmission', { ...spec, payload: { to: 'ann@example.com' } })).not.toEqual([]);
    expect(errorsOf('JobSubmission', { ...spec, type: 'fax' })).not.toEqual([]);
    expect(errorsOf('JobSubmission', { type: 'sms', payload: { to: '12345', message: 'x' } })).not.toEqual([]);

    expect(errorsOf('BatchSubmission', { jobs: [spec, { ...spec, idempotencyKey: 'order-42' }] })).toEqual([]);
    expect(errorsOf('BatchSubmission', { jobs: [] })).not.toEqual([]);
    expect(errorsOf('BatchSubmission', { jobs: [{ ...spec, idempotencyKey: 'with space' }] })).not.toEqual([]);
    expect(errorsOf('BatchSubmission', { jobs: [spec], more: true })).not.toEqual([]);
    expect(errorsOf('BatchSubmission', { jobs: Array.from({ length: 101 }, () => spec) })).not.toEqual([]);
  });

  it('turns a recursive payload schema into components that resolve', () => {
    const Node: z.ZodType<unknown> = z.object({ name: z.string(), get children() { return z.array(Node).optional(); } });
    const Tree = z.strictObject({ root: Node, spare: Node, get subtree() { return Tree.optional(); } });
    let rebuilt: Json | undefined;
    jest.isolateModules(() => {
      jest.doMock('../../../lambdas/job-types/registry', () => ({
        listJobTypes: () => [{ type: 'tree-walk', description: 'Walks a tree.', schema: Tree, handle: async () => null }],
      }));
      rebuilt = (require('../../../lambdas/api/openapi') as typeof import('../../../lambdas/api/openapi')).openApiDocument() as Json;
    });
    jest.dontMock('../../../lambdas/job-types/registry');
    const refs = collectRefs(rebuilt);
    const unresolved = refs.filter(([, ref]) => !ref.startsWith('#/') || ref.slice(2).split('/').reduce<any>((n, k) => n?.[k], rebuilt) === undefined);
    expect(unresolved).toEqual([]);
    const payload = rebuilt!.components.schemas.TreeWalkPayload;
    expect(payload.properties.subtree).toEqual({ $ref: '#/components/schemas/TreeWalkPayload' });
    expect(payload.properties.root.$ref).toMatch(/^#\/components\/schemas\/TreeWalkPayload\./);
    expect(rebuilt!.components.schemas.JobSubmission.discriminator.mapping).toEqual({ 'tree-walk': '#/components/schemas/TreeWalkJobSubmission' });
  });
});
