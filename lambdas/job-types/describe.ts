/**
 * `GET /v1/job-types` (SPEC §3.5): each type with the JSON Schema of its
 * payload, by zod's own converter. A module of its own, imported on that
 * route's first request (lambdas/api/job-routes.ts): the converter is ≈ 21 KB
 * that no other request, and no other function, needs at a cold start.
 */
import * as z from '../zod';
import { listJobTypes } from './registry';

/** `GET /v1/job-types` body: each type with its payload JSON Schema (computed once). */
let described: unknown;
export function describeJobTypes(): unknown {
  described ??= {
    items: listJobTypes().map((t) => ({
      type: t.type,
      description: t.description,
      schema: z.toJSONSchema(t.schema, { unrepresentable: 'any' }),
    })),
  };
  return described;
}
