#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Runs both workflows of the solution end to end on local emulators (no AWS account needed):
# seeds a Cognito user pool, runs the ExportWorkflow and the ImportWorkflow from the real templates,
# compares the restored pool with the source and prints a summary.
#
#   bash scripts/local-run.sh [options]      (npm start -- [options], npm run local -- [options])
#   bash scripts/local-run.sh --help         all options
set -euo pipefail

root_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# Relative paths in the options resolve against the directory the command was run from (npm sets
# INIT_CWD to it; set it here when the script is run directly).
export INIT_CWD="${INIT_CWD:-$PWD}"
cd "$root_dir"

if [[ ! -d node_modules ]]; then
  echo "Installing dependencies (npm ci)..." >&2
  npm ci --no-audit --no-fund >&2
fi

# The SDK's Node 20 end-of-support notice would drown the progress lines.
export NODE_NO_WARNINGS=1
# Not through npx: npm would set INIT_CWD to the repository root.
exec node_modules/.bin/tsx source/local/run/cli.ts "$@"
