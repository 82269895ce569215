/**
 * The OpenAPI 3.1 document of API v1, generated from the route table
 * (lambdas/api/routes.ts), the schemas (lambdas/api/schemas.ts), the problem catalogue
 * (lambdas/api/problem.ts) and the job-type registry by `@asteasolutions/zod-to-openapi`.
 * The schemas are `zod/mini` (the api Lambda builds them at each cold start);
 * the generator reads classic zod, so each is handed over as its classic twin
 * ({@link classic}): the same definition, checks and metadata.
 *
 * Build time only: `npm run openapi` writes it to `openapi.json` at the root,
 * and `GET /v1/openapi.json` serves that file (lambdas/api/job-routes.ts), so neither
 * the generator nor its library is on the api Lambda's path. A test fails when
 * the file and this generator disagree.
 */
import { OpenApiGeneratorV31, OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import * as classicZod from 'zod';
import * as z from 'zod/mini';
import { listJobTypes } from '../lambdas/job-types/registry';
import { PROBLEMS, type ProblemCode } from '../lambdas/api/problem';
import { MAX_BODY_BYTES } from '../lambdas/api/request';
import { problemsOf, ROUTES, WEBHOOKS, type ResponseHeader, type RouteSpec } from '../lambdas/api/routes';
import { responseSchemas } from '../lambdas/api/schemas';

const JSON_MEDIA = 'application/json';
const PROBLEM_MEDIA = 'application/problem+json';

const headerRef = (name: string) => ({ $ref: `#/components/headers/${name}` });
const HEADER_COMPONENT: Record<ResponseHeader | 'x-request-id', string> = {
  'x-request-id': 'RequestId',
  Location: 'Location',
  'Idempotent-Replayed': 'IdempotentReplayed',
  'Retry-After': 'RetryAfter',
};
/** Problems whose answers carry a header of their own. */
const PROBLEM_HEADERS: Partial<Record<ProblemCode, ResponseHeader[]>> = { rate_limited: ['Retry-After'], service_unavailable: ['Retry-After'] };

function headers(names: readonly ResponseHeader[] = []) {
  return Object.fromEntries([...names, 'x-request-id' as const].map((name) => [name, headerRef(HEADER_COMPONENT[name])]));
}

/** A problem response limited to `codes` (all of one status), saying what each means. */
function problemResponse(codes: readonly ProblemCode[]) {
  return {
    description: codes.map((code) => `\`${code}\`: ${code === 'payload_too_large' ? `the request body is over ${MAX_BODY_BYTES / 1024} KiB, or the job would not fit in storage.` : PROBLEMS[code].detail}`).join(' '),
    headers: headers([...new Set(codes.flatMap((code) => PROBLEM_HEADERS[code] ?? []))]),
    content: { [PROBLEM_MEDIA]: { schema: { allOf: [{ $ref: '#/components/schemas/Problem' }], properties: { code: { enum: [...codes] } } } } },
  };
}

/** `job_not_found` → `JobNotFound`: the name of a shared response component. */
const componentName = (code: ProblemCode) => code.replace(/(^|_)([a-z])/g, (_, _sep, letter: string) => letter.toUpperCase());

/**
 * One response per status among `codes`. A status with a single code refers to
 * that code's shared response component (registered once), so the many
 * operations that may answer, say, `forbidden` do not each repeat it.
 */
function problemResponses(codes: readonly ProblemCode[], registry: OpenAPIRegistry, shared: Set<ProblemCode>) {
  const byStatus = new Map<number, ProblemCode[]>();
  for (const code of codes) byStatus.set(PROBLEMS[code].status, [...(byStatus.get(PROBLEMS[code].status) ?? []), code]);
  return Object.fromEntries(
    [...byStatus].map(([status, group]): [string, ReturnType<typeof problemResponse> | { $ref: string }] => {
      if (group.length > 1) return [String(status), problemResponse(group)];
      const [code] = group as [ProblemCode];
      if (!shared.has(code)) {
        registry.registerComponent('responses', componentName(code), problemResponse(group));
        shared.add(code);
      }
      return [String(status), { $ref: `#/components/responses/${componentName(code)}` }];
    }),
  );
}

function operation(route: RouteSpec, jobTypes: ReturnType<typeof listJobTypes>, problems: (codes: readonly ProblemCode[]) => ReturnType<typeof problemResponses>) {
  return {
    method: route.method.toLowerCase() as 'get' | 'post' | 'delete',
    path: route.path,
    operationId: route.operationId,
    summary: route.summary,
    ...(route.description ? { description: route.description } : {}),
    tags: [route.tag],
    ...(route.keyed ? {} : { security: [] }),
    request: {
      ...(route.params ? { params: classic(route.params) } : {}),
      ...(route.query ? { query: classic(route.query) } : {}),
      ...(route.headers ? { headers: classic(route.headers) } : {}),
      ...(route.body ? { body: { required: true, content: { [JSON_MEDIA]: { schema: classic(route.body(jobTypes)) } } } } : {}),
    },
    responses: {
      ...Object.fromEntries(
        Object.entries(route.responses).map(([status, response]) => [
          status,
          {
            description: response.description,
            headers: headers(response.headers),
            ...(response.body ? { content: { [JSON_MEDIA]: { schema: classic(responseSchemas()[response.body]) } } } : {}),
          },
        ]),
      ),
      ...problems(problemsOf(route)),
    },
  };
}

function build(): Record<string, unknown> {
  const registry = new OpenAPIRegistry();
  const jobTypes = listJobTypes();
  registry.registerComponent('securitySchemes', 'apiKey', { type: 'apiKey', in: 'header', name: 'x-api-key', description: "The tenant's API key." });
  registry.registerComponent('headers', 'RequestId', {
    description: 'The id of this request (also `requestId` in problem documents).',
    required: true,
    schema: { type: 'string' },
  });
  registry.registerComponent('headers', 'Location', {
    description: "The job's path, as the client addressed the API.",
    required: true,
    schema: { type: 'string', format: 'uri-reference' },
  });
  registry.registerComponent('headers', 'IdempotentReplayed', {
    description: 'This is the job an earlier request with the same key created.',
    required: true,
    schema: { type: 'string', enum: ['true'] },
  });
  registry.registerComponent('headers', 'RetryAfter', { description: 'Seconds to wait before trying again.', schema: { type: 'integer', minimum: 0 } });
  registry.registerComponent('headers', 'Allow', { description: 'The methods this route has.', required: true, schema: { type: 'string' } });
  registry.registerComponent('responses', 'NotFound', problemResponse(['not_found']));
  registry.registerComponent('responses', 'MethodNotAllowed', { ...problemResponse(['method_not_allowed']), headers: { Allow: headerRef('Allow'), ...headers() } });
  const shared = new Set<ProblemCode>();
  for (const route of ROUTES) registry.registerPath(operation(route, jobTypes, (codes) => problemResponses(codes, registry, shared)));
  for (const webhook of WEBHOOKS) {
    registry.registerWebhook({
      method: 'post',
      path: webhook.name,
      operationId: webhook.name,
      summary: webhook.summary,
      description: webhook.description,
      tags: ['Webhooks'],
      security: [],
      request: {
        headers: classic(responseSchemas()[webhook.headers]),
        body: { required: true, content: { [JSON_MEDIA]: { schema: classic(responseSchemas()[webhook.body]) } } },
      },
      responses: {
        '200': { description: 'Delivered (any 2xx within 10 s).' },
        '410': { description: 'Gone: the event fails at once and is not retried.' },
      },
    });
  }
  // Problem is named by $ref from the problem responses, so it is listed as a component of its own.
  return new OpenApiGeneratorV31([...registry.definitions, classic(responseSchemas().ProblemSchema)]).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'Jobs Service API',
      version: '1.0.0',
      license: { name: 'MIT', identifier: 'MIT' },
      description: [
        'Multi-tenant background jobs: submit a job (idempotently), follow it, act on it, and get a signed webhook when it finishes.',
        '',
        'Every route but this document needs an `x-api-key`. Errors are RFC 9457 problem documents (`application/problem+json`) with a `code`; every response carries `x-request-id`.',
        'Besides the responses listed per operation, a path that is no route answers 404 `not_found` (components/responses/NotFound), and a method a route does not have answers 405 `method_not_allowed` with an `Allow` header (components/responses/MethodNotAllowed).',
      ].join('\n'),
    },
    servers: [{ url: '/' }],
    security: [{ apiKey: [] }],
    tags: [
      { name: 'Jobs', description: 'Submitting, reading and acting on jobs.' },
      { name: 'Job types', description: 'What can be submitted.' },
      { name: 'Meta', description: 'This document.' },
      { name: 'Webhooks', description: 'What the service sends to a job’s webhookUrl.' },
    ],
  }) as unknown as Record<string, unknown>;
}

