/** Lambda entry point of the HTTP API (API Gateway REST proxy integration). */
import { createApiHandler } from './api/api-handler';
import { jobTypesFor } from './job-types/deployment';
import { createServiceContext } from './service-context';

export const handler = createApiHandler(createServiceContext({ jobTypes: jobTypesFor }));
