/**
 * `GET /twin/health`: the twin's stand-in for the CloudWatch dashboard, which
 * the web console's health strip reads as it is ({@link TwinHealthReport};
 * SPEC §16). The twin only: the route is answered here, in front of the api
 * Lambda's handler, which never sees it — the AWS stack has no such route and
 * the Lambda knows none.
 *
 * Like the service's keyed routes it needs an active tenant's `x-api-key`
 * (403 `forbidden` first, then 405 for another method), and every answer
 * carries `x-request-id`. The figures, each read when asked:
 * - `depth`, `inFlight`, `dlqDepth`: SQS GetQueueAttributes, through the AWS
 *   SDK, on whatever SQS the twin uses (ours, or `JOBS_SQS_ENDPOINT`'s);
 * - `oldestAgeSeconds`: CloudWatch's ApproximateAgeOfOldestMessage on AWS, which
 *   SQS itself does not answer. Our endpoint answers it on a side route of its
 *   own (local/sqs/twin-routes.ts); an external SQS cannot tell: null;
 * - `sweep.overdueSeconds` and `jobsPerMinute`: what the handlers published as
 *   metrics, tapped on the way (./twin-metrics.ts).
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { HttpProblem, problemDocument } from '../lambdas/api/problem';
import { TenantResolver } from '../lambdas/api/tenant-resolver';
import { errorForLog, type Log } from '../lambdas/observability';
import type { TenantStore } from '../lambdas/store/tenant-store';
import type { ProxyHandler } from './api-gateway';
import { oldestMessageAgeUrl } from './sqs/twin-routes';
import type { JobsInMinute, TwinMetrics } from './twin-metrics';

/** The route's path, as the gateway's event carries it. */
export const TWIN_HEALTH_PATH = '/twin/health';

/** A queue and its dead-letter queue, as the health strip names them. */
export interface HealthQueue {
  /** What the strip calls it (`jobs`, `webhooks`). */
  readonly name: string;
  readonly url: string;
  readonly dlqUrl: string;
}

export interface QueueHealth {
  readonly name: string;
  /** ApproximateNumberOfMessages. */
  readonly depth: number;
  /** ApproximateNumberOfMessagesNotVisible. */
  readonly inFlight: number;
  /** Whole seconds since the oldest message not deleted arrived; null when the queue is empty or the SQS cannot tell. */
  readonly oldestAgeSeconds: number | null;
  /** The dead-letter queue's ApproximateNumberOfMessages. */
  readonly dlqDepth: number;
}

export interface TwinHealthReport {
  readonly generatedAt: string;
  readonly queues: readonly QueueHealth[];
  readonly sweep: { readonly overdueSeconds: number | null };
  readonly jobsPerMinute: readonly JobsInMinute[];
}

export interface TwinHealthOptions {
  /** The SQS endpoint the queues live on (the embedded one itself, not a fault-injecting front). */
  readonly sqsUrl: string;
  /** Whether that endpoint is ours (local/sqs), which alone answers the oldest message's age. */
  readonly embeddedSqs: boolean;
  readonly queues: readonly HealthQueue[];
  readonly metrics: TwinMetrics;
  readonly tenants: TenantStore;
  /** The twin's clock (`generatedAt`, the tenant cache). */
  readonly now: () => number;
  readonly logger: Log;
}

const JSON_TYPE = 'application/json; charset=utf-8';
const PROBLEM_TYPE = 'application/problem+json; charset=utf-8';

export class TwinHealth {
  private readonly sqs: SQSClient;
  private readonly tenants: TenantResolver;

  constructor(private readonly options: TwinHealthOptions) {
    // Its own client: the handlers' may go through fault injection, whose counts the health strip must not move.
    this.sqs = new SQSClient({ endpoint: options.sqsUrl });
    this.tenants = new TenantResolver(options.tenants, options.now);
  }

  /** The figures, read now. */
  async report(): Promise<TwinHealthReport> {
    const queues = await Promise.all(this.options.queues.map((queue) => this.queueHealth(queue)));
    return {
      generatedAt: new Date(this.options.now()).toISOString(),
      queues,
      sweep: { overdueSeconds: this.options.metrics.sweepOverdueSeconds },
      jobsPerMinute: this.options.metrics.jobCounts.lastMinutes(),
    };
  }

  /** `handler` with {@link TWIN_HEALTH_PATH} answered in front of it; every other request goes to it untouched. */
  answering(handler: ProxyHandler): ProxyHandler {
    return (event, context) => (event.path === TWIN_HEALTH_PATH ? this.answer(event) : handler(event, context));
  }

  close(): void {
    this.sqs.destroy();
  }

  private async answer(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
    const requestId = event.requestContext?.requestId ?? 'unknown';
    try {
      // The key before the method, as on the service's own routes (SPEC §3).
      await this.tenants.tenantFor(event.requestContext?.identity?.apiKeyId ?? undefined);
      if (event.httpMethod !== 'GET') {
        throw new HttpProblem('method_not_allowed', `${event.httpMethod} is not allowed here; use GET.`, { headers: { allow: 'GET' } });
      }
      return {
        statusCode: 200,
        headers: { 'content-type': JSON_TYPE, 'cache-control': 'no-store', 'x-request-id': requestId },
        body: JSON.stringify(await this.report()),
      };
    } catch (error) {
      const problem = error instanceof HttpProblem ? error : new HttpProblem('internal_error');
      if (!(error instanceof HttpProblem)) this.options.logger.error('twin health failed', { requestId, ...errorForLog(error) });
      return {
        statusCode: problem.status,
        headers: { 'content-type': PROBLEM_TYPE, 'cache-control': 'no-store', ...problem.extras.headers, 'x-request-id': requestId },
        body: JSON.stringify(problemDocument(problem, requestId)),
      };
    }
  }

  private async queueHealth(queue: HealthQueue): Promise<QueueHealth> {
    const [main, deadLetters, oldestAgeSeconds] = await Promise.all([
      this.attributes(queue.url, ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible']),
      this.attributes(queue.dlqUrl, ['ApproximateNumberOfMessages']),
      this.oldestMessageAge(queue.url),
    ]);
    return {
      name: queue.name,
      depth: Number(main.ApproximateNumberOfMessages ?? 0),
      inFlight: Number(main.ApproximateNumberOfMessagesNotVisible ?? 0),
      oldestAgeSeconds,
      dlqDepth: Number(deadLetters.ApproximateNumberOfMessages ?? 0),
    };
  }

  private async attributes(queueUrl: string, names: Array<'ApproximateNumberOfMessages' | 'ApproximateNumberOfMessagesNotVisible'>) {
    const { Attributes = {} } = await this.sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: names }));
    return Attributes;
  }

  /** Our endpoint's side route; null from an SQS that is not ours, or when ours does not know the queue. */
  private async oldestMessageAge(queueUrl: string): Promise<number | null> {
    if (!this.options.embeddedSqs) return null;
    const queueName = queueUrl.split(/[?#]/)[0].replace(/\/+$/, '').split('/').pop() ?? '';
    const response = await fetch(oldestMessageAgeUrl(this.options.sqsUrl, queueName));
    if (!response.ok) {
      await response.body?.cancel();
      return null;
    }
    const { ApproximateAgeOfOldestMessage } = (await response.json()) as { ApproximateAgeOfOldestMessage?: unknown };
    return typeof ApproximateAgeOfOldestMessage === 'number' ? ApproximateAgeOfOldestMessage : null;
  }
}
