// SPDX-License-Identifier: Apache-2.0
/**
 * User import jobs on the emulator: the CSV round trip the import Lambda performs (GetCSVHeader,
 * CreateUserImportJob, PUT to the pre-signed URL, StartUserImportJob, DescribeUserImportJob) with
 * Cognito's CSV rules, and the failure, skip and status behaviour.
 */
import {
  CognitoIdentityProviderClient,
  CreateUserImportJobCommand,
  DescribeUserImportJobCommand,
  DescribeUserPoolCommand,
  GetCSVHeaderCommand,
  ListUserImportJobsCommand,
  ListUsersCommand,
  StartUserImportJobCommand,
  StopUserImportJobCommand,
  type UserImportJobType,
  type UserType,
} from '@aws-sdk/client-cognito-identity-provider';
import {
  COMPLETION_MESSAGES,
  DEFAULT_IMPORT_FAILURE_THRESHOLD,
  ROW_RULES,
  startCognitoEmulator,
  type CognitoEmulator,
  type NewUser,
  type RowRule,
} from '../cognito';
import { allPages, cognitoClientFor, errorName, withCognito } from '../cognito/testing';

const ROLE_ARN = 'arn:aws:iam::000000000000:role/CognitoImportLogs';
let clock = Date.UTC(2026, 10, 1);
let emulator: CognitoEmulator;
let client: CognitoIdentityProviderClient;

beforeAll(async () => {
  emulator = await startCognitoEmulator({ throttling: 'off', now: () => clock, importRowsPerTick: 1 });
  client = cognitoClientFor(emulator.endpoint);
});

afterAll(async () => {
  client.destroy();
  await emulator.stop();
});

/** Users whose values stress the format: commas, non-ASCII, quotes, custom attributes. */
function sourceUsers(count: number): NewUser[] {
  return Array.from({ length: count }, (_, i) => ({
    username: `user-${i}`,
    enabled: i % 7 !== 0,
    attributes: {
      email: `user${i}@example.com`,
      email_verified: i % 2 === 0 ? 'true' : 'false',
      ...(i % 2 === 1
        ? { phone_number: `+1555${String(i).padStart(7, '0')}`, phone_number_verified: 'true' }
        : {}),
      name: i % 3 === 0 ? `Zoë "Z", Ünal ${i}` : `Name ${i}`,
      family_name: i % 5 === 0 ? '東京, 日本' : 'Smith',
      'custom:tenant': i % 4 === 0 ? 'a,b,,c' : `tenant ${i}`,
    },
  }));
}

/** The CSV as the import Lambda writes it. */
function buildCsv(header: string[], users: UserType[], usernameOf: (u: UserType) => string): string {
  const escape = (v: string): string => v.replace(/,/g, '\\,');
  const lines = users.map((user) => {
    const attributes = new Map((user.Attributes ?? []).map((a) => [a.Name ?? '', a.Value ?? '']));
    return header
      .map((column) => {
        if (column === 'cognito:username') return escape(usernameOf(user));
        if (column === 'cognito:mfa_enabled') return 'false';
        if (column === 'email_verified' || column === 'phone_number_verified')
          return attributes.get(column) ?? 'false';
        return escape(attributes.get(column) ?? '');
      })
      .join(',');
  });
  return `${header.join(',')}\n${lines.join('\n')}\n`;
}

async function listUsers(poolId: string): Promise<UserType[]> {
  const pages = await allPages(
    (token) => client.send(new ListUsersCommand({ UserPoolId: poolId, Limit: 60, PaginationToken: token })),
    (page) => page.PaginationToken,
  );
  return pages.flatMap((page) => page.Users ?? []);
}

async function createJob(poolId: string, via = client): Promise<UserImportJobType> {
  const created = await via.send(
    new CreateUserImportJobCommand({
      UserPoolId: poolId,
      JobName: 'restore',
      CloudWatchLogsRoleArn: ROLE_ARN,
    }),
  );
  return created.UserImportJob ?? {};
}

function put(url: string, body: string | Buffer): Promise<Response> {
  return fetch(url, { method: 'PUT', headers: { 'x-amz-server-side-encryption': 'aws:kms' }, body });
}

async function runJob(poolId: string, csv: string | Buffer): Promise<UserImportJobType> {
  const job = await createJob(poolId);
  expect((await put(job.PreSignedUrl ?? '', csv)).status).toBe(200);
  await client.send(new StartUserImportJobCommand({ UserPoolId: poolId, JobId: job.JobId }));
  await emulator.waitForImportJob(job.JobId ?? '');
  return (
    (await client.send(new DescribeUserImportJobCommand({ UserPoolId: poolId, JobId: job.JobId })))
      .UserImportJob ?? {}
  );
}

