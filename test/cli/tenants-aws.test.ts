/**
 * The tenants CLI against a deployed stack (issue 6, done-when 5): its
 * CloudFormation, API Gateway and DynamoDB calls, asserted with
 * aws-sdk-client-mock (no AWS here).
 */
import {
  APIGatewayClient,
  CreateApiKeyCommand,
  CreateUsagePlanKeyCommand,
  DeleteApiKeyCommand,
  UpdateApiKeyCommand,
} from '@aws-sdk/client-api-gateway';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { hashApiKey } from '../../lambdas/store/tenant-store';
import { main } from '../../cli/tenants';

const cloudFormation = mockClient(CloudFormationClient);
const apiGateway = mockClient(APIGatewayClient);
const dynamodb = mockClient(DynamoDBDocumentClient);

const STACK_OUTPUTS = [
  { OutputKey: 'ApiUrl', OutputValue: 'https://abc123.execute-api.eu-west-1.amazonaws.com/prod/' },
  { OutputKey: 'TableName', OutputValue: 'JobsService-JobsTable-XYZ' },
  { OutputKey: 'UsagePlanId', OutputValue: 'up1234' },
];

beforeEach(() => {
  cloudFormation.reset();
  apiGateway.reset();
  dynamodb.reset();
  cloudFormation.on(DescribeStacksCommand).resolves({ Stacks: [{ StackName: 'JobsService', CreationTime: new Date(), StackStatus: 'CREATE_COMPLETE', Outputs: STACK_OUTPUTS }] });
  apiGateway.on(CreateApiKeyCommand).resolves({ id: 'k9x8y7z6', enabled: true });
  apiGateway.on(CreateUsagePlanKeyCommand).resolves({ id: 'k9x8y7z6', type: 'API_KEY' });
  dynamodb.on(PutCommand).resolves({});
});

async function run(argv: string[], env: NodeJS.ProcessEnv = {}) {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    env: { AWS_REGION: 'eu-west-1', ...env },
  });
  return { code, stdout, stderr };
}

describe('create --stack', () => {
  test('reads the stack outputs, creates an enabled API Gateway key with our value, adds it to the usage plan, writes the records', async () => {
    const { code, stdout } = await run(['create', 'acme', '--name', 'Acme Corp', '--stack', 'JobsService', '--json']);
    expect(code).toBe(0);
    const created = JSON.parse(stdout);
    expect(created).toMatchObject({ tenantId: 'acme', name: 'Acme Corp', apiKeyId: 'k9x8y7z6' });

    expect(cloudFormation).toHaveReceivedCommandWith(DescribeStacksCommand, { StackName: 'JobsService' });
    expect(apiGateway).toHaveReceivedCommandTimes(CreateApiKeyCommand, 1);
    expect(apiGateway).toHaveReceivedCommandWith(CreateApiKeyCommand, { value: created.apiKey, enabled: true, tags: { tenantId: 'acme' } });
    expect(apiGateway).toHaveReceivedCommandWith(CreateUsagePlanKeyCommand, { usagePlanId: 'up1234', keyId: 'k9x8y7z6', keyType: 'API_KEY' });

    expect(dynamodb).toHaveReceivedCommandTimes(PutCommand, 2);
    expect(dynamodb).toHaveReceivedNthSpecificCommandWith(1, PutCommand, {
      TableName: 'JobsService-JobsTable-XYZ',
      Item: expect.objectContaining({ pk: 'TENANTS', sk: 'TENANT#acme', tenantId: 'acme', name: 'Acme Corp', status: 'active', webhookSecrets: [created.webhookSecret] }),
      ConditionExpression: 'attribute_not_exists(pk)',
    });
    expect(dynamodb).toHaveReceivedNthSpecificCommandWith(2, PutCommand, {
      TableName: 'JobsService-JobsTable-XYZ',
      Item: expect.objectContaining({ pk: 'TENANTS', sk: 'APIKEY#k9x8y7z6', apiKeyId: 'k9x8y7z6', tenantId: 'acme', keyHash: hashApiKey(created.apiKey), status: 'active' }),
    });
    // DynamoDB only ever sees the key's hash.
    const written = JSON.stringify(dynamodb.commandCalls(PutCommand).map((call) => call.args[0].input));
    expect(written).not.toContain(created.apiKey);
  });

  test('the tenant record goes first: an existing tenant creates no API key', async () => {
    dynamodb.on(PutCommand).rejects(Object.assign(new Error('The conditional request failed'), { name: 'ConditionalCheckFailedException' }));
    const { code, stderr } = await run(['create', 'acme', '--stack', 'JobsService']);
    expect(code).toBe(1);
    expect(stderr).toMatch(/tenant acme already exists/);
    expect(apiGateway).not.toHaveReceivedCommand(CreateApiKeyCommand);
  });

  test('a key whose record cannot be written is deleted from API Gateway again', async () => {
    dynamodb
      .on(PutCommand)
      .resolvesOnce({})
      .rejectsOnce(Object.assign(new Error('Throughput exceeds the current capacity'), { name: 'ProvisionedThroughputExceededException' }));
    const { code, stderr } = await run(['create', 'acme', '--stack', 'JobsService']);
    expect(code).toBe(1);
    expect(stderr).toMatch(/run add-key acme/);
    expect(apiGateway).toHaveReceivedCommandWith(DeleteApiKeyCommand, { apiKey: 'k9x8y7z6' });
  });

  test('a key that cannot join the usage plan is deleted and no record is written', async () => {
    apiGateway.on(CreateUsagePlanKeyCommand).rejects(Object.assign(new Error('Invalid Usage Plan ID specified'), { name: 'NotFoundException' }));
    dynamodb.on(GetCommand).resolves({ Item: { pk: 'TENANTS', sk: 'TENANT#acme', tenantId: 'acme', name: 'acme', status: 'active', webhookSecrets: [], createdAt: 'x' } });
    const { code } = await run(['add-key', 'acme', '--stack', 'JobsService']);
    expect(code).toBe(1);
    expect(apiGateway).toHaveReceivedCommandWith(DeleteApiKeyCommand, { apiKey: 'k9x8y7z6' });
    expect(dynamodb).not.toHaveReceivedCommand(PutCommand);
  });
});

