/**
 * The dashboard and alarms (issue 6; SPEC §10, §11): every widget SPEC §10
 * lists, the custom metrics graphed with the dimensions Powertools really
 * emits, and every alarm wired to the SNS topic.
 */
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Match } from 'aws-cdk-lib/assertions';
import { countJobs, publishMetrics, recordSeconds } from '../../lambdas/observability';
import { METRICS_NAMESPACE, SERVICE_NAME } from '../../lambdas/resources';
import { ref, synthStack, type Fixture } from './stack-fixture';

let fixture: Fixture;
let dashboard: string;
beforeAll(() => {
  fixture = synthStack({ alarmEmail: 'ops@example.org' });
  const body = fixture.template.toJSON().Resources[fixture.idOf(fixture.stack.observability.dashboard)].Properties.DashboardBody;
  // The body is a Fn::Join of JSON text and references: write `{ Ref: X }` as `<X>`, a GetAtt as `<X.Attr>`.
  dashboard = body['Fn::Join'][1].map(placeholder).join('');
});

const placeholder = (part: string | { Ref?: string; 'Fn::GetAtt'?: string[] }) =>
  typeof part === 'string' ? part : part.Ref !== undefined ? `<${part.Ref}>` : `<${part['Fn::GetAtt']!.join('.')}>`;

/** The EMF dimension sets Powertools writes for one call, as the handlers make it and publish it at the end of the invocation. */
function emittedDimensions(emit: (metrics: Metrics) => void): string[][] {
  const lines: string[] = [];
  const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  });
  try {
    const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME });
    emit(metrics);
    expect(lines).toEqual([]);
    publishMetrics(metrics);
  } finally {
    write.mockRestore();
  }
  return lines.flatMap((line) => JSON.parse(line)._aws.CloudWatchMetrics.map((m: { Namespace: string; Dimensions: string[][] }) => {
    expect(m.Namespace).toBe(METRICS_NAMESPACE);
    return m.Dimensions.flat().sort();
  }));
}

