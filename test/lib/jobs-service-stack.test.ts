/**
 * The stack's storage, queues, functions, permissions, scheduler rule and
 * outputs (issue 6; SPEC §7, §10), asserted property by property on the
 * synthesized template.
 */
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { JOBS_QUEUE, RETIRED_STATUS_INDEX, STATUS_INDEX, SWEEP_INDEX, TABLE_INDEXES, TABLE_KEYS, TTL_ATTRIBUTE, WEBHOOKS_QUEUE, DLQ_RETENTION_SECONDS } from '../../lambdas/resources';
import { WorkQueue } from '../../lib/job-queues';
import { arnOf, permissionsOf, ref, synthStack, type Fixture } from './stack-fixture';

let fixture: Fixture;
beforeAll(() => {
  fixture = synthStack({ settings: { emailFrom: 'jobs@example.org' } });
});

const functionNames = ['api', 'worker', 'scheduler', 'webhook'] as const;
const functionId = (name: (typeof functionNames)[number]) => fixture.idOf(fixture.stack.functions[name].function);
const roleId = (name: (typeof functionNames)[number]) => fixture.idOf(fixture.stack.functions[name].role);

describe('jobs table', () => {
  test('keys, billing and TTL come from lambdas/resources.ts', () => {
    fixture.template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: TABLE_KEYS.partitionKey.name, KeyType: 'HASH' },
        { AttributeName: TABLE_KEYS.sortKey.name, KeyType: 'RANGE' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
      TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true },
    });
  });

  test('each GSI has its keys and a narrow INCLUDE projection', () => {
    const table = Object.values(fixture.template.findResources('AWS::DynamoDB::Table'))[0];
    const indexes = table.Properties.GlobalSecondaryIndexes;
    expect(indexes).toHaveLength(TABLE_INDEXES.length);
    for (const index of TABLE_INDEXES) {
      expect(indexes).toContainEqual({
        IndexName: index.indexName,
        KeySchema: [
          { AttributeName: index.partitionKey.name, KeyType: 'HASH' },
          { AttributeName: index.sortKey.name, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: [...index.nonKeyAttributes] },
      });
    }
    // The status index: keys and the immutable `type` only, so no transition but a bucket change writes it.
    expect(STATUS_INDEX.nonKeyAttributes).toEqual(['type']);
  });

  test('keeps the previous status index beside the new one only when asked (the first deploy of an existing stack)', () => {
    const names = (template: typeof fixture.template) =>
      (Object.values(template.findResources('AWS::DynamoDB::Table'))[0].Properties.GlobalSecondaryIndexes as Array<{ IndexName: string }>).map((i) => i.IndexName).sort();
    expect(names(fixture.template)).toEqual([STATUS_INDEX.indexName, SWEEP_INDEX.indexName].sort());
    const upgrading = synthStack({ settings: { emailFrom: 'jobs@example.org' }, keepRetiredStatusIndex: true });
    expect(names(upgrading.template)).toEqual([STATUS_INDEX.indexName, SWEEP_INDEX.indexName, RETIRED_STATUS_INDEX.indexName].sort());
  });

  test('point-in-time recovery keeps 7 days, and the table survives stack deletion', () => {
    fixture.template.hasResource('AWS::DynamoDB::Table', {
      Properties: Match.objectLike({
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true, RecoveryPeriodInDays: 7 },
        DeletionProtectionEnabled: true,
      }),
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });

  test('deletion protection is configurable', () => {
    const { template } = synthStack({ tableDeletionProtection: false });
    template.hasResourceProperties('AWS::DynamoDB::Table', { DeletionProtectionEnabled: false });
  });
});

