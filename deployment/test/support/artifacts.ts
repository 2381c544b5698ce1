// SPDX-License-Identifier: Apache-2.0
/**
 * Build outputs the template tests read: the Lambda zips (or webpack's dist/ folder when the zips
 * were not built) and the AWS API calls that the unit tests recorded.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEPLOYMENT_DIR, ROOT_DIR } from './cfn';

export const REGIONAL_ASSETS_DIR = join(DEPLOYMENT_DIR, 'regional-s3-assets');
export const DIST_DIR = join(ROOT_DIR, 'dist');
export const API_CALLS_DIR = join(ROOT_DIR, 'build', 'api-calls');

/** The file names in a zip, read from its central directory. */
export function zipEntries(zipFile: string): string[] {
  const data = readFileSync(zipFile);
  const endOfCentralDirectory = data.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (endOfCentralDirectory < 0) throw new Error(`${zipFile} is not a zip file`);
  const count = data.readUInt16LE(endOfCentralDirectory + 10);
  let offset = data.readUInt32LE(endOfCentralDirectory + 16);
  const names: string[] = [];
  for (let index = 0; index < count; index += 1) {
    if (data.readUInt32LE(offset) !== 0x02014b50) throw new Error(`${zipFile}: bad central directory entry`);
    const nameLength = data.readUInt16LE(offset + 28);
    const extraLength = data.readUInt16LE(offset + 30);
    const commentLength = data.readUInt16LE(offset + 32);
    names.push(data.toString('utf8', offset + 46, offset + 46 + nameLength));
    offset += 46 + nameLength + extraLength + commentLength;
  }
  return names;
}

export interface CodePackage {
  /** Where the listing came from, for messages. */
  source: string;
  files: Set<string>;
}

function listDir(dir: string, prefix: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? listDir(join(dir, entry.name), `${prefix}${entry.name}/`)
      : [`${prefix}${entry.name}`],
  );
}

let builtDist = false;

/**
 * The files of a Lambda zip (`<package>.zip`). Without the zips (build-s3-dist.sh not run), the
 * webpack output dist/<package>/ stands in for them; without either, webpack is run once.
 */
export function codePackage(zip: string): CodePackage {
  const zipFile = join(REGIONAL_ASSETS_DIR, zip);
  if (existsSync(zipFile)) return { source: zipFile, files: new Set(zipEntries(zipFile)) };
  const pkg = zip.replace(/\.zip$/, '');
  if (!existsSync(join(DIST_DIR, pkg)) && !builtDist) {
    builtDist = true;
    try {
      execFileSync('npx', ['webpack', '--config', 'webpack.config.js'], { cwd: ROOT_DIR, stdio: 'pipe' });
    } catch (error) {
      const output = (error as { stderr?: Buffer; stdout?: Buffer }).stderr?.toString() ?? String(error);
      throw new Error(
        `Neither ${zipFile} nor dist/${pkg}/ exists and "npx webpack --config webpack.config.js" failed; ` +
          `run "bash deployment/build-s3-dist.sh <bucket> <solution> <version>" first.\n${output}`,
        { cause: error },
      );
    }
  }
  const distDir = join(DIST_DIR, pkg);
  if (!existsSync(distDir)) {
    throw new Error(`No build output for ${zip}: neither ${zipFile} nor ${distDir} exists after building`);
  }
  return {
    source: `${distDir}/ (webpack output; zips not built)`,
    files: new Set(listDir(distDir, `${pkg}/`)),
  };
}

export interface RecordedCall {
  action: string;
  test: string;
  /** What the call acted on and which environment variables of the test held that value. */
  target?: { kind: string; value: string; env: string[] };
  /** The call's top-level input members. */
  members?: string[];
}

/** The calls recorded by `source/<package>/test/<file>.spec.ts`, or undefined if that spec recorded none. */
export function recordedCalls(handler: string): RecordedCall[] | undefined {
  const [pkg, file] = handler.split('/');
  const path = join(API_CALLS_DIR, `${pkg}`, 'test', `${file}.json`);
  if (!existsSync(path)) return undefined;
  return JSON.parse(readFileSync(path, 'utf8')) as RecordedCall[];
}

export const apiCallsRecorded = (): boolean => existsSync(API_CALLS_DIR);
