/** Characters SQS accepts in a body and in string attribute values (the XML 1.0 character set). */
const INVALID_MESSAGE_CHARACTER = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

export function containsInvalidCharacters(text: string): boolean {
  return INVALID_MESSAGE_CHARACTER.test(text);
}
