// SPDX-License-Identifier: Apache-2.0
/**
 * Discovers the Lambda handlers: every top-level `.ts` file of a Lambda package that exports
 * `handler`. Shared by the webpack build and the template tests.
 */
const fs = require('node:fs');
const path = require('node:path');

const LAMBDA_PACKAGES = ['custom-resources', 'workflow-common', 'workflow-export', 'workflow-import'];
const sourceDir = path.join(__dirname, '..', 'source');

function discoverHandlers() {
  const entries = {};
  for (const pkg of LAMBDA_PACKAGES) {
    const dir = path.join(sourceDir, pkg);
    if (!fs.existsSync(dir)) continue;
    for (const file of fs.readdirSync(dir)) {
      if (!file.endsWith('.ts') || file.endsWith('.d.ts')) continue;
      const full = path.join(dir, file);
      const text = fs.readFileSync(full, 'utf8');
      if (!/export\s+(const|async\s+function|function)\s+handler\b/.test(text)) continue;
      entries[`${pkg}/${file.replace(/\.ts$/, '')}`] = full;
    }
  }
  return entries;
}

module.exports = { LAMBDA_PACKAGES, discoverHandlers };
