import { SqsError, invalidParameterValue, queueDoesNotExist } from './errors';
import type { Journal, JournalRecord } from './journal';
import {
  mergeQueueAttributes, sameQueueAttributeValue, validateQueueAttributes,
} from './queue-attributes';
import { SqsQueue, type FairnessThresholds, type QueueEnvironment } from './queue';

export interface QueueRegistryOptions {
  now: () => number;
  accountId: string;
  region: string;
  fairness: FairnessThresholds;
  journal: Journal | undefined;
}

const QUEUE_NAME = /^[A-Za-z0-9_-]{1,80}$/;

/**
 * The queues of one endpoint, found by name (a QueueUrl is read by its last path
 * segment, whatever host and port it names) or by ARN. Every state change goes
 * to the journal, if there is one; `flush` writes it before a reply.
 */
export class QueueRegistry {
  /** Where QueueUrls point: `http://127.0.0.1:PORT`, known once the server listens. */
  baseUrl = '';
  private readonly queues = new Map<string, SqsQueue>();
  private replaying = false;
  private readonly environment: QueueEnvironment;

  constructor(private readonly options: QueueRegistryOptions) {
    this.environment = {
      now: options.now,
      fairness: options.fairness,
      record: (record) => this.record(record),
      findQueueByArn: (arn) => this.findByArn(arn),
    };
  }

  arnOf(name: string): string {
    return `arn:aws:sqs:${this.options.region}:${this.options.accountId}:${name}`;
  }

  urlOf(queue: SqsQueue): string {
    return `${this.baseUrl}/${this.options.accountId}/${queue.name}`;
  }

  get accountId(): string {
    return this.options.accountId;
  }

  get now(): () => number {
    return this.options.now;
  }

  byName(name: string): SqsQueue {
    const queue = this.queues.get(name);
    if (!queue) throw queueDoesNotExist();
    return queue;
  }

  byUrl(queueUrl: string): SqsQueue {
    const path = queueUrl.split(/[?#]/)[0].replace(/\/+$/, '');
    return this.byName(path.slice(path.lastIndexOf('/') + 1));
  }

  /**
   * The queue an ARN names, by its last segment: like QueueUrls, ARNs built for
   * another region or account (the twin's config, an old run) still find it.
   */
  findByArn(arn: string): SqsQueue | undefined {
    return this.queues.get(arn.slice(arn.lastIndexOf(':') + 1));
  }

  /** All queues, sorted by name. */
  list(): SqsQueue[] {
    return [...this.queues.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /**
   * Creates a queue, or returns the existing one when every given attribute
   * equals its current value; otherwise `QueueNameExists`.
   */
  createQueue(name: string, attributes: Record<string, string>, tags: Record<string, string>): SqsQueue {
    if (name.endsWith('.fifo')) {
      throw invalidParameterValue('QueueName', name, 'FIFO queues are not supported by the local endpoint.');
    }
    if (!QUEUE_NAME.test(name)) {
      throw new SqsError(
        'InvalidParameterValue',
        'Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length',
      );
    }
    const validated = validateQueueAttributes(attributes, (arn) => this.findByArn(arn) !== undefined);
    const existing = this.queues.get(name);
    if (existing) {
      const same = Object.entries(validated)
        .every(([key, value]) => sameQueueAttributeValue(key, existing.attributes[key], value));
      if (!same) {
        throw new SqsError('QueueNameExists', `A queue already exists with the same name and a different value for attribute(s).`);
      }
      return existing;
    }
    const createdAt = this.options.now();
    const queueAttributes = mergeQueueAttributes({}, validated);
    this.record({ op: 'createQueue', name, attributes: queueAttributes, tags, createdAt });
    return this.addQueue(name, queueAttributes, tags, createdAt);
  }

  setQueueAttributes(queue: SqsQueue, attributes: Record<string, string>): void {
    const validated = validateQueueAttributes(attributes, (arn) => this.findByArn(arn) !== undefined);
    const merged = mergeQueueAttributes(queue.attributes, validated);
    const at = this.options.now();
    queue.configure(merged, at);
    this.record({ op: 'setQueueAttributes', name: queue.name, attributes: merged, at });
  }

  setTags(queue: SqsQueue, tags: Record<string, string>): void {
    queue.tags = tags;
    this.record({ op: 'setTags', name: queue.name, tags });
  }

  deleteQueue(queue: SqsQueue): void {
    this.queues.delete(queue.name);
    queue.endWaits();
    this.record({ op: 'deleteQueue', name: queue.name });
  }

  /** Writes journaled changes; compacts the journal when it has grown enough. */
  flush(): void {
    const journal = this.options.journal;
    if (!journal) return;
    journal.flush();
    if (journal.needsCompaction) journal.compact(this.snapshot());
  }

  /** Rebuilds the queues from the journal, then compacts it (which also drops a torn last line). */
  load(journal: Journal): void {
    this.replaying = true;
    try {
      for (const record of journal.readRecords()) this.apply(record);
    } finally {
      this.replaying = false;
    }
    journal.compact(this.snapshot());
  }

  /** Ends all long polls with empty answers. */
  endWaits(): void {
    for (const queue of this.queues.values()) queue.endWaits();
  }

  private *snapshot(): Iterable<JournalRecord> {
    for (const queue of this.queues.values()) {
      yield {
        op: 'createQueue',
        name: queue.name,
        attributes: queue.attributes,
        tags: queue.tags,
        createdAt: queue.createdAt,
        modifiedAt: queue.lastModifiedAt,
      };
    }
    for (const queue of this.queues.values()) {
      for (const message of queue.messageRecords()) yield { op: 'send', queue: queue.name, message };
    }
  }

  private apply(record: JournalRecord): void {
    switch (record.op) {
      case 'snapshot':
        return;
      case 'createQueue': {
        if (this.queues.has(record.name)) return;
        const queue = this.addQueue(record.name, record.attributes, record.tags ?? {}, record.createdAt);
        if (record.modifiedAt !== undefined) queue.lastModifiedAt = record.modifiedAt;
        return;
      }
      case 'setQueueAttributes':
        this.queues.get(record.name)?.configure(record.attributes, record.at);
        return;
      case 'setTags': {
        const queue = this.queues.get(record.name);
        if (queue) queue.tags = record.tags;
        return;
      }
      case 'deleteQueue':
        this.queues.delete(record.name);
        return;
      case 'purge':
        this.queues.get(record.queue)?.purge();
        return;
      case 'send':
        this.queues.get(record.queue)?.restoreMessage(record.message);
        return;
      case 'receive':
        this.queues.get(record.queue)?.restoreReceive(record.id, record.at);
        return;
      case 'delete':
        this.queues.get(record.queue)?.restoreRemoval(record.id);
        return;
      case 'deadLetter': {
        const source = this.queues.get(record.queue);
        const message = source?.restoreRemoval(record.id);
        const target = this.queues.get(record.to);
        if (source && message && target) target.acceptDeadLetter(message, source.arn, record.at);
        return;
      }
    }
  }

  private addQueue(name: string, attributes: Record<string, string>, tags: Record<string, string>, createdAt: number) {
    const queue = new SqsQueue(name, this.arnOf(name), attributes, tags, createdAt, this.environment);
    this.queues.set(name, queue);
    return queue;
  }

  private record(record: JournalRecord): void {
    if (!this.replaying) this.options.journal?.append(record);
  }
}
