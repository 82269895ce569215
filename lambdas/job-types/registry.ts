/**
 * The registered job types. Adding a type means writing its module and listing it
 * here; nothing else changes.
 */
import * as z from 'zod';
import type { JobType } from './job-type';
import { echoJobType } from './echo';
import { emailJobType } from './email';
import { httpJobType } from './http';
import { smsJobType } from './sms';

const JOB_TYPES: readonly JobType<any>[] = [httpJobType, emailJobType, smsJobType, echoJobType];

const byName = new Map(JOB_TYPES.map((t) => [t.type, t]));

export function getJobType(type: string): JobType<unknown> | undefined {
  return byName.get(type);
}

export function listJobTypes(): readonly JobType<unknown>[] {
  return JOB_TYPES;
}

/** `GET /v1/job-types` body: each type with its payload JSON Schema (computed once). */
let described: unknown;
export function describeJobTypes(): unknown {
  described ??= {
    items: JOB_TYPES.map((t) => ({
      type: t.type,
      description: t.description,
      schema: z.toJSONSchema(t.schema, { unrepresentable: 'any' }),
    })),
  };
  return described;
}
