/**
 * The zod of the contract's schemas (the submission, the job types' payloads,
 * the API's shapes): `zod/mini`, whose functions tree-shake, rather than
 * classic zod, whose every schema carries all of its methods: classic cost the
 * worker's cold start ≈ 60 KB and the api's ≈ 40 KB more (the api keeps zod's
 * JSON Schema converter, for `GET /v1/job-types`). Import it as a namespace
 * (`import * as z from '../zod'`), which esbuild still tree-shakes.
 *
 * Mini loads no messages of its own: the English ones are set here, so the
 * field errors of a 400 `validation_failed` read exactly as classic zod wrote
 * them (`Invalid input: expected string, received number`).
 *
 * The OpenAPI document is generated from these schemas at build time
 * (cli/openapi-document.ts).
 */
import { clone, config, globalRegistry, type core } from 'zod/mini';
import { en } from 'zod/locales';

config(en());

export * from 'zod/mini';

/**
 * A copy of `schema` with `metadata` in zod's global registry, as classic
 * `.meta(metadata)` makes it: the copy inherits the metadata of `schema` (but
 * its `id`), and `schema` itself is left as it was.
 */
export function withMeta<S extends core.$ZodType>(schema: S, metadata: core.GlobalMeta): S {
  const copy = clone(schema);
  globalRegistry.add(copy, metadata);
  return copy;
}
