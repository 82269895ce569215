/**
 * The API's shapes under short names, all taken from the types openapi-typescript
 * generates from openapi.json (./openapi-types.ts, `npm run openapi`): the client
 * never declares a shape of its own, so a change of the document shows up here as a
 * type error (and test/client/contract.test.ts fails while the generated file is stale).
 */
import type { components, operations } from './openapi-types';

type Schemas = components['schemas'];

/** The JSON body an operation answers with `status`. */
export type ResponseBody<O extends keyof operations, S extends keyof operations[O]['responses']> = operations[O]['responses'][S] extends {
  content: { 'application/json': infer Body };
}
  ? Body
  : never;

export type Job = Schemas['Job'];
export type JobSummary = Schemas['JobSummary'];
export type JobStatus = Schemas['JobStatus'];
export type WebhookState = Schemas['WebhookState'];
export type JobSubmission = Schemas['JobSubmission'];
export type BatchJobSubmission = Schemas['BatchJobSubmission'];
export type BatchResult = Schemas['BatchResult'];
export type BatchItemAccepted = Schemas['BatchItemAccepted'];
export type BatchItemFailed = Schemas['BatchItemFailed'];
export type JobList = Schemas['JobList'];
export type Attempt = Schemas['Attempt'];
export type AttemptList = Schemas['AttemptList'];
export type JobTypeList = Schemas['JobTypeList'];
export type Problem = Schemas['Problem'];
export type ProblemCode = Problem['code'];
export type WebhookEvent = Schemas['WebhookEvent'];
export type ListJobsQuery = operations['listJobs']['parameters']['query'];

/** The statuses a job does not leave by itself (SPEC §3.6). */
export const TERMINAL_STATUSES: readonly JobStatus[] = ['succeeded', 'fatal', 'canceled'];
