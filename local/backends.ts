/**
 * Bring your own backends (SPEC §9): `JOBS_DYNAMODB_ENDPOINT` / `JOBS_SQS_ENDPOINT`
 * name a DynamoDB or SQS the twin uses instead of starting its embedded one —
 * AWS's DynamoDB Local, LocalStack, ElasticMQ, or a real region. Twin-only
 * settings: the handlers never read them (they see the SDK's standard
 * `AWS_ENDPOINT_URL_*` variables, set by the twin).
 */
import * as z from 'zod';
import { readSettings, variable } from '../lambdas/config';

const endpoint = z
  .url({ protocol: /^https?$/, error: 'an http:// or https:// URL, e.g. http://127.0.0.1:8000' })
  // The SDK joins paths to it: a trailing slash would make `//` in every request.
  .transform((url) => url.replace(/\/+$/, ''))
  .optional();

const BackendsSchema = z.object({
  /** An external DynamoDB endpoint; undefined: the embedded dynalite. */
  dynamodbEndpoint: variable('JOBS_DYNAMODB_ENDPOINT', endpoint),
  /** An external SQS endpoint; undefined: the embedded SQS endpoint. */
  sqsEndpoint: variable('JOBS_SQS_ENDPOINT', endpoint),
});

export type Backends = Readonly<z.infer<typeof BackendsSchema>>;

/** Reads the two variables (unset or empty: embedded) like every other setting; a bad URL stops start with a message naming it. */
export function loadBackends(env: NodeJS.ProcessEnv): Backends {
  return readSettings(BackendsSchema, env);
}

/** `https://dynamodb.eu-west-1.amazonaws.com` → `eu-west-1`: SigV4 signs for the endpoint's region. */
export function regionOfAwsEndpoint(url: string): string | undefined {
  return /^(?:dynamodb|sqs)[.-](?:fips\.)?([a-z]{2}(?:-[a-z]+)+-\d+)\.amazonaws\.com(?:\.cn)?$/.exec(new URL(url).hostname)?.[1];
}

/**
 * Credentials for the SDK clients. The embedded backends take any key, so the
 * twin supplies a dummy one; for an external backend the SDK's own chain
 * (`AWS_PROFILE`, SSO, keys) must stay in charge, so a profile is never
 * shadowed by a dummy key. DynamoDB Local with `-sharedDb` takes any key too.
 */
export function credentialVariables(env: NodeJS.ProcessEnv, backends: Backends): Record<string, string> {
  const external = backends.dynamodbEndpoint !== undefined || backends.sqsEndpoint !== undefined;
  if (env.AWS_ACCESS_KEY_ID) return { AWS_ACCESS_KEY_ID: env.AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY: env.AWS_SECRET_ACCESS_KEY ?? '' };
  if (external && env.AWS_PROFILE) return {};
  return { AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local' };
}
