/**
 * cdk-nag's AWS Solutions rules (issue 6, done-when 3): the stack synthesizes
 * with no unacknowledged error or warning, every acknowledgement is still
 * needed (none is stale), and every one says why.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Validations, type Acknowledgment } from 'aws-cdk-lib';
import { JobsServiceStack } from '../../lib/jobs-service-stack';
import { testApp } from './stack-fixture';

interface Violation {
  ruleName: string;
  severity: string;
  violatingConstructs: Array<{ constructPath: string }>;
}

const outdirs: string[] = [];
afterAll(() => {
  for (const dir of outdirs) rmSync(dir, { recursive: true, force: true });
});

/** Synthesizes the stack under AwsSolutionsChecks; returns the violations reported (not thrown). */
function nagViolations(): Violation[] {
  const outdir = mkdtempSync(join(tmpdir(), 'jobs-nag-'));
  outdirs.push(outdir);
  const app = testApp({ nag: true, outdir });
  new JobsServiceStack(app, 'JobsService', { settings: { emailFrom: 'jobs@example.org' }, alarmEmail: 'ops@example.org' });
  try {
    app.synth();
  } catch {
    // Reported below, from the report file, with the rule names.
  }
  const report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8'));
  return report.pluginReports.flatMap((plugin: { violations: Violation[] }) => plugin.violations);
}

const summary = (violations: Violation[]) =>
  violations.flatMap((v) => v.violatingConstructs.map((c) => `${v.severity} ${v.ruleName} at ${c.constructPath}`));

test('AwsSolutionsChecks: no unacknowledged error or warning', () => {
  expect(summary(nagViolations())).toEqual([]);
});

describe('acknowledgements', () => {
  const acknowledged: Acknowledgment[] = [];
  let withoutThem: Violation[];

  beforeAll(() => {
    const spy = jest.spyOn(Validations.prototype, 'acknowledge').mockImplementation((...rules: Acknowledgment[]) => {
      acknowledged.push(...rules.filter((rule) => rule.id.startsWith('AwsSolutions')));
    });
    try {
      withoutThem = nagViolations();
    } finally {
      spy.mockRestore();
    }
  });

  test('each one silences a finding that would otherwise be reported (none is stale)', () => {
    const found = new Set(withoutThem.map((v) => v.ruleName));
    const ids = new Set(acknowledged.map((rule) => rule.id.replace(/^AwsSolutions::/, '')));
    expect([...ids].filter((id) => !found.has(id))).toEqual([]);
    expect([...found].filter((id) => !ids.has(id))).toEqual([]);
  });

  test('each one states its reason', () => {
    expect(acknowledged.length).toBeGreaterThan(0);
    for (const rule of acknowledged) expect({ id: rule.id, reason: rule.reason.length >= 40 }).toEqual({ id: rule.id, reason: true });
  });

  test('the only ones are the API design choices, the two IAM wildcards AWS requires and API Gateway\'s documented logging policy', () => {
    expect([...new Set(acknowledged.map((rule) => rule.id))].sort()).toEqual([
      'AwsSolutions-APIG2',
      'AwsSolutions-APIG3',
      'AwsSolutions-APIG4',
      'AwsSolutions-APIG6',
      'AwsSolutions-COG4',
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      'AwsSolutions-IAM5[Resource::*]',
      'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ses:<AWS::Region>:<AWS::AccountId>:identity/*]',
    ]);
  });
});
