/** The api Lambda's view of one request, decoded from API Gateway's REST proxy event. */
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { HttpProblem } from './problem';

/** SPEC §3: request bodies over 256 KiB get 413 (the api Lambda's own limit, on AWS and on the twin). */
export const MAX_BODY_BYTES = 256 * 1024;

export interface ApiRequest {
  readonly method: string;
  /** Path without the stage, as sent: still percent-encoded (the router decodes each segment). */
  readonly path: string;
  /** What the client put before `path` (the stage on AWS, empty on the twin): for `Location`. */
  readonly basePath: string;
  readonly params: Readonly<Record<string, string>>;
  /** Query parameters (decoded, as API Gateway decodes them), every value of each. */
  readonly query: Readonly<Record<string, readonly string[] | undefined>>;
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
  // `headers` holds only the last of repeated fields; a repeated field means its values joined (RFC 9110 §5.3),
  // so two Idempotency-Keys or two content types are one value that is neither, not the second one silently.
  const repeated: Record<string, string[]> = {};
  for (const [name, values] of Object.entries(event.multiValueHeaders ?? {})) (repeated[name.toLowerCase()] ??= []).push(...(values ?? []));
  for (const [name, values] of Object.entries(repeated)) if (values.length > 1) headers[name] = values.join(', ');
  // API Gateway's REST proxy event carries `path` as the client sent it, still
  // percent-encoded (live captures: hotsock/voker vokerhttp/testdata, 2026;
  // HTTP APIs are the ones that decode). Routing relies on that: it splits on
  // the raw `/` and decodes segments after. `requestContext.path` is the same
  // raw path with the stage (or a custom domain's base path) in front; it only
  // gives the prefix for `Location`.
  const path = event.path || '/';
  const fullPath = event.requestContext?.path ?? path;
  const basePath = fullPath.endsWith(path) ? fullPath.slice(0, fullPath.length - path.length) : '';
  const query: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(event.queryStringParameters ?? {})) if (value !== undefined) query[name] = [value];
  for (const [name, values] of Object.entries(event.multiValueQueryStringParameters ?? {})) if (values) query[name] = [...values];
  return {
    method: event.httpMethod.toUpperCase(),
    path,
    basePath,
    params: {},
    query,
    headers,
    // With binaryMediaTypes */* (lib/jobs-api.ts) every body arrives base64, byte for byte.
    rawBody: event.body == null ? undefined : Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8'),
    requestId: event.requestContext?.requestId ?? 'unknown',
    apiKeyId: event.requestContext?.identity?.apiKeyId ?? undefined,
  };
}

/** The one charset a JSON body may declare (RFC 8259 §8.1: JSON exchanged between systems is UTF-8). */
const UTF8 = /^"?utf-8"?$/i;

/**
 * The body of a POST that must carry JSON: size, media type and syntax, in SPEC §3's order.
 * The media type is application/json or any `+json` type, with no content coding; a `charset` parameter, if
 * given, must say UTF-8 (once): anything else is 415, since the bytes would be read
 * as something they are not. The bytes are decoded strictly: invalid UTF-8 (overlong
 * forms, surrogates, truncated sequences) is `invalid_json`, never U+FFFD.
 */
export function readJsonBody(request: ApiRequest): unknown {
  const body = request.rawBody ?? Buffer.alloc(0);
  if (body.length > MAX_BODY_BYTES) {
    throw new HttpProblem('payload_too_large', `The request body is over ${MAX_BODY_BYTES} bytes.`);
  }
  const [type = '', ...parameters] = (request.headers['content-type'] ?? '').split(';');
  const mediaType = type.trim().toLowerCase();
  if (mediaType !== 'application/json' && !/^application\/[a-z0-9.+-]+\+json$/.test(mediaType)) {
    throw new HttpProblem('unsupported_media_type');
  }
  // A content coding the Lambda does not undo (API Gateway decompresses only where compression is enabled,
  // and this API enables none) would be read as the JSON it is not: 415, as RFC 9110 §8.4.1 allows.
  const codings = (request.headers['content-encoding'] ?? '').split(',').map((coding) => coding.trim().toLowerCase()).filter(Boolean);
  if (codings.some((coding) => coding !== 'identity')) {
    throw new HttpProblem('unsupported_media_type', 'Send the body without a Content-Encoding (uncompressed).');
  }
  const charsets = parameters
    .map((parameter) => parameter.split('='))
    .filter(([name]) => name.trim().toLowerCase() === 'charset')
    .map(([, ...value]) => value.join('=').trim());
  if (charsets.length > 1 || (charsets.length === 1 && !UTF8.test(charsets[0]))) {
    throw new HttpProblem('unsupported_media_type', 'Send the body as application/json in UTF-8 (charset=utf-8, or no charset).');
  }
  let text: string;
  try {
    // ignoreBOM keeps a byte-order mark in the text, where JSON.parse refuses it as before.
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(body);
  } catch {
    throw new HttpProblem('invalid_json', 'The body is not valid UTF-8.');
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpProblem('invalid_json');
  }
}
