// SPDX-License-Identifier: Apache-2.0
import { InvalidRepairInputError, parseRepairInput } from '../lib/repair-input';

const POOL = 'us-east-1_Backed01';

const refusal = (raw: unknown): string => {
  try {
    parseRepairInput(raw, POOL);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidRepairInputError);
    return (error as Error).message;
  }
  throw new Error('the input was accepted');
};

describe('RepairWorkflow input', () => {
  it('takes a plain plan: the backed-up pool, the whole pool, the live table, nothing removed', () => {
    expect(parseRepairInput({ UserPoolId: ` ${POOL} ` }, POOL)).toEqual({
      userPoolId: POOL,
      resume: false,
      scope: undefined,
      removeAdded: false,
      recoveryPoint: { kind: 'table' },
    });
  });

  it('takes an apply with Resume and a plan with a Scope of groups and RemoveAdded', () => {
    expect(
      parseRepairInput({ UserPoolId: POOL, Apply: 'plan-2026_12-08', Resume: true }, POOL),
    ).toMatchObject({
      apply: 'plan-2026_12-08',
      resume: true,
    });
    expect(
      parseRepairInput({ UserPoolId: POOL, Scope: { Groups: ['admins'] }, RemoveAdded: true }, POOL),
    ).toMatchObject({ scope: { Groups: ['admins'] }, removeAdded: true });
  });

  it('refuses an input without a pool, and a non-object input, naming the missing UserPoolId', () => {
    expect(refusal({})).toContain('UserPoolId must name the user pool to repair');
    expect(refusal(null)).toContain('UserPoolId must name the user pool to repair');
    expect(refusal({ UserPoolId: 42 })).toContain('UserPoolId must name the user pool to repair');
  });

  it('refuses a malformed AsOf with the recovery point rule, without its trailing full stop doubled', () => {
    const message = refusal({ UserPoolId: POOL, AsOf: 'yesterday' });
    expect(message).toContain('AsOf must be an ISO 8601 time with its offset');
    expect(message).not.toContain('..');
    expect(message).toMatch(/^The RepairWorkflow input is refused: .*\.$/);
  });

  it('refuses an Apply that is not a plan id', () => {
    for (const apply of ['', 'has space', 'x'.repeat(81), 7])
      expect(refusal({ UserPoolId: POOL, Apply: apply })).toContain('Apply must be the id of a plan');
    expect(parseRepairInput({ UserPoolId: POOL, Apply: 'x'.repeat(80) }, POOL).apply).toHaveLength(80);
  });

  it('refuses a Resume that is not a boolean, and a Resume without Apply', () => {
    expect(refusal({ UserPoolId: POOL, Apply: 'p1', Resume: 'yes' })).toContain(
      'Resume must be true or false',
    );
    const alone = refusal({ UserPoolId: POOL, Resume: true });
    expect(alone).toContain('Resume goes with Apply');
    expect(alone).not.toContain('Resume must be true or false');
    expect(parseRepairInput({ UserPoolId: POOL, Resume: false }, POOL).resume).toBe(false);
  });

  it('refuses a RemoveAdded that is not a boolean', () => {
    expect(refusal({ UserPoolId: POOL, RemoveAdded: 'true' })).toContain('RemoveAdded must be true or false');
    expect(parseRepairInput({ UserPoolId: POOL, RemoveAdded: false }, POOL).removeAdded).toBe(false);
  });

  it.each([
    ['a string', 'alice'],
    ['null', null],
    ['no field', {}],
    ['both fields', { Usernames: ['alice'], Groups: ['admins'] }],
    ['an unknown field', { Users: ['alice'] }],
    ['an empty list', { Usernames: [] }],
    ['an empty name', { Groups: ['admins', ''] }],
    ['a name that is not a string', { Usernames: ['alice', 3] }],
    ['a list that is not an array', { Groups: 'admins' }],
  ])('refuses a Scope with %s', (_, scope) => {
    expect(refusal({ UserPoolId: POOL, Scope: scope })).toContain(
      'Scope must be {"Usernames": [...]} or {"Groups": [...]}, with at least one name',
    );
  });

  it('refuses Scope or RemoveAdded with Apply: they belong to the plan', () => {
    for (const extra of [{ Scope: { Usernames: ['alice'] } }, { RemoveAdded: false }])
      expect(refusal({ UserPoolId: POOL, Apply: 'p1', ...extra })).toContain(
        'Scope and RemoveAdded belong to the plan: the apply takes them from it',
      );
  });

  it('names every problem of an input at once', () => {
    const message = refusal({ UserPoolId: 'us-east-1_Other', Resume: 1, RemoveAdded: 0, Scope: {} });
    expect(message).toContain(`UserPoolId must be the backed-up user pool (${POOL})`);
    expect(message).toContain('Resume must be true or false');
    expect(message).toContain('RemoveAdded must be true or false');
    expect(message).toContain('Scope must be');
    expect(message.split('; ')).toHaveLength(4);
  });
});
