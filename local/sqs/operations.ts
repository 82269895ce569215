import { SqsError, invalidParameterValue, missingParameter } from './errors';
import { md5Hex, type QueuedMessage } from './message';
import { containsInvalidCharacters } from './message-characters';
import {
  md5OfMessageAttributes, md5OfTraceHeader, messageAttributesSize, parseMessageAttributes, parseTraceHeader,
  selectMessageAttributes,
} from './message-attributes';
import type { Delivery, NewMessage, SqsQueue } from './queue';
import { COMPUTED_QUEUE_ATTRIBUTES, DEFAULT_QUEUE_ATTRIBUTES, isKnownQueueAttribute } from './queue-attributes';
import type { QueueRegistry } from './queue-registry';
import { RequestInput, type JsonObject } from './request-input';

/** Every request runs against the registry; long polls end early when `signal` aborts (client gone). */
export interface OperationContext {
  registry: QueueRegistry;
  signal: AbortSignal;
}

type Operation = (input: RequestInput, context: OperationContext) => JsonObject | Promise<JsonObject>;

/** Real SQS operations the local endpoint does not play; they answer `UnsupportedOperation`. */
const UNSUPPORTED_OPERATIONS = new Set([
  'AddPermission', 'RemovePermission', 'StartMessageMoveTask', 'CancelMessageMoveTask', 'ListMessageMoveTasks',
]);

/** SQS's limit on the sum of message sizes in one SendMessageBatch. */
const MAX_BATCH_PAYLOAD_BYTES = 1_048_576;
const MESSAGE_GROUP_ID = /^[\x21-\x7E]{1,128}$/;
const SYSTEM_ATTRIBUTE_NAMES = [
  'SenderId', 'SentTimestamp', 'ApproximateReceiveCount', 'ApproximateFirstReceiveTimestamp', 'MessageGroupId',
  'AWSTraceHeader', 'DeadLetterQueueSourceArn',
] as const;

/**
 * Runs one operation named by `x-amz-target` (`AmazonSQS.<name>`) and writes
 * the journal before the caller replies.
 */
export async function runOperation(
  registry: QueueRegistry,
  name: string,
  input: JsonObject,
  signal: AbortSignal,
): Promise<JsonObject> {
  const operation = Object.hasOwn(OPERATIONS, name) ? OPERATIONS[name] : undefined;
  if (!operation) {
    if (UNSUPPORTED_OPERATIONS.has(name)) {
      throw new SqsError('UnsupportedOperation', `${name} is not supported by the local SQS endpoint.`);
    }
    throw new SqsError('InvalidAction', `The action ${name} is not valid for this endpoint.`);
  }
  try {
    return await operation(new RequestInput(input), { registry, signal });
  } finally {
    registry.flush();
  }
}

