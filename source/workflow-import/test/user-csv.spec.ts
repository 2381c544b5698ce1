// SPDX-License-Identifier: Apache-2.0
import { ChunkedText, headerLine, MAPPING_HEADER, mappingLine, userLine, userSub } from '../lib/user-csv';
import { userItem } from './support';

const HEADER = [
  'cognito:username',
  'name',
  'given_name',
  'email',
  'email_verified',
  'phone_number',
  'phone_number_verified',
  'cognito:mfa_enabled',
  'custom:note',
  'locale',
];

describe('userLine', () => {
  it('writes a user with commas, quotes, non-ASCII and an empty optional attribute exactly as Cognito expects', () => {
    const item = userItem(1, {
      pseudoUsername: 'jöhn.doe',
      userAttributes: [
        { Name: 'sub', Value: 'sub-1' },
        { Name: 'name', Value: 'Doe, John "JD"' },
        { Name: 'given_name', Value: 'Jöhn, Ünïcødé 東京' },
        { Name: 'email', Value: 'john@example.com' },
        { Name: 'email_verified', Value: 'true' },
        { Name: 'custom:note', Value: '' },
      ],
    });
    expect(userLine(HEADER, item)).toEqual({
      line: 'jöhn.doe,Doe\\, John "JD",Jöhn\\, Ünïcødé 東京,john@example.com,true,,false,false,,\n',
    });
  });

  it('has one value per header column, in header order, whatever the attribute order', () => {
    const header = ['custom:b', 'cognito:username', 'custom:a', 'cognito:mfa_enabled'];
    const item = userItem(2, {
      pseudoUsername: 'u2',
      userAttributes: [
        { Name: 'custom:a', Value: 'A' },
        { Name: 'custom:b', Value: 'B' },
        { Name: 'sub', Value: 's' },
        { Name: 'identities', Value: '[]' },
      ],
    });
    const result = userLine(header, item);
    expect(result).toEqual({ line: 'B,u2,A,false\n' });
  });

  it('defaults the verification columns to false and sets cognito:mfa_enabled to false', () => {
    const item = userItem(3, { pseudoUsername: 'u3', userAttributes: [{ Name: 'sub', Value: 's' }] });
    expect(
      userLine(['cognito:username', 'email_verified', 'phone_number_verified', 'cognito:mfa_enabled'], item),
    ).toEqual({
      line: 'u3,false,false,false\n',
    });
  });

  it.each([
    ['a line feed', 'two\nlines', 'the value of name contains a line break'],
    ['a carriage return', 'two\rlines', 'the value of name contains a line break'],
    ['a backslash before a comma', 'a\\,b', 'the value of name has a backslash before a comma or at its end'],
    ['a trailing backslash', 'ends\\', 'the value of name has a backslash before a comma or at its end'],
  ])('refuses a user whose value holds %s (the file would be corrupted)', (_what, value, reason) => {
    const item = userItem(4, {
      userAttributes: [
        { Name: 'sub', Value: 's' },
        { Name: 'name', Value: value },
      ],
    });
    expect(userLine(HEADER, item)).toEqual({ rejected: reason });
  });

  it('escapes every comma of a value, so Cognito reads one field per column', () => {
    const header = ['cognito:username', 'address', 'custom:tags', 'cognito:mfa_enabled'];
    const item = userItem(6, {
      pseudoUsername: 'u6',
      userAttributes: [
        { Name: 'address', Value: '1 Main St, Apt 4, Springfield, IL' },
        { Name: 'custom:tags', Value: ',a,,b,' },
      ],
    });
    const result = userLine(header, item);
    expect(result).toEqual({ line: 'u6,1 Main St\\, Apt 4\\, Springfield\\, IL,\\,a\\,\\,b\\,,false\n' });
    // Cognito splits a line at the commas without a backslash before them, and unescapes the rest.
    const fields = 'line' in result ? result.line.trimEnd().split(/(?<!\\),/) : [];
    expect(fields.map((field) => field.replaceAll('\\,', ','))).toEqual([
      'u6',
      '1 Main St, Apt 4, Springfield, IL',
      ',a,,b,',
      'false',
    ]);
  });

  /** Every character the import's trim may remove, but line breaks (refused as such). */
  const TRIMMED = [
    ...Array.from({ length: 0x21 }, (_, code) => String.fromCharCode(code)).filter(
      (c) => c !== '\n' && c !== '\r',
    ),
    '\u0085',
    '\u00a0',
    '\u1680',
    ...Array.from({ length: 11 }, (_, i) => String.fromCharCode(0x2000 + i)),
    '\u2028',
    '\u2029',
    '\u202f',
    '\u205f',
    '\u3000',
    '\ufeff',
  ].map((character) => [`U+${character.charCodeAt(0).toString(16).padStart(4, '0')}`, character]);

  it.each(TRIMMED)(
    'refuses a value that begins or ends with %s, which the import would trim',
    (_code, character) => {
      const reason =
        'the value of name begins or ends with whitespace or a control character, which the import trims';
      for (const value of [`${character}padded`, `padded${character}`, `${character}${character}`]) {
        const item = userItem(4, {
          userAttributes: [
            { Name: 'sub', Value: 's' },
            { Name: 'name', Value: value },
          ],
        });
        expect(userLine(HEADER, item)).toEqual({ rejected: reason });
      }
      expect(userLine(HEADER, userItem(4, { pseudoUsername: `${character}u4` }))).toEqual({
        rejected:
          'the value of cognito:username begins or ends with whitespace or a control character, which the import trims',
      });
    },
  );

  it('keeps whitespace inside a value, and other characters at its ends', () => {
    const item = userItem(5, {
      pseudoUsername: 'u5',
      userAttributes: [{ Name: 'name', Value: '\u00e9l\u00e8ve  de\tla classe!' }],
    });
    expect(userLine(['cognito:username', 'name'], item)).toEqual({
      line: 'u5,\u00e9l\u00e8ve  de\tla classe!\n',
    });
  });

  it('keeps a backslash that is neither before a comma nor at the end', () => {
    const item = userItem(5, { pseudoUsername: 'u5', userAttributes: [{ Name: 'name', Value: 'C:\\dir' }] });
    expect(userLine(['cognito:username', 'name'], item)).toEqual({ line: 'u5,C:\\dir\n' });
  });

  it.each([undefined, null, '', '   ', { nested: true }])(
    'refuses a user whose pseudoUsername is %p instead of writing "undefined"',
    (pseudoUsername) => {
      const result = userLine(HEADER, userItem(6, { pseudoUsername }));
      expect(result).toEqual({ rejected: 'the user has no pseudoUsername' });
    },
  );

  it('writes numbers and booleans as text and treats other value types as absent', () => {
    const item = userItem(7, {
      pseudoUsername: 1234,
      userAttributes: [
        { Name: 'custom:n', Value: 5 },
        { Name: 'custom:b', Value: true },
        { Name: 'custom:o', Value: { x: 1 } },
        {},
      ],
    });
    expect(userLine(['cognito:username', 'custom:n', 'custom:b', 'custom:o'], item)).toEqual({
      line: '1234,5,true,\n',
    });
  });

  it("refuses a line longer than Cognito's 16,000 characters and accepts one of exactly 16,000", () => {
    const exact = userItem(8, {
      pseudoUsername: 'u',
      userAttributes: [{ Name: 'name', Value: 'x'.repeat(15_998) }],
    });
    expect(userLine(['cognito:username', 'name'], exact)).toEqual({ line: `u,${'x'.repeat(15_998)}\n` });
    const long = userItem(8, {
      pseudoUsername: 'u',
      userAttributes: [{ Name: 'name', Value: 'x'.repeat(15_999) }],
    });
    expect(userLine(['cognito:username', 'name'], long)).toEqual({
      rejected: "the line would be longer than Cognito's 16000 characters",
    });
    // Counted in characters, not UTF-16 units: 8,000 emoji are 16,000 units but 8,000 characters.
    const wide = userItem(8, {
      pseudoUsername: 'u',
      userAttributes: [{ Name: 'name', Value: '😀'.repeat(8_000) }],
    });
    expect('line' in userLine(['cognito:username', 'name'], wide)).toBe(true);
  });

  it('takes the first value when an attribute name repeats', () => {
    const item = userItem(9, {
      pseudoUsername: 'u',
      userAttributes: [
        { Name: 'name', Value: 'first' },
        { Name: 'name', Value: 'second' },
      ],
    });
    expect(userLine(['cognito:username', 'name'], item)).toEqual({ line: 'u,first\n' });
  });
});

