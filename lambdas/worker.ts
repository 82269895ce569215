/** Lambda entry point of the worker (SQS event source on the jobs queue, partial batch responses). */
import { createServiceContext } from './service-context';
import { createWorkerHandler } from './worker/process-job';

export const handler = createWorkerHandler(createServiceContext());