const OPERATIONS: Record<string, Operation> = {
  CreateQueue(input, { registry }) {
    const queue = registry.createQueue(
      input.requiredString('QueueName'),
      input.optionalStringMap('Attributes') ?? {},
      input.optionalStringMap('tags') ?? {},
    );
    return { QueueUrl: registry.urlOf(queue) };
  },

  GetQueueUrl(input, { registry }) {
    return { QueueUrl: registry.urlOf(registry.byName(input.requiredString('QueueName'))) };
  },

  ListQueues(input, { registry }) {
    const prefix = input.optionalString('QueueNamePrefix') ?? '';
    const maxResults = input.optionalInteger('MaxResults', { min: 1, max: 1000 });
    const after = decodeNextToken(input.optionalString('NextToken'));
    const names = registry.list().filter((queue) => queue.name.startsWith(prefix) && queue.name > after);
    const page = maxResults === undefined ? names.slice(0, 1000) : names.slice(0, maxResults);
    const output: JsonObject = {};
    if (page.length > 0) output.QueueUrls = page.map((queue) => registry.urlOf(queue));
    if (maxResults !== undefined && names.length > page.length) output.NextToken = encodeNextToken(page.at(-1)!.name);
    return output;
  },

  DeleteQueue(input, { registry }) {
    registry.deleteQueue(queueOf(input, registry));
    return {};
  },

  GetQueueAttributes(input, { registry }) {
    const queue = queueOf(input, registry);
    const requested = input.optionalStringList('AttributeNames') ?? [];
    for (const name of requested) {
      if (name !== 'All' && !isKnownQueueAttribute(name)) {
        throw new SqsError('InvalidAttributeName', `Unknown Attribute ${name}.`);
      }
    }
    const all = requested.includes('All');
    const available = queueAttributes(queue);
    const attributes: Record<string, string> = {};
    for (const [name, value] of Object.entries(available)) {
      if (all || requested.includes(name)) attributes[name] = value;
    }
    return Object.keys(attributes).length > 0 ? { Attributes: attributes } : {};
  },

  SetQueueAttributes(input, { registry }) {
    const queue = queueOf(input, registry);
    registry.setQueueAttributes(queue, input.optionalStringMap('Attributes') ?? {});
    return {};
  },

  SendMessage(input, { registry }) {
    const queue = queueOf(input, registry);
    return sendResult(queue.send(readNewMessage(input, queue)));
  },

  SendMessageBatch(input, { registry }) {
    const queue = queueOf(input, registry);
    const entries = input.batchEntries('Entries', 'SendMessageBatchRequestEntry');
    const payloadBytes = entries.reduce((sum, entry) => {
      const body = entry.has('MessageBody') ? entry.optionalString('MessageBody') ?? '' : '';
      return sum + Buffer.byteLength(body) + safeAttributesSize(entry);
    }, 0);
    if (payloadBytes > MAX_BATCH_PAYLOAD_BYTES) {
      throw new SqsError(
        'BatchRequestTooLong',
        `Batch requests cannot be longer than ${MAX_BATCH_PAYLOAD_BYTES} bytes. You have sent ${payloadBytes} bytes.`,
      );
    }
    return batchResult(entries, (entry) => sendResult(queue.send(readNewMessage(entry, queue))));
  },

  async ReceiveMessage(input, { registry, signal }) {
    const queue = queueOf(input, registry);
    const maxMessages = input.optionalInteger('MaxNumberOfMessages', { min: 1, max: 10 }) ?? 1;
    const visibilityTimeoutSeconds = input.optionalInteger('VisibilityTimeout', { min: 0, max: 43_200 });
    const waitSeconds = input.optionalInteger('WaitTimeSeconds', { min: 0, max: 20 }) ??
      queue.settings.receiveWaitSeconds;
    // The current SDK asks with MessageSystemAttributeNames, older ones with AttributeNames.
    const systemAttributeNames = [
      ...input.optionalStringList('AttributeNames') ?? [],
      ...input.optionalStringList('MessageSystemAttributeNames') ?? [],
    ];
    const messageAttributeNames = input.optionalStringList('MessageAttributeNames') ?? [];
    const deliveries = await queue.receiveOrWait({ maxMessages, visibilityTimeoutSeconds }, waitSeconds * 1000, signal);
    if (deliveries.length === 0) return {};
    return {
      Messages: deliveries.map((delivery) =>
        receivedMessage(delivery, systemAttributeNames, messageAttributeNames, registry.accountId)),
    };
  },

  DeleteMessage(input, { registry }) {
    queueOf(input, registry).deleteMessage(input.requiredString('ReceiptHandle'));
    return {};
  },

  DeleteMessageBatch(input, { registry }) {
    const queue = queueOf(input, registry);
    const entries = input.batchEntries('Entries', 'DeleteMessageBatchRequestEntry');
    return batchResult(entries, (entry) => {
      queue.deleteMessage(entry.requiredString('ReceiptHandle'));
      return {};
    });
  },

  ChangeMessageVisibility(input, { registry }) {
    const queue = queueOf(input, registry);
    const receiptHandle = input.requiredString('ReceiptHandle');
    queue.changeVisibility(receiptHandle, requiredVisibilityTimeout(input));
    return {};
  },

  ChangeMessageVisibilityBatch(input, { registry }) {
    const queue = queueOf(input, registry);
    const entries = input.batchEntries('Entries', 'ChangeMessageVisibilityBatchRequestEntry');
    return batchResult(entries, (entry) => {
      queue.changeVisibility(entry.requiredString('ReceiptHandle'), requiredVisibilityTimeout(entry));
      return {};
    });
  },

  PurgeQueue(input, { registry }) {
    queueOf(input, registry).purge();
    return {};
  },

  TagQueue(input, { registry }) {
    const queue = queueOf(input, registry);
    registry.setTags(queue, { ...queue.tags, ...input.optionalStringMap('Tags') });
    return {};
  },

  UntagQueue(input, { registry }) {
    const queue = queueOf(input, registry);
    const tags = { ...queue.tags };
    for (const key of input.optionalStringList('TagKeys') ?? []) delete tags[key];
    registry.setTags(queue, tags);
    return {};
  },

  ListQueueTags(input, { registry }) {
    const queue = queueOf(input, registry);
    return Object.keys(queue.tags).length > 0 ? { Tags: queue.tags } : {};
  },

  ListDeadLetterSourceQueues(input, { registry }) {
    const queue = queueOf(input, registry);
    const sources = registry.list().filter((source) => {
      const target = source.settings.redrivePolicy?.deadLetterTargetArn;
      return target !== undefined && registry.findByArn(target) === queue;
    });
    return { queueUrls: sources.map((source) => registry.urlOf(source)) };
  },
};

