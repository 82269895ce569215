/**
 * The OpenAPI 3.1 document of API v1, generated from the route table
 * (lambdas/api/routes.ts), the schemas (lambdas/api/schemas.ts), the problem catalogue
 * (lambdas/api/problem.ts) and the job-type registry by `@asteasolutions/zod-to-openapi`.
 *
 * Build time only: `npm run openapi` writes it to `openapi.json` at the root,
 * and `GET /v1/openapi.json` serves that file (lambdas/api/job-routes.ts), so neither
 * the generator nor its library is on the api Lambda's path. A test fails when
 * the file and this generator disagree.
 */
import { OpenApiGeneratorV31, OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { listJobTypes } from '../lambdas/job-types/registry';
import { PROBLEMS, type ProblemCode } from '../lambdas/api/problem';
import { MAX_BODY_BYTES } from '../lambdas/api/request';
import { problemsOf, ROUTES, WEBHOOKS, type ResponseHeader, type RouteSpec } from '../lambdas/api/routes';
import { ProblemSchema } from '../lambdas/api/schemas';

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
      ...(route.params ? { params: route.params } : {}),
      ...(route.query ? { query: route.query } : {}),
      ...(route.headers ? { headers: route.headers } : {}),
      ...(route.body ? { body: { required: true, content: { [JSON_MEDIA]: { schema: route.body(jobTypes) } } } } : {}),
    },
    responses: {
      ...Object.fromEntries(
        Object.entries(route.responses).map(([status, response]) => [
          status,
          {
            description: response.description,
            headers: headers(response.headers),
            ...(response.body ? { content: { [JSON_MEDIA]: { schema: response.body } } } : {}),
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
      request: { headers: webhook.headers, body: { required: true, content: { [JSON_MEDIA]: { schema: webhook.body } } } },
      responses: {
        '200': { description: 'Delivered (any 2xx within 10 s).' },
        '410': { description: 'Gone: the event fails at once and is not retried.' },
      },
    });
  }
  // Problem is named by $ref from the problem responses, so it is listed as a component of its own.
  return new OpenApiGeneratorV31([...registry.definitions, ProblemSchema]).generateDocument({
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
