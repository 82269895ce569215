/**
 * Which deployment the tenants CLI talks to, and the clients for it:
 * - a deployed stack (`--stack <name>` or `JOBS_STACK_NAME`): table and usage
 *   plan from the stack's outputs, AWS credentials and region as the AWS CLI
 *   finds them;
 * - the local twin (`--local`, the default otherwise): its DynamoDB endpoint
 *   from `AWS_ENDPOINT_URL_DYNAMODB` + `JOBS_TABLE_NAME`, else from the
 *   `twin.json` a running twin writes to its data dir.
 */
import { APIGatewayClient } from '@aws-sdk/client-api-gateway';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { TABLE_NAME } from '../lambdas/resources';
import { TenantStore } from '../lambdas/store/tenant-store';
import { ApiGatewayKeyIssuer, localKeyIssuer, TenantAdmin, TenantAdminError } from './tenant-admin';
import { findRunningTwin, TwinNotFoundError, type TwinInfo } from './twin-file';

export type Target =
  | { readonly kind: 'local'; readonly dynamodbUrl: string; readonly tableName: string; readonly apiUrl?: string; readonly source: string }
  | { readonly kind: 'aws'; readonly stackName: string; readonly tableName: string; readonly usagePlanId: string; readonly apiUrl?: string };

export interface TargetOptions {
  readonly stack?: string;
  readonly local?: boolean;
}

export async function resolveTarget(
  options: TargetOptions,
  env: NodeJS.ProcessEnv = process.env,
  cloudFormation: () => CloudFormationClient = () => new CloudFormationClient({}),
): Promise<Target> {
  if (options.stack && options.local) throw new TenantAdminError('give --stack or --local, not both');
  const stackName = options.stack ?? (options.local ? undefined : env.JOBS_STACK_NAME || undefined);
  if (stackName) return stackTarget(stackName, cloudFormation());

  if (env.AWS_ENDPOINT_URL_DYNAMODB) {
    return {
      kind: 'local',
      dynamodbUrl: env.AWS_ENDPOINT_URL_DYNAMODB,
      tableName: env.JOBS_TABLE_NAME || TABLE_NAME,
      source: 'AWS_ENDPOINT_URL_DYNAMODB',
    };
  }
  let twin: TwinInfo;
  let file: string;
  try {
    ({ info: twin, file } = await findRunningTwin(env));
  } catch (error) {
    if (error instanceof TwinNotFoundError) {
      throw new TenantAdminError(`${error.message}; or set AWS_ENDPOINT_URL_DYNAMODB and JOBS_TABLE_NAME, or use --stack <name> for AWS`);
    }
    throw error;
  }
  if (!twin.dynamodbUrl) throw new TenantAdminError(`${file} names no dynamodbUrl`);
  return { kind: 'local', dynamodbUrl: twin.dynamodbUrl, tableName: twin.tableName || TABLE_NAME, apiUrl: twin.apiUrl, source: file };
}

async function stackTarget(stackName: string, cloudFormation: CloudFormationClient): Promise<Target> {
  const { Stacks } = await cloudFormation.send(new DescribeStacksCommand({ StackName: stackName }));
  const outputs = new Map((Stacks?.[0]?.Outputs ?? []).map((output) => [output.OutputKey, output.OutputValue]));
  const tableName = outputs.get('TableName');
  const usagePlanId = outputs.get('UsagePlanId');
  if (!tableName || !usagePlanId) {
    throw new TenantAdminError(`stack ${stackName} has no TableName/UsagePlanId outputs: is it a jobs service stack?`);
  }
  return { kind: 'aws', stackName, tableName, usagePlanId, apiUrl: outputs.get('ApiUrl') };
}

/** Clients for a target; the caller destroys them with `close()`. */
export interface Connection {
  readonly admin: TenantAdmin;
  close(): void;
}

export function connect(target: Target, env: NodeJS.ProcessEnv = process.env): Connection {
  const dynamodb =
    target.kind === 'local'
      ? new DynamoDBClient({
          endpoint: target.dynamodbUrl,
          region: env.AWS_REGION || 'us-east-1',
          // The twin's DynamoDB accepts any credentials; never pick up real ones for it.
          credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
        })
      : new DynamoDBClient({});
  const documents = DynamoDBDocumentClient.from(dynamodb, { marshallOptions: { removeUndefinedValues: true } });
  const tenants = new TenantStore(documents, target.tableName);
  if (target.kind === 'local') {
    return { admin: new TenantAdmin(tenants, localKeyIssuer), close: () => dynamodb.destroy() };
  }
  const apiGateway = new APIGatewayClient({});
  return {
    admin: new TenantAdmin(tenants, new ApiGatewayKeyIssuer(apiGateway, target.usagePlanId)),
    close: () => {
      dynamodb.destroy();
      apiGateway.destroy();
    },
  };
}