describe.each([
  ['jobs', () => fixture.stack.jobsQueue, JOBS_QUEUE, 'worker'],
  ['webhooks', () => fixture.stack.webhooksQueue, WEBHOOKS_QUEUE, 'webhook'],
] as const)('%s queue', (_name, queueOf, definition, consumer) => {
  test('is encrypted, redrives to its DLQ after maxReceiveCount, keeps messages as defined', () => {
    const work = queueOf();
    fixture.template.hasResourceProperties('AWS::SQS::Queue', {
      SqsManagedSseEnabled: true,
      VisibilityTimeout: definition.visibilityTimeoutSeconds,
      MessageRetentionPeriod: definition.retentionSeconds,
      RedrivePolicy: { deadLetterTargetArn: arnOf(fixture.idOf(work.deadLetterQueue)), maxReceiveCount: definition.maxReceiveCount },
    });
    const dlq = fixture.template.toJSON().Resources[fixture.idOf(work.deadLetterQueue)];
    expect(dlq.Properties).toEqual({ SqsManagedSseEnabled: true, MessageRetentionPeriod: DLQ_RETENTION_SECONDS });
  });

  test('queue and DLQ refuse requests without TLS', () => {
    const work = queueOf();
    for (const queue of [work.queue, work.deadLetterQueue]) {
      fixture.template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [ref(fixture.idOf(queue))],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Principal: { AWS: '*' }, Action: 'sqs:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
    }
  });

  test('feeds its consumer in batches with partial failures, a batching window and a concurrency cap', () => {
    fixture.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: arnOf(fixture.idOf(queueOf().queue)),
      FunctionName: ref(functionId(consumer)),
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BatchSize: definition.batchSize,
      MaximumBatchingWindowInSeconds: definition.maxBatchingWindowSeconds,
      ScalingConfig: { MaximumConcurrency: definition.maxConcurrency },
    });
  });

  test('visibility timeout is at least the consumer function timeout', () => {
    const resources = fixture.template.toJSON().Resources;
    const visibility = resources[fixture.idOf(queueOf().queue)].Properties.VisibilityTimeout;
    const timeout = resources[functionId(consumer)].Properties.Timeout;
    expect(timeout).toBe(definition.consumerTimeoutSeconds);
    expect(visibility).toBeGreaterThanOrEqual(timeout);
  });
});

test('a dead worker\'s job message comes back within STALE_AFTER_SECONDS (120 by default) + one scheduler run (60 s)', () => {
  expect(JOBS_QUEUE.visibilityTimeoutSeconds).toBeLessThanOrEqual(120 + 60);
});

