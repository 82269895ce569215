/**
 * An item's size by DynamoDB's documented rules ("DynamoDB item sizes and
 * formats", developer guide): the sum of its attribute names and values, where
 * - a string is its UTF-8 bytes; a binary its raw bytes;
 * - a number is "approximately" 1 byte per two significant digits, plus 1
 *   (leading and trailing zeros trimmed). The digits are stored in pairs aligned
 *   on the decimal point (DynamoDB Local stores 1.5 and 110 in 3 bytes, not 2),
 *   and a negative number takes one byte more: counted here as
 *   ceil((digits + 1) / 2) + 1 (+ 1 if negative), never less than DynamoDB counts;
 * - a boolean or null is 1 byte;
 * - a List or Map is 3 bytes, plus 1 byte per element, plus its elements
 *   (a Map's keys count as attribute names).
 * Values are the JavaScript values the document client marshals (undefined is
 * left out, as `removeUndefinedValues` does).
 */

/** DynamoDB's limit on one item: 400 KB, names and values together. */
export const ITEM_LIMIT_BYTES = 400 * 1024;

const utf8Bytes = (text: string) => Buffer.byteLength(text, 'utf8');

export function itemSize(item: Readonly<Record<string, unknown>>): number {
  let size = 0;
  for (const [name, value] of Object.entries(item)) {
    if (value !== undefined) size += utf8Bytes(name) + valueSize(value);
  }
  return size;
}

function valueSize(value: unknown): number {
  switch (typeof value) {
    case 'string':
      return utf8Bytes(value);
    case 'number':
    case 'bigint':
      return numberSize(value);
    case 'boolean':
      return 1;
    default:
      break;
  }
  if (value === null) return 1;
  if (value instanceof Uint8Array) return value.byteLength;
  if (value instanceof Set) return [...value].reduce((sum: number, member) => sum + valueSize(member), 0);
  if (Array.isArray(value)) return value.reduce((sum: number, element) => sum + 1 + valueSize(element), 3);
  if (typeof value === 'object') {
    let size = 3;
    for (const [name, element] of Object.entries(value as Record<string, unknown>)) {
      if (element !== undefined) size += 1 + utf8Bytes(name) + valueSize(element);
    }
    return size;
  }
  throw new TypeError(`itemSize: ${typeof value} is not a DynamoDB value`);
}

/** Pairs of significant digits (one more digit for the pairs' alignment), plus 1, plus 1 for a sign. */
function numberSize(value: number | bigint): number {
  const text = String(value);
  const digits = text.replace(/^-/, '').replace(/e.*$/i, '').replace('.', '').replace(/^0+/, '').replace(/0+$/, '');
  return Math.ceil((Math.max(digits.length, 1) + 1) / 2) + 1 + (text.startsWith('-') ? 1 : 0);
}

