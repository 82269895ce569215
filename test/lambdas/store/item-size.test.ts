/**
 * The item sizer against DynamoDB's own size check: an item the sizer puts at
 * exactly the limit is stored, one byte more is refused, on AWS's DynamoDB Local
 * (and on dynalite, which the twin runs on), for items of every shape.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { ITEM_LIMIT_BYTES, itemSize } from '../../../lambdas/store/item-size';
import { ensureTable, startDynamoDb } from '../../../local/dynamodb';
import { startDynamoDbLocal } from '../../support/dynamodb-local';

describe('itemSize by the documented rules', () => {
  it.each([
    ['a string: name + UTF-8 bytes', { ab: 'é€' }, 2 + 5],
    ['a number: pairs of significant digits (one more for alignment) + 1', { n: 12345 }, 1 + 4],
    ['a number with zeros trimmed', { n: 1200 }, 1 + 3],
    ['a decimal', { n: 0.0015 }, 1 + 3],
    ['a negative number (one byte more)', { n: -7 }, 1 + 3],
    ['a boolean and a null', { t: true, z: null }, 2 + 2],
    ['an empty map and list', { m: {}, l: [] }, 2 + 6],
    ['a map: 3 + per element 1 + key + value', { m: { ab: 'x', c: 1 } }, 1 + 3 + (1 + 2 + 1) + (1 + 1 + 2)],
    ['a list: 3 + per element 1 + value', { l: ['ab', true, [null]] }, 1 + 3 + (1 + 2) + (1 + 1) + (1 + 3 + 1 + 1)],
    ['undefined left out', { a: undefined, b: 'x' }, 2],
  ])('%s', (_name, item, expected) => {
    expect(itemSize(item as Record<string, unknown>)).toBe(expected);
  });
});

/** Pads `base` with a string attribute so that itemSize says exactly `target`. */
function itemOfSize(base: Record<string, unknown>, target: number): Record<string, unknown> {
  const item = { ...base, pad: '' };
  item.pad = 'x'.repeat(target - itemSize(item));
  expect(itemSize(item)).toBe(target);
  return item;
}

/** Shapes whose size itemSize gets exactly right. */
const EXACT_SHAPES: Array<[string, Record<string, unknown>]> = [
  ['strings, ASCII and not', { pk: 'k', sk: 'JOB', text: 'é€😀'.repeat(1000) }],
  ['numbers of an odd count of digits', { pk: 'k', sk: 'JOB', a: 7, b: -7, c: 123, d: 12345, e: 1e-7, f: 1234567890123, g: 100 }],
  ['nested maps and lists', { pk: 'k', sk: 'JOB', m: { a: ['two', { three: [true, null, []] }], b: {} }, l: Array.from({ length: 300 }, () => [7, { k: 'v' }]) }],
];
/** Numbers whose digits sit across a pair: itemSize counts them a byte high, never low. */
const ROUNDED_UP_SHAPES: Array<[string, Record<string, unknown>]> = [
  ['numbers of an even count of digits, or misaligned', { pk: 'k', sk: 'JOB', a: 1.5, b: 110, d: 15, e: 0.12, c: 987654.321, n: Array.from({ length: 500 }, (_, i) => i * 1.1) }],
];

describe.each([
  ['dynalite', () => startDynamoDb({})],
  ['DynamoDB Local', () => startDynamoDbLocal()],
])('DynamoDB (%s) stores what itemSize puts at the 400 KB limit', (name, start) => {
  let backend: { url: string; close(): Promise<void> };
  let client: DynamoDBClient;
  let db: DynamoDBDocumentClient;
  const put = (item: Record<string, unknown>) => db.send(new PutCommand({ TableName: 'sizes', Item: item }));

  beforeAll(async () => {
    backend = await start();
    client = new DynamoDBClient({ endpoint: backend.url, region: 'us-east-1', credentials: { accessKeyId: 'l', secretAccessKey: 'l' } });
    await ensureTable(client, 'sizes');
    db = DynamoDBDocumentClient.from(client);
  }, 60_000);

  afterAll(async () => {
    client?.destroy();
    await backend?.close();
  });

  it.each([...EXACT_SHAPES, ...ROUNDED_UP_SHAPES])('%s: an item at the limit is stored', async (_shape, base) => {
    await expect(put(itemOfSize(base, ITEM_LIMIT_BYTES))).resolves.toBeDefined();
  });

  // dynalite counts a string's UTF-16 units rather than its UTF-8 bytes: only AWS's own is exact.
  if (name === 'DynamoDB Local') {
    it.each(EXACT_SHAPES)('%s: one byte over the limit is refused', async (_shape, base) => {
      await expect(put(itemOfSize(base, ITEM_LIMIT_BYTES + 1))).rejects.toThrow('Item size has exceeded the maximum allowed size');
    });
  }
});
