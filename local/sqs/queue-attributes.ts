import { SqsError } from './errors';

/** Settable attributes a queue has unless told otherwise (SQS's defaults). */
export const DEFAULT_QUEUE_ATTRIBUTES: Readonly<Record<string, string>> = {
  VisibilityTimeout: '30',
  DelaySeconds: '0',
  MessageRetentionPeriod: '345600',
  MaximumMessageSize: '1048576',
  ReceiveMessageWaitTimeSeconds: '0',
};

const INTEGER_ATTRIBUTE_RANGES: Readonly<Record<string, { min: number; max: number }>> = {
  DelaySeconds: { min: 0, max: 900 },
  MaximumMessageSize: { min: 1024, max: 1_048_576 },
  MessageRetentionPeriod: { min: 60, max: 1_209_600 },
  ReceiveMessageWaitTimeSeconds: { min: 0, max: 20 },
  VisibilityTimeout: { min: 0, max: 43_200 },
  KmsDataKeyReusePeriodSeconds: { min: 60, max: 86_400 },
};

/** Kept and returned as given; the local endpoint has no use for them. */
const STORED_AS_GIVEN = new Set(['Policy', 'RedriveAllowPolicy', 'KmsMasterKeyId', 'SqsManagedSseEnabled']);

/** Attributes GetQueueAttributes computes rather than stores. */
export const COMPUTED_QUEUE_ATTRIBUTES = [
  'ApproximateNumberOfMessages',
  'ApproximateNumberOfMessagesNotVisible',
  'ApproximateNumberOfMessagesDelayed',
  'CreatedTimestamp',
  'LastModifiedTimestamp',
  'QueueArn',
] as const;

export interface RedrivePolicy {
  deadLetterTargetArn: string;
  maxReceiveCount: number;
}

/** A queue's attributes, parsed once whenever they change. */
export interface QueueSettings {
  visibilityTimeoutMs: number;
  delaySeconds: number;
  retentionMs: number;
  maximumMessageSize: number;
  receiveWaitSeconds: number;
  redrivePolicy: RedrivePolicy | undefined;
}

export function isKnownQueueAttribute(name: string): boolean {
  return name in INTEGER_ATTRIBUTE_RANGES || STORED_AS_GIVEN.has(name) || name === 'RedrivePolicy' ||
    (COMPUTED_QUEUE_ATTRIBUTES as readonly string[]).includes(name);
}

/**
 * Checks attributes of a CreateQueue or SetQueueAttributes and returns them
 * normalised (integers without leading zeros). An empty `RedrivePolicy` or
 * `Policy` means "remove it". FIFO attributes are refused: the local endpoint
 * plays standard (fair) queues only.
 */
export function validateQueueAttributes(
  attributes: Record<string, string>,
  deadLetterTargetExists: (arn: string) => boolean,
): Record<string, string> {
  const normalised: Record<string, string> = {};
  for (const [name, value] of Object.entries(attributes)) {
    const range = INTEGER_ATTRIBUTE_RANGES[name];
    if (range) {
      const number = /^\d+$/.test(value) ? Number(value) : NaN;
      if (!(number >= range.min && number <= range.max)) {
        throw new SqsError('InvalidAttributeValue', `Invalid value for the parameter ${name}.`);
      }
      normalised[name] = String(number);
    } else if (name === 'RedrivePolicy') {
      if (value !== '') parseRedrivePolicy(value, deadLetterTargetExists);
      normalised[name] = value;
    } else if (STORED_AS_GIVEN.has(name)) {
      normalised[name] = value;
    } else if (name === 'FifoQueue' || name === 'ContentBasedDeduplication' || name === 'DeduplicationScope' ||
        name === 'FifoThroughputLimit') {
      throw new SqsError('InvalidAttributeName', `Unknown Attribute ${name}. The local endpoint has standard queues only.`);
    } else {
      throw new SqsError('InvalidAttributeName', `Unknown Attribute ${name}.`);
    }
  }
  return normalised;
}

/** `{"deadLetterTargetArn":"…","maxReceiveCount":"5"}`; the count may be a string or a number. */
export function parseRedrivePolicy(
  value: string,
  deadLetterTargetExists: (arn: string) => boolean = () => true,
): RedrivePolicy {
  const invalid = (reason: string, cause?: unknown) => new SqsError(
    'InvalidParameterValue',
    `Value ${value} for parameter RedrivePolicy is invalid. Reason: ${reason}`,
    { cause },
  );
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch (error) {
    throw invalid('Redrive policy is not a valid JSON map.', error);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw invalid('Redrive policy is not a valid JSON map.');
  }
  const { deadLetterTargetArn, maxReceiveCount } = parsed as Record<string, unknown>;
  if (typeof deadLetterTargetArn !== 'string' || !deadLetterTargetArn.startsWith('arn:')) {
    throw invalid('Invalid value for deadLetterTargetArn.');
  }
  const count = typeof maxReceiveCount === 'string' && /^\d+$/.test(maxReceiveCount)
    ? Number(maxReceiveCount)
    : maxReceiveCount;
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 1 || count > 1000) {
    throw invalid('Invalid value for maxReceiveCount: must be an integer from 1 to 1000.');
  }
  if (!deadLetterTargetExists(deadLetterTargetArn)) throw invalid('Dead-letter target does not exist.');
  return { deadLetterTargetArn, maxReceiveCount: count };
}

/** Whether a given attribute value equals the queue's current one (CreateQueue's idempotency rule). */
export function sameQueueAttributeValue(name: string, current: string | undefined, given: string): boolean {
  const effective = current ?? DEFAULT_QUEUE_ATTRIBUTES[name] ?? '';
  if (name === 'RedrivePolicy' && effective !== '' && given !== '') {
    const a = parseRedrivePolicy(effective);
    const b = parseRedrivePolicy(given);
    return a.deadLetterTargetArn === b.deadLetterTargetArn && a.maxReceiveCount === b.maxReceiveCount;
  }
  return effective === given;
}

/** The attributes after applying a change: empty values remove `RedrivePolicy`/`Policy`-like entries. */
export function mergeQueueAttributes(
  current: Readonly<Record<string, string>>,
  change: Readonly<Record<string, string>>,
): Record<string, string> {
  const merged: Record<string, string> = { ...current };
  for (const [name, value] of Object.entries(change)) {
    if (value === '' && !(name in INTEGER_ATTRIBUTE_RANGES)) delete merged[name];
    else merged[name] = value;
  }
  return merged;
}

export function readQueueSettings(attributes: Readonly<Record<string, string>>): QueueSettings {
  const integer = (name: string) => Number(attributes[name] ?? DEFAULT_QUEUE_ATTRIBUTES[name]);
  const redrive = attributes.RedrivePolicy;
  return {
    visibilityTimeoutMs: integer('VisibilityTimeout') * 1000,
    delaySeconds: integer('DelaySeconds'),
    retentionMs: integer('MessageRetentionPeriod') * 1000,
    maximumMessageSize: integer('MaximumMessageSize'),
    receiveWaitSeconds: integer('ReceiveMessageWaitTimeSeconds'),
    redrivePolicy: redrive ? parseRedrivePolicy(redrive) : undefined,
  };
}
