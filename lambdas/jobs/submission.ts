/**
 * What a client may submit (SPEC §3.1, §3.7), validated with zod. The type's own
 * payload schema and the URL rules are applied after this shape check, in the
 * order SPEC §3 fixes for errors.
 */
import * as z from 'zod';

export const MAX_RUN_AHEAD_SECONDS = 7 * 24 * 3600;

export const JobSubmissionSchema = z
  .strictObject({
    type: z.string().min(1).max(64),
    payload: z.record(z.string(), z.unknown()),
    webhookUrl: z.string().min(1).max(4096).optional(),
    maxAttempts: z.number().int().min(1).max(25).optional(),
    runAt: z.iso.datetime({ offset: true }).optional(),
    delaySeconds: z.number().int().min(0).max(MAX_RUN_AHEAD_SECONDS).optional(),
  })
  .refine((s) => s.runAt === undefined || s.delaySeconds === undefined, {
    message: 'give either runAt or delaySeconds, not both',
    path: ['delaySeconds'],
  });
export type JobSubmission = z.infer<typeof JobSubmissionSchema>;

/** A batch item: a submission plus its own idempotency key. */
export const BatchItemSchema = z.object({ idempotencyKey: z.unknown().optional() }).loose();

export const BatchSubmissionSchema = z.strictObject({
  jobs: z.array(z.record(z.string(), z.unknown())).min(1).max(100),
});

/** SPEC §3: 1..255 visible ASCII characters (0x21–0x7E). */
export function isValidIdempotencyKey(key: string): boolean {
  return /^[\x21-\x7e]{1,255}$/.test(key);
}

export interface FieldProblem {
  path: string;
  message: string;
}

/** zod issues → SPEC §3 `errors` entries, paths relative to the body (prefix for batch items / payloads). */
export function fieldProblems(error: z.ZodError, prefix = ''): FieldProblem[] {
  return error.issues.map((issue) => {
    const path = [prefix, ...issue.path.map(String)].filter(Boolean).join('.');
    const unknownKeys = issue.code === 'unrecognized_keys' ? issue.keys : [];
    if (unknownKeys.length > 0) {
      return { path: [path, unknownKeys[0]].filter(Boolean).join('.'), message: `unknown field${unknownKeys.length > 1 ? 's' : ''}: ${unknownKeys.join(', ')}` };
    }
    return { path: path || '(body)', message: issue.message };
  });
}

/** When a submission asks to run (epoch ms), or a validation message. */
export function resolveRunAt(submission: JobSubmission, nowMs: number): { runAtMs: number } | { problem: FieldProblem } {
  if (submission.delaySeconds !== undefined) return { runAtMs: nowMs + submission.delaySeconds * 1000 };
  if (submission.runAt === undefined) return { runAtMs: nowMs };
  const at = Date.parse(submission.runAt);
  if (at > nowMs + MAX_RUN_AHEAD_SECONDS * 1000) {
    return { problem: { path: 'runAt', message: 'must be at most 7 days ahead' } };
  }
  return { runAtMs: Math.max(at, nowMs) };
}
