import { createHash } from 'node:crypto';
import type { MessageAttributes } from './message-attributes';

/**
 * Where a message is in its queue. `delayed` → `visible` when its delay ends;
 * `visible` → `inFlight` when a receive takes it; `inFlight` → `visible` when its
 * visibility timeout ends (or is changed to 0); any state → `gone` on delete,
 * purge, expiry of its retention period, or a move to the dead-letter queue.
 */
export type MessageState = 'delayed' | 'visible' | 'inFlight' | 'gone';

/** What is kept of a message across restarts (journal and snapshot). */
export interface MessageRecord {
  id: string;
  body: string;
  md5OfBody: string;
  messageAttributes?: MessageAttributes;
  /** The X-Ray trace header, SQS's only message system attribute. */
  traceHeader?: string;
  groupId?: string;
  /** Epoch ms; retention counts from here, also after a move to a dead-letter queue. */
  sentAt: number;
  /** Epoch ms when the delay ends; absent when the message was not delayed. */
  delayedUntil?: number;
  receiveCount?: number;
  firstReceivedAt?: number;
  /** Set on a message moved here by redrive. */
  deadLetterSourceArn?: string;
  /** Epoch ms when redrive moved it here: a dead-letter queue ages its messages from then (as SQS does). */
  deadLetteredAt?: number;
}

/** A message held by a queue. */
export interface QueuedMessage {
  readonly id: string;
  readonly body: string;
  readonly md5OfBody: string;
  readonly messageAttributes: MessageAttributes | undefined;
  readonly traceHeader: string | undefined;
  readonly groupId: string | undefined;
  readonly sentAt: number;
  readonly deadLetterSourceArn: string | undefined;
  readonly deadLetteredAt: number | undefined;
  receiveCount: number;
  firstReceivedAt: number | undefined;
  state: MessageState;
  /** Epoch ms at which a delayed or in-flight message becomes visible. */
  visibleAt: number;
  /** Position among visible messages: the order in which messages became visible. */
  visibleSeq: number;
  /** The handle of the latest receive; only it can delete the message. */
  receiptHandle: string | undefined;
}

export function md5Hex(data: string | Buffer): string {
  return createHash('md5').update(data).digest('hex');
}
