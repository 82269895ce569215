/**
 * The REST API (SPEC §3, §8, §10): every route is an API Gateway resource with
 * one `ANY` method proxied to the api Lambda, so the Lambda answers 404/405
 * exactly as on the local twin. API keys are required everywhere but
 * `/v1/openapi.json`; a usage plan throttles and caps each key (one key = one
 * tenant's key); the gateway's own errors are rewritten to problem+json.
 */
import { STATUS_CODES } from 'node:http';
import { RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { ProblemCode } from '../lambdas/api/problem';
import { USAGE_PLAN } from '../lambdas/resources';

/**
 * The routes of lambdas/api/job-routes.ts as API Gateway resource paths
 * (test/lib/jobs-api.test.ts keeps the two lists in step). A path not listed
 * here gets API Gateway's MISSING_AUTHENTICATION_TOKEN, rewritten to 404.
 */
export const ROUTE_PATHS = [
  '/v1/jobs',
  '/v1/jobs/batch',
  '/v1/jobs/{jobId}',
  '/v1/jobs/{jobId}/attempts',
  '/v1/jobs/{jobId}/cancel',
  '/v1/jobs/{jobId}/retry',
  '/v1/jobs/{jobId}/webhook/redeliver',
  '/v1/job-types',
  '/v1/openapi.json',
] as const;

/** Routes that need no API key (SPEC §3 "Authentication"). */
export const PUBLIC_PATHS: readonly string[] = ['/v1/openapi.json'];

export interface GatewayProblem {
  readonly status: number;
  /** One of the SPEC's codes, the same the api Lambda uses. */
  readonly code: ProblemCode;
  readonly detail: string;
  readonly headers?: Readonly<Record<string, string>>;
}

const FORBIDDEN: GatewayProblem = { status: 403, code: 'forbidden', detail: 'A valid x-api-key header is required.' };
const NOT_FOUND: GatewayProblem = { status: 404, code: 'not_found', detail: 'No such route.' };

/**
 * API Gateway's own answers, rewritten to the SPEC's problem documents. Every
 * 4xx type is listed with an explicit status: changing DEFAULT_4XX's status
 * changes every type left to it. All 5xx become 500 `internal_error`.
 */
export const GATEWAY_PROBLEMS: ReadonlyArray<readonly [apigateway.ResponseType, GatewayProblem]> = [
  // An unmatched path (or a resource without that method): what the twin calls an unknown route.
  [apigateway.ResponseType.MISSING_AUTHENTICATION_TOKEN, NOT_FOUND],
  [apigateway.ResponseType.RESOURCE_NOT_FOUND, NOT_FOUND],
  [apigateway.ResponseType.INVALID_API_KEY, FORBIDDEN],
  [apigateway.ResponseType.ACCESS_DENIED, FORBIDDEN],
  [apigateway.ResponseType.UNAUTHORIZED, FORBIDDEN],
  [apigateway.ResponseType.EXPIRED_TOKEN, FORBIDDEN],
  [apigateway.ResponseType.INVALID_SIGNATURE, FORBIDDEN],
  [apigateway.ResponseType.WAF_FILTERED, { ...FORBIDDEN, detail: 'The request was blocked.' }],
  [
    apigateway.ResponseType.THROTTLED,
    { status: 429, code: 'rate_limited', detail: 'Too many requests for this API key; slow down.', headers: { 'Retry-After': '1' } },
  ],
  [
    apigateway.ResponseType.QUOTA_EXCEEDED,
    { status: 429, code: 'rate_limited', detail: 'This API key has used up its request quota.', headers: { 'Retry-After': '3600' } },
  ],
  [apigateway.ResponseType.REQUEST_TOO_LARGE, { status: 413, code: 'payload_too_large', detail: 'The request body is too large.' }],
  [apigateway.ResponseType.UNSUPPORTED_MEDIA_TYPE, { status: 415, code: 'unsupported_media_type', detail: 'Send the body as application/json.' }],
  [apigateway.ResponseType.BAD_REQUEST_PARAMETERS, { status: 400, code: 'validation_failed', detail: 'The request parameters are invalid.' }],
  [apigateway.ResponseType.BAD_REQUEST_BODY, { status: 400, code: 'validation_failed', detail: 'The request body is invalid.' }],
  [apigateway.ResponseType.DEFAULT_4XX, { ...FORBIDDEN, detail: 'API Gateway refused the request.' }],
  [apigateway.ResponseType.DEFAULT_5XX, { status: 500, code: 'internal_error', detail: 'An internal error occurred.' }],
];

/**
 * The problem document as a gateway response template (simple `$context`
 * substitution, no VTL; nothing from the request is echoed). Gateway response
 * headers take only static values or request parameters, so these answers
 * carry the request id as API Gateway's own `x-amzn-RequestId` header and as
 * `requestId` in the body, not as `x-request-id`.
 */
export function problemTemplate(problem: GatewayProblem): string {
  return JSON.stringify({
    type: 'about:blank',
    title: STATUS_CODES[problem.status],
    status: problem.status,
    code: problem.code,
    detail: problem.detail,
    requestId: '$context.requestId',
  });
}

export interface JobsApiProps {
  /** The api Lambda: every route is proxied to it. */
  readonly handler: lambda.IFunction;
  /** @default 'prod' (the API's own paths start with /v1) */
  readonly stageName?: string;
  /**
   * Requests per second and burst allowed to each API key (so each tenant key).
   * @default USAGE_PLAN (lambdas/resources.ts): 50 per second, burst 100
   */
  readonly throttle?: apigateway.ThrottleSettings;
  /**
   * Requests allowed to each API key per period.
   * @default USAGE_PLAN (lambdas/resources.ts): 1,000,000 per day
   */
  readonly quota?: apigateway.QuotaSettings;
  /**
   * Ceiling for the whole stage, over all keys.
   * @default { rateLimit: 1000, burstLimit: 2000 }
   */
  readonly stageThrottle?: apigateway.ThrottleSettings;
  /** @default logs.RetentionDays.THREE_MONTHS */
  readonly accessLogRetention?: logs.RetentionDays;
}

export class JobsApi extends Construct {
  public readonly api: apigateway.RestApi;
  public readonly usagePlan: apigateway.UsagePlan;
  public readonly accessLogs: logs.LogGroup;

  constructor(scope: Construct, id: string, props: JobsApiProps) {
    super(scope, id);
    this.accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      retention: props.accessLogRetention ?? logs.RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const stageThrottle = props.stageThrottle ?? { rateLimit: 1000, burstLimit: 2000 };

    this.api = new apigateway.RestApi(this, 'Api', {
      // The name is the ApiName dimension of the API's metrics: unique per stack.
      restApiName: `${Stack.of(this).stackName}-api`,
      description: 'Jobs service API (SPEC §3)',
      endpointTypes: [apigateway.EndpointType.REGIONAL],
      apiKeySourceType: apigateway.ApiKeySourceType.HEADER,
      // Every body as bytes: a proxy integration then gets it base64 (`isBase64Encoded: true`) whatever its
      // content type, so the api Lambda sees invalid UTF-8 as sent and refuses it (SPEC §3 invalid_json)
      // instead of receiving text API Gateway already decoded. Responses are unaffected: the Lambda's text
      // answers have isBase64Encoded false and pass through as they are.
      binaryMediaTypes: ['*/*'],
      cloudWatchRole: false,
      defaultMethodOptions: { apiKeyRequired: true },
      deployOptions: {
        stageName: props.stageName ?? 'prod',
        throttlingRateLimit: stageThrottle.rateLimit,
        throttlingBurstLimit: stageThrottle.burstLimit,
        accessLogDestination: new apigateway.LogGroupLogDestination(this.accessLogs),
        // Who called what, and how it went; the key's id (never the key) ties a line to a tenant.
        accessLogFormat: apigateway.AccessLogFormat.custom(
          JSON.stringify({
            requestId: apigateway.AccessLogField.contextRequestId(),
            requestTime: apigateway.AccessLogField.contextRequestTime(),
            ip: apigateway.AccessLogField.contextIdentitySourceIp(),
            apiKeyId: apigateway.AccessLogField.contextIdentityApiKeyId(),
            httpMethod: apigateway.AccessLogField.contextHttpMethod(),
            path: apigateway.AccessLogField.contextPath(),
            resourcePath: apigateway.AccessLogField.contextResourcePath(),
            protocol: apigateway.AccessLogField.contextProtocol(),
            status: apigateway.AccessLogField.contextStatus(),
            responseLength: apigateway.AccessLogField.contextResponseLength(),
            responseLatency: apigateway.AccessLogField.contextResponseLatency(),
            integrationLatency: apigateway.AccessLogField.contextIntegrationLatency(),
            errorType: apigateway.AccessLogField.contextErrorResponseType(),
            userAgent: apigateway.AccessLogField.contextIdentityUserAgent(),
          }),
        ),
      },
    });

    // One Lambda permission for the whole API instead of one per route and method.
    const integration = new apigateway.LambdaIntegration(props.handler, { proxy: true, scopePermissionToMethod: false });
    for (const path of ROUTE_PATHS) {
      this.api.root.resourceForPath(path).addMethod('ANY', integration, { apiKeyRequired: !PUBLIC_PATHS.includes(path) });
    }

    for (const [type, problem] of GATEWAY_PROBLEMS) {
      this.api.addGatewayResponse(`Problem${type.responseType}`, {
        type,
        statusCode: String(problem.status),
        responseHeaders: {
          'Content-Type': "'application/problem+json; charset=utf-8'",
          ...Object.fromEntries(Object.entries(problem.headers ?? {}).map(([name, value]) => [name, `'${value}'`])),
        },
        templates: { 'application/json': problemTemplate(problem) },
      });
    }

    this.usagePlan = this.api.addUsagePlan('UsagePlan', {
      description: 'Per-key (so per-tenant) rate and quota; the tenants CLI adds each key here.',
      throttle: props.throttle ?? { rateLimit: USAGE_PLAN.rateLimitPerSecond, burstLimit: USAGE_PLAN.burstLimit },
      quota: props.quota ?? { limit: USAGE_PLAN.quotaPerDay, period: apigateway.Period.DAY },
      apiStages: [{ api: this.api, stage: this.api.deploymentStage }],
    });

    Validations.of(this.api).acknowledge(
      {
        id: 'AwsSolutions-APIG2',
        reason: 'The api Lambda validates every request itself and answers with the SPEC problem documents (field paths, codes); a gateway validator would answer differently from the local twin.',
      },
      {
        id: 'AwsSolutions-APIG3',
        reason: 'No WAF by default: per-key throttling and quotas come from the usage plan and a stage-wide throttle caps the rest; a web ACL costs from $5/month and can be attached to the stage when needed.',
      },
      {
        id: 'AwsSolutions-APIG4',
        reason: 'Tenants authenticate with API Gateway API keys by design (SPEC §8): the gateway rejects unknown or disabled keys and the api Lambda maps the key id to its tenant and refuses disabled tenants. GET /v1/openapi.json is public by design (SPEC §3).',
      },
      {
        id: 'AwsSolutions-COG4',
        reason: 'No Cognito: callers are tenants\' back ends using API keys (SPEC §8), not end users.',
      },
      {
        id: 'AwsSolutions-APIG6',
        reason: 'Access logs record every request; execution logging needs an account-wide API Gateway CloudWatch role that this stack does not own (and would log request details at volume).',
      },
    );
  }

  /** The stage's base URL, e.g. `https://abc.execute-api.eu-west-1.amazonaws.com/prod/`. */
  get url(): string {
    return this.api.url;
  }
}
