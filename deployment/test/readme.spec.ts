// SPDX-License-Identifier: Apache-2.0
/**
 * The README is the operator's manual: its parameters table lists every parameter of the main template
 * with the template's default and allowed values, and its bench section names every bench case.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadTemplate, MAIN_TEMPLATE, ROOT_DIR, type Json } from './support/cfn';

const readme = readFileSync(join(ROOT_DIR, 'README.md'), 'utf8');
const main = loadTemplate(MAIN_TEMPLATE);

/** The rows of the table under `### Parameters`: name, default, allowed values. */
function parameterRows(): Map<string, { defaultValue: string; allowed: string }> {
  const section = readme.split(/^### Parameters$/m)[1]?.split(/^#/m)[0] ?? '';
  const rows = new Map<string, { defaultValue: string; allowed: string }>();
  for (const line of section.split('\n')) {
    const cells = line.split(' | ').map((cell) => cell.replace(/^\| ?| ?\|$/g, '').trim());
    const name = /^`(\w+)`$/.exec(cells[0] ?? '')?.[1];
    if (name !== undefined) rows.set(name, { defaultValue: cells[1] ?? '', allowed: cells[2] ?? '' });
  }
  return rows;
}

const rows = parameterRows();
const spec = (name: string): Record<string, Json> => main.Parameters[name] ?? {};

describe('README parameters table', () => {
  it('lists exactly the main template parameters', () => {
    expect([...rows.keys()].sort()).toEqual(Object.keys(main.Parameters).sort());
  });

  it.each(Object.keys(main.Parameters))('%s: the default as the template has it', (name) => {
    const value = spec(name).Default;
    const expected = value === undefined ? '(required)' : value === '' ? 'empty' : `\`${String(value)}\``;
    expect(rows.get(name)?.defaultValue).toBe(expected);
  });

  it.each(Object.keys(main.Parameters))('%s: the allowed values as the template has them', (name) => {
    const { AllowedValues, AllowedPattern, MinValue, MaxValue, ConstraintDescription } = spec(name);
    const allowed = rows.get(name)?.allowed ?? '';
    if (Array.isArray(AllowedValues)) {
      expect(allowed).toBe(AllowedValues.map((value) => `\`${String(value)}\``).join(', '));
    } else if (MinValue !== undefined || MaxValue !== undefined) {
      expect(allowed).toBe(`\`${String(MinValue)}\` to \`${String(MaxValue)}\``);
    } else if (typeof AllowedPattern === 'string') {
      // The pattern itself, or the range or form its constraint description names.
      const range = /from (\d+) to (\d+)/.exec(String(ConstraintDescription ?? ''));
      const accepted = [`\`${AllowedPattern}\``];
      if (range !== null) accepted.push(`\`${range[1]}\` to \`${range[2]}\``);
      if (/@/.test(AllowedPattern)) accepted.push('an e-mail address');
      if (/kms/.test(AllowedPattern)) accepted.push('empty, or a KMS key ARN', 'as `KmsKeyArn`');
      expect(accepted.some((form) => allowed.startsWith(form))).toBe(true);
    } else {
      expect(allowed).not.toBe('');
    }
  });
});

describe('README stack commands', () => {
  it.each(['create-stack', 'update-stack'])('aws cloudformation %s names every parameter', (command) => {
    const block = readme.split(`aws cloudformation ${command}`)[1]?.split('```')[0] ?? '';
    for (const name of Object.keys(main.Parameters)) expect(block).toContain(`ParameterKey=${name},`);
    expect(block).toContain('--capabilities CAPABILITY_NAMED_IAM');
  });
});

describe('README bench cases', () => {
  const cases = [
    ...readFileSync(join(ROOT_DIR, 'source', 'local', 'bench', 'cases.ts'), 'utf8').matchAll(
      /^\s+name: '([\w-]+)',$/gm,
    ),
  ].map((match) => match[1] ?? '');

  it.each(cases)('names %s', (name) => {
    expect(cases.length).toBeGreaterThan(5);
    expect(readme).toContain(`\`${name}\``);
  });
});
