/** Lambda entry point of the HTTP API (API Gateway REST proxy integration). */
import { join } from 'node:path';
import { createApiHandler } from './api/api-handler';
import { consoleFilesIn } from './api/console-site';
import { jobTypesFor } from './job-types/deployment';
import { createServiceContext } from './service-context';

const context = createServiceContext({ jobTypes: jobTypesFor });

export const handler = createApiHandler(context, {
  // The console's files ship beside this bundle (lib/handler-function.ts writes them into `console/`).
  console: {
    files: consoleFilesIn(join(process.env.LAMBDA_TASK_ROOT ?? process.cwd(), 'console')),
    config: { healthUrl: null, dashboardUrl: context.config.dashboardUrl ?? null },
  },
});
