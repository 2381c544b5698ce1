// SPDX-License-Identifier: Apache-2.0
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { mockAws } from '../../test-support/aws-mock';
import { documentClient } from '../../utils/clients';
import {
  compareWithRecorded,
  compareWithTarget,
  dropAttributes,
  NeedsCollector,
  readBackupNeeds,
  SCAN_SEGMENTS,
  signInOf,
  targetShape,
  type BackupNeeds,
  type TargetShape,
} from '../lib/target-check';
import { sfnContext, TYPE_USER, userItem } from './support';

const ddb = mockAws(DynamoDBDocumentClient);

/** A user item of a pool without username attributes, with the given attributes besides sub. */
const usernameUser = (n: number, attributes: Record<string, string>) =>
  userItem(n, {
    username: `user-${n}`,
    pseudoUsername: `user-${n}`,
    userAttributes: [
      { Name: 'sub', Value: `sub-${n}` },
      ...Object.entries(attributes).map(([Name, Value]) => ({ Name, Value })),
    ],
  });

function needsOf(items: Record<string, unknown>[], required: string[] = []): BackupNeeds {
  const collector = new NeedsCollector(required);
  for (const item of items) collector.add(item);
  collector.needs.complete = true;
  return collector.needs;
}

const target = (overrides: Partial<TargetShape> = {}): TargetShape => ({
  customAttributes: new Map(),
  usernameAttributes: [],
  aliasAttributes: [],
  required: [],
  ...overrides,
});

