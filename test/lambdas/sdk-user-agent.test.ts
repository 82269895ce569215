/**
 * The user agent built once per operation (lambdas/sdk-user-agent.ts): what
 * reaches the server is the SDK's own header, call after call, operation by
 * operation, with the SDK's middleware run only once per operation.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { cacheUserAgent } from '../../lambdas/sdk-user-agent';

let server: Server;
let endpoint: string;
const seen: IncomingHttpHeaders[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push(req.headers);
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
      res.end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const clientOf = () => new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' }, maxAttempts: 1 });
const agents = (headers: IncomingHttpHeaders) => ({ ua: headers['user-agent'], amz: headers['x-amz-user-agent'] });

async function callsOf(client: DynamoDBClient) {
  seen.length = 0;
  await client.send(new GetItemCommand({ TableName: 't', Key: { pk: { S: 'a' } } }));
  await client.send(new GetItemCommand({ TableName: 't', Key: { pk: { S: 'b' } } }));
  await client.send(new PutItemCommand({ TableName: 't', Item: { pk: { S: 'c' } } }));
  await client.send(new PutItemCommand({ TableName: 't', Item: { pk: { S: 'd' } } }));
  return seen.map(agents);
}

test('the headers are the SDK\'s own, on every call of every operation', async () => {
  const plain = clientOf();
  const cached = cacheUserAgent(clientOf());
  const expected = await callsOf(plain);
  const actual = await callsOf(cached);
  expect(expected[0].ua).toMatch(/aws-sdk-js\//);
  expect(actual).toEqual(expected);
  plain.destroy();
  cached.destroy();
});

test('the SDK\'s middleware runs once per operation, not once per call', async () => {
  // It asks the client's config for the default agent each time it runs.
  const runsOf = async (client: DynamoDBClient) => {
    const provider = jest.spyOn(client.config, 'defaultUserAgentProvider');
    await callsOf(client);
    client.destroy();
    return provider.mock.calls.length;
  };
  expect(await runsOf(clientOf())).toBe(4);
  expect(await runsOf(cacheUserAgent(clientOf()))).toBe(2);
});
