// SPDX-License-Identifier: Apache-2.0
import {
  AdminCreateUserCommand,
  AdminSetUserPasswordCommand,
  CognitoIdentityProviderClient,
  CognitoIdentityProviderServiceException,
} from '@aws-sdk/client-cognito-identity-provider';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockAws } from '../../test-support/aws-mock';
import { captureLogs } from '../../test-support/capture-logs';
import { fakeClock } from '../../test-support/fake-clock';
import { RateLimitedCognito } from '../../utils/cognito';
import { SlidingWindowLimiter } from '../../utils/limiter';
import {
  createFallbackUsers,
  creationAttributes,
  ledgerKey,
  signInStep,
  type FallbackUser,
} from '../lib/admin-create';
import type { BackupUserItem } from '../lib/types';
import { POOL_ID } from './support';

const cognito = mockAws(CognitoIdentityProviderClient);
const s3 = mockAws(S3Client);
const HEADER = [
  'name',
  'email',
  'email_verified',
  'phone_number',
  'phone_number_verified',
  'custom:tenant',
  'cognito:mfa_enabled',
  'cognito:username',
];

const item = (attributes: Record<string, string>): BackupUserItem => ({
  userAttributes: Object.entries(attributes).map(([Name, Value]) => ({ Name, Value })),
});

const fallback = (n: number, reason = 'no-verified-auto-verified-attribute'): FallbackUser => ({
  sub: `sub-${n}`,
  username: `user-${n}`,
  item: item({ sub: `sub-${n}`, email: `user${n}@example.com`, email_verified: 'false' }),
  reason,
});

function awsError(name: string, fault: 'client' | 'server' = 'client') {
  return new CognitoIdentityProviderServiceException({
    name,
    $fault: fault,
    $metadata: {},
    message: 'refused',
  });
}

function deps() {
  const clock = fakeClock();
  const logs = captureLogs();
  return {
    logs,
    clock,
    deps: {
      cognito: new RateLimitedCognito(
        new CognitoIdentityProviderClient({}),
        new SlidingWindowLimiter(10, clock.now, clock.sleep),
        { now: clock.now, sleep: clock.sleep, maxAttempts: 3 },
      ),
      s3: new S3Client({}),
      logger: logs.logger(),
      config: { bucket: 'import-bucket' },
    },
  };
}

const ledgers = () =>
  s3.commandCalls(PutObjectCommand).map((call) => ({
    key: call.args[0].input.Key,
    lines: String(call.args[0].input.Body)
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as unknown),
  }));

beforeEach(() => {
  cognito.reset();
  s3.reset();
  s3.on(PutObjectCommand).resolves({});
});

describe('creationAttributes', () => {
  it('passes the stored attributes the pool has columns for, verified flags as stored, never sub', () => {
    expect(
      creationAttributes(
        item({
          sub: 's',
          email: 'a@example.com',
          email_verified: 'false',
          'custom:tenant': 'acme, inc',
          'custom:unknown': 'x',
          name: '',
        }),
        HEADER,
      ),
    ).toEqual([
      { Name: 'email', Value: 'a@example.com' },
      { Name: 'email_verified', Value: 'false' },
      { Name: 'custom:tenant', Value: 'acme, inc' },
    ]);
  });

  it('leaves out a verified flag whose attribute is absent', () => {
    expect(creationAttributes(item({ phone_number_verified: 'true', name: 'A' }), HEADER)).toEqual([
      { Name: 'name', Value: 'A' },
    ]);
  });
});

