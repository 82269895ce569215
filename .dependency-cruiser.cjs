/**
 * The layers, as rules that `npm test` checks (`npm run depcruise`), so that the folder
 * list stays a true picture of who may depend on whom (../shared/STYLE.md, "The house").
 * Paths are relative to the repository root. Type-only imports count, except where a
 * rule says otherwise: a type drags its module's meaning along even when it emits no code.
 *
 * @type {import('dependency-cruiser').IConfiguration}
 */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment:
        'A cycle means two modules are one module in two files: neither can be read, tested ' +
        'or moved alone, and import order starts to matter. Break it by moving the shared ' +
        'piece to the room both depend on.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'domain-stands-alone',
      severity: 'error',
      comment:
        'lambdas/jobs/ is the domain: Job, statuses, transitions, backoff, submission rules. ' +
        'It returns decisions and rejections; the edges (api/ maps a rejection to a problem ' +
        'document, store/ and queue/ persist and send, webhooks/ and outbound/ talk HTTP, ' +
        'job-types/ run work, service-context.ts wires it all) depend on it, never the ' +
        'other way round, so the domain is tested without any of them.',
      from: { path: '^lambdas/jobs/' },
      to: {
        path: ['^lambdas/(api|store|queue|webhooks|job-types|outbound)/', '^lambdas/service-context\\.ts$'],
      },
    },
    {
      name: 'lambdas-are-deployable-alone',
      severity: 'error',
      comment:
        'lambdas/ is what esbuild bundles into the functions. The twin (local/), the tests, ' +
        'the bench, the CLI and the CDK code (lib/) are built from lambdas/, not the reverse: ' +
        'an import the other way would ship twin or CDK code to Lambda, or make the handlers ' +
        'behave differently on the twin.',
      from: { path: '^lambdas/' },
      to: { path: '^(local|test|bench|cli|lib|bin)/' },
    },
    {
      name: 'cdk-reads-plain-data-from-lambdas',
      severity: 'error',
      comment:
        'lib/ is infrastructure only. From lambdas/ it reads the plain data modules both ' +
        'sides build from, so the stack and the handlers cannot drift: resources.ts (table ' +
        'keys, indexes, queues, deployment constants), config.ts (lib/service-environment.ts ' +
        'validates the environment it hands the functions with the schema the functions ' +
        'read it with), api/problem.ts (the problem catalogue the gateway responses are ' +
        'built from), api/routes.ts with api/schemas.ts (the route table the REST resources ' +
        'are built from) and the pure domain they name (jobs/, which imports no edge). ' +
        'Anything else would load handler code, Powertools or SDK clients into cdk synth.',
      from: { path: '^lib/' },
      to: {
        path: '^lambdas/',
        pathNot: ['^lambdas/(resources|config)\\.ts$', '^lambdas/api/(problem|routes|schemas)\\.ts$', '^lambdas/jobs/'],
      },
    },
    {
      name: 'cli-does-not-use-the-twin',
      severity: 'error',
      comment:
        'The tenants CLI administers tenants on AWS or on a running twin through their ' +
        'public surfaces (DynamoDB, twin.json); importing local/ would tie the operator tool ' +
        'to the twin\'s internals and start twin code in an AWS session.',
      from: { path: '^cli/' },
      to: { path: '^local/' },
    },
    {
      name: 'client-stands-alone',
      severity: 'error',
      comment:
        'client/ is the typed API client tenants import and the web console runs in a browser ' +
        '(SPEC §15, §16): it speaks the public HTTP API with fetch and knows the API only from ' +
        'openapi.json (its generated client/openapi-types.ts). It imports client/ and ' +
        'standardwebhooks, nothing else: no lambdas/ (the service\'s internals), no local/ or ' +
        'cli/, no AWS SDK, no Node built-in (a browser has none).',
      from: { path: '^client/' },
      to: { pathNot: ['^client/', '^(node_modules/)?standardwebhooks(/|$)'] },
    },
    {
      name: 'console-page-uses-the-client',
      severity: 'error',
      comment:
        'The web console runs in a browser and talks to the service through the public API only (SPEC §16): ' +
        'its app imports the client and itself, nothing of the service, the twin or Node.',
      from: { path: '^console/app/' },
      to: { path: ['^(lambdas|local|lib|bin|cli|bench|test)/', '^(node_modules/)?@aws-sdk/'] },
    },
    {
      name: 'no-node-in-the-console-page',
      severity: 'error',
      from: { path: '^console/app/' },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'jobs-cli-uses-the-client',
      severity: 'error',
      comment:
        'The jobs CLI (cli/jobs.ts, cli/jobs/) is a tenant\'s tool: every request goes through ' +
        'client/ over the public API, as any tenant\'s would; the service\'s internals and the ' +
        'AWS SDK are the tenants CLI\'s business, not this one\'s.',
      from: { path: '^cli/jobs' },
      to: { path: ['^lambdas/', '^(node_modules/)?@aws-sdk/'] },
    },
    {
      name: 'only-the-store-loads-dynamodb',
      severity: 'error',
      comment:
        'Within lambdas/, store/ is the DynamoDB adapter: the only room that knows items, ' +
        'keys and conditional writes. Everyone else speaks JobStore. service-context.ts, the ' +
        'composition root, names the document client\'s type to hold it (type-only, loads ' +
        'nothing), so type-only imports pass.',
      from: { path: '^lambdas/', pathNot: '^lambdas/store/' },
      to: {
        path: '^(node_modules/)?@aws-sdk/(client-dynamodb|lib-dynamodb|util-dynamodb)(/|$)',
        dependencyTypesNot: ['type-only'],
      },
    },
    {
      name: 'only-the-queue-loads-sqs',
      severity: 'error',
      comment:
        'Within lambdas/, queue/ is the SQS adapter (message shape, delays, batches of ten). ' +
        'service-context.ts names the SQS client\'s type to hold it (type-only), so ' +
        'type-only imports pass. Reading SQS events in the worker uses @types/aws-lambda, ' +
        'not the client.',
      from: { path: '^lambdas/', pathNot: '^lambdas/queue/' },
      to: {
        path: '^(node_modules/)?@aws-sdk/client-sqs(/|$)',
        dependencyTypesNot: ['type-only'],
      },
    },
    {
      name: 'lambdas-use-dependencies',
      severity: 'error',
      comment:
        'The functions are bundled from `dependencies`; a devDependency there works on a ' +
        'developer machine and breaks in a production install. Type-only imports ' +
        '(@types/aws-lambda) emit nothing and pass. The CDK app (bin/, lib/) runs from a ' +
        'full install, so cdk-nag may stay a devDependency.',
      from: { path: '^lambdas/' },
      to: { dependencyTypes: ['npm-dev'], dependencyTypesNot: ['type-only'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(cdk\\.out|\\.data|coverage)/' },
    // Type-only imports are dependencies too (see above); the rules that allow them say so.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