const attributesOf = (user: UserType): Record<string, string> =>
  Object.fromEntries((user.Attributes ?? []).map((a) => [a.Name ?? '', a.Value ?? '']));

describe('CSV round trip', () => {
  it('GetCSVHeader lists the standard attributes, custom ones, then cognito:mfa_enabled and cognito:username', async () => {
    const { poolId } = emulator.seed({ userPool: { customAttributes: ['tenant', 'plan'] } });
    const header = (await client.send(new GetCSVHeaderCommand({ UserPoolId: poolId }))).CSVHeader ?? [];
    expect(header.slice(0, 3)).toEqual(['name', 'given_name', 'family_name']);
    expect(header.slice(-4)).toEqual([
      'custom:tenant',
      'custom:plan',
      'cognito:mfa_enabled',
      'cognito:username',
    ]);
    expect(header).toContain('email_verified');
    expect(header).not.toContain('sub');
  });

  it('imports users exported with ListUsers: escaped commas, non-ASCII, statuses Pending → InProgress → Succeeded', async () => {
    const source = emulator.seed({ userPool: { customAttributes: ['tenant'] }, users: sourceUsers(300) });
    const target = emulator.seed({ userPool: { customAttributes: ['tenant'] } });
    const exported = await listUsers(source.poolId);
    const header =
      (await client.send(new GetCSVHeaderCommand({ UserPoolId: target.poolId }))).CSVHeader ?? [];
    const csv = buildCsv(header, exported, (u) => u.Username ?? '');

    const job = await createJob(target.poolId);
    expect(job.JobId).toMatch(/^import-[0-9A-Za-z]{10}$/);
    expect(job.Status).toBe('Created');
    expect(job.PreSignedUrl?.startsWith(`${emulator.endpoint}/`)).toBe(true);
    const upload = await put(job.PreSignedUrl ?? '', csv);
    expect(upload.status).toBe(200);
    expect(upload.headers.get('etag')).toMatch(/^"[0-9a-f]{32}"$/);

    const started = await client.send(
      new StartUserImportJobCommand({ UserPoolId: target.poolId, JobId: job.JobId }),
    );
    expect(started.UserImportJob?.Status).toBe('Pending');
    expect(started.UserImportJob?.StartDate).toEqual(new Date(clock));
    const running = await client.send(
      new DescribeUserImportJobCommand({ UserPoolId: target.poolId, JobId: job.JobId }),
    );
    expect(running.UserImportJob?.Status).toBe('InProgress');
    await emulator.waitForImportJob(job.JobId ?? '');
    const done = (
      await client.send(new DescribeUserImportJobCommand({ UserPoolId: target.poolId, JobId: job.JobId }))
    ).UserImportJob;
    expect(done).toMatchObject({
      Status: 'Succeeded',
      ImportedUsers: 300,
      SkippedUsers: 0,
      FailedUsers: 0,
      CompletionMessage: COMPLETION_MESSAGES.succeeded,
    });
    expect(done?.CompletionDate).toBeInstanceOf(Date);

    const imported = new Map((await listUsers(target.poolId)).map((u) => [u.Username, u]));
    expect(imported.size).toBe(300);
    for (const original of exported) {
      const copy = imported.get(original.Username);
      expect(copy?.UserStatus).toBe('RESET_REQUIRED');
      expect(copy?.Enabled).toBe(true);
      const { sub: oldSub, ...expected } = attributesOf(original);
      const { sub: newSub, ...actual } = attributesOf(copy ?? {});
      expect(newSub).not.toBe(oldSub);
      expect(actual).toEqual({
        ...expected,
        email_verified: expected.email_verified ?? 'false',
        phone_number_verified: expected.phone_number_verified ?? 'false',
      });
    }
    expect(attributesOf(imported.get('user-0') ?? {})).toMatchObject({
      name: 'Zoë "Z", Ünal 0',
      family_name: '東京, 日本',
      'custom:tenant': 'a,b,,c',
    });
  });

  it('imports into an email-as-username pool: cognito:username is the email, Username becomes the new sub', async () => {
    const target = emulator.seed({ userPool: { usernameAttributes: ['email'] } });
    const header =
      (await client.send(new GetCSVHeaderCommand({ UserPoolId: target.poolId }))).CSVHeader ?? [];
    const row = (values: Record<string, string>): string => header.map((c) => values[c] ?? '').join(',');
    const csv = [
      header.join(','),
      row({
        'cognito:username': 'ann@example.com',
        email: 'ann@example.com',
        email_verified: 'true',
        'cognito:mfa_enabled': 'false',
      }),
      row({
        'cognito:username': 'bob@example.com',
        email: 'other@example.com',
        email_verified: 'true',
        'cognito:mfa_enabled': 'false',
      }),
      row({
        'cognito:username': 'not-an-email',
        email_verified: 'false',
        phone_number: '+15550001',
        phone_number_verified: 'true',
        'cognito:mfa_enabled': 'false',
      }),
    ].join('\r\n');
    const job = await runJob(target.poolId, csv);
    expect(job).toMatchObject({ ImportedUsers: 1, FailedUsers: 2, Status: 'Failed' });
    const [ann] = await listUsers(target.poolId);
    expect(ann?.Username).toBe(attributesOf(ann ?? {}).sub);
    expect(attributesOf(ann ?? {}).email).toBe('ann@example.com');
    expect(emulator.importJobLog(job.JobId ?? '').map((l) => l.line)).toEqual([3, 4]);
  });
});