describe('target check', () => {
  describe('what the users need', () => {
    it('counts the custom attributes users carry, ignoring empty values', () => {
      const needs = needsOf([
        usernameUser(1, { 'custom:plan': 'gold', 'custom:tier': '' }),
        usernameUser(2, { 'custom:plan': 'silver', given_name: 'A' }),
      ]);
      expect([...needs.customAttributes]).toEqual([['custom:plan', 2]]);
      expect(needs.users).toBe(2);
    });

    it.each([
      ['the Cognito username', usernameUser(1, { email: 'a@example.com' }), 'username'],
      ['the e-mail', userItem(1), 'email'],
      [
        'the phone number',
        userItem(1, {
          pseudoUsername: '+15550100',
          userAttributes: [
            { Name: 'sub', Value: 's' },
            { Name: 'phone_number', Value: '+15550100' },
          ],
        }),
        'phone_number',
      ],
      ['nothing the item tells', userItem(1, { pseudoUsername: undefined }), undefined],
    ])('reads how a user signs in from its item: %s', (_case, item, expected) => {
      expect(signInOf(item)).toBe(expected);
    });

    it('counts, for each attribute the new pool requires, the users that lack it', () => {
      const needs = needsOf(
        [usernameUser(1, { given_name: 'A' }), usernameUser(2, {}), usernameUser(3, { given_name: '' })],
        ['given_name'],
      );
      expect(needs.lacking.get('given_name')).toBe(2);
    });
  });

  describe('the new pool', () => {
    it('takes custom attributes with their types, username and alias attributes, required but sub', () => {
      expect(
        targetShape({
          UsernameAttributes: ['phone_number', 'email'],
          AliasAttributes: ['preferred_username'],
          SchemaAttributes: [
            { Name: 'sub', Required: true, AttributeDataType: 'String' },
            { Name: 'email', Required: true, AttributeDataType: 'String' },
            { Name: 'custom:score', AttributeDataType: 'Number' },
            { Name: 'custom:plan' },
          ],
        }),
      ).toEqual({
        customAttributes: new Map([
          ['custom:score', 'Number'],
          ['custom:plan', 'String'],
        ]),
        usernameAttributes: ['email', 'phone_number'],
        aliasAttributes: ['preferred_username'],
        required: ['email'],
      });
    });

    it('reads a pool without a schema as one without custom attributes', () => {
      expect(targetShape(undefined)).toEqual(target());
    });
  });

  describe('the comparison', () => {
    const planned = needsOf([
      usernameUser(1, { 'custom:plan': 'gold', 'custom:score': '3' }),
      usernameUser(2, { 'custom:plan': 'gold' }),
    ]);

    it('accepts a pool that has every custom attribute users carry', () => {
      const fits = target({
        customAttributes: new Map([
          ['custom:plan', 'String'],
          ['custom:score', 'Number'],
          ['custom:unused', 'String'],
        ]),
      });
      expect(compareWithTarget(planned, fits, [])).toEqual({ refusals: [], dropped: [], notes: [] });
    });

    it('lists every missing custom attribute, with the users that carry it', () => {
      const verdict = compareWithTarget(planned, target(), []);
      expect(verdict.refusals).toEqual([
        expect.stringMatching(
          /^custom:plan: 2 backed-up users carry it and the new pool has no such attribute/,
        ),
        expect.stringMatching(/^custom:score: 1 backed-up user carry it/),
      ]);
      expect(verdict.dropped).toEqual([]);
    });

    it('drops the attributes the input names, and only those', () => {
      const verdict = compareWithTarget(planned, target(), ['custom:score']);
      expect(verdict.dropped).toEqual(['custom:score']);
      expect(verdict.refusals).toEqual([expect.stringMatching(/^custom:plan:/)]);
    });

    it('notes a DropAttributes entry that drops nothing', () => {
      const has = target({ customAttributes: new Map([['custom:plan', 'String']]) });
      const verdict = compareWithTarget(planned, has, ['custom:plan', 'custom:score', 'custom:typo']);
      expect(verdict.dropped).toEqual(['custom:score']);
      expect(verdict.notes).toEqual([
        'custom:plan is in DropAttributes but the new pool has it: it is restored',
        'custom:typo is in DropAttributes but no backed-up user carries it',
      ]);
    });

    it.each([
      ['username users into an e-mail pool', [usernameUser(1, {})], ['email'], /sign in with a username/],
      ['e-mail users into a username pool', [userItem(1)], [], /sign in with email as the username/],
      [
        'e-mail users into a phone pool',
        [userItem(1), userItem(2)],
        ['phone_number'],
        /2 backed-up users sign in with email .* are phone_number/,
      ],
    ])('refuses other username attributes: %s', (_case, items, usernameAttributes, message) => {
      const verdict = compareWithTarget(needsOf(items), target({ usernameAttributes }), []);
      expect(verdict.refusals).toEqual([expect.stringMatching(message)]);
    });

    it('accepts e-mail users into a pool that signs in with e-mail or phone number', () => {
      const both = target({ usernameAttributes: ['email', 'phone_number'] });
      expect(compareWithTarget(needsOf([userItem(1)]), both, []).refusals).toEqual([]);
    });

    it('refuses a required attribute that users lack, and only then', () => {
      const items = [usernameUser(1, { given_name: 'A' }), usernameUser(2, {})];
      const requires = target({ required: ['given_name'] });
      expect(compareWithTarget(needsOf(items, ['given_name']), requires, []).refusals).toEqual([
        'given_name: the new pool requires it and 1 backed-up user lack it (create the pool without "given_name" required)',
      ]);
      expect(compareWithTarget(needsOf(items.slice(0, 1), ['given_name']), requires, []).refusals).toEqual(
        [],
      );
    });

    it('notes a check that could not read every user', () => {
      const needs = { ...needsOf([usernameUser(1, {})]), complete: false };
      expect(compareWithTarget(needs, target(), []).notes).toEqual([
        expect.stringContaining('the check read 1 user item of the backup before its time ran out'),
      ]);
    });
  });

  describe('DropAttributes in the execution input', () => {
    const withDrop = (value: unknown) => {
      const context = sfnContext();
      context.Execution.Input = { NewUserPoolId: 'p', DropAttributes: value };
      return context;
    };

    it('is none when absent', () => {
      expect(dropAttributes(sfnContext())).toEqual([]);
    });

    it('lists custom attribute names once each', () => {
      expect(dropAttributes(withDrop(['custom:plan', 'custom:plan', 'custom:x_y']))).toEqual([
        'custom:plan',
        'custom:x_y',
      ]);
    });

    it.each([
      ['custom:plan'],
      [['plan']],
      [['email']],
      [[42]],
      [['custom:']],
      [['custom:' + 'x'.repeat(21)]],
    ])('refuses %p', (value) => {
      expect(() => dropAttributes(withDrop(value))).toThrow(
        'DropAttributes must be a list of custom attribute names',
      );
    });
  });

  describe('reading the backup', () => {
    beforeEach(() => ddb.reset());

    const deps = (hasTime: () => boolean = () => true) => ({
      ddb: documentClient(),
      tableName: 'backup-table',
      typeUser: TYPE_USER,
      hasTime,
    });

    it('reads every page of every segment', async () => {
      ddb.on(ScanCommand).resolves({ Items: [] });
      ddb
        .on(ScanCommand, { Segment: 1 })
        .resolvesOnce({ Items: [usernameUser(1, { 'custom:a': '1' })], LastEvaluatedKey: { id: 'k' } })
        .resolves({ Items: [usernameUser(2, { 'custom:b': '1' })] });
      const needs = await readBackupNeeds(deps(), []);
      expect(needs.complete).toBe(true);
      expect([...needs.customAttributes.keys()].sort()).toEqual(['custom:a', 'custom:b']);
      expect(ddb).toHaveReceivedCommandTimes(ScanCommand, SCAN_SEGMENTS + 1);
      expect(ddb).toHaveReceivedCommandWith(ScanCommand, { Segment: 1, ExclusiveStartKey: { id: 'k' } });
    });

    it('stops between pages when the time is up, and says it is incomplete', async () => {
      ddb.on(ScanCommand).resolves({ Items: [usernameUser(1, {})], LastEvaluatedKey: { id: 'more' } });
      let pages = 0;
      const needs = await readBackupNeeds(
        deps(() => {
          pages += 1;
          return pages <= SCAN_SEGMENTS;
        }),
        [],
      );
      expect(needs.complete).toBe(false);
      expect(needs.users).toBe(SCAN_SEGMENTS);
    });

    it('fails when a segment fails, after the others settle', async () => {
      ddb.on(ScanCommand).resolves({ Items: [] });
      ddb.on(ScanCommand, { Segment: 2 }).rejects(new Error('denied'));
      await expect(readBackupNeeds(deps(), [])).rejects.toThrow('denied');
    });
  });
});

