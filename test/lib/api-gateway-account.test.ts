/**
 * API Gateway's account-level CloudWatch Logs role (issue 12, done-when 1):
 * a first deploy in a fresh account or region creates the stage's access logs
 * only if the account names a role, so the stack sets one by default, keeps it
 * on deletion, orders the stage after it, and leaves it out on request.
 */
import { Template } from 'aws-cdk-lib/assertions';
import { PUSH_TO_CLOUDWATCH_LOGS_POLICY } from '../../lib/api-gateway-account';
import { stackPropsFromContext } from '../../lib/deployment-context';
import { JobsServiceStack } from '../../lib/jobs-service-stack';
import { arnOf, synthStack, testApp, type Fixture } from './stack-fixture';

let fixture: Fixture;
beforeAll(() => {
  fixture = synthStack({ settings: { emailFrom: 'jobs@example.org' } });
});

const stageOf = (template: Template) => Object.values(template.findResources('AWS::ApiGateway::Stage'))[0];
const rolesWithThePolicy = (template: Template) =>
  Object.keys(template.findResources('AWS::IAM::Role')).filter((id) =>
    JSON.stringify(template.toJSON().Resources[id].Properties.ManagedPolicyArns ?? []).includes(PUSH_TO_CLOUDWATCH_LOGS_POLICY),
  );

describe('by default', () => {
  test('the account setting names a role API Gateway assumes, with the AWS managed policy for pushing logs', () => {
    const account = fixture.stack.apiGatewayAccount!;
    const roleId = fixture.idOf(account.role);
    fixture.template.resourceCountIs('AWS::ApiGateway::Account', 1);
    fixture.template.hasResourceProperties('AWS::ApiGateway::Account', { CloudWatchRoleArn: arnOf(roleId) });
    const role = fixture.template.toJSON().Resources[roleId];
    expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([
      { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'apigateway.amazonaws.com' } },
    ]);
    expect(role.Properties.ManagedPolicyArns).toEqual([
      { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:iam::aws:policy/${PUSH_TO_CLOUDWATCH_LOGS_POLICY}`]] },
    ]);
    expect(role.Properties.Policies).toBeUndefined();
    expect(rolesWithThePolicy(fixture.template)).toEqual([roleId]);
  });

  test('both survive stack deletion and replacement: they are account-wide', () => {
    const resources = fixture.template.toJSON().Resources;
    for (const construct of [fixture.stack.apiGatewayAccount!.account, fixture.stack.apiGatewayAccount!.role]) {
      expect(resources[fixture.idOf(construct)]).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    }
  });

  test('the stage (which writes access logs) is created after the account setting', () => {
    const stage = stageOf(fixture.template);
    expect(stage.Properties.AccessLogSetting).toBeDefined();
    expect(stage.DependsOn).toContain(fixture.idOf(fixture.stack.apiGatewayAccount!.account));
  });
});

describe.each([
  ['the stack prop', () => synthStack({ apiGatewayCloudWatchRole: false }).template],
  [
    'the context switch (-c apiGatewayCloudWatchRole=false)',
    () => {
      const app = testApp({ context: { apiGatewayCloudWatchRole: 'false' } });
      return Template.fromStack(new JobsServiceStack(app, 'JobsService', stackPropsFromContext(app.node)));
    },
  ],
])('switched off through %s', (_how, synth) => {
  let template: Template;
  beforeAll(() => {
    template = synth();
  });

  test('neither the account setting nor its role is in the template; the stage still logs', () => {
    template.resourceCountIs('AWS::ApiGateway::Account', 0);
    expect(rolesWithThePolicy(template)).toEqual([]);
    const stage = stageOf(template);
    expect(stage.Properties.AccessLogSetting).toBeDefined();
    expect(JSON.stringify(stage.DependsOn ?? [])).not.toContain('ApiGatewayAccount');
  });
});
