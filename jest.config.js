/** Jest: TypeScript (and the ESM-only p-limit, with its yocto-queue) through @swc/jest into CommonJS. */
const swc = ['@swc/jest', { jsc: { target: 'es2023', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' } }];

module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.(t|j)s$': swc },
  transformIgnorePatterns: ['/node_modules/(?!(p-limit|yocto-queue)/)'],
  setupFiles: ['<rootDir>/test/setup-env.ts'],
  // Fetches AWS's DynamoDB Local (test/support/dynamodb-local.ts) once, before any test file needs it.
  globalSetup: '<rootDir>/test/global-setup.ts',
  globalTeardown: '<rootDir>/test/global-teardown.ts',
  // The e2e suite's second pass on AWS's DynamoDB Local (JOBS_E2E_DYNAMODB=local, .ci/run): a table per test file.
  setupFilesAfterEnv: ['aws-cdk-lib/testhelpers/jest-autoclean', '<rootDir>/test/e2e-backend-table.ts'],
  testTimeout: 30000,
  maxWorkers: 2,
};
