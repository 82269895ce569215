/**
 * Builds the stack the way `cdk synth` does (cdk.json's feature flags), fast:
 * no esbuild bundling and no built-in CloudFormation validation. Each test
 * file synthesizes once and shares the template between its tests.
 */
import { App, Stack, Validations, type CfnElement } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import cdkJson from '../../cdk.json';
import { JobsServiceStack, type JobsServiceStackProps } from '../../lib/jobs-service-stack';

export interface Fixture {
  readonly app: App;
  readonly stack: JobsServiceStack;
  readonly template: Template;
  /** The logical id of a construct's CloudFormation resource (e.g. `stack.table.table`). */
  readonly idOf: (construct: IConstruct) => string;
}

export function testApp(options: { nag?: boolean; context?: Record<string, unknown>; outdir?: string } = {}): App {
  const app = new App({
    outdir: options.outdir,
    context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [], ...options.context },
    builtinCloudFormationValidation: false,
  });
  if (options.nag) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return app;
}

export function synthStack(props: JobsServiceStackProps = {}): Fixture {
  const app = testApp();
  const stack = new JobsServiceStack(app, 'JobsService', props);
  return { app, stack, template: Template.fromStack(stack), idOf: (construct) => logicalId(construct) };
}

export function logicalId(construct: IConstruct): string {
  const element = (construct.node.defaultChild ?? construct) as CfnElement;
  return Stack.of(construct).getLogicalId(element);
}

/** `{ Ref: id }` / `{ Fn::GetAtt: [id, 'Arn'] }` as they appear in templates. */
export const ref = (id: string) => ({ Ref: id });
export const arnOf = (id: string) => ({ 'Fn::GetAtt': [id, 'Arn'] });

export interface Permission {
  readonly action: string;
  /** As in the template: a string, `{ Ref }`, `{ Fn::GetAtt }` or `{ Fn::Join }`. */
  readonly resource: unknown;
}

/** Every (action, resource) pair the role's policies allow, statements flattened. */
export function permissionsOf(template: Template, roleId: string): Permission[] {
  const permissions: Permission[] = [];
  for (const policy of Object.values(template.findResources('AWS::IAM::Policy'))) {
    const roles: unknown[] = policy.Properties.Roles ?? [];
    if (!roles.some((role) => JSON.stringify(role) === JSON.stringify(ref(roleId)))) continue;
    for (const statement of policy.Properties.PolicyDocument.Statement) {
      if (statement.Effect !== 'Allow') continue;
      for (const action of [statement.Action].flat()) {
        for (const resource of [statement.Resource].flat()) permissions.push({ action, resource });
      }
    }
  }
  return permissions;
}
