/**
 * The twin's background work, playing what AWS runs around the Lambdas: the SQS
 * event source mappings (jobs and webhooks queues), the EventBridge scheduler rule
 * and DynamoDB's TTL deletion.
 */
import type { ServiceContext } from '../lambdas/service-context';

export interface BackgroundOptions {
  readonly outboxDir: string;
}

export interface Background {
  /** Stops taking work, finishes or releases in-flight work. */
  stop(): Promise<void>;
}

export function startBackground(_context: ServiceContext, _options: BackgroundOptions): Background {
  return { stop: async () => undefined };
}
