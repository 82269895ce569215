import { randomUUID } from 'node:crypto';
import { SqsError } from './errors';
import type { JournalRecord } from './journal';
import type { MessageRecord, QueuedMessage, MessageState } from './message';
import type { MessageAttributes } from './message-attributes';
import { MinHeap } from './min-heap';
import { readQueueSettings, type QueueSettings } from './queue-attributes';
import { createReceiptHandle, readReceiptHandle } from './receipt-handle';
import { NO_GROUP, VisibleMessages } from './visible-messages';

/**
 * When a message group counts as noisy (AWS fair queues): it holds at least
 * `minInFlight` in-flight messages and more than `shareThreshold` of all of them.
 */
export interface FairnessThresholds {
  minInFlight: number;
  shareThreshold: number;
}

/** What a queue needs from the endpoint around it. */
export interface QueueEnvironment {
  now(): number;
  fairness: FairnessThresholds;
  /** Journals a state change (a no-op in memory and while replaying). */
  record(record: JournalRecord): void;
  findQueueByArn(arn: string): SqsQueue | undefined;
}

/** A validated message to send. */
export interface NewMessage {
  body: string;
  md5OfBody: string;
  messageAttributes: MessageAttributes | undefined;
  traceHeader: string | undefined;
  groupId: string | undefined;
  delaySeconds: number | undefined;
}

export interface ReceiveRequest {
  maxMessages: number;
  /** Overrides the queue's VisibilityTimeout. */
  visibilityTimeoutSeconds: number | undefined;
}

/** One message handed out by a receive, as it was at that moment. */
export interface Delivery {
  message: QueuedMessage;
  receiptHandle: string;
  receiveCount: number;
}

/** A delayed or in-flight message waiting for `at`; stale once the message moved on. */
interface TimelineEntry {
  at: number;
  order: number;
  message: QueuedMessage;
}

interface PendingReceive {
  request: ReceiveRequest;
  finish(deliveries: Delivery[]): void;
}

const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

/**
 * One standard queue with fair-queue delivery. A live message is in one of two
 * places: the visible lines (VisibleMessages), or the timeline of delayed and
 * in-flight messages, ordered by the time they become visible. Time-driven changes (delay ends, visibility expires, retention
 * passes) are applied lazily by `promoteDue` at the start of each operation,
 * and by a timer while long polls wait.
 */
export class SqsQueue {
  attributes: Record<string, string>;
  settings: QueueSettings;
  tags: Record<string, string>;
  lastModifiedAt: number;

  private readonly messages = new Map<string, QueuedMessage>();
  private readonly visible = new VisibleMessages();
  private readonly timeline = new MinHeap<TimelineEntry>((a, b) => a.at < b.at || (a.at === b.at && a.order < b.order));
  private timelineOrder = 0;
  private visibleCount = 0;
  private delayedCount = 0;
  private inFlightCount = 0;
  private readonly inFlightByGroup = new Map<string, number>();
  private readonly waiters: PendingReceive[] = [];
  private servingWaiters = false;
  private wakeTimer: NodeJS.Timeout | undefined;
  private wakeAt = Infinity;

  constructor(
    readonly name: string,
    readonly arn: string,
    attributes: Record<string, string>,
    tags: Record<string, string>,
    readonly createdAt: number,
    private readonly environment: QueueEnvironment,
  ) {
    this.attributes = attributes;
    this.settings = readQueueSettings(attributes);
    this.tags = tags;
    this.lastModifiedAt = createdAt;
  }

  configure(attributes: Record<string, string>, at: number): void {
    this.attributes = attributes;
    this.settings = readQueueSettings(attributes);
    this.lastModifiedAt = at;
  }

  send(input: NewMessage): QueuedMessage {
    const now = this.environment.now();
    this.promoteDue(now);
    const delaySeconds = input.delaySeconds ?? this.settings.delaySeconds;
    const record: MessageRecord = {
      id: randomUUID(),
      body: input.body,
      md5OfBody: input.md5OfBody,
      messageAttributes: input.messageAttributes,
      traceHeader: input.traceHeader,
      groupId: input.groupId,
      sentAt: now,
      delayedUntil: delaySeconds > 0 ? now + delaySeconds * 1000 : undefined,
    };
    this.environment.record({ op: 'send', queue: this.name, message: record });
    const message = this.addMessage(record, now);
    this.afterChange();
    return message;
  }

