#!/usr/bin/env bash
#
# Runs both workflows of the solution end to end on local emulators (no AWS account needed):
# seeds a Cognito user pool, runs the ExportWorkflow and the ImportWorkflow from the real templates,
# compares the restored pool with the source and prints a summary.
#
#   bash scripts/local-run.sh [options]      (npm start -- [options], npm run local -- [options])
#   bash scripts/local-run.sh --help         all options
set -euo pipefail

root_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root_dir"

if [[ ! -d node_modules ]]; then
  echo "Installing dependencies (npm ci)..." >&2
  npm ci --no-audit --no-fund >&2
fi

# The SDK's Node 20 end-of-support notice would drown the progress lines.
export NODE_NO_WARNINGS=1
exec npx tsx source/local/cli.ts "$@"
