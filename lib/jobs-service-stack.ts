/**
 * The jobs service on AWS (SPEC §2, §10): table, queues, four functions, the
 * REST API, the scheduler rule and what ops watch. Read top to bottom, this
 * file is the architecture diagram.
 */
import { Annotations, Aws, CfnOutput, Duration, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { API_TIMEOUT_SECONDS, FUNCTION_MEMORY_MB, JOBS_QUEUE, STATUS_INDEX, SWEEP_INDEX, WEBHOOKS_QUEUE } from '../lambdas/resources';
import { configVariable } from '../lambdas/config';
import { ApiGatewayAccount } from './api-gateway-account';
import { HandlerFunction } from './handler-function';
import { WorkQueue } from './job-queues';
import { JobsApi } from './jobs-api';
import { JobsTable } from './jobs-table';
import { Observability } from './observability';
import { SchedulerRule } from './scheduler-rule';
import { serviceEnvironment, type ServiceTunables } from './service-environment';

export interface JobsServiceStackProps extends StackProps {
  /** Service settings (SPEC §12). @default - the service defaults */
  readonly settings?: ServiceTunables;
  /** @default - no email subscription on the alarm topic */
  readonly alarmEmail?: string;
  /** @default true */
  readonly tableDeletionProtection?: boolean;
  /**
   * Set API Gateway's account-level CloudWatch Logs role (see ApiGatewayAccount),
   * which the stage's access logs need. `false` where the account already
   * manages it (another stack, a landing zone): this stack then leaves it alone.
   * @default true
   */
  readonly apiGatewayCloudWatchRole?: boolean;
  /** See JobsTableProps.keepRetiredStatusIndex. @default false */
  readonly keepRetiredStatusIndex?: boolean;
}

export class JobsServiceStack extends Stack {
  public readonly table: JobsTable;
  public readonly jobsQueue: WorkQueue;
  public readonly webhooksQueue: WorkQueue;
  public readonly functions: {
    readonly api: HandlerFunction;
    readonly worker: HandlerFunction;
    readonly scheduler: HandlerFunction;
    readonly webhook: HandlerFunction;
  };
  public readonly api: JobsApi;
  /** Undefined when `apiGatewayCloudWatchRole` is false. */
  public readonly apiGatewayAccount?: ApiGatewayAccount;
  public readonly observability: Observability;

  constructor(scope: Construct, id: string, props: JobsServiceStackProps = {}) {
    super(scope, id, { description: 'Multi-tenant background jobs service (API, queues, worker, scheduler, webhooks)', ...props });
    const settings = props.settings ?? {};

    // Storage and queues, from the same definitions the local twin uses.
    this.table = new JobsTable(this, 'Jobs', { deletionProtection: props.tableDeletionProtection, keepRetiredStatusIndex: props.keepRetiredStatusIndex });
    this.jobsQueue = new WorkQueue(this, 'JobsQueue', { definition: JOBS_QUEUE });
    this.webhooksQueue = new WorkQueue(this, 'WebhooksQueue', { definition: WEBHOOKS_QUEUE });

    // The four functions, one configuration.
    const environment = serviceEnvironment({
      ...settings,
      tableName: this.table.table.tableName,
      jobsQueueUrl: this.jobsQueue.queue.queueUrl,
      webhooksQueueUrl: this.webhooksQueue.queue.queueUrl,
      jobsDlqUrl: this.jobsQueue.deadLetterQueue.queueUrl,
      webhooksDlqUrl: this.webhooksQueue.deadLetterQueue.queueUrl,
    });
    const api = new HandlerFunction(this, 'ApiFunction', {
      entry: 'lambdas/api.ts',
      description: 'HTTP API: submit, read, list and act on jobs',
      environment,
      timeout: Duration.seconds(API_TIMEOUT_SECONDS),
      memorySize: FUNCTION_MEMORY_MB.api,
      bundleConsole: true,
    });
    const worker = new HandlerFunction(this, 'WorkerFunction', {
      entry: 'lambdas/worker.ts',
      description: 'Runs jobs from the jobs queue',
      environment,
      timeout: Duration.seconds(JOBS_QUEUE.consumerTimeoutSeconds),
      memorySize: FUNCTION_MEMORY_MB.worker,
    });
    const scheduler = new HandlerFunction(this, 'SchedulerFunction', {
      entry: 'lambdas/scheduler.ts',
      description: 'Every minute: dispatches due and stranded work from the sweep index',
      environment,
      timeout: Duration.seconds(60),
      memorySize: FUNCTION_MEMORY_MB.scheduler,
    });
    const webhook = new HandlerFunction(this, 'WebhookFunction', {
      entry: 'lambdas/webhook.ts',
      description: 'Delivers signed completion webhooks from the webhooks queue',
      environment,
      timeout: Duration.seconds(WEBHOOKS_QUEUE.consumerTimeoutSeconds),
      memorySize: FUNCTION_MEMORY_MB.webhook,
    });
    this.functions = { api, worker, scheduler, webhook };
    assertFits('JOB_TIMEOUT_SECONDS', settings.jobTimeoutSeconds ?? 30, worker);
    assertFits('WEBHOOK_TIMEOUT_SECONDS', settings.webhookTimeoutSeconds ?? 10, webhook);

    // Who may do what: each function gets exactly the calls it makes.
    this.table.grantItemAccess(api, { queryIndexes: [STATUS_INDEX], batchRead: true });
    this.jobsQueue.queue.grantSendMessages(api);
    this.webhooksQueue.queue.grantSendMessages(api); // webhook redelivery

    this.table.grantItemAccess(worker);
    this.jobsQueue.consumeWith(worker.function);
    this.jobsQueue.queue.grantSendMessages(worker); // retries
    this.webhooksQueue.queue.grantSendMessages(worker); // terminal events
    grantSendEmail(worker);
    grantSendSms(worker);

    this.table.grantItemAccess(scheduler, { queryIndexes: [SWEEP_INDEX] });
    this.jobsQueue.queue.grantSendMessages(scheduler);
    this.webhooksQueue.queue.grantSendMessages(scheduler);
    // Dead letters of jobs and events not finished go back to their queue (SPEC §4, poison messages).
    this.jobsQueue.deadLetterQueue.grantConsumeMessages(scheduler);
    this.webhooksQueue.deadLetterQueue.grantConsumeMessages(scheduler);

    this.table.grantItemAccess(webhook);
    this.webhooksQueue.consumeWith(webhook.function);
    this.webhooksQueue.queue.grantSendMessages(webhook); // delivery retries

    // Entry points: the API and the scheduler's clock.
    this.api = new JobsApi(this, 'Api', { handler: api.function });
    if (props.apiGatewayCloudWatchRole ?? true) {
      this.apiGatewayAccount = new ApiGatewayAccount(this, 'ApiGatewayAccount');
      this.apiGatewayAccount.orderBefore(this.api.api.deploymentStage);
    }
    new SchedulerRule(this, 'Scheduler', { handler: scheduler.function });

    this.observability = new Observability(this, 'Observability', {
      api: this.api.api,
      queues: { jobs: this.jobsQueue, webhooks: this.webhooksQueue },
      functions: { api: api.function, worker: worker.function, scheduler: scheduler.function, webhook: webhook.function },
      worker: worker.function,
      alarmEmail: props.alarmEmail,
    });

    // The console links the dashboard (SPEC §16).
    api.function.addEnvironment(configVariable('dashboardUrl'), this.observability.dashboardUrl);

    new CfnOutput(this, 'ApiUrl', { value: this.api.url, description: 'Base URL of the API (append v1/jobs)' });
    new CfnOutput(this, 'DashboardUrl', { value: this.observability.dashboardUrl, description: 'CloudWatch dashboard' });
    new CfnOutput(this, 'TableName', { value: this.table.table.tableName, description: 'DynamoDB table (jobs, tenants, API keys)' });
    new CfnOutput(this, 'UsagePlanId', { value: this.api.usagePlan.usagePlanId, description: 'Usage plan the tenants CLI adds API keys to' });
    new CfnOutput(this, 'JobsQueueUrl', { value: this.jobsQueue.queue.queueUrl });
    new CfnOutput(this, 'JobsDlqUrl', { value: this.jobsQueue.deadLetterQueue.queueUrl });
    new CfnOutput(this, 'WebhooksQueueUrl', { value: this.webhooksQueue.queue.queueUrl });
    new CfnOutput(this, 'WebhooksDlqUrl', { value: this.webhooksQueue.deadLetterQueue.queueUrl });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.observability.alarmTopic.topicArn });

    if (!settings.emailFrom) {
      Annotations.of(this).addWarningV2(
        'jobs-service:emailFrom',
        'No emailFrom set (cdk deploy -c emailFrom=jobs@your-domain): email jobs without a "from" will be refused by SES.',
      );
    }
  }
}