describe('CSV rules and failure counts', () => {
  let poolId: string;
  let header: string[];
  const row = (values: Record<string, string>): string =>
    header.map((c) => (values[c] ?? '').replace(/,/g, '\\,')).join(',');
  const valid = (username: string, extra: Record<string, string> = {}): Record<string, string> => ({
    'cognito:username': username,
    'cognito:mfa_enabled': 'false',
    email: `${username}@example.com`,
    email_verified: 'true',
    ...extra,
  });

  beforeAll(async () => {
    poolId = emulator.seed({ users: [{ username: 'existing' }] }).poolId;
    header = (await client.send(new GetCSVHeaderCommand({ UserPoolId: poolId }))).CSVHeader ?? [];
  });

  it('fails users Cognito would fail and counts them; most rows refused fails the job', async () => {
    const lines = [
      header.join(','),
      row(valid('ok-1')),
      row(valid('unverified', { email_verified: 'false', phone_number_verified: 'false' })),
      row(valid('ok-1')),
      row(valid('existing')),
      row(valid('mfa', { 'cognito:mfa_enabled': 'true' })),
      `${row(valid('short'))},extra`,
      row(valid('no-email', { email: '' })),
      row(
        valid('phone-only', {
          email_verified: 'false',
          phone_number: '+15550002',
          phone_number_verified: 'TRUE',
        }),
      ),
      row(valid('bad-flag', { email_verified: 'yes' })),
      row(valid('with space')),
      row(valid('ok-2', { name: '  padded  ' })),
      '',
    ];
    const job = await runJob(poolId, lines.join('\n'));
    expect(job).toMatchObject({
      Status: 'Failed',
      ImportedUsers: 3,
      FailedUsers: 8,
      SkippedUsers: 0,
      CompletionMessage: 'Too many users have failed or been skipped during the import.',
    });
    expect(emulator.importJobLog(job.JobId ?? '').map((l) => l.line)).toEqual([3, 4, 5, 6, 7, 8, 10, 11]);
    const log = emulator.importJobLog(job.JobId ?? '');
    expect(log[0]?.reason).toBe('The user does not set any of the auto verified attributes to verified.');
    for (const entry of log) expect(entry.reason).not.toMatch(/@example\.com|ok-1|existing/);
    const users = new Map((await listUsers(poolId)).map((u) => [u.Username, attributesOf(u)]));
    expect(users.get('phone-only')?.phone_number_verified).toBe('true');
    expect(users.get('ok-2')?.name).toBe('padded');
  });

  it('refuses a row without a value for an attribute the pool requires, and DescribeUserPool marks it Required', async () => {
    const strict = emulator.seed({ userPool: { requiredAttributes: ['given_name'] } }).poolId;
    const described = await client.send(new DescribeUserPoolCommand({ UserPoolId: strict }));
    expect(described.UserPool?.SchemaAttributes?.find((a) => a.Name === 'given_name')?.Required).toBe(true);
    const csv = [
      header.join(','),
      row(valid('named-1', { given_name: 'Ana' })),
      row(valid('nameless')),
      row(valid('named-2', { given_name: 'Bo' })),
    ].join('\n');
    const job = await runJob(strict, csv);
    expect(job).toMatchObject({ Status: 'Succeeded', ImportedUsers: 2, FailedUsers: 1 });
    expect(emulator.importJobLog(job.JobId ?? '')).toEqual([
      { line: 3, reason: 'The user is missing a value for an attribute the user pool requires.' },
    ]);
  });

  it('counts a refused row and goes on: the job ends Succeeded with FailedUsers > 0', async () => {
    const csv = [
      header.join(','),
      row(valid('kept-1')),
      row(valid('unverified-1', { email_verified: 'false' })),
      row(valid('kept-2')),
      row(valid('kept-3')),
    ].join('\n');
    const job = await runJob(poolId, csv);
    expect(job).toMatchObject({
      Status: 'Succeeded',
      ImportedUsers: 3,
      FailedUsers: 1,
      SkippedUsers: 0,
      CompletionMessage: COMPLETION_MESSAGES.succeeded,
    });
    expect(emulator.importJobLog(job.JobId ?? '')).toEqual([
      { line: 3, reason: 'The user does not set any of the auto verified attributes to verified.' },
    ]);
    const names = (await listUsers(poolId)).map((u) => u.Username);
    expect(names).toEqual(expect.arrayContaining(['kept-1', 'kept-2', 'kept-3']));
    expect(names).not.toContain('unverified-1');
  });

  it.each([
    ['half the rows refused: Succeeded', 2, 2, 'Succeeded'],
    ['more than half refused: Failed', 1, 2, 'Failed'],
  ])('fails a job only past the threshold (%s)', async (_label, good, bad, status) => {
    expect(DEFAULT_IMPORT_FAILURE_THRESHOLD).toBe(0.5);
    const rows = [
      ...Array.from({ length: good }, (_, i) => row(valid(`share-${status}-${i}`))),
      ...Array.from({ length: bad }, (_, i) => row(valid(`share-${status}-bad-${i}`, { email: '' }))),
    ];
    const job = await runJob(poolId, [header.join(','), ...rows].join('\n'));
    expect([job.Status, job.ImportedUsers, job.FailedUsers]).toEqual([status, good, bad]);
    if (status === 'Failed') expect(job.CompletionMessage).toBe(COMPLETION_MESSAGES.tooManyFailures);
  });

  it('takes a threshold and extra row rules from its options', async () => {
    const noTestUsers: RowRule = (candidate) =>
      candidate.username.startsWith('test-') ? 'Test users are not imported.' : undefined;
    await withCognito(
      { throttling: 'off', importFailureThreshold: 0, rowRules: [...ROW_RULES, noTestUsers] },
      async (strict) => {
        const { poolId: pool } = strict.emulator.seed({});
        const job = await createJob(pool, strict.client);
        const csv = [header.join(','), row(valid('a')), row(valid('test-b')), row(valid('c'))].join('\n');
        await put(job.PreSignedUrl ?? '', csv);
        await strict.client.send(new StartUserImportJobCommand({ UserPoolId: pool, JobId: job.JobId }));
        const finished = await strict.emulator.waitForImportJob(job.JobId ?? '');
        expect([finished.status, finished.imported, finished.failed]).toEqual(['Failed', 2, 1]);
        expect(strict.emulator.importJobLog(job.JobId ?? '')).toEqual([
          { line: 3, reason: 'Test users are not imported.' },
        ]);
      },
    );
  });

  it.each([
    [
      'a missing column',
      (h: string[]) => `${h.filter((c) => c !== 'locale').join(',')}\n`,
      /missing columns: locale/,
    ],
    [
      'an unknown column',
      (h: string[]) => `${[...h, 'custom:nope'].join(',')}\n`,
      /unknown columns: "custom:nope"/,
    ],
    ['a byte-order mark', (h: string[]) => `\ufeff${h.join(',')}\n`, /unknown columns/],
    ['an empty file', () => '', /The CSV file is empty\./],
  ])('fails the job on %s', async (_label, build, message) => {
    const job = await runJob(poolId, build(header));
    expect(job.Status).toBe('Failed');
    expect(job.CompletionMessage).toMatch(message);
    expect(job.ImportedUsers).toBe(0);
  });

  it('accepts the header columns in any order', async () => {
    const reversed = [...header].reverse();
    const line = reversed.map((c) => valid('reordered')[c] ?? '').join(',');
    const job = await runJob(poolId, `${reversed.join(',')}\n${line}\n`);
    expect(job).toMatchObject({ Status: 'Succeeded', ImportedUsers: 1 });
  });

  it('fails a job started without an upload, and refuses invalid UTF-8', async () => {
    const job = await createJob(poolId);
    await client.send(new StartUserImportJobCommand({ UserPoolId: poolId, JobId: job.JobId }));
    expect((await emulator.waitForImportJob(job.JobId ?? '')).completionMessage).toBe(
      COMPLETION_MESSAGES.notUploaded,
    );
    const binary = await runJob(poolId, Buffer.from([0xff, 0xfe, 0x00]));
    expect(binary.CompletionMessage).toBe('The CSV file is not valid UTF-8.');
  });
});

