/**
 * The REST API (issue 6; SPEC §3, §8, §10): route resources with ANY methods
 * proxied to the api Lambda, API keys everywhere but the OpenAPI document, a
 * usage plan, problem+json gateway responses, access logs.
 */
import { STATUS_CODES } from 'node:http';
import { AccessLogField } from 'aws-cdk-lib/aws-apigateway';
import { Match } from 'aws-cdk-lib/assertions';
import { PROBLEMS } from '../../lambdas/api/problem';
import { ROUTES } from '../../lambdas/api/routes';
import { CONSOLE_RESOURCES, GATEWAY_PROBLEMS, ROUTE_RESOURCES } from '../../lib/jobs-api';
import { arnOf, ref, synthStack, type Fixture } from './stack-fixture';

let fixture: Fixture;
beforeAll(() => {
  fixture = synthStack();
});

const apiId = () => fixture.idOf(fixture.stack.api.api);
const apiFunctionId = () => fixture.idOf(fixture.stack.functions.api.function);

describe('routes', () => {
  const resourcePaths = () => {
    const resources = fixture.template.findResources('AWS::ApiGateway::Resource');
    const pathOf = (id: string): string => {
      const resource = resources[id].Properties;
      const parent = resource.ParentId.Ref as string | undefined;
      return `${parent ? pathOf(parent) : ''}/${resource.PathPart}`;
    };
    return Object.values(fixture.template.findResources('AWS::ApiGateway::Method')).map((method) => ({
      path: pathOf(method.Properties.ResourceId.Ref),
      keyed: method.Properties.ApiKeyRequired,
    }));
  };

  test('the API Gateway resources with methods are exactly the route table\'s paths, keyed as the table says, and the console\'s, public', () => {
    const fromTable: { path: string; keyed: boolean }[] = [...new Set(ROUTES.map((route) => route.path))].map((path) => ({ path, keyed: ROUTES.find((r) => r.path === path)!.keyed }));
    fromTable.push({ path: '/console', keyed: false }, { path: '/console/{proxy+}', keyed: false });
    expect(resourcePaths().sort((a, b) => a.path.localeCompare(b.path))).toEqual(fromTable.sort((a, b) => a.path.localeCompare(b.path)));
  });

  test('a path is keyed or public as a whole (API Gateway has one ANY method per resource)', () => {
    for (const { path } of ROUTE_RESOURCES) {
      expect({ path, kinds: new Set(ROUTES.filter((route) => route.path === path).map((route) => route.keyed)).size }).toEqual({ path, kinds: 1 });
    }
  });

  test('each route resource has one ANY method, proxied to the api Lambda', () => {
    const methods = Object.values(fixture.template.findResources('AWS::ApiGateway::Method'));
    expect(methods).toHaveLength(ROUTE_RESOURCES.length + CONSOLE_RESOURCES.length);
    for (const method of methods) {
      expect(method.Properties).toMatchObject({
        HttpMethod: 'ANY',
        AuthorizationType: 'NONE',
        Integration: {
          Type: 'AWS_PROXY',
          IntegrationHttpMethod: 'POST',
          Uri: { 'Fn::Join': ['', expect.arrayContaining([arnOf(apiFunctionId())])] },
        },
      });
    }
  });

  test('API keys are required on every method but GET /v1/openapi.json and the console\'s page', () => {
    const resources = fixture.template.findResources('AWS::ApiGateway::Resource');
    const methods = Object.values(fixture.template.findResources('AWS::ApiGateway::Method'));
    const keyRequired = Object.fromEntries(
      methods.map((method) => [resources[method.Properties.ResourceId.Ref].Properties.PathPart, method.Properties.ApiKeyRequired]),
    );
    expect(keyRequired['openapi.json']).toBe(false);
    expect([keyRequired.console, keyRequired['{proxy+}']]).toEqual([false, false]);
    expect(methods.filter((m) => m.Properties.ApiKeyRequired === true)).toHaveLength(ROUTE_RESOURCES.length - 1);
  });

  test('no method on "/" or "/v1": an unmatched path is API Gateway\'s MISSING_AUTHENTICATION_TOKEN', () => {
    const methods = Object.values(fixture.template.findResources('AWS::ApiGateway::Method'));
    const rootId = { 'Fn::GetAtt': [apiId(), 'RootResourceId'] };
    expect(methods.some((m) => JSON.stringify(m.Properties.ResourceId) === JSON.stringify(rootId))).toBe(false);
    const v1 = Object.entries(fixture.template.findResources('AWS::ApiGateway::Resource')).find(([, r]) => r.Properties.PathPart === 'v1')![0];
    expect(methods.some((m) => m.Properties.ResourceId.Ref === v1)).toBe(false);
  });

  test('one Lambda permission covers the whole API (not one per method)', () => {
    fixture.template.resourcePropertiesCountIs('AWS::Lambda::Permission', { Principal: 'apigateway.amazonaws.com' }, 1);
    fixture.template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      FunctionName: arnOf(apiFunctionId()),
      Principal: 'apigateway.amazonaws.com',
      SourceArn: { 'Fn::Join': ['', Match.arrayWith([ref(apiId()), '/*/*/*'])] },
    });
  });

  test('regional endpoint, keys read from the x-api-key header', () => {
    fixture.template.hasResourceProperties('AWS::ApiGateway::RestApi', {
      Name: 'JobsService-api',
      ApiKeySourceType: 'HEADER',
      EndpointConfiguration: { Types: ['REGIONAL'] },
    });
  });

  test('every request body reaches the api Lambda as base64 bytes (binaryMediaTypes */*), so it decodes UTF-8 strictly itself', () => {
    // Without a binary media type API Gateway hands a proxy integration the body as text, and bytes that are
    // not UTF-8 would arrive already replaced; with */* every body arrives base64, `isBase64Encoded: true`.
    fixture.template.hasResourceProperties('AWS::ApiGateway::RestApi', { BinaryMediaTypes: ['*/*'] });
    const restApis = Object.values(fixture.template.findResources('AWS::ApiGateway::RestApi'));
    expect(restApis.map((api) => api.Properties.BinaryMediaTypes)).toEqual([['*/*']]);
  });
});

