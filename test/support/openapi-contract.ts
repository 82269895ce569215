/**
 * Holds every HTTP answer the e2e suite receives against the OpenAPI document
 * (`openapi.json`, what `GET /v1/openapi.json` serves), with ajv: the
 * operation's documented status, its media type, its body schema and its
 * required headers. The test clients (./twin.ts, ./raw-http.ts,
 * ./raw-socket.ts, ./fault-run.ts, ./invariants.ts) call it on each
 * response, so an answer the document does not describe fails the test that
 * received it.
 *
 * Besides the operations, the document describes a path that is no route
 * (components/responses/NotFound) and a method a route lacks
 * (MethodNotAllowed). The twin's HTTP front refuses bytes that are not HTTP it
 * can read before any route is chosen (README: "What the front door
 * refuses"); those answers are held to the Problem schema with one of the
 * front door's own codes.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';

type Json = Record<string, any>;

export const OPENAPI_PATH = join(__dirname, '..', '..', 'openapi.json');
const FRONT_DOOR_CODES = ['malformed_request', 'uri_too_long', 'headers_too_large', 'request_timeout'];

export interface ReceivedResponse {
  readonly method: string;
  /** The request target as sent: a path with an optional query, or an absolute URL. */
  readonly target: string;
  readonly status: number;
  /** Header names lower-cased. */
  readonly headers: Readonly<Record<string, string | readonly string[] | undefined>>;
  /** The body as text ('' for none). */
  readonly body: string;
}

interface Contract {
  readonly document: Json;
  readonly ajv: Ajv2020;
  readonly validators: Map<object, ValidateFunction>;
}

let contract: Contract | undefined;

function load(): Contract {
  if (contract) return contract;
  const document = JSON.parse(readFileSync(OPENAPI_PATH, 'utf8')) as Json;
  // The component schemas as one JSON Schema resource, so `#/components/schemas/X` resolves as `openapi.json#/$defs/X`.
  const toDefs = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(toDefs);
    if (typeof node !== 'object' || node === null) return node;
    return Object.fromEntries(
      Object.entries(node).map(([key, value]) => [
        key,
        key === '$ref' && typeof value === 'string' ? value.replace('#/components/schemas/', 'openapi.json#/$defs/') : toDefs(value),
      ]),
    );
  };
  // strict: false lets OpenAPI's own keywords (discriminator) through; every JSON Schema keyword is still checked.
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema({ $id: 'openapi.json', $defs: toDefs(document.components.schemas) as Json });
  contract = { document: toDefs(document) as Json, ajv, validators: new Map() };
  return contract;
}