describe('job lifecycle', () => {
  it('refuses bad uploads, double starts and unknown jobs', async () => {
    const { poolId } = emulator.seed({});
    const job = await createJob(poolId);
    const url = new URL(job.PreSignedUrl ?? '');
    url.searchParams.set('X-Amz-Signature', 'forged');
    const forged = await put(url.toString(), 'x');
    expect(forged.status).toBe(403);
    expect(await forged.text()).toContain('<Code>SignatureDoesNotMatch</Code>');

    clock += 16 * 60 * 1000;
    const late = await put(job.PreSignedUrl ?? '', 'x');
    expect(late.status).toBe(403);
    expect(await late.text()).toContain('Request has expired');

    await client.send(new StartUserImportJobCommand({ UserPoolId: poolId, JobId: job.JobId }));
    expect(
      await errorName(client.send(new StartUserImportJobCommand({ UserPoolId: poolId, JobId: job.JobId }))),
    ).toBe('PreconditionNotMetException');
    expect(
      await errorName(
        client.send(new DescribeUserImportJobCommand({ UserPoolId: poolId, JobId: 'import-unknown00' })),
      ),
    ).toBe('ResourceNotFoundException');
    expect(
      await errorName(
        client.send(
          new CreateUserImportJobCommand({
            UserPoolId: poolId,
            JobName: 'x',
            CloudWatchLogsRoleArn: undefined,
          }),
        ),
      ),
    ).toBe('InvalidParameterException');
  });

  it('StopUserImportJob skips the remaining rows and ends Stopped', async () => {
    const { poolId } = emulator.seed({});
    const header = (await client.send(new GetCSVHeaderCommand({ UserPoolId: poolId }))).CSVHeader ?? [];
    const rows = Array.from({ length: 2000 }, (_, i) =>
      header
        .map((c) =>
          c === 'cognito:username'
            ? `u${i}`
            : c === 'cognito:mfa_enabled'
              ? 'false'
              : c === 'email'
                ? `u${i}@x.io`
                : c === 'email_verified'
                  ? 'true'
                  : '',
        )
        .join(','),
    );
    const job = await createJob(poolId);
    await put(job.PreSignedUrl ?? '', [header.join(','), ...rows].join('\n'));
    await client.send(new StartUserImportJobCommand({ UserPoolId: poolId, JobId: job.JobId }));
    const stopping = await client.send(
      new StopUserImportJobCommand({ UserPoolId: poolId, JobId: job.JobId }),
    );
    expect(stopping.UserImportJob?.Status).toBe('Stopping');
    const stopped = await emulator.waitForImportJob(job.JobId ?? '');
    expect(stopped.status).toBe('Stopped');
    expect(stopped.skipped).toBeGreaterThan(0);
    expect(stopped.imported + stopped.skipped).toBe(2000);
    expect(
      await errorName(client.send(new StopUserImportJobCommand({ UserPoolId: poolId, JobId: job.JobId }))),
    ).toBe('PreconditionNotMetException');
  });

  it('expires a job not started within a day, and lists jobs page by page', async () => {
    const { poolId } = emulator.seed({});
    const first = await createJob(poolId);
    await createJob(poolId);
    await createJob(poolId);
    clock += 25 * 60 * 60 * 1000;
    const expired = await client.send(
      new DescribeUserImportJobCommand({ UserPoolId: poolId, JobId: first.JobId }),
    );
    expect(expired.UserImportJob?.Status).toBe('Expired');
    const page = await client.send(new ListUserImportJobsCommand({ UserPoolId: poolId, MaxResults: 2 }));
    expect(page.UserImportJobs?.map((j) => j.JobId)[0]).toBe(first.JobId);
    expect(page.UserImportJobs).toHaveLength(2);
    const rest = await client.send(
      new ListUserImportJobsCommand({
        UserPoolId: poolId,
        MaxResults: 2,
        PaginationToken: page.PaginationToken,
      }),
    );
    expect(rest.UserImportJobs).toHaveLength(1);
    expect(rest.PaginationToken).toBeUndefined();
  });
});