describe('createFallbackUsers', () => {
  it('writes the ledger first, then creates each user with SUPPRESS through the limiter', async () => {
    const order: string[] = [];
    s3.on(PutObjectCommand).callsFake(async () => {
      order.push('ledger');
      return {};
    });
    cognito.on(AdminCreateUserCommand).callsFake(async () => {
      order.push('create');
      return {};
    });
    const run = deps();
    const result = await createFallbackUsers(run.deps, POOL_ID, HEADER, [
      fallback(1),
      fallback(2, 'missing-required-attribute'),
    ]);
    expect(order).toEqual(['ledger', 'create', 'create']);
    expect(result).toEqual(expect.objectContaining({ created: 2, existed: 0, skipped: 0 }));
    expect(cognito).toHaveReceivedCommandWith(AdminCreateUserCommand, {
      UserPoolId: POOL_ID,
      Username: 'user-1',
      MessageAction: 'SUPPRESS',
      UserAttributes: [
        { Name: 'email', Value: 'user1@example.com' },
        { Name: 'email_verified', Value: 'false' },
      ],
    });
    expect(ledgers()).toEqual([
      {
        key: ledgerKey(POOL_ID, ['sub-1', 'sub-2']),
        lines: [
          {
            sub: 'sub-1',
            username: 'user-1',
            outcome: 'admin-create',
            reason: 'no-verified-auto-verified-attribute',
            signIn: 'administrator',
          },
          {
            sub: 'sub-2',
            username: 'user-2',
            outcome: 'admin-create',
            reason: 'missing-required-attribute',
            signIn: 'administrator',
          },
        ],
      },
    ]);
    expect(run.logs.text()).not.toMatch(/example\.com|user-\d/);
  });

  it('names the ledger after the users, so a retry with the same users rewrites the same object', () => {
    expect(ledgerKey(POOL_ID, ['b', 'a'])).toBe(ledgerKey(POOL_ID, ['a', 'b']));
    expect(ledgerKey(POOL_ID, ['a'])).not.toBe(ledgerKey(POOL_ID, ['a', 'b']));
    expect(ledgerKey(POOL_ID, ['a'])).toMatch(new RegExp(`^restore-ledger/${POOL_ID}/[0-9a-f]{32}\\.jsonl$`));
  });

  it('counts a user that already exists (a retry after a crash) as created', async () => {
    cognito.on(AdminCreateUserCommand).rejects(awsError('UsernameExistsException'));
    const result = await createFallbackUsers(deps().deps, POOL_ID, HEADER, [fallback(1)]);
    expect(result).toEqual(expect.objectContaining({ created: 0, existed: 1, skipped: 0 }));
    expect(ledgers()).toHaveLength(1);
  });

  it('reports a user Cognito refuses for its content as skipped and rewrites the ledger', async () => {
    cognito
      .on(AdminCreateUserCommand, { Username: 'user-2' })
      .rejects(awsError('InvalidParameterException'))
      .on(AdminCreateUserCommand, { Username: 'user-1' })
      .resolves({});
    const result = await createFallbackUsers(deps().deps, POOL_ID, HEADER, [fallback(1), fallback(2)]);
    expect(result.skipped).toBe(1);
    expect(ledgers().at(-1)?.lines).toEqual([
      expect.objectContaining({ sub: 'sub-1', outcome: 'admin-create' }),
      {
        sub: 'sub-2',
        username: 'user-2',
        outcome: 'skipped',
        reason: 'admin-create-refused-invalid-parameter',
      },
    ]);
  });

  // A refusal about the call (permissions, a key policy, a missing pool, a failing trigger) says nothing
  // about the user: skipping her would end the restore in success without her.
  it.each([
    'AccessDeniedException',
    'NotAuthorizedException',
    'ResourceNotFoundException',
    'InvalidSmsRoleAccessPolicyException',
    'UnexpectedLambdaException',
  ])('fails on %s instead of reporting the user as skipped', async (name) => {
    cognito.on(AdminCreateUserCommand).rejects(awsError(name));
    await expect(createFallbackUsers(deps().deps, POOL_ID, HEADER, [fallback(1)])).rejects.toMatchObject({
      name,
    });
    expect(ledgers()).toHaveLength(1);
    expect(ledgers()[0]?.lines).toEqual([expect.objectContaining({ sub: 'sub-1', outcome: 'admin-create' })]);
  });

  it('records a user without a username as skipped and makes no call for it', async () => {
    const result = await createFallbackUsers(deps().deps, POOL_ID, HEADER, [
      { ...fallback(1), username: undefined },
    ]);
    expect(cognito).not.toHaveReceivedCommand(AdminCreateUserCommand);
    expect(result.entries).toEqual([
      { sub: 'sub-1', username: '', outcome: 'skipped', reason: 'no-pseudo-username' },
    ]);
  });

  it('propagates throttling that outlasts the retries (the caller releases the messages)', async () => {
    cognito.on(AdminCreateUserCommand).rejects(awsError('TooManyRequestsException'));
    await expect(createFallbackUsers(deps().deps, POOL_ID, HEADER, [fallback(1)])).rejects.toThrow();
    expect(cognito.commandCalls(AdminCreateUserCommand).length).toBe(3);
  });

  it('does nothing for no users', async () => {
    await createFallbackUsers(deps().deps, POOL_ID, HEADER, []);
    expect(s3).not.toHaveReceivedAnyCommand();
  });
});