  /** Takes up to `maxMessages` visible messages now, without waiting. */
  receive(request: ReceiveRequest): Delivery[] {
    const now = this.environment.now();
    this.promoteDue(now);
    const visibilityMs = request.visibilityTimeoutSeconds !== undefined
      ? request.visibilityTimeoutSeconds * 1000
      : this.settings.visibilityTimeoutMs;
    const deliveries: Delivery[] = [];
    while (deliveries.length < request.maxMessages) {
      const message = this.visible.take(this.isNoisyGroup);
      if (!message) break;
      if (now >= message.sentAt + this.settings.retentionMs) {
        this.discard(message);
        continue;
      }
      const deadLetterQueue = this.deadLetterQueueFor(message);
      if (deadLetterQueue) {
        this.moveToDeadLetterQueue(message, deadLetterQueue, now);
        continue;
      }
      message.receiveCount++;
      message.firstReceivedAt ??= now;
      message.receiptHandle = createReceiptHandle(this.name, message.id);
      message.visibleAt = now + visibilityMs;
      this.setState(message, 'inFlight');
      this.schedule(message);
      this.environment.record({ op: 'receive', queue: this.name, id: message.id, at: now });
      deliveries.push({ message, receiptHandle: message.receiptHandle, receiveCount: message.receiveCount });
    }
    return deliveries;
  }

