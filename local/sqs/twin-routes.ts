/**
 * What this endpoint answers besides SQS: plain `GET`s under `/twin/`, for the
 * twin's health route (local/twin-health.ts) to read what SQS keeps to itself.
 *
 * One route: `GET /twin/queues/<name>/oldest-message-age` →
 * `{ "QueueName": "jobs", "ApproximateAgeOfOldestMessage": 12 }` (whole
 * seconds, null when the queue is empty). On AWS that figure is CloudWatch's,
 * not SQS's: GetQueueAttributes has no such attribute. It lives on a side
 * route rather than as an extra GetQueueAttributes attribute because the SQS
 * operations must stay exactly SQS's (code that asked this endpoint for an
 * attribute AWS refuses would pass here and fail there), and rather than as a
 * call into the queue registry because the twin runs this endpoint on a
 * worker thread (./thread.ts) — and on its own (./main.ts) — where only HTTP
 * reaches it. No SQS request can land here: the SDK speaks POSTs to `/` with
 * an `x-amz-target`.
 */
import type { QueueRegistry } from './queue-registry';

export const TWIN_ROUTE_PREFIX = '/twin/';

const OLDEST_MESSAGE_AGE = /^\/twin\/queues\/([A-Za-z0-9_-]{1,80})\/oldest-message-age$/;

export interface TwinRouteAnswer {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body: Readonly<Record<string, unknown>>;
}

/** Where an endpoint at `endpointUrl` answers the age of its queue `queueName`'s oldest message. */
export function oldestMessageAgeUrl(endpointUrl: string, queueName: string): string {
  return `${endpointUrl.replace(/\/+$/, '')}${TWIN_ROUTE_PREFIX}queues/${encodeURIComponent(queueName)}/oldest-message-age`;
}

export function answerTwinRoute(registry: QueueRegistry, method: string, path: string): TwinRouteAnswer {
  const route = OLDEST_MESSAGE_AGE.exec(path);
  if (!route) return { status: 404, body: { message: `No twin route ${path.slice(0, 200)}.` } };
  if (method !== 'GET') return { status: 405, headers: { allow: 'GET' }, body: { message: `${method} is not allowed here; use GET.` } };
  const queue = registry.list().find((candidate) => candidate.name === route[1]);
  if (!queue) return { status: 404, body: { message: `No queue named ${route[1]}.` } };
  return { status: 200, body: { QueueName: queue.name, ApproximateAgeOfOldestMessage: queue.oldestMessageAgeSeconds() } };
}