describe('dashboard', () => {
  test('API: requests, 4xx, 5xx, p99 latency of this stack\'s API', () => {
    for (const metric of ['"AWS/ApiGateway","Count","ApiName","JobsService-api"', '"4XXError"', '"5XXError"', '"Latency"']) {
      expect(dashboard).toContain(metric);
    }
    expect(dashboard).toMatch(/"Latency","ApiName","JobsService-api",\{[^}]*"stat":"p99"/);
  });

  test('jobs created / succeeded / fatal / retried by type, with the dimensions Powertools emits', () => {
    process.env.POWERTOOLS_METRICS_DISABLED = 'false';
    const dimensions = emittedDimensions((metrics) => countJobs(metrics, 'JobsCreated', 'echo'));
    expect(dimensions).toEqual([['jobType', 'service']]);
    for (const name of ['JobsCreated', 'JobsSucceeded', 'JobsFatal', 'JobsRetried', 'AttemptDuration', 'WebhooksDelivered', 'WebhooksFailed']) {
      expect(dashboard).toContain(`SEARCH('{JobsService,jobType,service} MetricName=\\"${name}\\" service=\\"jobs-service\\"'`);
    }
    expect(dashboard).toContain("${PROP('Dim.jobType')}");
  });

  test('sweep overdue age, with the dimensions Powertools emits', () => {
    process.env.POWERTOOLS_METRICS_DISABLED = 'false';
    expect(emittedDimensions((metrics) => recordSeconds(metrics, 'SweepOverdueSeconds', 12))).toEqual([['service']]);
    expect(dashboard).toContain('"JobsService","SweepOverdueSeconds","service","jobs-service"');
  });

  test('queue depth and age of the oldest message for both queues, and DLQ depth', () => {
    const { stack } = fixture;
    for (const work of [stack.jobsQueue, stack.webhooksQueue]) {
      const queueName = `"<${fixture.idOf(work.queue)}.QueueName>"`;
      const dlqName = `"<${fixture.idOf(work.deadLetterQueue)}.QueueName>"`;
      expect(dashboard).toContain(`"AWS/SQS","ApproximateNumberOfMessagesVisible","QueueName",${queueName}`);
      expect(dashboard).toContain(`"AWS/SQS","ApproximateAgeOfOldestMessage","QueueName",${queueName}`);
      expect(dashboard).toContain(`"AWS/SQS","ApproximateNumberOfMessagesVisible","QueueName",${dlqName}`);
    }
  });

  test('queue wait p99 by tenant tier, with the dimensions Powertools emits', () => {
    process.env.POWERTOOLS_METRICS_DISABLED = 'false';
    const dimensions = emittedDimensions((metrics) => recordSeconds(metrics, 'QueueWaitSeconds', 1.5, { tenantTier: 'standard' }));
    expect(dimensions).toEqual([['service', 'tenantTier']]);
    expect(dashboard).toContain(`SEARCH('{JobsService,service,tenantTier} MetricName=\\"QueueWaitSeconds\\" service=\\"jobs-service\\"', 'p99', 300)`);
  });

  test('errors, throttles and duration of every function', () => {
    for (const handler of Object.values(fixture.stack.functions)) {
      const name = `"<${fixture.idOf(handler.function)}>"`;
      for (const metric of ['Errors', 'Throttles', 'Duration']) expect(dashboard).toContain(`"AWS/Lambda","${metric}","FunctionName",${name}`);
    }
  });

  test('an alarm status row on top', () => {
    expect(dashboard).toMatch(/^\{"start":"-PT3H","widgets":\[\{"type":"alarm"/);
  });
});

describe('alarms', () => {
  const topic = () => ref(fixture.idOf(fixture.stack.observability.alarmTopic));
  const alarms = () => Object.values(fixture.template.findResources('AWS::CloudWatch::Alarm')).map((a) => a.Properties);
  const alarmOn = (metricName: string, dimension: unknown) =>
    alarms().filter((a) => a.MetricName === metricName && JSON.stringify(a.Dimensions ?? []).includes(JSON.stringify(dimension)));

  test('every alarm notifies the SNS topic on alarm and on recovery', () => {
    expect(alarms().length).toBeGreaterThanOrEqual(7);
    for (const alarm of alarms()) {
      expect(alarm.AlarmActions).toEqual([topic()]);
      expect(alarm.OKActions).toEqual([topic()]);
      expect(alarm.AlarmDescription).toEqual(expect.any(String));
    }
  });

  test('DLQ depth: any message in either dead-letter queue', () => {
    for (const work of [fixture.stack.jobsQueue, fixture.stack.webhooksQueue]) {
      const [alarm] = alarmOn('ApproximateNumberOfMessagesVisible', { 'Fn::GetAtt': [fixture.idOf(work.deadLetterQueue), 'QueueName'] });
      expect(alarm).toMatchObject({ Namespace: 'AWS/SQS', Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold', Statistic: 'Maximum' });
    }
  });

  test('age of the oldest message in either queue', () => {
    for (const work of [fixture.stack.jobsQueue, fixture.stack.webhooksQueue]) {
      const [alarm] = alarmOn('ApproximateAgeOfOldestMessage', { 'Fn::GetAtt': [fixture.idOf(work.queue), 'QueueName'] });
      expect(alarm).toMatchObject({ Namespace: 'AWS/SQS', Threshold: 1800, ComparisonOperator: 'GreaterThanThreshold' });
    }
  });

  test('API 5xx', () => {
    const [alarm] = alarmOn('5XXError', { Name: 'ApiName', Value: 'JobsService-api' });
    expect(alarm).toMatchObject({ Namespace: 'AWS/ApiGateway', Statistic: 'Sum', Threshold: 5 });
  });

  test('worker errors', () => {
    const [alarm] = alarmOn('Errors', { Name: 'FunctionName', Value: ref(fixture.idOf(fixture.stack.functions.worker.function)) });
    expect(alarm).toMatchObject({ Namespace: 'AWS/Lambda', Statistic: 'Sum', Threshold: 1 });
  });

  test('sweep overdue age, and a scheduler that stopped reporting it', () => {
    const [alarm] = alarmOn('SweepOverdueSeconds', { Name: 'service', Value: 'jobs-service' });
    expect(alarm).toMatchObject({
      Namespace: 'JobsService',
      Statistic: 'Maximum',
      Threshold: 600,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'breaching',
    });
  });

  test('quiet queues and functions do not alarm', () => {
    const others = alarms().filter((a) => a.MetricName !== 'SweepOverdueSeconds');
    for (const alarm of others) expect(alarm.TreatMissingData).toBe('notBreaching');
  });
});

describe('alarm topic', () => {
  test('TLS only, and this account\'s CloudWatch alarms may publish', () => {
    const topicId = fixture.idOf(fixture.stack.observability.alarmTopic);
    fixture.template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [ref(topicId)],
      PolicyDocument: {
        Statement: [
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: 'sns:Publish',
            Condition: Match.objectLike({ StringEquals: { 'aws:SourceAccount': ref('AWS::AccountId') } }),
          }),
        ],
        Version: '2012-10-17',
      },
    });
  });

  test('an email subscription when an address is given, none otherwise', () => {
    fixture.template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.org', TopicArn: ref(fixture.idOf(fixture.stack.observability.alarmTopic)) });
    synthStack().template.resourceCountIs('AWS::SNS::Subscription', 0);
  });
});
