/**
 * Faults at the AWS SDK client seam: middleware on the DynamoDB and SQS clients
 * of the twin's ServiceContext, placed right after the SDK's retry middleware,
 * so it runs once per try and every injected throttle, 5xx or lost reply goes
 * through the SDK's own retry strategy (backoff, retry quota, adaptive rate)
 * before business code sees anything.
 */
import { InternalServerError, ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import { SQSServiceException } from '@aws-sdk/client-sqs';
import type { FaultKind, FaultPlan } from './fault-plan';
import { hang, type InvocationCrashes } from './invocation-crashes';
import type { JobWriteLog } from './job-write-log';

type AttributeValue = { S?: string; N?: string };
/** A command's input as the middleware sees it: any operation's, so its fields are read with care. */
type CommandInput = Record<string, unknown>;
interface MiddlewareArgs {
  input: CommandInput;
  request?: { headers?: Record<string, string> };
}
type NextHandler = (args: MiddlewareArgs) => Promise<unknown>;

interface MiddlewareHost {
  readonly middlewareStack: {
    addRelativeTo(middleware: unknown, options: { name: string; relation: 'before' | 'after'; toMiddleware: string; override?: boolean }): void;
  };
}

export interface SdkFaultOptions {
  readonly plan: FaultPlan;
  readonly crashes: InvocationCrashes;
  /** Counts tries after the first (the SDK's own retries), per client. */
  readonly retries: { dynamodb: number; sqs: number };
}

const $metadata = (httpStatusCode: number) => ({ httpStatusCode, requestId: 'injected-fault', attempts: 1, totalRetryDelay: 0 });

/** What a dropped connection looks like to the SDK (a transient error it retries). */
function lostReply(operation: string): Error {
  return Object.assign(new Error(`socket hang up (injected ddb.lostReply after ${operation} took effect)`), { code: 'ECONNRESET' });
}

function isRetryTry(args: MiddlewareArgs): boolean {
  const header = args.request?.headers?.['amz-sdk-request'] ?? '';
  return !header.startsWith('attempt=1;');
}

/** A stable name for what a DynamoDB call touches (the item's key, or the index or table it reads). */
function dynamoDbSubject(operation: string, input: CommandInput): string {
  type Keyed = { pk?: AttributeValue } | undefined;
  const key = (input.Key as Keyed)?.pk ?? (input.Item as Keyed)?.pk;
  return `${operation} ${key?.S ?? (input.IndexName as string | undefined) ?? (input.TableName as string | undefined) ?? ''}`;
}

export function injectDynamoDbFaults(client: MiddlewareHost, options: SdkFaultOptions & { writes?: JobWriteLog }): void {
  const { plan, crashes, retries, writes } = options;
  const middleware =
    (next: NextHandler, context: { commandName?: string }) =>
    async (args: MiddlewareArgs) => {
      const operation = (context.commandName ?? 'Unknown').replace(/Command$/, '');
      if (isRetryTry(args)) retries.dynamodb++;
      const fate = crashes.fateOfCall();
      if (fate === 'hang') return hang();
      const subject = dynamoDbSubject(operation, args.input);
      const inject = (kind: FaultKind) => {
        if (fate !== 'proceed' || !plan.decide(kind, subject).inject) return false;
        plan.count(kind);
        return true;
      };
      if (inject('ddb.throttle')) {
        throw new ProvisionedThroughputExceededException({ message: 'Throughput exceeds the provisioned rate (injected ddb.throttle)', $metadata: $metadata(400) });
      }
      if (inject('ddb.error')) {
        throw new InternalServerError({ message: 'Internal server error (injected ddb.error)', $metadata: $metadata(500) });
      }
      const result = await next(args);
      writes?.landed(operation, args.input);
      if (fate === 'land-then-hang') {
        crashes.dieNow();
        return hang();
      }
      if (inject('ddb.lostReply')) throw lostReply(operation);
      return result;
    };
  client.middlewareStack.addRelativeTo(middleware, { name: 'twinFaultInjection', relation: 'after', toMiddleware: 'retryMiddleware', override: true });
}

const SEND_OPERATIONS = new Set(['SendMessage', 'SendMessageBatch']);

export function injectSqsFaults(client: MiddlewareHost, options: SdkFaultOptions): void {
  const { plan, crashes, retries } = options;
  const middleware =
    (next: NextHandler, context: { commandName?: string }) =>
    async (args: MiddlewareArgs) => {
      const operation = (context.commandName ?? 'Unknown').replace(/Command$/, '');
      if (isRetryTry(args)) retries.sqs++;
      const fate = crashes.fateOfCall();
      if (fate === 'hang') return hang();
      if (fate === 'proceed' && SEND_OPERATIONS.has(operation)) {
        const entries = args.input.Entries as Array<{ MessageBody?: string }> | undefined;
        const body = (args.input.MessageBody as string | undefined) ?? entries?.[0]?.MessageBody ?? '';
        if (plan.decide('sqs.send.error', `${operation} ${body}`).inject) {
          plan.count('sqs.send.error');
          throw new SQSServiceException({
            name: 'InternalFailure',
            $fault: 'server',
            message: 'The request processing has failed because of an unknown error (injected sqs.send.error)',
            $metadata: $metadata(500),
          });
        }
      }
      const result = await next(args);
      if (fate === 'land-then-hang') {
        crashes.dieNow();
        return hang();
      }
      return result;
    };
  client.middlewareStack.addRelativeTo(middleware, { name: 'twinFaultInjection', relation: 'after', toMiddleware: 'retryMiddleware', override: true });
}
