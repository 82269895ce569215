/** Lambda entry point of the worker (SQS event source on the jobs queue, partial batch responses). */
import { jobTypesFor } from './job-types/deployment';
import { createServiceContext } from './service-context';
import { createWorkerHandler } from './worker/process-job';

export const handler = createWorkerHandler(createServiceContext({ jobTypes: jobTypesFor }));
