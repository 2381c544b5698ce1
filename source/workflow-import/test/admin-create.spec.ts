// SPDX-License-Identifier: Apache-2.0
import {
  AdminCreateUserCommand,
  CognitoIdentityProviderClient,
  CognitoIdentityProviderServiceException,
} from '@aws-sdk/client-cognito-identity-provider';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockAws } from '../../test-support/aws-mock';
import { captureLogs } from '../../test-support/capture-logs';
import { fakeClock } from '../../test-support/fake-clock';
import { RateLimitedCognito } from '../../utils/cognito';
import { SlidingWindowLimiter } from '../../utils/limiter';
import { createFallbackUsers, creationAttributes, ledgerKey, type FallbackUser } from '../lib/admin-create';
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
          },
          { sub: 'sub-2', username: 'user-2', outcome: 'admin-create', reason: 'missing-required-attribute' },
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
