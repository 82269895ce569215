/** Lambda entry point of the scheduler (EventBridge rule): one sweep of the sweep index per run. */
import { createSchedulerHandler } from './scheduler/dispatch-due-jobs';
import { createServiceContext } from './service-context';

export const handler = createSchedulerHandler(createServiceContext());
