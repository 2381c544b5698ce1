// SPDX-License-Identifier: Apache-2.0
/**
 * Cognito's user-import CSV format: UTF-8 without BOM, values never quoted, a comma inside a value
 * written as `\,`, leading and trailing whitespace trimmed, `\n` or `\r\n` line ends. There is no
 * escape for a backslash itself, so a value cannot end with one; any other backslash is literal.
 */

export const MAX_CSV_BYTES = 100 * 1024 * 1024;
export const MAX_CSV_USERS = 500_000;
export const MAX_CSV_ROW_CHARS = 16_000;

/** Trims control characters and spaces (Java's `trim`): a byte-order mark is not whitespace here. */
function trimValue(value: string): string {
  let start = 0;
  let end = value.length;
  while (start < end && value.charCodeAt(start) <= 0x20) start += 1;
  while (end > start && value.charCodeAt(end - 1) <= 0x20) end -= 1;
  return value.slice(start, end);
}

/** Splits one line into trimmed values, turning `\,` into a literal comma. */
export function splitCsvLine(line: string): string[] {
  const values: string[] = [];
  let current = '';
  for (let i = 0; i < line.length; i += 1) {
    const ch = line.charAt(i);
    if (ch === '\\' && line[i + 1] === ',') {
      current += ',';
      i += 1;
    } else if (ch === ',') {
      values.push(trimValue(current));
      current = '';
    } else {
      current += ch;
    }
  }
  values.push(trimValue(current));
  return values;
}

export interface CsvLine {
  /** 1-based line number in the file (the header is line 1). */
  lineNumber: number;
  text: string;
}

export type DecodeResult = { ok: true; header: string[]; rows: CsvLine[] } | { ok: false; message: string };

/** Decodes and splits a whole upload; a failure message names no user data. */
export function decodeCsv(body: Buffer): DecodeResult {
  if (body.length === 0) return { ok: false, message: 'The CSV file is empty.' };
  if (body.length > MAX_CSV_BYTES) return { ok: false, message: 'The CSV file is larger than 100 MB.' };
  let text: string;
  try {
    // ignoreBOM keeps a byte-order mark in the text, so the header check rejects it as Cognito does.
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(body);
  } catch {
    return { ok: false, message: 'The CSV file is not valid UTF-8.' };
  }
  const lines = text.split(/\r?\n/);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const headerLine = lines[0] ?? '';
  const rows: CsvLine[] = [];
  for (let i = 1; i < lines.length; i += 1) {
    const line = lines[i] as string;
    if (line.trim() !== '') rows.push({ lineNumber: i + 1, text: line });
  }
  if (rows.length > MAX_CSV_USERS) {
    return { ok: false, message: `The CSV file has more than ${MAX_CSV_USERS} users.` };
  }
  return { ok: true, header: headerLine.split(',').map(trimValue), rows };
}

/** Compares an uploaded header with the pool's (order free, all columns required, none extra). */
export function headerProblem(uploaded: readonly string[], expected: readonly string[]): string | undefined {
  const wanted = new Set(expected);
  const seen = new Set<string>();
  const unknown: string[] = [];
  const duplicated: string[] = [];
  for (const column of uploaded) {
    if (seen.has(column)) duplicated.push(column);
    seen.add(column);
    if (!wanted.has(column)) unknown.push(column);
  }
  const missing = expected.filter((c) => !seen.has(c));
  if (missing.length === 0 && unknown.length === 0 && duplicated.length === 0) return undefined;
  const parts = [
    missing.length > 0 ? `missing columns: ${missing.join(' ')}` : '',
    unknown.length > 0 ? `unknown columns: ${unknown.map((c) => JSON.stringify(c)).join(' ')}` : '',
    duplicated.length > 0 ? `duplicated columns: ${duplicated.join(' ')}` : '',
  ].filter(Boolean);
  return `The header of the CSV file does not match the user pool's CSV header (${parts.join('; ')}).`;
}
