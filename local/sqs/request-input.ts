import { SqsError, invalidParameterValue, missingParameter } from './errors';

export type JsonObject = { [key: string]: unknown };

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The fields of one JSON request (or one batch entry), read with SQS's answers
 * for a missing or mistyped parameter instead of a crash.
 */
export class RequestInput {
  constructor(private readonly fields: JsonObject) {}

  has(name: string): boolean {
    return this.fields[name] !== undefined && this.fields[name] !== null;
  }

  requiredString(name: string): string {
    const value = this.optionalString(name);
    if (value === undefined) throw missingParameter(name);
    return value;
  }

  optionalString(name: string): string | undefined {
    const value = this.fields[name];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string') throw invalidParameterValue(name, JSON.stringify(value), 'Must be a string.');
    return value;
  }

  /** An integer sent as a JSON number or, by hand-written clients, as a numeric string. */
  optionalInteger(name: string, range: { min: number; max: number }): number | undefined {
    const value = this.fields[name];
    if (value === undefined || value === null) return undefined;
    const number = typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value;
    if (typeof number !== 'number' || !Number.isInteger(number)) {
      throw invalidParameterValue(name, JSON.stringify(value), 'Must be an integer.');
    }
    if (number < range.min || number > range.max) {
      throw invalidParameterValue(name, number, `Must be between ${range.min} and ${range.max}, if provided.`);
    }
    return number;
  }

  optionalStringList(name: string): string[] | undefined {
    const value = this.fields[name];
    if (value === undefined || value === null) return undefined;
    if (!Array.isArray(value) || value.some((item) => typeof item !== 'string')) {
      throw invalidParameterValue(name, JSON.stringify(value), 'Must be a list of strings.');
    }
    return value as string[];
  }

  optionalStringMap(name: string): Record<string, string> | undefined {
    const value = this.fields[name];
    if (value === undefined || value === null) return undefined;
    if (!isJsonObject(value) || Object.values(value).some((item) => typeof item !== 'string')) {
      throw invalidParameterValue(name, JSON.stringify(value), 'Must be a map of strings.');
    }
    return value as Record<string, string>;
  }

  optionalObject(name: string): JsonObject | undefined {
    const value = this.fields[name];
    if (value === undefined || value === null) return undefined;
    if (!isJsonObject(value)) throw invalidParameterValue(name, JSON.stringify(value), 'Must be an object.');
    return value;
  }

  /** The entries of a batch request, checked the way SQS checks them before touching any entry. */
  batchEntries(name: string, entryName: string): RequestInput[] {
    const value = this.fields[name];
    if (value === undefined || value === null || (Array.isArray(value) && value.length === 0)) {
      throw new SqsError('EmptyBatchRequest', `There should be at least one ${entryName} in the request.`);
    }
    if (!Array.isArray(value) || value.some((entry) => !isJsonObject(entry))) {
      throw invalidParameterValue(name, JSON.stringify(value), 'Must be a list of entries.');
    }
    if (value.length > MAX_BATCH_ENTRIES) {
      throw new SqsError(
        'TooManyEntriesInBatchRequest',
        `Maximum number of entries per request are ${MAX_BATCH_ENTRIES}. You have sent ${value.length}.`,
      );
    }
    const entries = (value as JsonObject[]).map((entry) => new RequestInput(entry));
    const seen = new Set<string>();
    for (const entry of entries) {
      const id = entry.fields.Id;
      if (typeof id !== 'string' || !BATCH_ENTRY_ID.test(id)) {
        throw new SqsError(
          'InvalidBatchEntryId',
          'A batch entry id can only contain alphanumeric characters, hyphens and underscores. ' +
            'It can be at most 80 letters long.',
        );
      }
      if (seen.has(id)) throw new SqsError('BatchEntryIdsNotDistinct', `Id ${id} repeated.`);
      seen.add(id);
    }
    return entries;
  }
}

export const MAX_BATCH_ENTRIES = 10;
const BATCH_ENTRY_ID = /^[A-Za-z0-9_-]{1,80}$/;
