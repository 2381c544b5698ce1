// SPDX-License-Identifier: Apache-2.0
/**
 * The repository stands on its own: no tracked file cites a document that is not in it (section
 * marks, the original's reference notes, a folder beside the checkout). A comment states the fact
 * itself or points to a file inside the repository.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');

// Built from parts so that this file does not match its own patterns.
const SECTION = String.fromCharCode(0xa7);
const FORBIDDEN: { label: string; pattern: RegExp }[] = [
  { label: 'section mark', pattern: new RegExp(SECTION) },
  { label: 'outside spec', pattern: new RegExp(['spec', '(functions|templates)\\.md'].join('/')) },
  { label: 'outside spec', pattern: new RegExp(['\\b(functions|templates)', 'md\\b'].join('\\.')) },
  { label: 'outside reference', pattern: new RegExp(['\\.\\.', 'shared\\b'].join('/')) },
  { label: 'outside reference', pattern: new RegExp(['shared', 'reference'].join('/')) },
  { label: 'outside reference', pattern: new RegExp(['platform', 'facts'].join('-')) },
  { label: 'outside reference', pattern: new RegExp(['style', 'anchors'].join('-')) },
];

/** Tracked text files (binary files such as images are skipped). */
function trackedTextFiles(): string[] {
  const out = execFileSync('git', ['ls-files', '-z'], {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  return out
    .split('\0')
    .filter((path) => path !== '' && path !== 'package-lock.json')
    .filter((path) => !/\.(svg|png|jpe?g|gif|zip|ico)$/.test(path));
}

/** One `file:line: kind: text` per line that cites a document outside the repository. */
function outsideReferences(files: string[], read: (path: string) => string): string[] {
  const hits: string[] = [];
  for (const file of files) {
    read(file)
      .split('\n')
      .forEach((line, index) => {
        const hit = FORBIDDEN.find(({ pattern }) => pattern.test(line));
        if (hit !== undefined) hits.push(`${file}:${index + 1}: ${hit.label}: ${line.trim()}`);
      });
  }
  return hits;
}

/** The licence line every tracked source file carries (after the `#!` line of a script). */
const LICENCE_LINE = /^(\/\/|#) SPDX-License-Identifier: Apache-2\.0$/;

/** Tracked source files (TypeScript, JavaScript, shell) whose licence line is missing. */
function withoutLicenceLine(files: string[], read: (path: string) => string): string[] {
  return files
    .filter((path) => /\.(ts|js|mjs|cjs|sh)$/.test(path))
    .filter((path) => {
      const lines = read(path).split('\n');
      const first = lines[0]?.startsWith('#!') ? lines[1] : lines[0];
      return !LICENCE_LINE.test(first ?? '');
    });
}

describe('the repository is self-contained', () => {
  it('has no reference to a document outside the repository in any tracked file', () => {
    const files = trackedTextFiles();
    expect(files.length).toBeGreaterThan(50);
    expect(outsideReferences(files, (path) => readFileSync(join(root, path), 'utf8'))).toEqual([]);
  });

  it('starts every source file with the Apache-2.0 SPDX licence line', () => {
    const files = trackedTextFiles();
    expect(files.filter((path) => path.endsWith('.ts')).length).toBeGreaterThan(100);
    expect(withoutLicenceLine(files, (path) => readFileSync(join(root, path), 'utf8'))).toEqual([]);
  });

  it('flags a source file without the licence line, and accepts one after a #! line', () => {
    const files: Record<string, string> = {
      'a.ts': '/** no licence */\n',
      'b.ts': '// SPDX-License-Identifier: Apache-2.0\n/** ok */\n',
      'c.sh': '#!/usr/bin/env bash\n# SPDX-License-Identifier: Apache-2.0\n',
      'd.md': '# not source\n',
    };
    expect(withoutLicenceLine(Object.keys(files), (path) => files[path]!)).toEqual(['a.ts']);
  });

  it.each([
    [`see spec ${SECTION}4.2`],
    [['(templates', 'md)'].join('.')],
    [['spec', 'functions' + '.md'].join('/')],
    [['..', 'shared', 'style.md'].join('/')],
    [['shared', 'reference', 'x.md'].join('/')],
  ])('flags %s', (line) => {
    expect(outsideReferences(['a.ts'], () => `ok\n${line}\n`)).toHaveLength(1);
  });
});
