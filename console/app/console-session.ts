/**
 * A signed-in console: the typed client made with the key the user entered (every
 * data call goes through it, over the public API), the API's base URL, the job
 * types (read once: the key check reads them), and what to do when the service
 * refuses the key later (it was disabled): forget it and ask again.
 *
 * Also the one shape every view has (`ConsoleView`) and how a failed call is told
 * to the user.
 */
// The client's modules, not its index: the index also exports verifyWebhook, whose
// standardwebhooks dependency (a server's concern) would add ~12 KB to the page.
import { JobsApiError, JobsNetworkError } from '../../client/errors';
import type { JobsClient } from '../../client/jobs-client';
import type { JobTypeList } from '../../client/types';
import { h } from './dom';
import type { Route } from './routes';

export type JobTypeDescription = JobTypeList['items'][number];

export interface ConsoleSession {
  readonly client: JobsClient;
  /** `<base>` of the API: the page is at `<base>/console`. */
  readonly baseUrl: string;
  readonly apiKey: string;
  readonly jobTypes: readonly JobTypeDescription[];
  /** The key was refused (403): back to the key prompt. */
  readonly keyRefused: (detail: string) => void;
}

/** A view mounted in the page: jobs, one job, the submit form. */
export interface ConsoleView {
  readonly element: HTMLElement;
  /** Takes a new route of the same view in place (a tab, a filter); false: mount a fresh view instead. */
  update?(route: Route): boolean;
  /** Stops its refresh and its requests. */
  dispose(): void;
}

/** What went wrong, in a sentence for the page: the problem's `detail`, or the network failure. */
export function describeFailure(error: unknown): string {
  if (error instanceof JobsApiError) return error.detail;
  if (error instanceof JobsNetworkError) return `The service could not be reached: ${error.reason}.`;
  if (error instanceof Error) return error.message;
  return String(error);
}

/** An aborted call (the view went away): not worth showing. */
export function isAbort(error: unknown): boolean {
  return error instanceof DOMException && error.name === 'AbortError';
}

/** Hands a refused key to the session; true when it was one (the caller then shows nothing more). */
export function handledKeyRefusal(session: ConsoleSession, error: unknown): boolean {
  if (error instanceof JobsApiError && error.status === 403) {
    session.keyRefused(error.detail);
    return true;
  }
  return false;
}

/** An alert (role="alert": read out when it appears); made only when there is something to say. */
export function alertMessage(text: string): HTMLElement {
  return h('p', { role: 'alert', class: 'alert' }, text);
}