test('a queue refuses a consumer whose timeout is over its visibility timeout', () => {
  const stack = new Stack(new App(), 'Probe');
  const work = new WorkQueue(stack, 'Work', { definition: { ...JOBS_QUEUE, visibilityTimeoutSeconds: 50 } });
  const slow = new lambda.Function(stack, 'Slow', {
    runtime: lambda.Runtime.NODEJS_24_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => {}'),
    timeout: Duration.seconds(60),
  });
  expect(() => work.consumeWith(slow)).toThrow(/visibility timeout 50s is under 1 × the consumer's 60s timeout/);
});

describe('functions', () => {
  test.each(functionNames)('%s: Node.js 24 on arm64, the service environment, its own log group, JSON logs without Lambda\'s INFO lines', (name) => {
    const { template, stack } = fixture;
    const resource = template.toJSON().Resources[functionId(name)];
    expect(resource.Properties).toMatchObject({
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      Role: arnOf(roleId(name)),
      LoggingConfig: { LogGroup: ref(fixture.idOf(stack.functions[name].logGroup)), LogFormat: 'JSON', SystemLogLevel: 'WARN', ApplicationLogLevel: 'INFO' },
      Environment: {
        Variables: {
          JOBS_TABLE_NAME: ref(fixture.idOf(stack.table.table)),
          JOBS_QUEUE_URL: ref(fixture.idOf(stack.jobsQueue.queue)),
          WEBHOOKS_QUEUE_URL: ref(fixture.idOf(stack.webhooksQueue.queue)),
          EMAIL_FROM: 'jobs@example.org',
          POWERTOOLS_SERVICE_NAME: 'jobs-service',
          POWERTOOLS_METRICS_NAMESPACE: 'JobsService',
        },
      },
    });
    // AWS never allows private targets by default (SPEC §6).
    expect(resource.Properties.Environment.Variables).not.toHaveProperty('ALLOW_PRIVATE_TARGETS');
    // No --enable-source-maps: it parses every source map at each cold start (lib/lambda-bundle.ts).
    expect(resource.Properties.Environment.Variables).not.toHaveProperty('NODE_OPTIONS');
    expect(template.toJSON().Resources[fixture.idOf(stack.functions[name].logGroup)].Properties.RetentionInDays).toBe(30);
  });

  test('timeouts: the worker and webhook functions take theirs from the queue definitions', () => {
    const resources = fixture.template.toJSON().Resources;
    expect(resources[functionId('worker')].Properties.Timeout).toBe(JOBS_QUEUE.consumerTimeoutSeconds);
    expect(resources[functionId('webhook')].Properties.Timeout).toBe(WEBHOOKS_QUEUE.consumerTimeoutSeconds);
    expect(resources[functionId('api')].Properties.Timeout).toBeLessThan(29); // API Gateway's integration limit
  });

  test('function roles use no AWS managed policies', () => {
    const resources = fixture.template.toJSON().Resources;
    for (const name of functionNames) expect(resources[roleId(name)].Properties.ManagedPolicyArns).toBeUndefined();
  });

  test('no function reserves concurrency, so the stack deploys on a new account\'s quota of 10', () => {
    // Reserving any needs 100 unreserved left over in the account; the event sources' maxConcurrency reserves nothing.
    for (const name of functionNames) {
      expect(fixture.template.toJSON().Resources[functionId(name)].Properties.ReservedConcurrentExecutions).toBeUndefined();
    }
  });

  test('a job timeout that does not fit in the worker timeout fails synthesis', () => {
    expect(() => synthStack({ settings: { jobTimeoutSeconds: 90 } })).toThrow(/JOB_TIMEOUT_SECONDS \(90s\) must be shorter than the WorkerFunction timeout \(60s\)/);
  });

  test('an out-of-range setting fails synthesis with the variable named', () => {
    expect(() => synthStack({ settings: { retentionDays: 0 } })).toThrow(/RETENTION_DAYS/);
  });
});

describe('least privilege', () => {
  const tableArn = () => arnOf(fixture.idOf(fixture.stack.table.table));
  const indexArn = (indexName: string) => ({ 'Fn::Join': ['', [tableArn(), `/index/${indexName}`]] });
  const queueArn = (which: 'jobsQueue' | 'webhooksQueue') => arnOf(fixture.idOf(fixture.stack[which].queue));
  const can = (name: (typeof functionNames)[number], action: string, resource: unknown) =>
    permissionsOf(fixture.template, roleId(name)).some((p) => p.action === action && JSON.stringify(p.resource) === JSON.stringify(resource));
  const actionsOf = (name: (typeof functionNames)[number]) => new Set(permissionsOf(fixture.template, roleId(name)).map((p) => p.action));
  const itemActions = ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:Query'];

  test.each(functionNames)('%s reads and writes items of the table only, and writes only its own log group', (name) => {
    for (const action of itemActions) expect(can(name, action, tableArn())).toBe(true);
    expect(actionsOf(name)).not.toContain('dynamodb:Scan');
    // The api alone reads items in batches (the list route reads the status index's items through).
    const expected = name === 'api' ? [...itemActions, 'dynamodb:BatchGetItem'] : itemActions;
    expect([...actionsOf(name)].filter((a) => a.startsWith('dynamodb:')).sort()).toEqual([...expected].sort());
    if (name === 'api') expect(can(name, 'dynamodb:BatchGetItem', tableArn())).toBe(true);
    for (const action of ['logs:CreateLogStream', 'logs:PutLogEvents']) {
      expect(can(name, action, arnOf(fixture.idOf(fixture.stack.functions[name].logGroup)))).toBe(true);
    }
  });

  test('api: queries the status index; sends to both queues; consumes nothing; no email or SMS', () => {
    expect(can('api', 'dynamodb:Query', indexArn(STATUS_INDEX.indexName))).toBe(true);
    expect(can('api', 'dynamodb:Query', indexArn(SWEEP_INDEX.indexName))).toBe(false);
    expect(can('api', 'sqs:SendMessage', queueArn('jobsQueue'))).toBe(true);
    expect(can('api', 'sqs:SendMessage', queueArn('webhooksQueue'))).toBe(true);
    expect(actionsOf('api')).not.toContain('sqs:ReceiveMessage');
    expect(actionsOf('api')).not.toContain('ses:SendEmail');
    expect(actionsOf('api')).not.toContain('sns:Publish');
  });

  test('worker: consumes the jobs queue, sends to both queues, sends email (SES identities of this account/region) and SMS', () => {
    expect(can('worker', 'sqs:ReceiveMessage', queueArn('jobsQueue'))).toBe(true);
    expect(can('worker', 'sqs:DeleteMessage', queueArn('jobsQueue'))).toBe(true);
    expect(can('worker', 'sqs:ReceiveMessage', queueArn('webhooksQueue'))).toBe(false);
    expect(can('worker', 'sqs:SendMessage', queueArn('jobsQueue'))).toBe(true);
    expect(can('worker', 'sqs:SendMessage', queueArn('webhooksQueue'))).toBe(true);
    expect(
      can('worker', 'ses:SendEmail', {
        'Fn::Join': ['', ['arn:', ref('AWS::Partition'), ':ses:', ref('AWS::Region'), ':', ref('AWS::AccountId'), ':identity/*']],
      }),
    ).toBe(true);
    expect(can('worker', 'sns:Publish', '*')).toBe(true);
    expect(can('worker', 'dynamodb:Query', indexArn(STATUS_INDEX.indexName))).toBe(false);
  });

  test('scheduler: queries the sweep index, sends to both queues, and drains their DLQs only', () => {
    const dlqArn = (which: 'jobsQueue' | 'webhooksQueue') => arnOf(fixture.idOf(fixture.stack[which].deadLetterQueue));
    expect(can('scheduler', 'dynamodb:Query', indexArn(SWEEP_INDEX.indexName))).toBe(true);
    expect(can('scheduler', 'dynamodb:Query', indexArn(STATUS_INDEX.indexName))).toBe(false);
    expect(can('scheduler', 'sqs:SendMessage', queueArn('jobsQueue'))).toBe(true);
    expect(can('scheduler', 'sqs:SendMessage', queueArn('webhooksQueue'))).toBe(true);
    for (const which of ['jobsQueue', 'webhooksQueue'] as const) {
      expect(can('scheduler', 'sqs:ReceiveMessage', dlqArn(which))).toBe(true);
      expect(can('scheduler', 'sqs:DeleteMessage', dlqArn(which))).toBe(true);
      expect(can('scheduler', 'sqs:ReceiveMessage', queueArn(which))).toBe(false);
    }
  });

  test('webhook: consumes and re-sends to the webhooks queue only', () => {
    expect(can('webhook', 'sqs:ReceiveMessage', queueArn('webhooksQueue'))).toBe(true);
    expect(can('webhook', 'sqs:SendMessage', queueArn('webhooksQueue'))).toBe(true);
    expect(can('webhook', 'sqs:SendMessage', queueArn('jobsQueue'))).toBe(false);
    expect(actionsOf('webhook')).not.toContain('ses:SendEmail');
  });

  test('no wildcard actions anywhere; the only "*" resource is SMS publishing', () => {
    for (const name of functionNames) {
      for (const { action, resource } of permissionsOf(fixture.template, roleId(name))) {
        expect(action).not.toContain('*');
        if (resource === '*') expect(action).toBe('sns:Publish');
      }
    }
    expect(Object.keys(fixture.template.findResources('AWS::IAM::Policy'))).toHaveLength(functionNames.length);
  });
});

describe('scheduler rule', () => {
  test('runs the scheduler every minute, without retrying a missed run', () => {
    fixture.template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      State: 'ENABLED',
      Targets: [Match.objectLike({ Arn: arnOf(functionId('scheduler')), RetryPolicy: { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60 } })],
    });
    fixture.template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: ref(functionId('scheduler')),
      MaximumRetryAttempts: 0,
    });
    fixture.template.hasResourceProperties('AWS::Lambda::Permission', {
      FunctionName: arnOf(functionId('scheduler')),
      Principal: 'events.amazonaws.com',
    });
  });
});

