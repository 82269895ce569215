/**
 * What ops watch (SPEC §10, §11): one CloudWatch dashboard and the alarms that
 * page, all sent to one SNS topic. Job metrics come from the functions'
 * Powertools EMF log lines (namespace `JobsService`, dimensions `service` and
 * `jobType`), so no function needs `cloudwatch:PutMetricData`.
 */
import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import type * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { METRICS_NAMESPACE, SERVICE_NAME, type AgeMetric, type DurationMetric, type JobCountMetric } from '../lambdas/resources';
import type { WorkQueue } from './job-queues';

export interface ObservabilityProps {
  readonly api: apigateway.RestApi;
  /** Queues by the name shown on the dashboard (e.g. `jobs`, `webhooks`). */
  readonly queues: Readonly<Record<string, WorkQueue>>;
  /** Functions by the name shown on the dashboard. */
  readonly functions: Readonly<Record<string, lambda.IFunction>>;
  /** The function whose errors page: the worker. */
  readonly worker: lambda.IFunction;
  /** @default - no subscription; subscribe to the topic yourself */
  readonly alarmEmail?: string;
  /** Oldest message older than this (seconds) for 10 minutes alarms. @default 1800 */
  readonly messageAgeThresholdSeconds?: number;
  /** API 5xx answers per 5 minutes that alarm. @default 5 */
  readonly api5xxThreshold?: number;
  /** Oldest overdue item on the sweep index older than this (seconds) alarms. @default 600 */
  readonly sweepOverdueThresholdSeconds?: number;
}

const FIVE_MINUTES = Duration.minutes(5);

