// SPDX-License-Identifier: Apache-2.0
// @ts-check
import eslint from '@eslint/js';
import jest from 'eslint-plugin-jest';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'node_modules/**',
      'build/**',
      'dist/**',
      'deployment/global-s3-assets/**',
      'deployment/regional-s3-assets/**',
      'source/test/coverage-reports/**',
      '**/*.js',
      '**/*.mjs',
      '**/*.cjs',
    ],
  },
  eslint.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      eqeqeq: ['error', 'always'],
      'no-console': 'error',
    },
  },
  {
    files: ['source/*/test/**/*.ts', 'source/local/**/*.ts', 'scripts/**/*.ts'],
    rules: { 'no-console': 'off' },
  },
  {
    // Every test file: jest's recommended rules, with focused and skipped tests as errors (a stray
    // `it.only` or `it.skip` would otherwise pass CI with tests silently not run).
    files: ['**/test/**/*.ts', '**/*.spec.ts'],
    ...jest.configs['flat/recommended'],
    rules: {
      ...jest.configs['flat/recommended'].rules,
      'jest/no-focused-tests': 'error',
      'jest/no-disabled-tests': 'error',
      // Off for now: 14 existing assertions sit in a branch on purpose (a fault-matrix case whose
      // outcome depends on the injected fault, a `catch` that inspects the thrown error). Rewriting
      // them would change those assertions; a follow-up moves them to `rejects` and per-case tables.
      'jest/no-conditional-expect': 'off',
    },
  },
);
