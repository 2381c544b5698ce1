// SPDX-License-Identifier: Apache-2.0
/**
 * Three projects, run in this order by deployment/run-unit-tests.sh:
 *  - unit: every Lambda package and the shared utils (fast, mocked SDK clients);
 *  - templates: the CloudFormation templates checked against the code (reads the API calls that the
 *    unit tests recorded under build/api-calls; when they are missing, its global setup runs the unit
 *    tests once to write them, so the project also runs on its own);
 *  - integration: the local emulators and both workflows end to end (source/local).
 */
const base = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  setupFilesAfterEnv: ['<rootDir>/source/test-support/setup.ts'],
  clearMocks: true,
};

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    {
      ...base,
      displayName: 'unit',
      roots: ['<rootDir>/source'],
      testMatch: ['**/test/**/*.spec.ts'],
      testPathIgnorePatterns: ['/node_modules/', '<rootDir>/source/local/'],
    },
    {
      ...base,
      displayName: 'templates',
      roots: ['<rootDir>/deployment'],
      globalSetup: '<rootDir>/deployment/test/support/global-setup.js',
      testMatch: ['**/test/**/*.spec.ts'],
    },
    {
      ...base,
      displayName: 'integration',
      roots: ['<rootDir>/source/local'],
      testMatch: ['**/test/**/*.spec.ts'],
    },
  ],
  collectCoverageFrom: [
    'source/**/*.ts',
    '!source/**/test/**',
    '!source/test-support/**',
    '!source/local/**',
  ],
  coverageDirectory: 'source/test/coverage-reports/jest',
  coverageReporters: ['text-summary', 'lcov', 'json-summary'],
  coverageThreshold: {
    './source/utils/': { lines: 90, branches: 85 },
    './source/workflow-common/': { lines: 90, branches: 90 },
    './source/workflow-export/': { lines: 90, branches: 90 },
    './source/custom-resources/': { lines: 90, branches: 90 },
    './source/workflow-import/': { lines: 90, branches: 90 },
  },
};
