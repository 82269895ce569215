/**
 * A domain rejection (lambdas/jobs/prepare-job.ts) as the problem SPEC §3
 * prescribes: the domain says what is wrong, only the api says how HTTP shows it
 * (each code's status comes from the problem catalogue).
 */
import type { Rejection } from '../jobs/prepare-job';
import { HttpProblem } from './problem';

export function rejectionProblem(rejection: Rejection): HttpProblem {
  return new HttpProblem(rejection.code, rejection.detail, rejection.code === 'validation_failed' ? { errors: rejection.errors } : {});
}
