import * as z from '../zod';
import type { JobType } from './job-type';

/** Returns its payload as the result: for diagnostics and benchmarks. */
export const echoJobType: JobType<Record<string, unknown>> = {
  type: 'echo',
  description: 'Returns its payload as the result. For diagnostics and benchmarks.',
  schema: z.record(z.string(), z.unknown()),
  handle(payload) {
    return Promise.resolve(payload);
  },
};