function queueOf(input: RequestInput, registry: QueueRegistry): SqsQueue {
  return registry.byUrl(input.requiredString('QueueUrl'));
}

function requiredVisibilityTimeout(input: RequestInput): number {
  const timeout = input.optionalInteger('VisibilityTimeout', { min: 0, max: 43_200 });
  if (timeout === undefined) throw missingParameter('VisibilityTimeout');
  return timeout;
}

/** Validates one message of a SendMessage or of a batch entry, as SQS does. */
function readNewMessage(input: RequestInput, queue: SqsQueue): NewMessage {
  const body = input.requiredString('MessageBody');
  if (body.length === 0) throw missingParameter('MessageBody');
  if (containsInvalidCharacters(body)) {
    throw new SqsError(
      'InvalidMessageContents',
      'Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | #x20 to #xD7FF | ' +
        '#xE000 to #xFFFD | #x10000 to #x10FFFF',
    );
  }
  const delaySeconds = input.optionalInteger('DelaySeconds', { min: 0, max: 900 });
  const messageAttributes = parseMessageAttributes(input.optionalObject('MessageAttributes'));
  const traceHeader = parseTraceHeader(input.optionalObject('MessageSystemAttributes'));
  const groupId = input.optionalString('MessageGroupId');
  if (groupId !== undefined && !MESSAGE_GROUP_ID.test(groupId)) {
    throw invalidParameterValue('MessageGroupId', groupId, 'Must be 1 to 128 alphanumeric or punctuation characters.');
  }
  if (input.has('MessageDeduplicationId')) {
    throw invalidParameterValue(
      'MessageDeduplicationId',
      input.optionalString('MessageDeduplicationId'),
      'The request includes a parameter that is not valid for this queue type.',
    );
  }
  const size = Buffer.byteLength(body) + messageAttributesSize(messageAttributes);
  const limit = queue.settings.maximumMessageSize;
  if (size > limit) {
    throw new SqsError(
      'InvalidParameterValue',
      `One or more parameters are invalid. Reason: Message must be shorter than ${limit} bytes.`,
    );
  }
  return { body, md5OfBody: md5Hex(body), messageAttributes, traceHeader, groupId, delaySeconds };
}

