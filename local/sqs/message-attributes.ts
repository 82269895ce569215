import { createHash, type Hash } from 'node:crypto';
import { SqsError, invalidParameterValue } from './errors';
import { containsInvalidCharacters } from './message-characters';
import { isJsonObject } from './request-input';

/** A message attribute as it travels in JSON: binary values are base64. */
export interface MessageAttributeValue {
  DataType: string;
  StringValue?: string;
  BinaryValue?: string;
}

export type MessageAttributes = Record<string, MessageAttributeValue>;

const MAX_MESSAGE_ATTRIBUTES = 10;
const ATTRIBUTE_NAME = /^[A-Za-z0-9_.-]{1,256}$/;
const RESERVED_NAME_PREFIX = /^(aws\.|amazon\.)/i;
const DATA_TYPE = /^(String|Number|Binary)(\..+)?$/;
const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Validates `MessageAttributes` of a send the way SQS does; returns undefined when there are none. */
export function parseMessageAttributes(value: unknown): MessageAttributes | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isJsonObject(value)) throw invalidParameterValue('MessageAttributes', JSON.stringify(value), 'Must be a map.');
  const names = Object.keys(value);
  if (names.length === 0) return undefined;
  if (names.length > MAX_MESSAGE_ATTRIBUTES) {
    throw new SqsError(
      'InvalidParameterValue',
      `Number of message attributes [${names.length}] exceeds the allowed maximum [${MAX_MESSAGE_ATTRIBUTES}].`,
    );
  }
  const attributes: MessageAttributes = {};
  for (const name of names) {
    if (!ATTRIBUTE_NAME.test(name) || RESERVED_NAME_PREFIX.test(name) || name.includes('..') ||
        name.startsWith('.') || name.endsWith('.')) {
      throw new SqsError('InvalidParameterValue', `Message (user) attribute name '${name}' is invalid.`);
    }
    attributes[name] = parseAttributeValue(name, value[name]);
  }
  return attributes;
}

function parseAttributeValue(name: string, value: unknown): MessageAttributeValue {
  if (!isJsonObject(value)) {
    throw new SqsError('InvalidParameterValue', `Message (user) attribute '${name}' must be an object.`);
  }
  const { DataType: dataType, StringValue: stringValue, BinaryValue: binaryValue } = value;
  if (typeof dataType !== 'string' || dataType.length > 256 || !DATA_TYPE.test(dataType) ||
      containsInvalidCharacters(dataType)) {
    throw new SqsError('InvalidParameterValue', `The type of message (user) attribute '${name}' is invalid.`);
  }
  if (value.StringListValues !== undefined || value.BinaryListValues !== undefined) {
    throw new SqsError('InvalidParameterValue', `Message (user) attribute '${name}': list values are not implemented.`);
  }
  const logicalType = dataType.split('.')[0];
  if (logicalType === 'Binary') {
    if (typeof binaryValue !== 'string' || binaryValue.length === 0 || !BASE64.test(binaryValue)) {
      throw new SqsError(
        'InvalidParameterValue',
        `Message (user) attribute '${name}' must contain a non-empty value of message attribute type '${dataType}'.`,
      );
    }
    return { DataType: dataType, BinaryValue: binaryValue };
  }
  if (typeof stringValue !== 'string' || stringValue.length === 0) {
    throw new SqsError(
      'InvalidParameterValue',
      `Message (user) attribute '${name}' must contain a non-empty value of message attribute type '${dataType}'.`,
    );
  }
  if (logicalType === 'Number' && !NUMBER.test(stringValue)) {
    throw new SqsError('InvalidParameterValue', `Can't cast the value of message (user) attribute '${name}' to a number.`);
  }
  if (containsInvalidCharacters(stringValue)) {
    throw new SqsError('InvalidParameterValue', `Message (user) attribute '${name}' contains invalid characters.`);
  }
  return { DataType: dataType, StringValue: stringValue };
}

/** Bytes the attributes add to the message size: names, types and values all count. */
export function messageAttributesSize(attributes: MessageAttributes | undefined): number {
  if (!attributes) return 0;
  let size = 0;
  for (const [name, value] of Object.entries(attributes)) {
    size += Buffer.byteLength(name) + Buffer.byteLength(value.DataType);
    size += value.BinaryValue !== undefined
      ? Buffer.from(value.BinaryValue, 'base64').length
      : Buffer.byteLength(value.StringValue ?? '');
  }
  return size;
}

/**
 * MD5 over the attributes as AWS documents it: sorted by name, each encoded as
 * length-prefixed name, length-prefixed type, transport byte (1 string, 2 binary)
 * and length-prefixed value.
 */
export function md5OfMessageAttributes(attributes: MessageAttributes): string {
  const hash = createHash('md5');
  for (const name of Object.keys(attributes).sort()) {
    const value = attributes[name];
    updateLengthPrefixed(hash, Buffer.from(name, 'utf8'));
    updateLengthPrefixed(hash, Buffer.from(value.DataType, 'utf8'));
    if (value.BinaryValue !== undefined) {
      hash.update(Uint8Array.of(2));
      updateLengthPrefixed(hash, Buffer.from(value.BinaryValue, 'base64'));
    } else {
      hash.update(Uint8Array.of(1));
      updateLengthPrefixed(hash, Buffer.from(value.StringValue ?? '', 'utf8'));
    }
  }
  return hash.digest('hex');
}

function updateLengthPrefixed(hash: Hash, bytes: Buffer): void {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  hash.update(length);
  hash.update(bytes);
}

/**
 * The attributes a receive asked for: `All` or `.*` for every one, `prefix.*` for
 * those starting with `prefix.`, or exact names.
 */
export function selectMessageAttributes(
  attributes: MessageAttributes | undefined,
  requestedNames: readonly string[],
): MessageAttributes | undefined {
  if (!attributes || requestedNames.length === 0) return undefined;
  const wantsAll = requestedNames.some((name) => name === 'All' || name === '.*');
  const selected: MessageAttributes = {};
  let any = false;
  for (const [name, value] of Object.entries(attributes)) {
    const wanted = wantsAll || requestedNames.some((requested) =>
      requested.endsWith('.*') ? name.startsWith(requested.slice(0, -1)) : requested === name);
    if (wanted) {
      selected[name] = value;
      any = true;
    }
  }
  return any ? selected : undefined;
}

/** `MessageSystemAttributes` of a send: only `AWSTraceHeader` exists. */
export function parseTraceHeader(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isJsonObject(value)) {
    throw invalidParameterValue('MessageSystemAttributes', JSON.stringify(value), 'Must be a map.');
  }
  let traceHeader: string | undefined;
  for (const [name, attribute] of Object.entries(value)) {
    if (name !== 'AWSTraceHeader') {
      throw new SqsError('InvalidParameterValue', `Message system attribute name '${name}' is invalid.`);
    }
    if (!isJsonObject(attribute) || attribute.DataType !== 'String' || typeof attribute.StringValue !== 'string' ||
        attribute.StringValue.length === 0) {
      throw new SqsError('InvalidParameterValue', "Message system attribute 'AWSTraceHeader' must be a non-empty String.");
    }
    traceHeader = attribute.StringValue;
  }
  return traceHeader;
}

export function md5OfTraceHeader(traceHeader: string): string {
  return md5OfMessageAttributes({ AWSTraceHeader: { DataType: 'String', StringValue: traceHeader } });
}
