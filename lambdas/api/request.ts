/** The api Lambda's view of one request, decoded from API Gateway's REST proxy event. */
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { HttpProblem } from './problem';

/** SPEC §3: request bodies over 256 KiB get 413 (the api Lambda's own limit, on AWS and on the twin). */
export const MAX_BODY_BYTES = 256 * 1024;

export interface ApiRequest {
  readonly method: string;
  /** Path without the stage, e.g. `/v1/jobs/…`. */
  readonly path: string;
  /** What the client put before `path` (the stage on AWS, empty on the twin): for `Location`. */
  readonly basePath: string;
  readonly params: Readonly<Record<string, string>>;
  readonly query: Readonly<Record<string, string | undefined>>;
  /** Header names lowercased. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly rawBody: Buffer | undefined;
  readonly requestId: string;
  readonly apiKeyId: string | undefined;
}

export interface ApiResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export function toApiRequest(event: APIGatewayProxyEvent): ApiRequest {
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(event.headers ?? {})) headers[name.toLowerCase()] = value ?? undefined;
  const path = event.path || '/';
  const fullPath = event.requestContext?.path ?? path;
  const basePath = fullPath.endsWith(path) ? fullPath.slice(0, fullPath.length - path.length) : '';
  return {
    method: event.httpMethod.toUpperCase(),
    path,
    basePath,
    params: {},
    query: { ...(event.queryStringParameters ?? {}) },
    headers,
    rawBody: event.body == null ? undefined : Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8'),
    requestId: event.requestContext?.requestId ?? 'unknown',
    apiKeyId: event.requestContext?.identity?.apiKeyId ?? undefined,
  };
}

/** The body of a POST that must carry JSON: size, media type and syntax, in SPEC §3's order. */
export function readJsonBody(request: ApiRequest): unknown {
  const body = request.rawBody ?? Buffer.alloc(0);
  if (body.length > MAX_BODY_BYTES) {
    throw new HttpProblem(413, 'payload_too_large', `The request body is over ${MAX_BODY_BYTES} bytes.`);
  }
  const mediaType = (request.headers['content-type'] ?? '').split(';', 1)[0]!.trim().toLowerCase();
  if (mediaType !== 'application/json' && !/^application\/[a-z0-9.+-]+\+json$/.test(mediaType)) {
    throw new HttpProblem(415, 'unsupported_media_type', 'Send the body as application/json.');
  }
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw new HttpProblem(400, 'invalid_json', 'The body is not valid JSON.');
  }
}
