// SPDX-License-Identifier: Apache-2.0
/**
 * What the handlers' code says about themselves: the environment variables they declare
 * (`ENVIRONMENT`), the fields their results carry (from their TypeScript result types) and the
 * string literals of their package (for the state names they dispatch on).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import ts from 'typescript';
import type { EnvSpec } from '../../../source/utils/config';
import { ROOT_DIR } from './cfn';

export const SOURCE_DIR = join(ROOT_DIR, 'source');

/** `source/<package>/<file>.ts` for a handler `<package>/<file>`. */
export const handlerSourceFile = (handler: string): string => join(SOURCE_DIR, `${handler}.ts`);

export function handlerEnvironment(handler: string): EnvSpec {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the handler module is chosen at run time
  const module = require(handlerSourceFile(handler)) as { ENVIRONMENT?: EnvSpec; handler?: unknown };
  if (!module.ENVIRONMENT) throw new Error(`${handler}.ts does not export ENVIRONMENT`);
  return module.ENVIRONMENT;
}

let program: { program: ts.Program; checker: ts.TypeChecker } | undefined;

function typeProgram(): { program: ts.Program; checker: ts.TypeChecker } {
  if (!program) {
    const configPath = join(ROOT_DIR, 'tsconfig.json');
    const config = ts.readConfigFile(configPath, (path) => ts.sys.readFile(path));
    const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, dirname(configPath));
    const roots = parsed.fileNames.filter((file) => /\/source\/[^/]+\/[^/]+\.ts$/.test(file));
    const created = ts.createProgram(roots, { ...parsed.options, noEmit: true });
    program = { program: created, checker: created.getTypeChecker() };
  }
  return program;
}

export type ResultFields = { kind: 'fields'; fields: Set<string> } | { kind: 'none' };

function propertyNames(checker: ts.TypeChecker, type: ts.Type): Set<string> {
  const types = type.isUnion() ? type.types : [type];
  const names = new Set<string>();
  for (const member of types)
    for (const property of checker.getPropertiesOfType(member)) names.add(property.name);
  return names;
}

/**
 * The fields of the value a handler's task passes on: its awaited return type, or the `result`
 * property of it when the state selects `$.result`. Read from the TypeScript types, so renaming a
 * result field in the code changes what the tests see.
 */
export function handlerResultFields(handler: string, outputPath: string | null | undefined): ResultFields {
  const { program: prog, checker } = typeProgram();
  const file = handlerSourceFile(handler);
  const source = prog.getSourceFile(file);
  if (!source) throw new Error(`${file} is not part of the TypeScript program`);
  const moduleSymbol = checker.getSymbolAtLocation(source);
  if (!moduleSymbol) throw new Error(`${file} is not a module`);
  let symbol = checker.getExportsOfModule(moduleSymbol).find((candidate) => candidate.name === 'handler');
  if (!symbol) throw new Error(`${file} does not export handler`);
  if (symbol.flags & ts.SymbolFlags.Alias) symbol = checker.getAliasedSymbol(symbol);
  const signature = checker.getTypeOfSymbolAtLocation(symbol, source).getCallSignatures()[0];
  if (!signature) throw new Error(`${file}: handler is not a function`);
  const returned = signature.getReturnType();
  let type = checker.getAwaitedType(returned) ?? returned;
  if (type.flags & (ts.TypeFlags.Void | ts.TypeFlags.Undefined)) return { kind: 'none' };
  if (outputPath === '$.result') {
    const result = checker.getPropertyOfType(type, 'result');
    if (!result)
      throw new Error(`${handler}: the state selects $.result but the handler's result has no 'result'`);
    type = checker.getTypeOfSymbolAtLocation(result, source);
  } else if (outputPath !== undefined && outputPath !== '$') {
    throw new Error(`${handler}: OutputPath ${String(outputPath)} is not supported by this test`);
  }
  return { kind: 'fields', fields: propertyNames(checker, type) };
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const full = join(dir, entry);
    if (statSync(full).isDirectory())
      return entry === 'test' || entry === 'node_modules' ? [] : sourceFiles(full);
    return entry.endsWith('.ts') ? [full] : [];
  });
}

/** The string literals of a Lambda package's code (tests excluded). */
export function packageStringLiterals(pkg: string): Set<string> {
  const dir = join(SOURCE_DIR, pkg);
  const literals = new Set<string>();
  if (!existsSync(dir)) return literals;
  for (const file of sourceFiles(dir)) {
    const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, false);
    const visit = (node: ts.Node): void => {
      if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) literals.add(node.text);
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return literals;
}
