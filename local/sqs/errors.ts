/**
 * Errors as SQS answers them over its JSON protocol. The SDK (in query-compatible
 * mode) reads the code from the `x-amzn-query-error` header and turns the modelled
 * ones into typed exceptions (`QueueDoesNotExist`, `ReceiptHandleIsInvalid`, …);
 * the others arrive as `SQSServiceException` with `name` set to the code.
 */

interface ErrorShape {
  /** The code the query protocol uses, sent in `x-amzn-query-error`. */
  readonly queryCode: string;
  readonly status: number;
  /** The namespace of `__type` in the body. */
  readonly namespace?: string;
}

const ERROR_SHAPES = {
  QueueDoesNotExist: { queryCode: 'AWS.SimpleQueueService.NonExistentQueue', status: 400 },
  QueueNameExists: { queryCode: 'QueueAlreadyExists', status: 400 },
  ReceiptHandleIsInvalid: { queryCode: 'ReceiptHandleIsInvalid', status: 404 },
  MessageNotInflight: { queryCode: 'AWS.SimpleQueueService.MessageNotInflight', status: 400 },
  EmptyBatchRequest: { queryCode: 'AWS.SimpleQueueService.EmptyBatchRequest', status: 400 },
  TooManyEntriesInBatchRequest: { queryCode: 'AWS.SimpleQueueService.TooManyEntriesInBatchRequest', status: 400 },
  BatchEntryIdsNotDistinct: { queryCode: 'AWS.SimpleQueueService.BatchEntryIdsNotDistinct', status: 400 },
  InvalidBatchEntryId: { queryCode: 'AWS.SimpleQueueService.InvalidBatchEntryId', status: 400 },
  BatchRequestTooLong: { queryCode: 'AWS.SimpleQueueService.BatchRequestTooLong', status: 400 },
  UnsupportedOperation: { queryCode: 'AWS.SimpleQueueService.UnsupportedOperation', status: 400 },
  InvalidAttributeName: { queryCode: 'InvalidAttributeName', status: 400 },
  InvalidAttributeValue: { queryCode: 'InvalidAttributeValue', status: 400 },
  InvalidMessageContents: { queryCode: 'InvalidMessageContents', status: 400 },
  InvalidParameterValue: { queryCode: 'InvalidParameterValue', status: 400 },
  MissingParameter: { queryCode: 'MissingParameter', status: 400 },
  InvalidAction: { queryCode: 'InvalidAction', status: 400 },
  SerializationException: {
    queryCode: 'SerializationException',
    status: 400,
    namespace: 'com.amazon.coral.service',
  },
  InternalFailure: { queryCode: 'InternalFailure', status: 500 },
} satisfies Record<string, ErrorShape>;

export type SqsErrorCode = keyof typeof ERROR_SHAPES;

/** A failure to report to the client in SQS's shape. */
export class SqsError extends Error {
  override readonly name = 'SqsError';
  readonly code: SqsErrorCode;
  /** The query-protocol code, also what batch `Failed` entries carry as `Code`. */
  readonly queryCode: string;
  readonly status: number;
  /** Whether the client caused it (`Sender`) or the endpoint did (`Receiver`). */
  readonly senderFault: boolean;

  constructor(code: SqsErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    const shape: ErrorShape = ERROR_SHAPES[code];
    this.code = code;
    this.queryCode = shape.queryCode;
    this.status = shape.status;
    this.senderFault = shape.status < 500;
  }

  /** The `x-amzn-query-error` header value, e.g. `AWS.SimpleQueueService.NonExistentQueue;Sender`. */
  get queryErrorHeader(): string {
    return `${this.queryCode};${this.senderFault ? 'Sender' : 'Receiver'}`;
  }

  /** The JSON body: `{"__type":"com.amazonaws.sqs#QueueDoesNotExist","message":"…"}`. */
  toResponseBody(): { __type: string; message: string } {
    const shape: ErrorShape = ERROR_SHAPES[this.code];
    return { __type: `${shape.namespace ?? 'com.amazonaws.sqs'}#${this.code}`, message: this.message };
  }
}

export function invalidParameterValue(parameter: string, value: unknown, reason: string): SqsError {
  return new SqsError(
    'InvalidParameterValue',
    `Value ${String(value)} for parameter ${parameter} is invalid. Reason: ${reason}`,
  );
}

export function missingParameter(parameter: string): SqsError {
  return new SqsError('MissingParameter', `The request must contain the parameter ${parameter}.`);
}

export function queueDoesNotExist(): SqsError {
  return new SqsError('QueueDoesNotExist', 'The specified queue does not exist.');
}