describe('usage plan', () => {
  test('throttles and caps each key on the deployed stage', () => {
    fixture.template.hasResourceProperties('AWS::ApiGateway::UsagePlan', {
      Throttle: { RateLimit: 50, BurstLimit: 100 },
      Quota: { Limit: 1_000_000, Period: 'DAY' },
      ApiStages: [{ ApiId: ref(apiId()), Stage: ref(fixture.idOf(fixture.stack.api.api.deploymentStage)) }],
    });
  });

  test('the stage has an overall throttle too', () => {
    fixture.template.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'prod',
      MethodSettings: [Match.objectLike({ HttpMethod: '*', ResourcePath: '/*', ThrottlingRateLimit: 1000, ThrottlingBurstLimit: 2000 })],
    });
  });
});

describe('gateway responses are the SPEC problem documents', () => {
  const responses = () => Object.values(fixture.template.findResources('AWS::ApiGateway::GatewayResponse')).map((r) => r.Properties);
  const responseFor = (type: string) => responses().find((r) => r.ResponseType === type);

  test.each(GATEWAY_PROBLEMS.map(([type, problem]) => [type.responseType, problem] as const))('%s', (type, problem) => {
    expect(problem.status).toBe(PROBLEMS[problem.code].status);
    const response = responseFor(type);
    expect(response).toMatchObject({
      RestApiId: ref(apiId()),
      StatusCode: String(problem.status),
      ResponseParameters: expect.objectContaining({ 'gatewayresponse.header.Content-Type': "'application/problem+json; charset=utf-8'" }),
    });
    const body = JSON.parse(response.ResponseTemplates['application/json']);
    expect(body).toEqual({
      type: 'about:blank',
      title: STATUS_CODES[problem.status],
      status: problem.status,
      code: problem.code,
      detail: problem.detail,
      requestId: '$context.requestId',
    });
  });

  test.each([
    ['MISSING_AUTHENTICATION_TOKEN', 404, 'not_found'],
    ['INVALID_API_KEY', 403, 'forbidden'],
    ['THROTTLED', 429, 'rate_limited'],
    ['QUOTA_EXCEEDED', 429, 'rate_limited'],
    ['REQUEST_TOO_LARGE', 413, 'payload_too_large'],
    ['DEFAULT_4XX', 403, 'forbidden'],
    ['DEFAULT_5XX', 500, 'internal_error'],
  ])('%s → %i %s', (type, status, code) => {
    const response = responseFor(type);
    expect(response.StatusCode).toBe(String(status));
    expect(JSON.parse(response.ResponseTemplates['application/json'])).toMatchObject({ status, code });
  });

  test('429s say when to retry', () => {
    for (const type of ['THROTTLED', 'QUOTA_EXCEEDED']) {
      expect(responseFor(type).ResponseParameters['gatewayresponse.header.Retry-After']).toMatch(/^'\d+'$/);
    }
  });

  test('every 4xx type API Gateway can send has its own status (a DEFAULT_4XX status would override unlisted ones)', () => {
    const fourXx = [
      'ACCESS_DENIED', 'BAD_REQUEST_PARAMETERS', 'BAD_REQUEST_BODY', 'EXPIRED_TOKEN', 'INVALID_API_KEY', 'INVALID_SIGNATURE',
      'MISSING_AUTHENTICATION_TOKEN', 'QUOTA_EXCEEDED', 'REQUEST_TOO_LARGE', 'RESOURCE_NOT_FOUND', 'THROTTLED', 'UNAUTHORIZED',
      'UNSUPPORTED_MEDIA_TYPE', 'WAF_FILTERED',
    ];
    for (const type of fourXx) expect({ type, configured: responseFor(type) !== undefined }).toEqual({ type, configured: true });
  });

  test('no template echoes request input (only $context.requestId is substituted)', () => {
    for (const response of responses()) {
      const variables = response.ResponseTemplates['application/json'].match(/\$[a-zA-Z.]+/g) ?? [];
      expect(variables).toEqual(['$context.requestId']);
    }
  });
});

