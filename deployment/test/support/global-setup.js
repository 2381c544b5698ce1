// SPDX-License-Identifier: Apache-2.0
/**
 * Global setup of the template tests: the IAM test compares each role with the AWS API calls that
 * the unit tests recorded under build/api-calls/. When those records are missing (a fresh clone, or
 * the template tests run on their own), the unit tests are run once here to write them.
 */
const { execFileSync } = require('node:child_process');
const { existsSync, readdirSync } = require('node:fs');
const { join } = require('node:path');

const ROOT_DIR = join(__dirname, '..', '..', '..');
const API_CALLS_DIR = join(ROOT_DIR, 'build', 'api-calls');

module.exports = async function globalSetup() {
  if (existsSync(API_CALLS_DIR) && readdirSync(API_CALLS_DIR).length > 0) return;
  process.stderr.write(
    `\n${API_CALLS_DIR} is missing: running the unit tests once to record the API calls\n`,
  );
  try {
    execFileSync('npx', ['jest', '--selectProjects', 'unit', '--silent'], {
      cwd: ROOT_DIR,
      stdio: 'pipe',
      env: { ...process.env, NODE_NO_WARNINGS: '1' },
      maxBuffer: 256 * 1024 * 1024,
    });
  } catch (error) {
    const output = `${error.stdout ?? ''}${error.stderr ?? ''}`.slice(-4000);
    throw new Error(`the unit tests failed, so the API calls are not all recorded:\n${output}`);
  }
};
