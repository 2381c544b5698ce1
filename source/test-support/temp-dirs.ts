// SPDX-License-Identifier: Apache-2.0
/**
 * Temporary directories for tests, removed after each test file (setup.ts registers the cleanup), so
 * that a test run leaves nothing behind in the system's temp directory.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const created: string[] = [];

/** A new empty directory under the system's temp directory, removed when the test file ends. */
export function tempDirectory(prefix: string): string {
  const path = mkdtempSync(join(tmpdir(), prefix));
  created.push(path);
  return path;
}

export function removeTempDirectories(): void {
  for (const path of created.splice(0)) rmSync(path, { recursive: true, force: true });
}
