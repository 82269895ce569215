/**
 * `npm run openapi`: writes the OpenAPI document generated from the route table
 * (lambdas/api/openapi.ts) to `openapi.json` at the root, the file the api
 * Lambda serves at `GET /v1/openapi.json`. Run it after changing a route, a
 * schema, a problem code or a job type; a test fails while the file is stale.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openApiText } from '../lambdas/api/openapi';

const target = join(__dirname, '..', 'openapi.json');
writeFileSync(target, openApiText());
console.log(`wrote ${target}`);
