// SPDX-License-Identifier: Apache-2.0
/** Every function's `Handler` resolves to a file of the zip its `Code` points at. */
import { existsSync } from 'node:fs';
import { codePackage } from './support/artifacts';
import { lambdaFunctions } from './support/functions';
import { handlerSourceFile } from './support/handlers';

const functions = lambdaFunctions();
const cases = functions.map((fn) => [`${fn.template.replace(/\.yaml$/, '')} ${fn.logicalId}`, fn] as const);

describe('Lambda code', () => {
  it.each(cases)('%s: Handler <package>/<file>.handler names the package of its zip', (_name, fn) => {
    expect(fn.handlerExport).toBe('handler');
    expect(`${fn.handler.split('/')[0]}.zip`).toBe(fn.zip);
    expect(fn.handler).toMatch(/^[a-z-]+\/[a-z-]+$/);
  });

  it.each(cases)('%s: the handler source exists and exports handler', (_name, fn) => {
    const file = handlerSourceFile(fn.handler);
    expect(existsSync(file) ? file : `missing: ${file}`).toBe(file);
  });

  it.each(cases)(
    '%s: the built zip contains <package>/<file>.js',
    (_name, fn) => {
      const built = codePackage(fn.zip);
      const entry = `${fn.handler}.js`;
      expect(built.files.has(entry) ? entry : `${entry} is not in ${built.source}`).toBe(entry);
    },
    300_000,
  );
});