/** A per-request timeout must end before the function that waits for it is killed. */
function assertFits(variable: string, seconds: number, handler: HandlerFunction): void {
  const functionSeconds = handler.function.timeout?.toSeconds() ?? 3;
  if (seconds >= functionSeconds) {
    throw new Error(`${variable} (${seconds}s) must be shorter than the ${handler.node.id} timeout (${functionSeconds}s)`);
  }
}

/** `email` jobs: SES v2 SendEmail from any identity verified in this account and region. */
function grantSendEmail(handler: HandlerFunction): void {
  // Pseudo-parameter references even when the region is known, so the ARN (and
  // the acknowledgement naming it) is the same in every environment.
  handler.role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: ['ses:SendEmail'],
      resources: [`arn:${Aws.PARTITION}:ses:${Aws.REGION}:${Aws.ACCOUNT_ID}:identity/*`],
    }),
  );
  Validations.of(handler.role).acknowledge({
    id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ses:<AWS::Region>:<AWS::AccountId>:identity/*]`,
    reason: 'An email job may name any sender the operator verified in SES (payload.from), so SendEmail is allowed for the identities of this account and region only.',
  });
}

/** `sms` jobs: SNS Publish straight to a phone number, which has no resource ARN to name. */
function grantSendSms(handler: HandlerFunction): void {
  handler.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['sns:Publish'], resources: ['*'] }));
  Validations.of(handler.role).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason: 'SNS Publish to a phone number (SMS) has no resource to scope to: AWS requires "*" for direct-to-phone publishing.',
  });
}
