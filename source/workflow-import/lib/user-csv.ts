// SPDX-License-Identifier: Apache-2.0
/**
 * The user import CSV and the mapping file.
 *
 * Cognito's format, as its developer guide states it: the header is `GetCSVHeader`'s list in that
 * order and every column is present on every line; values are never quoted; a comma inside a value is
 * written as backslash-comma; UTF-8 without BOM; at most 16,000 characters per line. Values are
 * rendered by csv-stringify with quoting off and the comma escape applied as a cast.
 *
 * What the format cannot carry is refused per user, with a reason naming the column only (never the
 * value): a line break (it would end the record), a backslash right before a comma or at the end of
 * a value (Cognito would read it, with the comma we add, as an escaped comma and shift every later
 * column), and whitespace or a control character at either end of a value: Cognito's developer guide
 * ("Creating the user import CSV file") states that the import trims leading and trailing whitespace,
 * so `"  padded  "` would come back as `"padded"`. Which characters the trim removes is not documented
 * beyond that; both readings are refused: Java's `String.trim` (every code point up to U+0020: space,
 * tab, the other C0 control characters) and Unicode whitespace (next line, no-break space, the U+2000 spaces,
 * line and paragraph separators, ideographic space, the byte-order mark). Such a user is created with
 * AdminCreateUser, which stores values as given.
 * A user without a pseudo username is refused too instead of being written as `undefined`.
 */
import { stringify, type Options } from 'csv-stringify/sync';
import type { BackupUserItem } from './types';

export const USERNAME_COLUMN = 'cognito:username';
export const MFA_COLUMN = 'cognito:mfa_enabled';
/** Columns that Cognito requires and that default to `false` when the user has no such attribute. */
const FALSE_BY_DEFAULT = new Set(['email_verified', 'phone_number_verified']);
export const MAX_LINE_CHARACTERS = 16_000;
export const MAPPING_HEADER = 'userImportCsvLineNumber,userSub\n';

const CSV_OPTIONS: Options = {
  delimiter: ',',
  record_delimiter: '\n',
  eof: true,
  header: false,
  quote: false,
  // csv-stringify doubles its escape character inside fields it would quote. Quoting is off and
  // Cognito knows no escape besides backslash-comma (the cast below), so the escape character is one
  // that validated values never contain.
  escape: '\n',
  cast: { string: (value) => value.replaceAll(',', '\\,') },
};

export type CsvLine = { line: string } | { rejected: string };

export function headerLine(header: readonly string[]): string {
  return stringify([[...header]], CSV_OPTIONS);
}

/** The value of the attribute `sub`, or undefined. */
export function userSub(item: BackupUserItem): string | undefined {
  const value = item.userAttributes?.find((attribute) => attribute?.Name === 'sub')?.Value;
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

/** Strings as they are, numbers and booleans as text; anything else counts as absent. */
function text(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

/** A character the import's trim may remove: a code point up to U+0020, or Unicode whitespace. */
export function isTrimmed(character: string): boolean {
  return character.charCodeAt(0) <= 0x20 || /^[\s\u0085]$/u.test(character);
}

/** Why `value` cannot be written in `column`, or undefined when it can. */
function unrepresentable(column: string, value: string): string | undefined {
  if (/[\r\n]/.test(value)) return `the value of ${column} contains a line break`;
  if (/\\(,|$)/.test(value)) return `the value of ${column} has a backslash before a comma or at its end`;
  if (value !== '' && (isTrimmed(value.charAt(0)) || isTrimmed(value.charAt(value.length - 1))))
    return `the value of ${column} begins or ends with whitespace or a control character, which the import trims`;
  return undefined;
}

/**
 * One CSV line (with its line end) for `item` under `header`, or the reason it cannot be written.
 * `mfaEnabled` is the `cognito:mfa_enabled` value (csv-rules.ts chooses it from the target pool).
 */
export function userLine(header: readonly string[], item: BackupUserItem, mfaEnabled = false): CsvLine {
  const username = text(item.pseudoUsername);
  if (username === undefined || username.trim() === '') return { rejected: 'the user has no pseudoUsername' };
  const attributes = new Map<string, string>();
  for (const attribute of item.userAttributes ?? []) {
    const name = attribute?.Name;
    const value = text(attribute?.Value);
    if (typeof name === 'string' && value !== undefined && !attributes.has(name)) attributes.set(name, value);
  }
  const values: string[] = [];
  for (const column of header) {
    let value: string;
    if (column === USERNAME_COLUMN) value = username;
    else if (column === MFA_COLUMN) value = String(mfaEnabled);
    else value = attributes.get(column) ?? (FALSE_BY_DEFAULT.has(column) ? 'false' : '');
    const problem = unrepresentable(column, value);
    if (problem) return { rejected: problem };
    values.push(value);
  }
  const line = stringify([values], CSV_OPTIONS);
  // Cheap test first: code points never outnumber UTF-16 code units.
  if (line.length - 1 > MAX_LINE_CHARACTERS && [...line].length - 1 > MAX_LINE_CHARACTERS) {
    return { rejected: `the line would be longer than Cognito's ${MAX_LINE_CHARACTERS} characters` };
  }
  return { line };
}

export function mappingLine(lineNumber: number, sub: string): string {
  return `${lineNumber},${sub}\n`;
}

/**
 * Text kept as a list of UTF-8 chunks of about `chunkBytes` each, never one large string: a full file
 * (100 MB) is a hundred 1 MB buffers, streamed as they are to the upload.
 */
export class ChunkedText {
  private readonly done: Buffer[] = [];
  private pending: string[] = [];
  private pendingBytes = 0;
  private total = 0;

  constructor(private readonly chunkBytes = 1 << 20) {}

  append(text: string): void {
    const bytes = Buffer.byteLength(text);
    this.pending.push(text);
    this.pendingBytes += bytes;
    this.total += bytes;
    if (this.pendingBytes >= this.chunkBytes) this.flush();
  }

  get byteLength(): number {
    return this.total;
  }

  chunks(): Buffer[] {
    this.flush();
    return [...this.done];
  }

  private flush(): void {
    if (this.pending.length === 0) return;
    this.done.push(Buffer.from(this.pending.join('')));
    this.pending = [];
    this.pendingBytes = 0;
  }
}
