/**
 * Deploy-time choices read from CDK context, so nobody edits code to deploy:
 * `npx cdk deploy -c alarmEmail=ops@example.com -c emailFrom=jobs@example.com`.
 */
import type { Node } from 'constructs';
import type { JobsServiceStackProps } from './jobs-service-stack';

/** Context keys the app reads (all optional). */
export const CONTEXT_KEYS = {
  /** Stack name; default `JobsService`. */
  stackName: 'stackName',
  /** Email address subscribed to the alarm topic. */
  alarmEmail: 'alarmEmail',
  /** Default sender of email jobs (an SES-verified identity). */
  emailFrom: 'emailFrom',
  /** Sender id on SMS where the destination country supports it. */
  smsSenderId: 'smsSenderId',
  /** `false` turns off the table's deletion protection (e.g. a throwaway stack). */
  tableDeletionProtection: 'tableDeletionProtection',
  /** `false` leaves API Gateway's account-level CloudWatch Logs role to whoever manages it in this account. */
  apiGatewayCloudWatchRole: 'apiGatewayCloudWatchRole',
  /** `true` keeps the previous status index for the first deploy of an existing stack after the upgrade (off unless set). */
  keepRetiredStatusIndex: 'keepRetiredStatusIndex',
} as const;

export const DEFAULT_STACK_NAME = 'JobsService';

export function stackNameFromContext(node: Node): string {
  return text(node, CONTEXT_KEYS.stackName) ?? DEFAULT_STACK_NAME;
}

export function stackPropsFromContext(node: Node): JobsServiceStackProps {
  return {
    alarmEmail: text(node, CONTEXT_KEYS.alarmEmail),
    tableDeletionProtection: switchOf(node, CONTEXT_KEYS.tableDeletionProtection),
    apiGatewayCloudWatchRole: switchOf(node, CONTEXT_KEYS.apiGatewayCloudWatchRole),
    keepRetiredStatusIndex: switchOf(node, CONTEXT_KEYS.keepRetiredStatusIndex),
    settings: {
      emailFrom: text(node, CONTEXT_KEYS.emailFrom),
      smsSenderId: text(node, CONTEXT_KEYS.smsSenderId),
    },
  };
}

/** On unless set to `false` (`-c key=false` arrives as the string, cdk.json may hold the boolean); undefined when unset. */
function switchOf(node: Node, key: string): boolean | undefined {
  const value: unknown = node.tryGetContext(key);
  return value === undefined ? undefined : value !== false && value !== 'false';
}

function text(node: Node, key: string): string | undefined {
  const value: unknown = node.tryGetContext(key);
  if (value === undefined || value === null || value === '') return undefined;
  // `-c key=value` gives a string; cdk.json may give a number or a boolean.
  return typeof value === 'string' ? value : JSON.stringify(value);
}