export class Observability extends Construct {
  public readonly dashboard: cloudwatch.Dashboard;
  /** The dashboard's name: the stack's and its region's (dashboards are per account). */
  public readonly dashboardName = `${Stack.of(this).stackName}-${Stack.of(this).region}`;
  public readonly alarmTopic: sns.Topic;
  public readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id);
    const stack = Stack.of(this);

    this.alarmTopic = new sns.Topic(this, 'AlarmTopic', { displayName: 'Jobs service alarms', enforceSSL: true });
    // The TLS-only policy replaces the topic's default policy: let this account's alarms publish.
    this.alarmTopic.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.alarmTopic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: { 'aws:SourceArn': stack.formatArn({ service: 'cloudwatch', resource: 'alarm', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME }) },
        },
      }),
    );
    if (props.alarmEmail) this.alarmTopic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));

    // --- metrics -----------------------------------------------------------
    const byJobType = (metricName: JobCountMetric | DurationMetric, statistic: string, label = "${PROP('Dim.jobType')}") =>
      new cloudwatch.SearchExpression({
        expression: `SEARCH('{${METRICS_NAMESPACE},jobType,service} MetricName="${metricName}" service="${SERVICE_NAME}"', '${statistic}', 300)`,
        label,
        period: FIVE_MINUTES,
      });
    const serviceMetric = (metricName: AgeMetric, statistic: string, dimensions: Record<string, string> = {}) =>
      new cloudwatch.Metric({
        namespace: METRICS_NAMESPACE,
        metricName,
        dimensionsMap: { service: SERVICE_NAME, ...dimensions },
        statistic,
        period: FIVE_MINUTES,
      });
    const sweepOverdue = serviceMetric('SweepOverdueSeconds', 'Maximum');
    const queues = Object.entries(props.queues);
    const functions = Object.entries(props.functions);

    // --- alarms ------------------------------------------------------------
    for (const [name, work] of queues) {
      this.alarm(`${title(name)}DlqDepth`, {
        alarmDescription: `Messages in the ${name} dead-letter queue: jobs or webhooks that could not be processed. Inspect, then redrive.`,
        metric: work.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', period: FIVE_MINUTES }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      });
      this.alarm(`${title(name)}MessageAge`, {
        alarmDescription: `The oldest message in the ${name} queue is older than expected: consumers are failing or too slow.`,
        metric: work.queue.metricApproximateAgeOfOldestMessage({ statistic: 'Maximum', period: FIVE_MINUTES }),
        threshold: props.messageAgeThresholdSeconds ?? 1800,
        evaluationPeriods: 2,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      });
    }
    this.alarm('Api5xx', {
      alarmDescription: 'The API answers with 5xx errors.',
      metric: props.api.metricServerError({ statistic: 'Sum', period: FIVE_MINUTES }),
      threshold: props.api5xxThreshold ?? 5,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    });
    this.alarm('WorkerErrors', {
      alarmDescription: 'The worker function failed whole invocations (crash or timeout), not single jobs.',
      metric: props.worker.metricErrors({ statistic: 'Sum', period: FIVE_MINUTES }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    });
    // The scheduler reports this on every run (0 when nothing is due), so no data
    // means no runs: the safety net must not fail silently (SPEC §11).
    this.alarm('SweepOverdue', {
      alarmDescription: 'Work on the sweep index is overdue, or the scheduler stopped reporting: stranded jobs are not coming back.',
      metric: sweepOverdue,
      threshold: props.sweepOverdueThresholdSeconds ?? 600,
      evaluationPeriods: 2,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });

    // --- dashboard ---------------------------------------------------------
    const graph = (graphTitle: string, left: cloudwatch.IMetric[], width = 8) =>
      new cloudwatch.GraphWidget({ title: graphTitle, left, width, height: 6 });
    // Named after the stack, not by CloudFormation: the api function's environment links it (the console),
    // and a generated name would make the function depend on the dashboard that graphs it.
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', { dashboardName: this.dashboardName, defaultInterval: Duration.hours(3) });
    this.dashboard.addWidgets(new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 24, height: 3 }));
    this.dashboard.addWidgets(
      graph('API requests', [props.api.metricCount({ statistic: 'Sum', period: FIVE_MINUTES, label: 'requests' })]),
      graph('API errors', [
        props.api.metricClientError({ statistic: 'Sum', period: FIVE_MINUTES, label: '4xx' }),
        props.api.metricServerError({ statistic: 'Sum', period: FIVE_MINUTES, label: '5xx' }),
      ]),
      graph('API latency p99 (ms)', [
        props.api.metricLatency({ statistic: 'p99', period: FIVE_MINUTES, label: 'latency p99' }),
        props.api.metricIntegrationLatency({ statistic: 'p99', period: FIVE_MINUTES, label: 'integration p99' }),
      ]),
    );
    this.dashboard.addWidgets(
      graph('Jobs created by type', [byJobType('JobsCreated', 'Sum')], 6),
      graph('Jobs succeeded by type', [byJobType('JobsSucceeded', 'Sum')], 6),
      graph('Jobs fatal by type', [byJobType('JobsFatal', 'Sum')], 6),
      graph('Jobs retried by type', [byJobType('JobsRetried', 'Sum')], 6),
    );
    this.dashboard.addWidgets(
      graph('Attempt duration p99 by type (ms)', [byJobType('AttemptDuration', 'p99')]),
      graph('Webhooks delivered / failed', [
        byJobType('WebhooksDelivered', 'Sum', "delivered ${PROP('Dim.jobType')}"),
        byJobType('WebhooksFailed', 'Sum', "failed ${PROP('Dim.jobType')}"),
      ]),
      graph('Sweep overdue age (s)', [sweepOverdue.with({ label: 'oldest overdue' })]),
    );
    this.dashboard.addWidgets(
      graph(
        'Queue depth (visible messages)',
        queues.map(([name, work]) => work.queue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', period: FIVE_MINUTES, label: name })),
      ),
      graph(
        'Age of oldest message (s)',
        queues.map(([name, work]) => work.queue.metricApproximateAgeOfOldestMessage({ statistic: 'Maximum', period: FIVE_MINUTES, label: name })),
      ),
      graph(
        'DLQ depth',
        queues.map(([name, work]) =>
          work.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', period: FIVE_MINUTES, label: `${name} DLQ` }),
        ),
      ),
    );
    this.dashboard.addWidgets(
      graph('Lambda errors', functions.map(([name, fn]) => fn.metricErrors({ statistic: 'Sum', period: FIVE_MINUTES, label: name }))),
      graph('Lambda throttles', functions.map(([name, fn]) => fn.metricThrottles({ statistic: 'Sum', period: FIVE_MINUTES, label: name }))),
      graph('Lambda duration p99 (ms)', functions.map(([name, fn]) => fn.metricDuration({ statistic: 'p99', period: FIVE_MINUTES, label: name }))),
    );
    this.dashboard.addWidgets(
      graph(
        'Queue wait p99 (s), due to start, by tenant tier',
        [
          new cloudwatch.SearchExpression({
            expression: `SEARCH('{${METRICS_NAMESPACE},service,tenantTier} MetricName="QueueWaitSeconds" service="${SERVICE_NAME}"', 'p99', 300)`,
            label: "${PROP('Dim.tenantTier')}",
            period: FIVE_MINUTES,
          }),
        ],
        24,
      ),
    );
  }

  /** The dashboard in the CloudWatch console. */
  get dashboardUrl(): string {
    const region = Stack.of(this).region;
    return `https://${region}.console.aws.amazon.com/cloudwatch/home?region=${region}#dashboards:name=${this.dashboardName}`;
  }

  /** An alarm to the topic; quiet periods (no data) are fine unless said otherwise. */
  private alarm(id: string, props: cloudwatch.AlarmProps): void {
    const alarm = new cloudwatch.Alarm(this, id, { treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING, ...props });
    alarm.addAlarmAction(new actions.SnsAction(this.alarmTopic));
    alarm.addOkAction(new actions.SnsAction(this.alarmTopic));
    this.alarms.push(alarm);
  }
}

const title = (name: string) => name.charAt(0).toUpperCase() + name.slice(1);
