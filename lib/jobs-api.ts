/**
 * The REST API (SPEC §3, §8, §10): every route is an API Gateway resource with
 * one `ANY` method proxied to the api Lambda, so the Lambda answers 404/405
 * exactly as on the local twin. API keys are required everywhere but
 * `/v1/openapi.json` and the web console's page (`/console`, `/console/…`); a usage plan throttles and caps each key (one key = one
 * tenant's key); the gateway's own errors are rewritten to problem+json.
 */
import { RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { PROBLEMS, problemTitle, type ProblemCode } from '../lambdas/api/problem';
import { ROUTES } from '../lambdas/api/routes';
import { API_ACCESS_LOG_FORMAT, CONSOLE_PATH, USAGE_PLAN } from '../lambdas/resources';

/**
 * The API Gateway resources: the paths of the route table (lambdas/api/routes.ts),
 * each with whether it needs a key. A path not listed here gets API Gateway's
 * MISSING_AUTHENTICATION_TOKEN, rewritten to 404.
 */
export const ROUTE_RESOURCES: ReadonlyArray<{ readonly path: string; readonly keyed: boolean }> = [...new Set(ROUTES.map((route) => route.path))].map(
  (path) => ({ path, keyed: ROUTES.some((route) => route.path === path && route.keyed) }),
);

/** The web console's resources: the page, and everything under it (its files, its config). */
export const CONSOLE_RESOURCES: readonly string[] = [CONSOLE_PATH, `${CONSOLE_PATH}/{proxy+}`];

export interface GatewayProblem {
  readonly status: number;
  /** One of the SPEC's codes, the same the api Lambda uses; status and default detail come from its catalogue. */
  readonly code: ProblemCode;
  readonly detail: string;
  readonly headers?: Readonly<Record<string, string>>;
}

const problem = (code: ProblemCode, detail?: string, headers?: Record<string, string>): GatewayProblem => ({
  status: PROBLEMS[code].status,
  code,
  detail: detail ?? PROBLEMS[code].detail,
  ...(headers ? { headers } : {}),
});

const FORBIDDEN = problem('forbidden');
const NOT_FOUND = problem('not_found');

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
  [apigateway.ResponseType.WAF_FILTERED, problem('forbidden', 'The request was blocked.')],
  [apigateway.ResponseType.THROTTLED, problem('rate_limited', undefined, { 'Retry-After': '1' })],
  [apigateway.ResponseType.QUOTA_EXCEEDED, problem('rate_limited', 'This API key has used up its request quota.', { 'Retry-After': '3600' })],
  [apigateway.ResponseType.REQUEST_TOO_LARGE, problem('payload_too_large')],
  [apigateway.ResponseType.UNSUPPORTED_MEDIA_TYPE, problem('unsupported_media_type')],
  [apigateway.ResponseType.BAD_REQUEST_PARAMETERS, problem('validation_failed', 'The request parameters are invalid.')],
  [apigateway.ResponseType.BAD_REQUEST_BODY, problem('validation_failed', 'The request body is invalid.')],
  [apigateway.ResponseType.DEFAULT_4XX, problem('forbidden', 'API Gateway refused the request.')],
  [apigateway.ResponseType.DEFAULT_5XX, problem('internal_error')],
];

/**
 * The problem document as a gateway response template (simple `$context`
 * substitution, no VTL; nothing from the request is echoed). Gateway response
 * headers take only static values or request parameters, so these answers
 * carry the request id as API Gateway's own `x-amzn-RequestId` header and as
 * `requestId` in the body, not as `x-request-id`.
 */
export function problemTemplate(gatewayProblem: GatewayProblem): string {
  return JSON.stringify({
    type: 'about:blank',
    title: problemTitle(gatewayProblem.status),
    status: gatewayProblem.status,
    code: gatewayProblem.code,
    detail: gatewayProblem.detail,
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
        // Who called what, and how it went (lambdas/resources.ts): every byte is billed on every call.
        accessLogFormat: apigateway.AccessLogFormat.custom(JSON.stringify(API_ACCESS_LOG_FORMAT)),
      },
    });

    // One Lambda permission for the whole API instead of one per route and method.
    const integration = new apigateway.LambdaIntegration(props.handler, { proxy: true, scopePermissionToMethod: false });
    for (const { path, keyed } of ROUTE_RESOURCES) {
      this.api.root.resourceForPath(path).addMethod('ANY', integration, { apiKeyRequired: keyed });
    }
    // The web console (SPEC §16): the page and its files need no key; the Lambda answers what is under it.
    for (const path of CONSOLE_RESOURCES) this.api.root.resourceForPath(path).addMethod('ANY', integration, { apiKeyRequired: false });

    for (const [type, gatewayProblem] of GATEWAY_PROBLEMS) {
      this.api.addGatewayResponse(`Problem${type.responseType}`, {
        type,
        statusCode: String(gatewayProblem.status),
        responseHeaders: {
          'Content-Type': "'application/problem+json; charset=utf-8'",
          ...Object.fromEntries(Object.entries(gatewayProblem.headers ?? {}).map(([name, value]) => [name, `'${value}'`])),
        },
        templates: { 'application/json': problemTemplate(gatewayProblem) },
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
        reason: 'Access logs record every request; execution logging would log request details at volume (and every stage in the account shares the API Gateway CloudWatch role, see lib/api-gateway-account.ts).',
      },
    );
  }

  /** The stage's base URL, e.g. `https://abc.execute-api.eu-west-1.amazonaws.com/prod/`. */
  get url(): string {
    return this.api.url;
  }
}
