/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/source'],
  testMatch: ['**/test/**/*.spec.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  setupFilesAfterEnv: ['<rootDir>/source/test-support/setup.ts'],
  collectCoverageFrom: ['source/**/*.ts', '!source/**/test/**', '!source/test-support/**', '!source/local/**'],
  coverageDirectory: 'source/test/coverage-reports/jest',
  coverageReporters: ['text-summary', 'lcov', 'json-summary'],
  coverageThreshold: {
    './source/utils/': { lines: 90, branches: 85 },
  },
  clearMocks: true,
};
