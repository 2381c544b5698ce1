// SPDX-License-Identifier: Apache-2.0
/** cfn-lint on both templates: no error and no warning; every ignored rule says why. */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEPLOYMENT_DIR, TEMPLATE_FILES } from './support/cfn';

describe('cfn-lint', () => {
  it('reports nothing for either template', () => {
    const run = spawnSync('cfn-lint', [...TEMPLATE_FILES], {
      cwd: DEPLOYMENT_DIR,
      encoding: 'utf8',
      timeout: 300_000,
    });
    if ((run.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') {
      throw new Error('cfn-lint is not installed: pip install cfn-lint');
    }
    if (run.error) throw run.error;
    expect({ status: run.status, output: `${run.stdout}${run.stderr}`.trim() }).toEqual({
      status: 0,
      output: '',
    });
  });

  it.each(TEMPLATE_FILES)(
    '%s: each rule ignored in Metadata has a reason comment on the line above',
    (file) => {
      const lines = readFileSync(join(DEPLOYMENT_DIR, file), 'utf8').split('\n');
      const start = lines.findIndex((line) => /^\s*ignore_checks:\s*$/.test(line));
      const unexplained: string[] = [];
      if (start >= 0) {
        const indent = (lines[start] ?? '').search(/\S/);
        for (let index = start + 1; index < lines.length; index += 1) {
          const line = lines[index] ?? '';
          if (line.trim() === '' || line.search(/\S/) <= indent) break;
          const rule = /^\s*-\s*([A-Z]\d+)\s*$/.exec(line)?.[1];
          if (rule && !/^\s*#\s*\S/.test(lines[index - 1] ?? '')) unexplained.push(rule);
        }
      }
      expect(unexplained).toEqual([]);
    },
  );
});
