/**
 * The api Lambda: API Gateway REST proxy event in, JSON or problem+json out.
 * Routes come from the route table (./routes.ts), handlers from ./job-routes.ts.
 * Every thrown error becomes the SPEC's problem document, and every response
 * carries `x-request-id`.
 *
 * A plain try/catch does that: middy ran it before, as its only middleware, and
 * routing here must work on the raw path (below), which middy's http-router
 * (it matches decoded paths) does not do.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import type { ServiceContext } from '../service-context';
import { isConsolePath, serveConsole, type ConsoleSite } from './console-site';
import { HANDLERS, type RouteHandler } from './job-routes';
import { HttpProblem, problemDocument } from './problem';
import { MAX_BODY_BYTES, toApiRequest, type ApiRequest, type ApiResponse } from './request';
import { ROUTES, type RouteSpec } from './routes';
import { TenantResolver } from './tenant-resolver';
import { errorForLog, publishingMetrics, withKeys } from '../observability';

const JSON_TYPE = 'application/json; charset=utf-8';
const PROBLEM_TYPE = 'application/problem+json; charset=utf-8';

type Handler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

/** One path of the route table with the operations its methods name. */
interface PathRoute {
  /** The template's segments: literal text, or `{param}`. */
  readonly template: readonly string[];
  readonly operations: ReadonlyMap<string, { readonly spec: RouteSpec; readonly handler: RouteHandler }>;
}

const isParam = (part: string) => /^\{\w+\}$/.test(part);

const PATH_ROUTES: readonly PathRoute[] = (() => {
  const byPath = new Map<string, Map<string, { spec: RouteSpec; handler: RouteHandler }>>();
  for (const spec of ROUTES) {
    const operations = byPath.get(spec.path) ?? new Map<string, { spec: RouteSpec; handler: RouteHandler }>();
    operations.set(spec.method, { spec, handler: HANDLERS[spec.operationId] });
    byPath.set(spec.path, operations);
  }
  // A literal segment wins over a parameter (`/v1/jobs/batch` is not the job `batch`): fewer parameters first.
  const paramCount = (route: PathRoute) => route.template.filter(isParam).length;
  return [...byPath].map(([path, operations]) => ({ template: path.split('/').slice(1), operations })).sort((a, b) => paramCount(a) - paramCount(b));
})();

/**
 * Routing works on the raw path, segment by segment, and decodes each segment
 * only once it has matched: `%2F` inside a segment is data, never a separator
 * (`/v1/jobs/<id>%2Fcancel` is the job route, not the cancel route). A path
 * with an empty or dot segment (`//`, `.`, `..`, `%2e%2e`) names no resource
 * here: it is refused rather than resolved, so no spelling of a path reaches a
 * resource other than the one it literally names, whatever a proxy in front
 * made of it. A literal segment matches only as written (no decoding): the
 * table's literals are plain ASCII.
 */
function matchRoute(rawPath: string): { route: PathRoute; params: Record<string, string> } | undefined {
  const segments = rawPath.split('/');
  if (segments[0] !== '' || segments.length < 2) return undefined;
  const named = segments.slice(1);
  if (named.some((segment) => segment === '' || ['.', '..'].includes(decodeSegment(segment) ?? ''))) return undefined;
  for (const route of PATH_ROUTES) {
    if (route.template.length !== named.length) continue;
    if (!route.template.every((part, index) => isParam(part) || part === named[index])) continue;
    const params: Record<string, string> = {};
    route.template.forEach((part, index) => {
      // A segment that does not decode (a stray %, bytes that are not UTF-8) can name no job: an empty id.
      if (isParam(part)) params[part.slice(1, -1)] = decodeSegment(named[index]) ?? '';
    });
    return { route, params };
  }
  return undefined;
}

function decodeSegment(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

function render(response: ApiResponse, requestId: string): APIGatewayProxyResult {
  return {
    statusCode: response.status,
    headers: {
      ...(response.body === undefined ? {} : { 'content-type': JSON_TYPE }),
      ...response.headers,
      'x-request-id': requestId,
    },
    body: response.body === undefined ? '' : JSON.stringify(response.body),
  };
}

function renderProblem(problem: HttpProblem, requestId: string): APIGatewayProxyResult {
  return {
    statusCode: problem.status,
    headers: { 'content-type': PROBLEM_TYPE, ...problem.extras.headers, 'x-request-id': requestId },
    body: JSON.stringify(problemDocument(problem, requestId)),
  };
}

export interface ApiHandlerOptions {
  /** The web console's page (SPEC §16, ./console-site.ts); without it `/console` is an unknown path. */
  readonly console?: ConsoleSite;
}

export function createApiHandler(ctx: ServiceContext, options: ApiHandlerOptions = {}): Handler {
  const tenants = new TenantResolver(ctx.tenants, ctx.now);

  async function route(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
    const base = toApiRequest(event);
    if (options.console && isConsolePath(base.path)) {
      const page = serveConsole(options.console, base);
      return { ...page, headers: { ...page.headers, 'x-request-id': base.requestId } };
    }
    const matched = matchRoute(base.path);
    if (!matched) throw new HttpProblem('not_found', `No route for ${base.path.slice(0, 200)}.`);
    const request: ApiRequest = { ...base, params: matched.params };
    const operation = matched.route.operations.get(request.method);
    // The key is checked before the method (SPEC §3's order): a path's methods are all keyed or all public.
    const keyed = operation?.spec.keyed ?? [...matched.route.operations.values()].some((o) => o.spec.keyed);
    const tenantId = keyed ? await tenants.tenantFor(request.apiKeyId) : '';
    if (!operation) {
      const allow = [...matched.route.operations.keys()].join(', ');
      throw new HttpProblem('method_not_allowed', `${request.method} is not allowed here; use ${allow}.`, { headers: { allow } });
    }
    if ((request.rawBody?.length ?? 0) > MAX_BODY_BYTES) {
      throw new HttpProblem('payload_too_large', `The request body is over ${MAX_BODY_BYTES} bytes.`);
    }
    // This request's keys on its every line (on the twin one process serves many requests at once).
    const logger = withKeys(ctx.logger, { requestId: request.requestId, ...(tenantId ? { tenantId } : {}) });
    return render(await operation.handler({ ...ctx, logger }, request, tenantId), request.requestId);
  }

  return (event) =>
    publishingMetrics(ctx.metrics, async () => {
      try {
        return await route(event);
      } catch (error) {
        const requestId = event.requestContext?.requestId ?? 'unknown';
        if (error instanceof HttpProblem) return renderProblem(error, requestId);
        // Anything unexpected is logged and answered 500 without internals.
        ctx.logger.error('unhandled error', { requestId, ...errorForLog(error) });
        return renderProblem(new HttpProblem('internal_error'), requestId);
      }
    });
}
