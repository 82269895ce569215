/**
 * `npm run openapi`: writes the OpenAPI document generated from the route table
 * (./openapi-document.ts) to `openapi.json` at the root, the file the api
 * Lambda serves at `GET /v1/openapi.json`. Run it after changing a route, a
 * schema, a problem code or a job type; a test fails while the file is stale.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openApiText } from './openapi-document';

const target = join(__dirname, '..', 'openapi.json');
writeFileSync(target, openApiText());
console.log(`wrote ${target}`);
