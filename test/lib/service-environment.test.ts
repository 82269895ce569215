/**
 * One typed configuration for every function (issue 6): settings become the
 * variables lambdas/config.ts reads, and come back out of it unchanged; deploy
 * choices come from CDK context.
 */
import { App } from 'aws-cdk-lib';
import { ConfigError, loadConfig } from '../../lambdas/config';
import { DEFAULT_STACK_NAME, stackNameFromContext, stackPropsFromContext } from '../../lib/deployment-context';
import { serviceEnvironment, type ServiceSettings } from '../../lib/service-environment';

const resources = {
  tableName: 'jobs-table',
  jobsQueueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/jobs',
  webhooksQueueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/webhooks',
};

test('every setting round-trips through the environment and lambdas/config.ts', () => {
  const settings: ServiceSettings = {
    ...resources,
    emailFrom: 'jobs@example.org',
    smsSenderId: 'Jobs',
    retentionDays: 3,
    defaultMaxAttempts: 7,
    backoffBaseSeconds: 1,
    backoffMaxSeconds: 600,
    jobTimeoutSeconds: 20,
    staleAfterSeconds: 90,
    schedulerLookaheadSeconds: 120,
    webhookRetrySchedule: [5, 60, 600],
    webhookTimeoutSeconds: 8,
  };
  const config = loadConfig(serviceEnvironment(settings));
  // Every setting comes back under its own name; AWS never allows private targets.
  expect(config).toMatchObject({ ...settings, allowPrivateTargets: false });
});

test('unset settings stay unset (the service defaults apply); Powertools gets the service name and namespace', () => {
  const environment = serviceEnvironment(resources);
  expect(environment).toEqual({
    JOBS_TABLE_NAME: resources.tableName,
    JOBS_QUEUE_URL: resources.jobsQueueUrl,
    WEBHOOKS_QUEUE_URL: resources.webhooksQueueUrl,
    POWERTOOLS_SERVICE_NAME: 'jobs-service',
    POWERTOOLS_METRICS_NAMESPACE: 'JobsService',
    POWERTOOLS_LOG_LEVEL: 'INFO',
  });
});

test.each([
  [{ retentionDays: 0 }, /RETENTION_DAYS/],
  [{ emailFrom: 'x' }, /EMAIL_FROM/],
  [{ backoffBaseSeconds: 10, backoffMaxSeconds: 5 }, /BACKOFF_MAX_SECONDS/],
])('a bad setting is refused with its variable named: %j', (bad, message) => {
  expect(() => serviceEnvironment({ ...resources, ...bad })).toThrow(ConfigError);
  expect(() => serviceEnvironment({ ...resources, ...bad })).toThrow(message);
});

describe('deploy choices from CDK context', () => {
  test('given', () => {
    const app = new App({
      context: {
        stackName: 'JobsStaging',
        alarmEmail: 'ops@example.org',
        emailFrom: 'jobs@example.org',
        tableDeletionProtection: 'false',
        apiGatewayCloudWatchRole: 'false',
        keepRetiredStatusIndex: 'true',
      },
    });
    expect(stackNameFromContext(app.node)).toBe('JobsStaging');
    expect(stackPropsFromContext(app.node)).toEqual({
      alarmEmail: 'ops@example.org',
      tableDeletionProtection: false,
      apiGatewayCloudWatchRole: false,
      keepRetiredStatusIndex: true,
      settings: { emailFrom: 'jobs@example.org', smsSenderId: undefined },
    });
  });

  test('switches: `-c key=false` (a string) and cdk.json\'s boolean false turn them off; anything else leaves them on', () => {
    const propsWith = (value: unknown) => stackPropsFromContext(new App({ context: { apiGatewayCloudWatchRole: value, tableDeletionProtection: value } }).node);
    for (const off of ['false', false]) expect(propsWith(off)).toMatchObject({ apiGatewayCloudWatchRole: false, tableDeletionProtection: false });
    for (const on of ['true', true]) expect(propsWith(on)).toMatchObject({ apiGatewayCloudWatchRole: true, tableDeletionProtection: true });
  });

  test('absent: the secure defaults', () => {
    const app = new App();
    expect(stackNameFromContext(app.node)).toBe(DEFAULT_STACK_NAME);
    expect(stackPropsFromContext(app.node)).toEqual({ alarmEmail: undefined, tableDeletionProtection: undefined, settings: { emailFrom: undefined, smsSenderId: undefined } });
  });
});