describe('compareWithRecorded (the configuration item)', () => {
  const pool = (overrides: Record<string, unknown> = {}) => ({
    UsernameAttributes: [] as ('email' | 'phone_number')[],
    SchemaAttributes: [
      { Name: 'custom:plan', AttributeDataType: 'String' as const },
      { Name: 'custom:seats', AttributeDataType: 'String' as const },
    ],
    Policies: { PasswordPolicy: { MinimumLength: 8 } },
    ...overrides,
  });
  const recorded = (userPool: Record<string, unknown>) => ({ UserPool: userPool });
  const needs = needsOf([usernameUser(1, { 'custom:plan': 'a' })]);

  it('says nothing without a configuration item (a backup of v1.0.10)', () => {
    expect(compareWithRecorded(undefined, pool(), needs, [], false)).toEqual({ refusals: [], warnings: [] });
  });

  it('refuses another type for an attribute users carry, warns for one they do not, warns for one left out', () => {
    const verdict = compareWithRecorded(
      recorded({
        UsernameAttributes: [],
        Schema: [
          { Name: 'custom:plan', AttributeDataType: 'Number' },
          { Name: 'custom:seats', AttributeDataType: 'Number' },
          { Name: 'dev:custom:internal', AttributeDataType: 'String' },
        ],
      }),
      pool(),
      needs,
      [],
      false,
    );
    expect(verdict.refusals).toEqual([
      'custom:plan: the backed-up pool has it as Number and the new pool as String (1 backed-up user carries it; create the pool with it as Number)',
    ]);
    expect(verdict.warnings).toEqual([
      'custom:seats: the backed-up pool has it as Number and the new pool as String',
      "custom:internal: in the backed-up pool's schema, not in the new pool's (no backed-up user carries it)",
    ]);
    // Dropped knowingly: no refusal.
    expect(
      compareWithRecorded(
        recorded({ Schema: [{ Name: 'custom:plan', AttributeDataType: 'Number' }] }),
        pool(),
        needs,
        ['custom:plan'],
        false,
      ).refusals,
    ).toEqual([]);
  });

  it('refuses other username attributes once, and other alias attributes', () => {
    const other = recorded({ UsernameAttributes: ['email'], AliasAttributes: ['preferred_username'] });
    expect(compareWithRecorded(other, pool(), needs, [], false).refusals).toEqual([
      "alias attributes: the backed-up pool's users sign in with preferred_username as aliases, the new pool's aliases are none (create the pool with alias attributes: preferred_username)",
      "username attributes: the backed-up pool's are email, the new pool's none (create the pool with username attributes: email)",
    ]);
    expect(compareWithRecorded(other, pool(), needs, [], true).refusals).toHaveLength(1);
  });

  it('warns, naming the setting and never its value, when a setting that loses nothing differs', () => {
    const verdict = compareWithRecorded(
      recorded({
        UsernameAttributes: [],
        Policies: { PasswordPolicy: { MinimumLength: 12 } },
        MfaConfiguration: 'OFF',
      }),
      pool({ MfaConfiguration: 'OFF' }),
      needs,
      [],
      false,
    );
    expect(verdict).toEqual({
      refusals: [],
      warnings: ["the password policy differs from the backed-up pool's"],
    });
  });
});
