/**
 * What a client may submit (SPEC §3.1, §3.7), validated with zod. The type's own
 * payload schema and the URL rules are applied after this shape check, in the
 * order SPEC §3 fixes for errors.
 */
import * as z from '../zod';

export const MAX_RUN_AHEAD_SECONDS = 7 * 24 * 3600;

export const JobSubmissionSchema = z
  .strictObject({
    type: z.string().check(z.minLength(1), z.maxLength(64)),
    payload: z.record(z.string(), z.unknown()),
    // Length and the other URL rules are checked by the URL guard (invalid_webhook_url).
    webhookUrl: z.optional(z.string().check(z.minLength(1))),
    maxAttempts: z.optional(z.number().check(z.int(), z.minimum(1), z.maximum(25))),
    runAt: z.optional(z.iso.datetime({ offset: true })),
    delaySeconds: z.optional(z.number().check(z.int(), z.minimum(0), z.maximum(MAX_RUN_AHEAD_SECONDS))),
  })
  .check(
    z.refine((s) => s.runAt === undefined || s.delaySeconds === undefined, {
      message: 'give either runAt or delaySeconds, not both',
      path: ['delaySeconds'],
    }),
  );
export type JobSubmission = z.infer<typeof JobSubmissionSchema>;

export const BatchSubmissionSchema = z.strictObject({
  // Each item is judged on its own (a non-object item is that item's invalid_json).
  jobs: z.array(z.unknown()).check(z.minLength(1), z.maxLength(100)),
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
export function fieldProblems(error: z.core.$ZodError, prefix = ''): FieldProblem[] {
  return error.issues.map((issue) => {
    const path = [prefix, ...issue.path.map(String)].filter(Boolean).join('.');
    const unknownKeys = issue.code === 'unrecognized_keys' ? issue.keys : [];
    if (unknownKeys.length > 0) {
      return { path: [path, unknownKeys[0]].filter(Boolean).join('.'), message: `unknown field${unknownKeys.length > 1 ? 's' : ''}: ${unknownKeys.join(', ')}` };
    }
    return { path: path || '(body)', message: issue.message };
  });
}

/**
 * Nesting a payload may have. Tenant JSON is stored as text, so DynamoDB sets
 * no limit; this one keeps the recursive walks over a payload (validation,
 * hashing, JSON.stringify) far from the stack's end.
 */
export const MAX_PAYLOAD_DEPTH = 64;

/**
 * What JSON allows but a job cannot keep faithfully: integers beyond ±2^53
 * (JavaScript would round them) and nesting deeper than MAX_PAYLOAD_DEPTH. Each
 * is the client's mistake (`validation_failed`), found before anything is
 * written. Every key is an ordinary key, whatever its name (SPEC §3).
 */
export function unstorableValues(value: unknown, path: string, depth = 0): FieldProblem[] {
  if (typeof value === 'number') {
    if (Math.abs(value) > Number.MAX_SAFE_INTEGER) return [{ path, message: `number out of range (at most ±${Number.MAX_SAFE_INTEGER}); send it as a string` }];
    return [];
  }
  if (typeof value !== 'object' || value === null) return [];
  if (depth >= MAX_PAYLOAD_DEPTH) return [{ path, message: `nested more than ${MAX_PAYLOAD_DEPTH} levels deep` }];
  const problems: FieldProblem[] = [];
  const entries: Array<[string, unknown]> = Array.isArray(value) ? value.map((v, i) => [String(i), v]) : Object.entries(value);
  for (const [key, child] of entries) {
    problems.push(...unstorableValues(child, `${path}.${key}`, depth + 1));
    if (problems.length >= 10) break;
  }
  return problems;
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
