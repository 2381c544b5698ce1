// SPDX-License-Identifier: Apache-2.0
/**
 * Typed environment configuration. Each package declares the variables it reads as an `EnvSpec`
 * and parses them once per invocation; every problem is collected and reported in one error.
 */

export type Env = Record<string, string | undefined>;

export interface VarSpec<T> {
  /** Returns the parsed value or throws an `Error` whose message describes the problem. */
  parse(raw: string | undefined, name: string): T;
  readonly required: boolean;
}

export type EnvSpec = Record<string, VarSpec<unknown>>;
export type ConfigOf<S extends EnvSpec> = { [K in keyof S]: S[K] extends VarSpec<infer T> ? T : never };

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: string[]) {
    super(
      problems.length === 1
        ? (problems[0] as string)
        : `${problems.length} configuration problems: ${problems.join('; ')}`,
    );
  }
}

const missing = (name: string): Error =>
  new Error(`Error validating Environment Variables. Missing value for ${name}`);

function required<T>(parse: (value: string, name: string) => T): VarSpec<T> {
  return {
    required: true,
    parse(raw, name) {
      if (raw === undefined || raw.trim() === '') throw missing(name);
      return parse(raw.trim(), name);
    },
  };
}

function optional<T>(parse: (value: string, name: string) => T): VarSpec<T | undefined> {
  return {
    required: false,
    parse(raw, name) {
      if (raw === undefined || raw.trim() === '') return undefined;
      return parse(raw.trim(), name);
    },
  };
}

function integerFrom(raw: string, name: string, min: number): number {
  if (!/^\d+$/.test(raw)) throw new Error(`Unable to parse a number from the ${name} value (${raw})`);
  const value = Number.parseInt(raw, 10);
  if (value < min) throw new Error(`${name} must be at least ${min} (found ${value})`);
  return value;
}

export const env = {
  string: (): VarSpec<string> => required((value) => value),
  optionalString: (): VarSpec<string | undefined> => optional((value) => value),
  integer: (min = 0): VarSpec<number> => required((value, name) => integerFrom(value, name, min)),
  /** A whole percentage, 0 to 100. */
  percent: (): VarSpec<number> =>
    required((value, name) => {
      const parsed = integerFrom(value, name, 0);
      if (parsed > 100) throw new Error(`${name} must be at most 100 (found ${parsed})`);
      return parsed;
    }),
  oneOf: <T extends string>(...allowed: T[]): VarSpec<T> =>
    required((value, name) => {
      if (!(allowed as string[]).includes(value)) {
        throw new Error(`${name} must be one of ${allowed.join(', ')} (found "${value}")`);
      }
      return value as T;
    }),
  /** "Yes" means true; anything else, or absent, means false (the templates' convention). */
  yesNo: (): VarSpec<boolean> => ({ required: false, parse: (raw) => raw?.trim() === 'Yes' }),
};

/**
 * The Cognito request budget shared by every Cognito call of an invocation. The original accepted
 * 0 and then never finished; we require at least 1.
 */
export const cognitoTps = (): VarSpec<number> => env.integer(1);

export function parseConfig<S extends EnvSpec>(spec: S, source: Env = process.env): ConfigOf<S> {
  const problems: string[] = [];
  const result: Record<string, unknown> = {};
  for (const [name, varSpec] of Object.entries(spec)) {
    try {
      result[name] = varSpec.parse(source[name], name);
    } catch (problem) {
      problems.push(problem instanceof Error ? problem.message : String(problem));
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return result as ConfigOf<S>;
}

/**
 * Variables that shared utils read in every handler, all optional: the solution's identity (user agent,
 * log lines, metrics) and the Lambda runtime's own log level. Parsed by `solutionEnvironment`.
 */
export const SHARED_ENV = {
  SOLUTION_ID: env.optionalString(),
  SOLUTION_VERSION: env.optionalString(),
  AWS_LAMBDA_LOG_LEVEL: env.optionalString(),
} satisfies EnvSpec;

export const SHARED_OPTIONAL_ENV = Object.keys(SHARED_ENV) as (keyof typeof SHARED_ENV)[];

export interface SolutionEnvironment {
  /** As the environment sets them; the callers choose their defaults. */
  solutionId?: string;
  solutionVersion?: string;
  /** `AWS_LAMBDA_LOG_LEVEL` when it names a level this logger knows, lower case. */
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
}

const LOG_LEVELS = new Set(['debug', 'info', 'warn', 'error']);

/** The shared variables, parsed once by whoever builds the invocation's runtime pieces. */
export function solutionEnvironment(source: Env = process.env): SolutionEnvironment {
  const parsed = parseConfig(SHARED_ENV, source);
  const level = parsed.AWS_LAMBDA_LOG_LEVEL?.toLowerCase();
  return {
    solutionId: parsed.SOLUTION_ID,
    solutionVersion: parsed.SOLUTION_VERSION,
    logLevel:
      level !== undefined && LOG_LEVELS.has(level) ? (level as SolutionEnvironment['logLevel']) : undefined,
  };
}

/** The optional metric variables; absent means metrics are off. */
export const METRICS_ENV = {
  SEND_METRIC: env.yesNo(),
  METRICS_ANONYMOUS_UUID: env.optionalString(),
} satisfies EnvSpec;