describe('outputs', () => {
  test('API URL, dashboard URL, table name, and what the tenants CLI needs', () => {
    const outputs = fixture.template.toJSON().Outputs;
    expect(Object.keys(outputs)).toEqual(
      expect.arrayContaining(['ApiUrl', 'DashboardUrl', 'TableName', 'UsagePlanId', 'JobsQueueUrl', 'WebhooksQueueUrl', 'JobsDlqUrl', 'WebhooksDlqUrl']),
    );
    expect(outputs.TableName.Value).toEqual(ref(fixture.idOf(fixture.stack.table.table)));
    expect(outputs.UsagePlanId.Value).toEqual(ref(fixture.idOf(fixture.stack.api.usagePlan)));
    expect(JSON.stringify(outputs.ApiUrl.Value)).toContain('.execute-api.');
    expect(JSON.stringify(outputs.DashboardUrl.Value)).toContain('#dashboards:name=');
    expect(JSON.stringify(outputs.DashboardUrl.Value)).toContain(`#dashboards:name=${fixture.stack.stackName}-`);
    // The console links the same dashboard (SPEC §16); the api function alone carries it.
    const variables = (name: string) => fixture.template.toJSON().Resources[functionId(name as never)].Properties.Environment.Variables;
    expect(variables('api').DASHBOARD_URL).toEqual(outputs.DashboardUrl.Value);
    expect(['worker', 'scheduler', 'webhook'].map((name) => variables(name).DASHBOARD_URL)).toEqual([undefined, undefined, undefined]);
  });
});

