/**
 * The api Lambda: API Gateway REST proxy event in, JSON or problem+json out.
 * Middy runs it; the one middleware here turns every thrown error into the
 * SPEC's problem document and stamps `x-request-id` on every response.
 */
import middy, { type MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import type { ServiceContext } from '../service-context';
import { ROUTES, type Route } from './job-routes';
import { HttpProblem, problemDocument } from './problem';
import { MAX_BODY_BYTES, toApiRequest, type ApiRequest, type ApiResponse } from './request';
import { TenantResolver } from './tenant-resolver';
import { errorForLog } from '../observability';

const JSON_TYPE = 'application/json; charset=utf-8';
const PROBLEM_TYPE = 'application/problem+json; charset=utf-8';

type Handler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

/**
 * Routing works on the raw path, segment by segment, and decodes each segment
 * only once it has matched: `%2F` inside a segment is data, never a separator
 * (`/v1/jobs/<id>%2Fcancel` is the job route, not the cancel route). A path
 * with an empty or dot segment (`//`, `.`, `..`, `%2e%2e`) names no resource
 * here: it is refused rather than resolved, so no spelling of a path reaches a
 * resource other than the one it literally names, whatever a proxy in front
 * made of it.
 */
function matchRoute(rawPath: string): { route: Route; params: Record<string, string> } | undefined {
  const segments = rawPath.split('/');
  if (segments[0] !== '' || segments.length < 2) return undefined;
  const named = segments.slice(1);
  if (named.some((segment) => segment === '' || ['.', '..'].includes(decodeSegment(segment) ?? ''))) return undefined;
  for (const route of ROUTES) {
    if (route.pattern.test(rawPath)) {
      const params: Record<string, string> = {};
      const template = route.path.split('/').slice(1);
      template.forEach((part, index) => {
        // A segment that does not decode (a stray %, bytes that are not UTF-8) can name no job: an empty id.
        if (/^\{\w+\}$/.test(part)) params[part.slice(1, -1)] = decodeSegment(named[index]!) ?? '';
      });
      return { route, params };
    }
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

/** Any error → problem+json; unexpected ones are logged and answered 500 without internals. */
function problemResponses(ctx: ServiceContext): MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult> {
  return {
    onError: async (request) => {
      const requestId = request.event.requestContext?.requestId ?? 'unknown';
      const error = request.error;
      if (error instanceof HttpProblem) {
        request.response = renderProblem(error, requestId);
        return;
      }
      ctx.logger.error('unhandled error', { requestId, ...errorForLog(error) });
      request.response = renderProblem(new HttpProblem('internal_error'), requestId);
    },
  };
}

export function createApiHandler(ctx: ServiceContext): Handler {
  const tenants = new TenantResolver(ctx.tenants, ctx.now);

  async function route(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
    const base = toApiRequest(event);
    const matched = matchRoute(base.path);
    if (!matched) throw new HttpProblem('not_found', `No route for ${base.path.slice(0, 200)}.`);
    const request: ApiRequest = { ...base, params: matched.params };
    const tenantId = matched.route.isPublic ? '' : await tenants.tenantFor(request.apiKeyId);
    const handler = matched.route.methods[request.method];
    if (!handler) {
      const allow = Object.keys(matched.route.methods).join(', ');
      throw new HttpProblem('method_not_allowed', `${request.method} is not allowed here; use ${allow}.`, { headers: { allow } });
    }
    if ((request.rawBody?.length ?? 0) > MAX_BODY_BYTES) {
      throw new HttpProblem('payload_too_large', `The request body is over ${MAX_BODY_BYTES} bytes.`);
    }
    // A logger of this request's own: on the twin one process serves many requests at once.
    const logger = ctx.logger.createChild({ persistentKeys: { requestId: request.requestId, ...(tenantId ? { tenantId } : {}) } });
    return render(await handler({ ...ctx, logger }, request, tenantId), request.requestId);
  }

  return middy<APIGatewayProxyEvent, APIGatewayProxyResult>().use(problemResponses(ctx)).handler(route) as unknown as Handler;
}
