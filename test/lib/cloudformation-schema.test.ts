/**
 * The template against the CloudFormation resource schemas (issue 12): every
 * resource's property names and types, as `npx cdk synth` checks them. The CDK
 * ships the check (its built-in "CloudFormation Validate" plugin, with the
 * registry's resource schemas bundled); cdk.json's
 * `@aws-cdk/core:validateAgainstDefaultRules` makes its errors fail synthesis
 * instead of printing warnings. A test-only stack with deliberate mistakes
 * proves the check bites.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, CfnResource, Duration, Stack } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import cdkJson from '../../cdk.json';
import { JobsServiceStack } from '../../lib/jobs-service-stack';

const VALIDATOR = 'CloudFormation Validate';
const STRICT_FLAG = '@aws-cdk/core:validateAgainstDefaultRules';

interface Finding {
  readonly rule: string;
  readonly severity: string;
  readonly at: string[];
  readonly description: string;
}

const outdirs: string[] = [];
afterAll(() => {
  for (const dir of outdirs) rmSync(dir, { recursive: true, force: true });
});

/** Synthesizes what `build` adds to an app with cdk.json's context and the built-in validation on, as `cdk synth` does. */
function validate(build: (app: App) => void, context: Record<string, unknown> = cdkJson.context) {
  const outdir = mkdtempSync(join(tmpdir(), 'jobs-schema-'));
  outdirs.push(outdir);
  const app = new App({ outdir, context: { ...context, 'aws:cdk:bundling-stacks': [] }, builtinCloudFormationValidation: true });
  build(app);
  let failure: unknown;
  try {
    app.synth();
  } catch (error) {
    failure = error;
  }
  const report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8'));
  const findings: Finding[] = report.pluginReports
    .filter((plugin: { pluginName: string }) => plugin.pluginName === VALIDATOR)
    .flatMap((plugin: { violations: Array<Record<string, any>> }) => plugin.violations)
    .map((v: Record<string, any>) => ({
      rule: v.ruleName,
      severity: v.severity,
      at: v.violatingConstructs.flatMap((c: any) => (c.cloudFormationResource?.propertyPaths ?? []).map((p: string) => `${c.cloudFormationResource.logicalId}.${p}`)),
      description: v.description,
    }));
  return { failure, findings };
}

test('cdk.json makes schema errors fail synthesis', () => {
  expect(cdkJson.context).toMatchObject({ [STRICT_FLAG]: true });
});

test.each([
  ['by default', {}],
  ['without the API Gateway account role', { apiGatewayCloudWatchRole: false }],
])('the stack (%s): every resource matches its schema, no finding of any severity', (_name, props) => {
  const { failure, findings } = validate((app) => {
    new JobsServiceStack(app, 'JobsService', { settings: { emailFrom: 'jobs@example.org' }, alarmEmail: 'ops@example.org', ...props });
  });
  expect(findings).toEqual([]);
  expect(failure).toBeUndefined();
}, 120_000); // the first validation compiles the rules: 8 s alone, far more in the full suite on 2 busy cores

describe('a test-only stack with deliberate mistakes', () => {
  const mistakes = (app: App) => {
    const stack = new Stack(app, 'Mistakes');
    const queue = new sqs.Queue(stack, 'Queue', { visibilityTimeout: Duration.seconds(30) });
    const cfnQueue = queue.node.defaultChild as sqs.CfnQueue;
    cfnQueue.addPropertyOverride('VisibilityTimeoutSecs', 30); // unknown property
    cfnQueue.addPropertyOverride('MessageRetentionPeriod', 'four days'); // integer expected
    // An unknown property one level down, in an object the schema closes.
    new CfnResource(stack, 'Mapping', {
      type: 'AWS::Lambda::EventSourceMapping',
      properties: { FunctionName: 'worker', EventSourceArn: queue.queueArn, ScalingConfig: { MaxConcurrency: 5 } },
    });
    // A type with no schema is an error too, so a clean report means every resource was checked.
    new CfnResource(stack, 'Typo', { type: 'AWS::SQS::Queeue', properties: {} });
  };

  test('fails synthesis, naming each mistake at its property', () => {
    const { failure, findings } = validate(mistakes);
    expect(String(failure)).toMatch(/^ValidationFailed: [\s\S]*ERROR VisibilityTimeoutSecs: Additional properties are not allowed/);
    const errors = findings.filter((f) => f.severity === 'error');
    expect(errors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ at: [expect.stringMatching(/^Queue\w+\.Properties\.VisibilityTimeoutSecs$/)], description: expect.stringMatching(/Additional properties are not allowed/) }),
        expect.objectContaining({ at: [expect.stringMatching(/^Queue\w+\.Properties\.MessageRetentionPeriod$/)], description: expect.stringMatching(/is not of type 'integer'/) }),
        expect.objectContaining({ at: ['Mapping.Properties.ScalingConfig.MaxConcurrency'], description: expect.stringMatching(/Additional properties are not allowed/) }),
        expect.objectContaining({ description: "Unknown resource type 'AWS::SQS::Queeue'" }),
      ]),
    );
    expect(errors).toHaveLength(4);
  }, 60_000);

  test('without the cdk.json flag the same mistakes are only warnings and synthesis succeeds (why the flag is set)', () => {
    const { [STRICT_FLAG]: _strict, ...lenient } = cdkJson.context;
    const printed = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      const { failure, findings } = validate(mistakes, lenient);
      expect(failure).toBeUndefined();
      expect(findings.map((f) => f.severity)).toEqual(['warning', 'warning', 'warning', 'warning']);
      expect(String(printed.mock.calls[0]?.[0])).toMatch(/reported as warnings/);
    } finally {
      printed.mockRestore();
    }
  }, 60_000);
});