describe('headerLine, mapping and sub', () => {
  it('writes the GetCSVHeader columns in order, comma-separated, with a line feed', () => {
    expect(headerLine(HEADER)).toBe(`${HEADER.join(',')}\n`);
  });

  it('writes the mapping file lines', () => {
    expect(MAPPING_HEADER).toBe('userImportCsvLineNumber,userSub\n');
    expect(mappingLine(3, 'abc')).toBe('3,abc\n');
  });

  it('reads the sub attribute', () => {
    expect(userSub(userItem(1, { userAttributes: [{ Name: 'sub', Value: 'the-sub' }] }))).toBe('the-sub');
    expect(userSub(userItem(1, { userAttributes: [{ Name: 'email', Value: 'x' }] }))).toBeUndefined();
    expect(userSub(userItem(1, { userAttributes: [{ Name: 'sub', Value: ' ' }] }))).toBeUndefined();
    expect(userSub({})).toBeUndefined();
  });
});

describe('ChunkedText', () => {
  it('keeps text as bounded chunks and counts UTF-8 bytes', () => {
    const text = new ChunkedText(1000);
    const line = `${'é'.repeat(99)}\n`; // 199 bytes
    for (let i = 0; i < 50; i += 1) text.append(line);
    expect(text.byteLength).toBe(50 * 199);
    const chunks = text.chunks();
    expect(chunks.length).toBe(9); // six lines (1,194 bytes) pass the 1,000-byte mark; 50 = 8 × 6 + 2
    for (const part of chunks) expect(part.length).toBeLessThan(1000 + 199);
    expect(Buffer.concat(chunks).toString()).toBe(line.repeat(50));
    expect(text.chunks()).toEqual(chunks); // a second look changes nothing
  });
});