describe('how a user created with AdminCreateUser signs in again', () => {
  const reachable = (n: number, contact: Record<string, string>): FallbackUser => ({
    sub: `sub-${n}`,
    username: `user-${n}`,
    item: item({ sub: `sub-${n}`, ...contact }),
    reason: 'value-not-representable-in-csv',
  });
  const byEmail = reachable(1, { email: 'user1@example.com', email_verified: 'true' });
  const byPhone = reachable(2, { phone_number: '+14155550102', phone_number_verified: 'true' });
  const unverified = reachable(3, { email: 'user3@example.com', email_verified: 'false' });

  it.each([
    ['a verified e-mail address', byEmail, 'reset-password'],
    ['a verified phone number', byPhone, 'reset-password'],
    ['an unverified e-mail address', unverified, 'administrator'],
    ['a verified flag without its address', reachable(4, { email_verified: 'true' }), 'administrator'],
  ])('a user with %s: %s', (_what, user, step) => {
    expect(signInStep(user.item, HEADER)).toBe(step);
  });

  it('counts only the addresses the new pool takes (its CSV header)', () => {
    expect(
      signInStep(
        byEmail.item,
        HEADER.filter((column) => column !== 'email'),
      ),
    ).toBe('administrator');
  });

  it('gives a user it can reach a permanent password nobody knows, and leaves the others without one', async () => {
    cognito.on(AdminCreateUserCommand).resolves({});
    cognito.on(AdminSetUserPasswordCommand).resolves({});
    const run = deps();
    const result = await createFallbackUsers(run.deps, POOL_ID, HEADER, [byEmail, byPhone, unverified]);
    const calls = cognito.commandCalls(AdminSetUserPasswordCommand).map((call) => call.args[0].input);
    expect(calls.map((input) => [input.Username, input.Permanent])).toEqual([
      ['user-1', true],
      ['user-2', true],
    ]);
    const passwords = calls.map((input) => input.Password ?? '');
    expect(new Set(passwords).size).toBe(2);
    for (const password of passwords) {
      expect(password.length).toBeGreaterThanOrEqual(99);
      expect(password).toMatch(/[a-z]/);
      expect(password).toMatch(/[A-Z]/);
      expect(password).toMatch(/[0-9]/);
      expect(password).toMatch(/[^A-Za-z0-9]/);
      expect(run.logs.text()).not.toContain(password);
      expect(JSON.stringify(ledgers())).not.toContain(password);
    }
    expect(result.passwordsSet).toBe(2);
    expect(result.entries.map((entry) => entry.signIn)).toEqual([
      'reset-password',
      'reset-password',
      'administrator',
    ]);
    expect(ledgers()).toHaveLength(1);
  });

  it('sets the password of a user that already exists (a retry after a crash between the two calls)', async () => {
    cognito.on(AdminCreateUserCommand).rejects(awsError('UsernameExistsException'));
    cognito.on(AdminSetUserPasswordCommand).resolves({});
    const result = await createFallbackUsers(deps().deps, POOL_ID, HEADER, [byEmail]);
    expect(result).toEqual(expect.objectContaining({ existed: 1, passwordsSet: 1 }));
  });

  it('records a user whose password Cognito refuses as one an administrator must help, and rewrites the ledger', async () => {
    cognito.on(AdminCreateUserCommand).resolves({});
    cognito.on(AdminSetUserPasswordCommand).rejects(awsError('InvalidPasswordException'));
    const result = await createFallbackUsers(deps().deps, POOL_ID, HEADER, [byEmail]);
    expect(result.entries[0]).toEqual(
      expect.objectContaining({ outcome: 'admin-create', signIn: 'administrator' }),
    );
    expect(ledgers().at(-1)?.lines).toEqual([
      expect.objectContaining({ sub: 'sub-1', signIn: 'administrator' }),
    ]);
  });

  it('propagates throttling of AdminSetUserPassword (the caller releases the messages and tries again)', async () => {
    cognito.on(AdminCreateUserCommand).resolves({});
    cognito.on(AdminSetUserPasswordCommand).rejects(awsError('TooManyRequestsException'));
    await expect(createFallbackUsers(deps().deps, POOL_ID, HEADER, [byEmail])).rejects.toThrow();
  });

  it('makes no password call for a user Cognito refused', async () => {
    cognito.on(AdminCreateUserCommand).rejects(awsError('InvalidParameterException'));
    const result = await createFallbackUsers(deps().deps, POOL_ID, HEADER, [byEmail]);
    expect(cognito).not.toHaveReceivedCommand(AdminSetUserPasswordCommand);
    expect(result.entries[0]).not.toHaveProperty('signIn');
  });
});