function deref(node: Json): Json {
  const { document } = load();
  if (typeof node.$ref !== 'string') return node;
  const target = (node.$ref)
    .replace(/^#\//, '')
    .split('/')
    .reduce<any>((at, key) => at?.[key.replace(/~1/g, '/').replace(/~0/g, '~')], document);
  if (!target) throw new Error(`openapi.json: unresolved ${node.$ref}`);
  return deref(target);
}

/** The documented answers for a request: an operation's responses, or the document-wide ones for no route / no method. */
function responsesFor(method: string, target: string): { where: string; responses: Json } {
  const { document } = load();
  const path = (/^https?:\/\/[^/?#]*/i.test(target) ? target.replace(/^https?:\/\/[^/?#]*/i, '') || '/' : target).split('?')[0];
  const segments = path.split('/').slice(1);
  const isParam = (part: string) => /^\{\w+\}$/.test(part);
  const templates = Object.keys(document.paths as Json).sort(
    (a, b) => a.split('/').filter(isParam).length - b.split('/').filter(isParam).length,
  );
  const template = path.startsWith('/')
    ? templates.find((candidate) => {
        const parts = candidate.split('/').slice(1);
        return parts.length === segments.length && parts.every((part, i) => (isParam(part) ? segments[i] !== '' && !/^(\.|\.\.)$/.test(segments[i]) : part === segments[i]));
      })
    : undefined;
  if (!template) return { where: `no route (${path.slice(0, 80)})`, responses: { 404: { $ref: '#/components/responses/NotFound' } } };
  const pathItem = (document.paths as Json)[template] as Json;
  const operation = pathItem[method.toLowerCase()];
  if (!operation || !/^[A-Z]+$/.test(method)) {
    // The key is checked before the method (SPEC §3): a keyed path answers a missing method as its operations answer a bad key.
    const keyed = (Object.values(pathItem)[0] as Json).responses as Json;
    const beforeMethod = Object.fromEntries(['403', '429', '500'].filter((status) => keyed[status]).map((status) => [status, keyed[status]]));
    return { where: `${method} ${template} (no such method)`, responses: { ...beforeMethod, 405: { $ref: '#/components/responses/MethodNotAllowed' } } };
  }
  return { where: `${method} ${template}`, responses: operation.responses as Json };
}

function validatorFor(schema: object): ValidateFunction {
  const { ajv, validators } = load();
  let validate = validators.get(schema);
  if (!validate) {
    validate = ajv.compile(schema);
    validators.set(schema, validate);
  }
  return validate;
}

const single = (value: string | readonly string[] | undefined) => (Array.isArray(value) ? value[0] : (value as string | undefined));

/** The ways `response` departs from the document (none: it matches). */
export function contractViolations(response: ReceivedResponse): string[] {
  const { where, responses } = responsesFor(response.method, response.target);
  const contentType = single(response.headers['content-type']) ?? '';
  const isProblem = contentType.startsWith('application/problem+json');
  let parsed: unknown;
  try {
    parsed = response.body === '' ? undefined : JSON.parse(response.body);
  } catch {
    parsed = undefined;
  }
  const code = (parsed as Json | undefined)?.code;
  if (isProblem && FRONT_DOOR_CODES.includes(code)) {
    const validate = validatorFor({ $ref: 'openapi.json#/$defs/Problem' });
    return validate(parsed) ? [] : [`${where}: front-door ${response.status} ${code}: ${validate.errors!.map((e) => `${e.instancePath} ${e.message}`).join('; ')}`];
  }
  const documented = responses[String(response.status)] as Json | undefined;
  if (!documented) {
    return [`${where}: status ${response.status} is not documented (documented: ${Object.keys(responses).join(', ')}); body ${response.body.slice(0, 200)}`];
  }
  const answer = deref(documented);
  const problems: string[] = [];
  for (const [name, header] of Object.entries((answer.headers ?? {}) as Json)) {
    if (deref(header).required && single(response.headers[name.toLowerCase()]) === undefined) problems.push(`${where} ${response.status}: header ${name} is missing`);
  }
  const content = answer.content as Json | undefined;
  if (!content) {
    if (response.body !== '') problems.push(`${where} ${response.status}: documented without a body, got ${response.body.slice(0, 100)}`);
    return problems;
  }
  const mediaType = Object.keys(content).find((type) => contentType.split(';')[0]!.trim() === type);
  if (!mediaType) return [...problems, `${where} ${response.status}: content-type ${contentType || '(none)'} is not ${Object.keys(content).join(' or ')}`];
  if (response.method === 'HEAD') return problems;
  const validate = validatorFor(content[mediaType].schema as object);
  if (parsed === undefined || !validate(parsed)) {
    const errors = parsed === undefined ? 'not JSON' : validate.errors!.slice(0, 5).map((e) => `${e.instancePath || '(body)'} ${e.message} ${JSON.stringify(e.params)}`).join('; ');
    problems.push(`${where} ${response.status}: body does not match the document: ${errors}; body ${response.body.slice(0, 300)}`);
  }
  return problems;
}

/** Throws when `response` is not what the document says it may be. */
export function assertMatchesContract(response: ReceivedResponse): void {
  const problems = contractViolations(response);
  if (problems.length > 0) throw new Error(`response outside the OpenAPI document (openapi.json):\n${problems.join('\n')}`);
}

/** `METHOD target` of the first request in raw bytes, or undefined when the bytes start no request line. */
export function requestLineOf(bytes: Buffer | string): { method: string; target: string } | undefined {
  const text = (typeof bytes === 'string' ? bytes : bytes.subarray(0, 16_384).toString('latin1')).split('\r\n', 1)[0];
  const match = /^(\S+) (\S+) HTTP\/1\.[01]$/.exec(text);
  return match ? { method: match[1], target: match[2] } : undefined;
}

/**
 * For the raw-socket clients: a request whose first line is no request line
 * can only be refused by the front door, so its answer must be one of its
 * problems; any other answer is held to the document as above.
 */
export function assertRawExchangeMatchesContract(request: Buffer | string, response: Omit<ReceivedResponse, 'method' | 'target'>): void {
  const line = requestLineOf(request);
  if (line) return assertMatchesContract({ ...response, ...line });
  // A start line the parser cannot read: answered before any route, by the front door.
  assertMatchesContract({ ...response, method: 'GET', target: '/(unreadable request line)' });
}

/** Header names lower-cased, from a fetch `Headers`. */
export function headersOf(headers: Headers): Record<string, string> {
  return Object.fromEntries([...headers.entries()].map(([name, value]) => [name.toLowerCase(), value]));
}