test('no resource has a name of its own but the dashboard, so a redeploy after a failed one (or a second stack) never collides', () => {
  // A rollback retains the table and the API Gateway account role, and a deleted log group or queue name
  // is not free at once; CloudFormation-generated names never meet those. (The REST API's name is no key.)
  // The dashboard is named after the stack and its region (dashboards are per account, not per region): a
  // rollback deletes it and frees its name at once, and the api function's environment links it (the console)
  // without depending on it.
  const NAME_PROPERTIES: Record<string, string> = {
    'AWS::Logs::LogGroup': 'LogGroupName',
    'AWS::SQS::Queue': 'QueueName',
    'AWS::DynamoDB::Table': 'TableName',
    'AWS::Lambda::Function': 'FunctionName',
    'AWS::IAM::Role': 'RoleName',
    'AWS::SNS::Topic': 'TopicName',
    'AWS::CloudWatch::Alarm': 'AlarmName',
    'AWS::Events::Rule': 'Name',
    'AWS::ApiGateway::UsagePlan': 'UsagePlanName',
  };
  const resources: Record<string, { Type: string; Properties?: Record<string, unknown> }> = fixture.template.toJSON().Resources;
  const named = Object.entries(resources).filter(([, r]) => NAME_PROPERTIES[r.Type] && r.Properties?.[NAME_PROPERTIES[r.Type]] !== undefined);
  expect(named.map(([id]) => id)).toEqual([]);
  const dashboard = resources[fixture.idOf(fixture.stack.observability.dashboard)];
  expect(dashboard.Properties?.DashboardName).toEqual({ 'Fn::Join': ['', [`${fixture.stack.stackName}-`, { Ref: 'AWS::Region' }]] });
  expect(Object.values(resources).filter((r) => r.Type === 'AWS::Logs::LogGroup')).toHaveLength(5); // four functions, access logs
});

test('the template is the same on every synthesis (no timestamps or random names)', () => {
  const again = synthStack({ settings: { emailFrom: 'jobs@example.org' } });
  expect(again.template.toJSON()).toEqual(fixture.template.toJSON());
});
