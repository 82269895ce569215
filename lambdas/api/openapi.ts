/** The OpenAPI 3.1 document served at GET /v1/openapi.json. */
export const OPENAPI_DOCUMENT = { openapi: '3.1.0', info: { title: 'Jobs Service API', version: '1.0.0' }, paths: {} };
