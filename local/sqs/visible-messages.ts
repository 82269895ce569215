import { MinHeap } from './min-heap';
import type { QueuedMessage } from './message';

/** Messages sent without a `MessageGroupId` share one line; it is never noisy. */
export const NO_GROUP = '';

/** The visible messages of one message group, oldest first. */
interface GroupLine {
  readonly groupId: string;
  /** Entries before `head` are taken; entries whose message is no longer visible are skipped lazily. */
  messages: (QueuedMessage | undefined)[];
  head: number;
  /** `visibleSeq` of the head when the line was pushed into the group order. */
  orderKey: number;
}

/**
 * The visible messages of a queue in the order a fair queue delivers them: each
 * message group is a FIFO line, lines are ordered by the age of their head, and
 * `take` passes over lines of noisy groups as long as a quiet group has a message.
 * Add and take are O(log groups); a message deleted while visible is skipped
 * when it reaches the head of its line.
 */
export class VisibleMessages {
  private nextSeq = 0;
  /** Lines that hold at least one entry; every one of them is in `order`. */
  private readonly lines = new Map<string, GroupLine>();
  private readonly order = new MinHeap<GroupLine>((a, b) => a.orderKey < b.orderKey);

  add(message: QueuedMessage): void {
    message.visibleSeq = this.nextSeq++;
    const groupId = message.groupId ?? NO_GROUP;
    const line = this.lines.get(groupId);
    if (line) {
      line.messages.push(message);
      return;
    }
    const created: GroupLine = { groupId, messages: [message], head: 0, orderKey: message.visibleSeq };
    this.lines.set(groupId, created);
    this.order.push(created);
  }

  /**
   * Takes the oldest visible message of a quiet group, or, when only noisy groups
   * have visible messages, the oldest of theirs.
   */
  take(isNoisy: (groupId: string) => boolean): QueuedMessage | undefined {
    const noisyLines: GroupLine[] = [];
    let chosen: GroupLine | undefined;
    for (let line = this.order.pop(); line; line = this.order.pop()) {
      const head = this.skipTaken(line);
      if (!head) {
        this.lines.delete(line.groupId);
        continue;
      }
      if (head.visibleSeq !== line.orderKey) {
        // Its old head left the line since it was ordered: order it again by the real head.
        line.orderKey = head.visibleSeq;
        this.order.push(line);
        continue;
      }
      if (isNoisy(line.groupId)) {
        noisyLines.push(line);
        continue;
      }
      chosen = line;
      break;
    }
    chosen ??= noisyLines.shift();
    for (const line of noisyLines) this.order.push(line);
    if (!chosen) return undefined;

    const message = chosen.messages[chosen.head] as QueuedMessage;
    chosen.messages[chosen.head] = undefined;
    chosen.head++;
    const next = this.skipTaken(chosen);
    if (next) {
      chosen.orderKey = next.visibleSeq;
      this.order.push(chosen);
    } else {
      this.lines.delete(chosen.groupId);
    }
    return message;
  }

  clear(): void {
    this.lines.clear();
    this.order.clear();
  }

  /** Advances past entries that are no longer visible; returns the head, if any. */
  private skipTaken(line: GroupLine): QueuedMessage | undefined {
    const messages = line.messages;
    while (line.head < messages.length) {
      const message = messages[line.head];
      if (message && message.state === 'visible') break;
      messages[line.head] = undefined;
      line.head++;
    }
    if (line.head >= messages.length) {
      messages.length = 0;
      line.head = 0;
      return undefined;
    }
    if (line.head > 1024 && line.head * 2 > messages.length) {
      line.messages = messages.slice(line.head);
      line.head = 0;
    }
    return line.messages[line.head];
  }
}