describe('access logs', () => {
  test('JSON lines per request to a log group with a retention, naming the key id and never the key', () => {
    const stage = Object.values(fixture.template.findResources('AWS::ApiGateway::Stage'))[0].Properties;
    expect(stage.AccessLogSetting.DestinationArn).toEqual(arnOf(fixture.idOf(fixture.stack.api.accessLogs)));
    const format = JSON.parse(stage.AccessLogSetting.Format);
    // What ops follow a request by, each a variable API Gateway knows (CDK's names for them), and nothing billed for naught.
    expect(format).toEqual({
      requestId: AccessLogField.contextRequestId(),
      ip: AccessLogField.contextIdentitySourceIp(),
      apiKeyId: AccessLogField.contextIdentityApiKeyId(),
      httpMethod: AccessLogField.contextHttpMethod(),
      path: AccessLogField.contextPath(),
      status: AccessLogField.contextStatus(),
      responseLatency: AccessLogField.contextResponseLatency(),
      integrationLatency: AccessLogField.contextIntegrationLatency(),
      errorType: AccessLogField.contextErrorResponseType(),
    });
    expect(stage.AccessLogSetting.Format).not.toContain('$context.identity.apiKey"');
    expect(fixture.template.toJSON().Resources[fixture.idOf(fixture.stack.api.accessLogs)].Properties.RetentionInDays).toBe(90);
  });
});
