/**
 * The registered job types. Adding a type means writing its module and listing
 * it here; nothing else changes.
 *
 * Two views of one list: the definitions (name, description, payload schema),
 * static and free of effects, for submission rules, `GET /v1/job-types` and the
 * OpenAPI document; and the runnable types, built once per process with the
 * senders of where they run ({@link createJobTypes}).
 */
import * as z from '../zod';
import { echoJobType } from './echo';
import { createEmailJobType, emailJobDefinition } from './email';
import { httpJobType } from './http';
import type { JobType, JobTypeDefinition } from './job-type';
import type { Senders } from './senders';
import { createSmsJobType, smsJobDefinition } from './sms';

/** What building the job types takes: the senders, and the deployment's defaults for payloads that leave them out. */
export interface JobTypeEffects extends Senders {
  /** `EMAIL_FROM` */
  readonly emailFrom: string;
  /** `SMS_SENDER_ID` */
  readonly smsSenderId?: string;
}

interface RegisteredJobType {
  readonly definition: JobTypeDefinition<unknown>;
  readonly build: (effects: JobTypeEffects) => JobType<unknown>;
}

/**
 * Forgets a type's payload type. Safe because nothing calls a type's functions
 * with a payload its own schema has not accepted: submission validates with
 * `definition.schema` before `targetUrl`, the worker runs only stored payloads.
 */
function registered<P>(definition: JobTypeDefinition<P>, build: (effects: JobTypeEffects) => JobType<P>): RegisteredJobType {
  return { definition: definition as JobTypeDefinition<unknown>, build: build as (effects: JobTypeEffects) => JobType<unknown> };
}

const JOB_TYPES: readonly RegisteredJobType[] = [
  registered(httpJobType, () => httpJobType),
  registered(emailJobDefinition, (e) => createEmailJobType(e.mailer, { from: e.emailFrom })),
  registered(smsJobDefinition, (e) => createSmsJobType(e.texter, { senderId: e.smsSenderId })),
  registered(echoJobType, () => echoJobType),
];

const definitionsByName = new Map(JOB_TYPES.map(({ definition }) => [definition.type, definition]));

/** A type's definition (its payload schema) by name, without building anything. */
export function getJobTypeDefinition(type: string): JobTypeDefinition<unknown> | undefined {
  return definitionsByName.get(type);
}

export function listJobTypes(): readonly JobTypeDefinition<unknown>[] {
  return JOB_TYPES.map(({ definition }) => definition);
}

/** Finds a runnable job type by name. */
export type JobTypes = (type: string) => JobType<unknown> | undefined;

export function createJobTypes(effects: JobTypeEffects): JobTypes {
  const byName = new Map(JOB_TYPES.map(({ definition, build }) => [definition.type, build(effects)]));
  return (type) => byName.get(type);
}

/** `GET /v1/job-types` body: each type with its payload JSON Schema (computed once). */
let described: unknown;
export function describeJobTypes(): unknown {
  described ??= {
    items: JOB_TYPES.map(({ definition: t }) => ({
      type: t.type,
      description: t.description,
      schema: z.toJSONSchema(t.schema, { unrepresentable: 'any' }),
    })),
  };
  return described;
}
