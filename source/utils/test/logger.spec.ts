// SPDX-License-Identifier: Apache-2.0
import { captureLogs } from '../../test-support/capture-logs';
import { createLogger, REDACTED, scrub } from '../logger';

describe('logger', () => {
  it('writes one JSON object per line with level, time, message and fields', () => {
    const out = captureLogs();
    const logger = createLogger({ fn: 'export-users' }, { write: out.write, now: () => 0 });
    logger.info('Page exported', { users: 'ignored', userCount: 60 });
    expect(out.entries()).toEqual([
      {
        level: 'info',
        time: '1970-01-01T00:00:00.000Z',
        message: 'Page exported',
        fn: 'export-users',
        users: REDACTED,
        userCount: 60,
      },
    ]);
  });

  it('never prints attribute values, emails, phone numbers or usernames', () => {
    const out = captureLogs();
    const logger = createLogger({}, { write: out.write });
    logger.error('Failed for jane.doe@example.com at +1 206 555 0100', {
      userAttributes: [{ Name: 'email', Value: 'jane.doe@example.com' }],
      nested: {
        Attributes: [{ Name: 'phone_number', Value: '+12065550100' }],
        email: 'a@b.co',
        pseudoUsername: 'jane',
      },
      error: Object.assign(new Error('User jane.doe@example.com does not exist'), {
        name: 'UserNotFoundException',
        $metadata: { httpStatusCode: 400, requestId: 'req-1' },
        cause: new Error('inner +44 20 7946 0958'),
      }),
      note: 'call +33 1 23 45 67 89 later',
    });
    const text = out.text();
    for (const secret of [
      'jane.doe@example.com',
      '+12065550100',
      '2065550100',
      'a@b.co',
      '"jane"',
      '7946',
      '45 67 89',
    ]) {
      expect(text).not.toContain(secret);
    }
    const [entry] = out.lines.map((line) => JSON.parse(line));
    expect(entry.error).toEqual({
      name: 'UserNotFoundException',
      message: 'User [email] does not exist',
      httpStatusCode: 400,
      requestId: 'req-1',
      cause: { name: 'Error', message: 'inner [phone]' },
    });
    expect(entry.nested.Attributes).toBe(REDACTED);
  });

  it('logs counts under collection names (the cleanup counts) and still redacts the values themselves', () => {
    const out = captureLogs();
    const logger = createLogger({}, { write: out.write });
    logger.info('Queued stale backup items for removal', {
      counts: { Users: 12, StaleUsers: 1, Groups: 3, Memberships: 40 },
      items: 7,
      attributes: 0,
      users: ['jane'],
      values: -1,
      Items: 2.5,
      value: 42,
      phone_number: 12065550100,
      email: 3,
    });
    const [entry] = out.entries();
    expect(entry).toMatchObject({
      counts: { Users: 12, StaleUsers: 1, Groups: 3, Memberships: 40 },
      items: 7,
      attributes: 0,
      users: REDACTED,
      values: REDACTED,
      Items: REDACTED,
      value: REDACTED,
      phone_number: REDACTED,
      email: REDACTED,
    });
    expect(out.text()).not.toContain('12065550100');
  });

  it('filters below the configured level and carries child fields', () => {
    const out = captureLogs();
    const logger = createLogger({ a: 1 }, { write: out.write, level: 'warn' }).child({ b: 2 });
    logger.debug('d');
    logger.info('i');
    logger.warn('w');
    logger.error('e');
    expect(out.entries().map((e) => [e.level, e.a, e.b])).toEqual([
      ['warn', 1, 2],
      ['error', 1, 2],
    ]);
  });

  it('takes the level from AWS_LAMBDA_LOG_LEVEL when none is given', () => {
    const out = captureLogs();
    process.env.AWS_LAMBDA_LOG_LEVEL = 'ERROR';
    try {
      const logger = createLogger({}, { write: out.write });
      logger.warn('hidden');
      logger.error('shown');
    } finally {
      delete process.env.AWS_LAMBDA_LOG_LEVEL;
    }
    expect(out.entries().map((e) => e.message)).toEqual(['shown']);
  });

  it('cuts very deep structures instead of walking them', () => {
    const out = captureLogs();
    let deep: Record<string, unknown> = { leaf: 1 };
    for (let i = 0; i < 10; i += 1) deep = { next: deep };
    createLogger({}, { write: out.write }).info('deep', { deep });
    expect(out.lines[0]).toContain('[depth]');
  });

  it('writes to stdout by default', () => {
    const spy = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      createLogger().info('to stdout');
      expect(spy).toHaveBeenCalledWith(expect.stringContaining('"message":"to stdout"'));
    } finally {
      spy.mockRestore();
    }
  });

  it.each([
    ['an address in Latin with diacritics', 'to jürgen.müller@bücher.de now', 'to [email] now'],
    ['an address in Cyrillic', 'Иван@почта.рф', '[email]'],
    ['an address in CJK', '用户@例子.广告 x', '[email] x'],
    ['a national number with dashes', 'call 555-123-4567', 'call [phone]'],
    ['a number in parentheses and groups', 'call (555) 123 4567.', 'call [phone].'],
    ['a run of ten digits', 'phone 0612345678', 'phone [phone]'],
    ['pairs of digits', 'tel 06 12 34 56 78', 'tel [phone]'],
    ['an international number', '+33 6 12 34 56 78', '[phone]'],
  ])('scrubs %s', (_case, text, expected) => {
    expect(scrub(text)).toBe(expected);
  });

  it.each([
    'at 2026-11-26T12:00:00.000Z',
    'on 2026-11-26',
    'arn:aws:sqs:us-east-1:123456789012:queue',
    'https://sqs.us-east-2.amazonaws.com/111122223333/queue',
    'users 1000 of 70000, 613 imported in 12.345 s',
    'execution 12345678-1234-4234-9234-123456789012',
    'pool us-east-2_AbC123, job import-H93AN8HqA4, version 1.0.10',
  ])('leaves identifiers, dates and counts alone: %s', (text) => {
    expect(scrub(text)).toBe(text);
  });

  it('scrubs free text', () => {
    expect(scrub('mail x.y+z@sub.example.org or +49 (30) 1234-5678')).toBe('mail [email] or [phone]');
  });
});