  /**
   * Long polling: receives at once if anything is visible, otherwise waits up to
   * `waitMs` and answers as soon as a message becomes visible (sent, delay ended,
   * visibility expired), or with nothing when the wait ends or `signal` aborts.
   * Waiters are served first come, first served, each with its own messages.
   */
  receiveOrWait(request: ReceiveRequest, waitMs: number, signal?: AbortSignal): Promise<Delivery[]> {
    const deliveries = this.receive(request);
    if (deliveries.length > 0 || waitMs <= 0 || signal?.aborted) return Promise.resolve(deliveries);
    return new Promise((resolve) => {
      const waiter: PendingReceive = {
        request,
        finish: (result) => {
          clearTimeout(timeout);
          signal?.removeEventListener('abort', onAbort);
          const index = this.waiters.indexOf(waiter);
          if (index !== -1) this.waiters.splice(index, 1);
          resolve(result);
        },
      };
      const onAbort = () => waiter.finish([]);
      const timeout = setTimeout(onAbort, waitMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
      this.armWakeTimer();
    });
  }

  /**
   * Deletes the message a receipt handle names. Only the handle of the latest
   * receive deletes; an older handle of a message received again since, or a
   * handle of a message already gone, succeeds without effect (as SQS documents).
   */
  deleteMessage(receiptHandle: string): void {
    const message = this.messageFor(receiptHandle);
    if (!message || message.receiptHandle !== receiptHandle) return;
    this.discard(message);
    this.environment.record({ op: 'delete', queue: this.name, id: message.id });
    this.armWakeTimer();
  }

  changeVisibility(receiptHandle: string, timeoutSeconds: number): void {
    const now = this.environment.now();
    this.promoteDue(now);
    const message = this.messageFor(receiptHandle);
    if (!message || message.receiptHandle !== receiptHandle) {
      throw new SqsError(
        'InvalidParameterValue',
        `Value ${receiptHandle} for parameter ReceiptHandle is invalid. ` +
          'Reason: Message does not exist or is not available for visibility timeout change.',
      );
    }
    if (message.state !== 'inFlight') {
      throw new SqsError('MessageNotInflight', 'The message referred to is not in flight.');
    }
    message.visibleAt = now + timeoutSeconds * 1000;
    this.schedule(message);
    if (timeoutSeconds === 0) this.promoteDue(now);
    this.afterChange();
  }

  purge(): void {
    for (const message of this.messages.values()) message.state = 'gone';
    this.messages.clear();
    this.visible.clear();
    this.timeline.clear();
    this.inFlightByGroup.clear();
    this.visibleCount = this.delayedCount = this.inFlightCount = 0;
    this.environment.record({ op: 'purge', queue: this.name });
    this.armWakeTimer();
  }

  /**
   * Age of the oldest message not deleted (visible, in flight or delayed), in whole seconds, as
   * CloudWatch's ApproximateAgeOfOldestMessage counts it: from when it was sent, or in a
   * dead-letter queue from when redrive moved it there; null when the queue is empty. The first
   * message in arrival order is the oldest (the order `promoteDue` relies on too).
   */
  oldestMessageAgeSeconds(): number | null {
    const now = this.environment.now();
    this.promoteDue(now);
    const oldest = this.messages.values().next();
    if (oldest.done) return null;
    const arrivedAt = oldest.value.deadLetteredAt ?? oldest.value.sentAt;
    return Math.max(0, Math.floor((now - arrivedAt) / 1000));
  }

  /** Approximate counts, as GetQueueAttributes reports them. */
  counts(): { visible: number; inFlight: number; delayed: number } {
    this.promoteDue(this.environment.now());
    return { visible: this.visibleCount, inFlight: this.inFlightCount, delayed: this.delayedCount };
  }

  /** Answers every waiting long poll with no messages (queue deleted, endpoint closing). */
  endWaits(): void {
    for (const waiter of [...this.waiters]) waiter.finish([]);
    this.armWakeTimer();
  }

  /** Every live message as a record, for a snapshot; in-flight ones are written as visible. */
  *messageRecords(): Iterable<MessageRecord> {
    for (const message of this.messages.values()) {
      yield {
        id: message.id,
        body: message.body,
        md5OfBody: message.md5OfBody,
        messageAttributes: message.messageAttributes,
        traceHeader: message.traceHeader,
        groupId: message.groupId,
        sentAt: message.sentAt,
        delayedUntil: message.state === 'delayed' ? message.visibleAt : undefined,
        receiveCount: message.receiveCount || undefined,
        firstReceivedAt: message.firstReceivedAt,
        deadLetterSourceArn: message.deadLetterSourceArn,
        deadLetteredAt: message.deadLetteredAt,
      };
    }
  }

  // Replay of journal records: the same state changes, without journaling or selection.

  restoreMessage(record: MessageRecord): void {
    if (!this.messages.has(record.id)) this.addMessage(record, this.environment.now());
  }

  restoreReceive(id: string, at: number): void {
    const message = this.messages.get(id);
    if (!message) return;
    message.receiveCount++;
    message.firstReceivedAt ??= at;
  }

  /** Removes a message by id; returns it (for a replayed move to a dead-letter queue). */
  restoreRemoval(id: string): QueuedMessage | undefined {
    const message = this.messages.get(id);
    if (message) this.discard(message);
    return message;
  }

  /** Takes in a message that exceeded its source queue's maxReceiveCount. */
  acceptDeadLetter(message: QueuedMessage, sourceArn: string, at: number): void {
    this.promoteDue(at);
    this.addMessage({
      id: message.id,
      body: message.body,
      md5OfBody: message.md5OfBody,
      messageAttributes: message.messageAttributes,
      traceHeader: message.traceHeader,
      groupId: message.groupId,
      sentAt: message.sentAt,
      deadLetterSourceArn: sourceArn,
      deadLetteredAt: at,
    }, at);
    this.afterChange();
  }

  private addMessage(record: MessageRecord, now: number): QueuedMessage {
    const message: QueuedMessage = {
      id: record.id,
      body: record.body,
      md5OfBody: record.md5OfBody,
      messageAttributes: record.messageAttributes,
      traceHeader: record.traceHeader,
      groupId: record.groupId,
      sentAt: record.sentAt,
      deadLetterSourceArn: record.deadLetterSourceArn,
      deadLetteredAt: record.deadLetteredAt,
      receiveCount: record.receiveCount ?? 0,
      firstReceivedAt: record.firstReceivedAt,
      state: 'gone',
      visibleAt: 0,
      visibleSeq: 0,
      receiptHandle: undefined,
    };
    this.messages.set(message.id, message);
    if (record.delayedUntil !== undefined && record.delayedUntil > now) {
      message.visibleAt = record.delayedUntil;
      this.setState(message, 'delayed');
      this.schedule(message);
    } else {
      this.makeVisible(message);
    }
    return message;
  }

  private messageFor(receiptHandle: string): QueuedMessage | undefined {
    const named = readReceiptHandle(receiptHandle);
    if (!named || named.queueName !== this.name) {
      throw new SqsError('ReceiptHandleIsInvalid', `The input receipt handle "${receiptHandle}" is not a valid receipt handle.`);
    }
    return this.messages.get(named.messageId);
  }

  private readonly isNoisyGroup = (groupId: string): boolean => {
    if (groupId === NO_GROUP) return false;
    const inFlight = this.inFlightByGroup.get(groupId) ?? 0;
    const { minInFlight, shareThreshold } = this.environment.fairness;
    return inFlight >= minInFlight && inFlight > shareThreshold * this.inFlightCount;
  };

  private deadLetterQueueFor(message: QueuedMessage): SqsQueue | undefined {
    const policy = this.settings.redrivePolicy;
    if (!policy || message.receiveCount < policy.maxReceiveCount) return undefined;
    const queue = this.environment.findQueueByArn(policy.deadLetterTargetArn);
    return queue === this ? undefined : queue;
  }

  private moveToDeadLetterQueue(message: QueuedMessage, deadLetterQueue: SqsQueue, now: number): void {
    this.discard(message);
    this.environment.record({ op: 'deadLetter', queue: this.name, id: message.id, to: deadLetterQueue.name, at: now });
    deadLetterQueue.acceptDeadLetter(message, this.arn, now);
  }

  /** Applies what time has done: retention expiry, ended delays, ended visibility timeouts. */
  private promoteDue(now: number): void {
    // Messages iterate in arrival order, so expired ones are found at the front.
    for (const message of this.messages.values()) {
      if (now < message.sentAt + this.settings.retentionMs) break;
      this.discard(message);
    }
    for (let entry = this.timeline.peek(); entry; entry = this.timeline.peek()) {
      if (!isLive(entry)) {
        this.timeline.pop();
        continue;
      }
      if (entry.at > now) break;
      this.timeline.pop();
      this.makeVisible(entry.message);
    }
  }

  private makeVisible(message: QueuedMessage): void {
    this.setState(message, 'visible');
    this.visible.add(message);
  }

  private discard(message: QueuedMessage): void {
    this.setState(message, 'gone');
    this.messages.delete(message.id);
  }

  /** Moves a message to `state`, keeping the counts (and in-flight counts per group) right. */
  private setState(message: QueuedMessage, state: MessageState): void {
    this.count(message, message.state, -1);
    message.state = state;
    this.count(message, state, 1);
  }

  private count(message: QueuedMessage, state: MessageState, delta: number): void {
    if (state === 'visible') this.visibleCount += delta;
    else if (state === 'delayed') this.delayedCount += delta;
    else if (state === 'inFlight') {
      this.inFlightCount += delta;
      if (message.groupId !== undefined) {
        const inFlight = (this.inFlightByGroup.get(message.groupId) ?? 0) + delta;
        if (inFlight === 0) this.inFlightByGroup.delete(message.groupId);
        else this.inFlightByGroup.set(message.groupId, inFlight);
      }
    }
  }

  private schedule(message: QueuedMessage): void {
    this.timeline.push({ at: message.visibleAt, order: this.timelineOrder++, message });
    // Visibility changes leave stale entries behind; shed them before they pile up.
    if (this.timeline.size > 1024 + 2 * (this.delayedCount + this.inFlightCount)) this.timeline.retain(isLive);
  }

  /** After a change that may have made messages visible or moved the next due time. */
  private afterChange(): void {
    if (this.waiters.length === 0) return;
    if (this.visibleCount > 0) this.serveWaiters();
    else this.armWakeTimer();
  }

  private serveWaiters(): void {
    // A receive can move a message to a dead-letter queue whose redrive leads back
    // here; the loop already running serves whatever that brings.
    if (this.servingWaiters) return;
    this.servingWaiters = true;
    try {
      while (this.waiters.length > 0) {
        const waiter = this.waiters[0];
        const deliveries = this.receive(waiter.request);
        if (deliveries.length === 0) break;
        waiter.finish(deliveries);
      }
    } finally {
      this.servingWaiters = false;
    }
    this.armWakeTimer();
  }

  /** While long polls wait, wakes them when the next delayed or in-flight message is due. */
  private armWakeTimer(): void {
    const next = this.waiters.length > 0 ? this.nextDueAt() : undefined;
    if (next === undefined) {
      clearTimeout(this.wakeTimer);
      this.wakeTimer = undefined;
      this.wakeAt = Infinity;
      return;
    }
    if (this.wakeTimer && this.wakeAt === next) return;
    clearTimeout(this.wakeTimer);
    this.wakeAt = next;
    const delay = Math.min(MAX_TIMER_DELAY_MS, Math.max(0, next - this.environment.now()) + 1);
    this.wakeTimer = setTimeout(() => {
      this.wakeTimer = undefined;
      this.wakeAt = Infinity;
      this.serveWaiters();
    }, delay);
  }

  private nextDueAt(): number | undefined {
    for (let entry = this.timeline.peek(); entry; entry = this.timeline.peek()) {
      if (isLive(entry)) return entry.at;
      this.timeline.pop();
    }
    return undefined;
  }
}

function isLive(entry: TimelineEntry): boolean {
  const { message } = entry;
  return (message.state === 'delayed' || message.state === 'inFlight') && message.visibleAt === entry.at;
}
