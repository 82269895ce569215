import { randomBytes } from 'node:crypto';

/**
 * Receipt handles name the queue and the message and carry a random part, so
 * each receive of a message gets a new handle. A queue keeps only the latest
 * handle of each message; see SqsQueue.deleteMessage for what older ones do.
 */
export function createReceiptHandle(queueName: string, messageId: string): string {
  return Buffer.from(`${queueName} ${messageId} ${randomBytes(12).toString('base64url')}`).toString('base64url');
}

/** The queue and message a handle names, or undefined when it is not one of ours. */
export function readReceiptHandle(handle: string): { queueName: string; messageId: string } | undefined {
  if (handle.length === 0 || handle.length > 1024 || !/^[A-Za-z0-9_-]+$/.test(handle)) return undefined;
  const parts = Buffer.from(handle, 'base64url').toString('utf8').split(' ');
  if (parts.length !== 3 || !parts[0] || !parts[1]) return undefined;
  return { queueName: parts[0], messageId: parts[1] };
}
