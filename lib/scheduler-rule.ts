/**
 * The EventBridge rule that runs the scheduler (SPEC §4 "the sweep index"):
 * every minute it dispatches due jobs, re-dispatches stranded ones and takes
 * over expired leases.
 */
import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';

export interface SchedulerRuleProps {
  /** The scheduler Lambda. */
  readonly handler: lambda.IFunction;
  /** @default Duration.minutes(1) */
  readonly interval?: Duration;
}

export class SchedulerRule extends Construct {
  public readonly rule: events.Rule;

  constructor(scope: Construct, id: string, props: SchedulerRuleProps) {
    super(scope, id);
    const interval = props.interval ?? Duration.minutes(1);
    this.rule = new events.Rule(this, 'Rule', {
      description: 'Runs the jobs scheduler (sweep index)',
      schedule: events.Schedule.rate(interval),
    });
    // A missed or failed run is not retried: the next run comes within the
    // interval and does the same work, so a retry would only run two sweeps at once.
    this.rule.addTarget(new targets.LambdaFunction(props.handler, { retryAttempts: 0, maxEventAge: Duration.minutes(1) }));
    props.handler.configureAsyncInvoke({ retryAttempts: 0, maxEventAge: interval });
  }
}