test('JOBS_STACK_NAME selects the stack without --stack', async () => {
  dynamodb.on(QueryCommand).resolves({ Items: [] });
  const { code } = await run(['list'], { JOBS_STACK_NAME: 'JobsStaging' });
  expect(code).toBe(0);
  expect(cloudFormation).toHaveReceivedCommandWith(DescribeStacksCommand, { StackName: 'JobsStaging' });
  expect(dynamodb).toHaveReceivedCommandWith(QueryCommand, { TableName: 'JobsService-JobsTable-XYZ' });
});

test('disable-key --stack disables the key in API Gateway and in its record', async () => {
  dynamodb.on(GetCommand).resolves({ Item: { pk: 'TENANTS', sk: 'APIKEY#k9x8y7z6', apiKeyId: 'k9x8y7z6', tenantId: 'acme', keyHash: 'h', status: 'active', createdAt: 'x' } });
  dynamodb.on(UpdateCommand).resolves({});
  const { code, stdout } = await run(['disable-key', 'k9x8y7z6', '--stack', 'JobsService']);
  expect(code).toBe(0);
  expect(stdout).toMatch(/Disabled API key k9x8y7z6 of tenant acme/);
  expect(apiGateway).toHaveReceivedCommandWith(UpdateApiKeyCommand, {
    apiKey: 'k9x8y7z6',
    patchOperations: [{ op: 'replace', path: '/enabled', value: 'false' }],
  });
  expect(dynamodb).toHaveReceivedCommandWith(UpdateCommand, {
    TableName: 'JobsService-JobsTable-XYZ',
    Key: { pk: 'TENANTS', sk: 'APIKEY#k9x8y7z6' },
    ExpressionAttributeValues: { ':status': 'disabled' },
  });
});

test('a stack without the service outputs is refused', async () => {
  cloudFormation.on(DescribeStacksCommand).resolves({ Stacks: [{ StackName: 'Other', CreationTime: new Date(), StackStatus: 'CREATE_COMPLETE', Outputs: [] }] });
  const { code, stderr } = await run(['list', '--stack', 'Other']);
  expect(code).toBe(1);
  expect(stderr).toMatch(/no TableName\/UsagePlanId outputs/);
});
