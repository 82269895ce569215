/** API Gateway (REST API, Lambda proxy integration) events as the api Lambda receives them. */
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent } from 'aws-lambda';

export interface ApiEventOptions {
  /** JSON-encoded unless a string; handed over as base64 bytes (the API's binaryMediaTypes is `*\/*`). @default no body */
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
  readonly query?: Record<string, string>;
  /** The route's template, e.g. `/v1/jobs/{jobId}`. @default `/{proxy+}` (the twin's and the stack's catch-all) */
  readonly resource?: string;
  /** The key API Gateway matched (`requestContext.identity.apiKeyId`); null on a public route. @default null */
  readonly apiKeyId?: string | null;
  /** @default 'prod' */
  readonly stage?: string;
}

/** A request for `method path`, as API Gateway hands it over after it has checked the key. */
export function apiEventFactory(method: string, path: string, options: ApiEventOptions = {}): APIGatewayProxyEvent {
  const { headers = {}, query, resource = '/{proxy+}', apiKeyId = null, stage = 'prod' } = options;
  const text = options.body === undefined ? null : typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
  return {
    resource,
    path,
    httpMethod: method,
    headers: { Host: 'abc123.execute-api.us-east-1.amazonaws.com', ...headers },
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, [value]])),
    queryStringParameters: query ?? null,
    multiValueQueryStringParameters: query ? Object.fromEntries(Object.entries(query).map(([name, value]) => [name, [value]])) : null,
    pathParameters: resource === '/{proxy+}' ? { proxy: path.replace(/^\//, '') } : null,
    stageVariables: null,
    body: text === null ? null : Buffer.from(text, 'utf8').toString('base64'),
    isBase64Encoded: text !== null,
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123',
      authorizer: undefined,
      protocol: 'HTTP/1.1',
      httpMethod: method,
      path: `/${stage}${path}`,
      stage,
      requestId: randomUUID(),
      requestTimeEpoch: Date.now(),
      resourceId: 'proxy0',
      resourcePath: resource,
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: apiKeyId === null ? null : 'redacted',
        apiKeyId,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: '203.0.113.9',
        user: null,
        userAgent: headers['user-agent'] ?? null,
        userArn: null,
      },
    },
  };
}