/** Classic twins by mini schema: one twin per schema, so a schema used twice is one component. */
const twins = new Map<z.core.$ZodType, classicZod.ZodType>();

/**
 * The classic zod twin of a `zod/mini` schema: the classic class of the same
 * kind (`ZodMiniString` → `ZodString`, both built on zod's core) over the same
 * definition, its inner schemas twinned too, and the mini schema's metadata
 * (what `.meta()` answers, which is where the generator reads ids and
 * descriptions: an own `meta`, so the global registry's ids stay unique).
 */
function classic<S extends z.core.$ZodType>(schema: S): classicZod.ZodObject & classicZod.ZodType {
  return twin(schema) as classicZod.ZodObject & classicZod.ZodType;
}

function twin(schema: z.core.$ZodType): classicZod.ZodType {
  const known = twins.get(schema);
  if (known) return known;
  const kind = [...schema._zod.traits].find((trait) => trait.startsWith('ZodMini'));
  if (kind === undefined) return schema as classicZod.ZodType; // classic already
  const Classic = (classicZod as unknown as Record<string, new (def: unknown) => classicZod.ZodType>)[kind.replace('ZodMini', 'Zod')];
  if (typeof Classic !== 'function') throw new Error(`no classic zod twin for ${kind}`);
  const def: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema._zod.def as unknown as Record<string, unknown>)) {
    def[key] = key === 'checks' ? value : twinned(value);
  }
  const made = new Classic(def);
  const metadata = z.globalRegistry.get(schema);
  Object.defineProperty(made, 'meta', { value: () => metadata });
  // Made from `schema`, as a clone is. The generator reads `id` as a component name only for a schema with a parent
  // (its own registry answers `{}` for those, undefined for others): classic `.meta({ id })` always makes one.
  made._zod.parent = schema;
  twins.set(schema, made);
  return made;
}

/** A definition's value with the schemas in it twinned: a schema, a list of them (options), or a shape. */
function twinned(value: unknown): unknown {
  if (isSchema(value)) return twin(value);
  if (Array.isArray(value)) return value.map((item: unknown) => (isSchema(item) ? twin(item) : item));
  if (typeof value === 'object' && value !== null && Object.values(value).some(isSchema)) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, isSchema(item) ? twin(item) : item]));
  }
  return value;
}

const isSchema = (value: unknown): value is z.core.$ZodType => typeof value === 'object' && value !== null && '_zod' in value && 'traits' in (value as z.core.$ZodType)._zod;

let document: Record<string, unknown> | undefined;

/** The document (generated once per process). */
export function openApiDocument(): Record<string, unknown> {
  document ??= build();
  return document;
}

/** The document as `openapi.json` holds it. */
export function openApiText(): string {
  return `${JSON.stringify(openApiDocument(), null, 2)}\n`;
}
