#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Runs every check of the solution and exits non-zero on any failure:
#   typecheck, lint, formatting, the build (webpack bundles and zips), the unit tests with coverage
#   (reports under source/test/coverage-reports/), the template tests and the local end-to-end tests.
#
#   ./run-unit-tests.sh            (from any directory; `npm test` runs the same)
set -euo pipefail

if [[ $# -ne 0 ]]; then
  echo "Usage: $0   (takes no arguments)" >&2
  exit 1
fi

root_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root_dir"
export NODE_NO_WARNINGS=1 # the SDK's Node 20 end-of-support notice would drown the output

step() { printf '\n=== %s ===\n' "$*"; }

if [[ ! -d node_modules ]]; then
  step "Installing dependencies (npm ci)"
  npm ci --no-audit --no-fund
fi

step "Typecheck"
npx tsc --noEmit -p tsconfig.json

step "Lint"
npx eslint . --max-warnings 0

step "Formatting"
npx prettier --check . --log-level warn

step "Build (webpack bundles and zips)"
bash deployment/build-s3-dist.sh test-bucket cognito-user-profiles-export-reference-architecture v0.0.0-test >/dev/null

mkdir -p build
rm -rf build/api-calls source/test/coverage-reports

step "Unit tests with coverage"
npx jest --selectProjects unit --coverage --json --outputFile=build/jest-unit.json

step "Template tests"
npx jest --selectProjects templates --json --outputFile=build/jest-templates.json

step "Local end-to-end tests"
npx jest --selectProjects integration --maxWorkers=2 --json --outputFile=build/jest-integration.json

node -e '
  let passed = 0, failed = 0;
  for (const f of ["unit", "templates", "integration"]) {
    const r = require(`./build/jest-${f}.json`);
    passed += r.numPassedTests; failed += r.numFailedTests + r.numRuntimeErrorTestSuites;
  }
  console.log(`\nAll checks passed. Coverage reports: source/test/coverage-reports/`);
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed === 0 ? 0 : 1);
'
