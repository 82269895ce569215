/**
 * `jobs-service/client`: the typed client of the Jobs Service API (README,
 * "Client"). Fetch-based, no AWS dependency, no node: import: Node ≥ 20 and browsers.
 */
export { JobsClient, JobsResource, JobTypesResource } from './jobs-client';
export type { BatchOptions, JobListing, JobsClientOptions, ListOptions, SubmitOptions, SubmitResult, WaitOptions } from './jobs-client';
export { JobsApiError, JobsClientError, JobsNetworkError, JobsWaitTimeoutError } from './errors';
export type { CallOptions, RetryEvent } from './transport';
export { DEFAULT_RETRY, type RetryOptions } from './retry-policy';
export { verifyWebhook, WebhookVerificationError, type WebhookHeaders } from './webhook';
export { TERMINAL_STATUSES } from './types';
export type * from './types';