/** Size of an entry's attributes for the batch limit; invalid attributes fail the entry later. */
function safeAttributesSize(entry: RequestInput): number {
  try {
    return messageAttributesSize(parseMessageAttributes(entry.optionalObject('MessageAttributes')));
  } catch {
    return 0;
  }
}

function sendResult(message: QueuedMessage): JsonObject {
  const result: JsonObject = { MessageId: message.id, MD5OfMessageBody: message.md5OfBody };
  if (message.messageAttributes) result.MD5OfMessageAttributes = md5OfMessageAttributes(message.messageAttributes);
  if (message.traceHeader) result.MD5OfMessageSystemAttributes = md5OfTraceHeader(message.traceHeader);
  return result;
}

/** Runs each entry; an SqsError fails only its entry (`Failed`), as SQS batch calls do. */
function batchResult(entries: RequestInput[], run: (entry: RequestInput) => JsonObject): JsonObject {
  const successful: JsonObject[] = [];
  const failed: JsonObject[] = [];
  for (const entry of entries) {
    const id = entry.requiredString('Id');
    try {
      successful.push({ Id: id, ...run(entry) });
    } catch (error) {
      if (!(error instanceof SqsError)) throw error;
      failed.push({ Id: id, SenderFault: error.senderFault, Code: error.queryCode, Message: error.message });
    }
  }
  return { Successful: successful, Failed: failed };
}

function receivedMessage(
  delivery: Delivery,
  systemAttributeNames: readonly string[],
  messageAttributeNames: readonly string[],
  senderId: string,
): JsonObject {
  const { message } = delivery;
  const output: JsonObject = {
    MessageId: message.id,
    ReceiptHandle: delivery.receiptHandle,
    MD5OfBody: message.md5OfBody,
    Body: message.body,
  };
  const all = systemAttributeNames.includes('All');
  const values: Record<(typeof SYSTEM_ATTRIBUTE_NAMES)[number], string | undefined> = {
    SenderId: senderId,
    SentTimestamp: String(message.sentAt),
    ApproximateReceiveCount: String(delivery.receiveCount),
    ApproximateFirstReceiveTimestamp: String(message.firstReceivedAt),
    MessageGroupId: message.groupId,
    AWSTraceHeader: message.traceHeader,
    DeadLetterQueueSourceArn: message.deadLetterSourceArn,
  };
  const attributes: Record<string, string> = {};
  for (const name of SYSTEM_ATTRIBUTE_NAMES) {
    const value = values[name];
    if (value !== undefined && (all || systemAttributeNames.includes(name))) attributes[name] = value;
  }
  if (Object.keys(attributes).length > 0) output.Attributes = attributes;
  const selected = selectMessageAttributes(message.messageAttributes, messageAttributeNames);
  if (selected) {
    output.MessageAttributes = selected;
    output.MD5OfMessageAttributes = md5OfMessageAttributes(selected);
  }
  return output;
}

function queueAttributes(queue: SqsQueue): Record<string, string> {
  const counts = queue.counts();
  const computed: Record<(typeof COMPUTED_QUEUE_ATTRIBUTES)[number], string> = {
    ApproximateNumberOfMessages: String(counts.visible),
    ApproximateNumberOfMessagesNotVisible: String(counts.inFlight),
    ApproximateNumberOfMessagesDelayed: String(counts.delayed),
    CreatedTimestamp: String(Math.floor(queue.createdAt / 1000)),
    LastModifiedTimestamp: String(Math.floor(queue.lastModifiedAt / 1000)),
    QueueArn: queue.arn,
  };
  return { ...DEFAULT_QUEUE_ATTRIBUTES, ...queue.attributes, ...computed };
}

function encodeNextToken(lastName: string): string {
  return Buffer.from(lastName).toString('base64url');
}

function decodeNextToken(token: string | undefined): string {
  if (token === undefined) return '';
  const name = Buffer.from(token, 'base64url').toString('utf8');
  if (!/^[A-Za-z0-9_-]{1,80}$/.test(name)) throw invalidParameterValue('NextToken', token, 'Invalid token.');
  return name;
}
