/**
 * A domain rejection (lambdas/jobs/prepare-job.ts) as the problem SPEC §3
 * prescribes: the domain says what is wrong, only the api says how HTTP shows it.
 */
import type { Rejection, RejectionCode } from '../jobs/prepare-job';
import { HttpProblem } from './problem';

const STATUS_OF: Readonly<Record<RejectionCode, number>> = {
  invalid_json: 400,
  invalid_idempotency_key: 400,
  validation_failed: 400,
  unknown_job_type: 400,
  invalid_webhook_url: 400,
  invalid_target_url: 400,
  idempotency_key_reused: 422,
};

export function rejectionProblem(rejection: Rejection): HttpProblem {
  return new HttpProblem(STATUS_OF[rejection.code], rejection.code, rejection.detail, rejection.code === 'validation_failed' ? { errors: rejection.errors } : {});
}
