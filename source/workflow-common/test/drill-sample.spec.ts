// SPDX-License-Identifier: Apache-2.0
import { ROW_RULES } from '../../workflow-import/lib/csv-rules';
import {
  CSV_IMPORT_PATH,
  restorePath,
  rulesOfConfiguration,
  SampleSelector,
  type SampleTables,
} from '../lib/drill-sample';

const TABLES: SampleTables = { typeUser: 'USER-T', typeGroup: 'GROUP-T', typeTimestamp: 'SYNC_TIMESTAMP-T' };
/** The recorded pool: e-mail auto-verified, `name` required, MFA off. */
const POOL = rulesOfConfiguration({
  AutoVerifiedAttributes: ['email'],
  MfaConfiguration: 'OFF',
  Schema: [
    { Name: 'sub', Required: true },
    { Name: 'email' },
    { Name: 'email_verified' },
    { Name: 'phone_number_verified' },
    { Name: 'name', Required: true },
    { Name: 'custom:note' },
    { Name: 'custom:a' },
    { Name: 'custom:b' },
  ],
});

const user = (n: number, attributes: Record<string, string> = {}, enabled = true) => ({
  id: `USER-sub-${n}`,
  type: TABLES.typeUser,
  pseudoUsername: `user${n}`,
  userEnabled: enabled,
  userAttributes: Object.entries({
    sub: `sub-${n}`,
    email: `user${n}@example.com`,
    email_verified: 'true',
    name: `User ${n}`,
    ...attributes,
  }).map(([Name, Value]) => ({ Name, Value })),
});
const group = (name: string) => ({ id: `GROUP-${name}`, type: TABLES.typeGroup, groupName: name });
const member = (name: string, n: number) => ({
  id: `GROUP_MEMBER-${name}`,
  type: `GROUP_MEMBER-sub-${n}`,
  groupName: name,
  groupPseudoUsername: `user${n}`,
});

/** 2,000 CSV users; a few of every other kind hidden among them. */
function backup(): Record<string, unknown>[] {
  const items: Record<string, unknown>[] = [
    { id: 'latest-export-timestamp', type: TABLES.typeTimestamp, usersBackedUp: 2000 },
    { id: 'user-pool-configuration', type: TABLES.typeTimestamp, configuration: new Uint8Array([1]) },
  ];
  for (let n = 0; n < 2000; n += 1) {
    if (n === 101) items.push(user(n, { email_verified: 'false' }));
    else if (n === 202) items.push(user(n, { phone_number_verified: 'true' }));
    else if (n === 303) items.push(user(n, { name: '' }));
    else if (n === 404) items.push(user(n, { 'custom:note': 'two\nlines' }));
    else if (n === 505) items.push(user(n, {}, false));
    else if (n === 606) items.push(user(n, { 'custom:a': 'a', 'custom:b': 'b', 'custom:note': 'n' }));
    else if (n === 707) items.push(user(n, { name: 'x'.repeat(500) }));
    else items.push(user(n));
  }
  for (let g = 0; g < 30; g += 1) {
    items.push(group(`g${g}`));
    items.push(member(`g${g}`, 1000 + g * 17));
    if (g % 3 === 0) items.push(member(`g${g}`, 3));
  }
  items.push(group('empty'));
  return items;
}

function sample(items: Record<string, unknown>[], maxUsers: number, seed = 'seed-1') {
  const selector = new SampleSelector({ ...TABLES, maxUsers, seed, ...POOL });
  for (const item of items) selector.observe(item);
  selector.choose();
  const kept = items.filter((item) => selector.keep(item));
  return { kept, summary: selector.summarize(kept), ids: kept.map((item) => String(item.id)) };
}

describe('restorePath', () => {
  it.each([
    [{}, CSV_IMPORT_PATH],
    [{ email_verified: 'false' }, ROW_RULES.noVerifiedAttribute],
    [{ phone_number_verified: 'true' }, ROW_RULES.phoneVerifiedWithoutPhone],
    [{ name: '' }, ROW_RULES.missingRequiredAttribute],
    [{ 'custom:note': 'two\nlines' }, ROW_RULES.notRepresentable],
  ])('follows the ImportWorkflow rules for %j', (attributes, path) => {
    expect(restorePath(user(1, attributes), POOL.rules, POOL.schema)).toBe(path);
  });
});

describe('SampleSelector', () => {
  const items = backup();

  it('keeps every group with a member, every restore path, disabled users and the extreme users within the bound', () => {
    const { ids, summary, kept } = sample(items, 100);
    expect(summary.users).toBe(100);
    for (let g = 0; g < 30; g += 1) expect(ids).toContain(`GROUP-g${g}`);
    expect(ids).not.toContain('GROUP-empty');
    expect(summary.groupsWithSampledMember).toBe(30);
    expect(summary.pathsInSample).toBe(summary.pathsInBackup);
    expect(Object.keys(summary.paths).sort()).toEqual(
      [
        CSV_IMPORT_PATH,
        ROW_RULES.missingRequiredAttribute,
        ROW_RULES.noVerifiedAttribute,
        ROW_RULES.notRepresentable,
        ROW_RULES.phoneVerifiedWithoutPhone,
      ].sort(),
    );
    expect(ids).toEqual(expect.arrayContaining(['USER-sub-505', 'USER-sub-606', 'USER-sub-707']));
    expect(summary.disabled).toBe(1);
    expect(ids).toEqual(expect.arrayContaining(['latest-export-timestamp', 'user-pool-configuration']));
    // Memberships only among sampled users: each names a kept user.
    const users = new Set(ids.filter((id) => id.startsWith('USER-')));
    for (const item of kept.filter((entry) => String(entry.id).startsWith('GROUP_MEMBER-')))
      expect(users).toContain(`USER-${String(item.type).slice('GROUP_MEMBER-'.length)}`);
    expect(summary.memberships).toBeGreaterThanOrEqual(30);
  });

  it.each(['a', 'b', 'c', 'd'])(
    'takes the disabled users and the users with the most attributes and the longest values whatever the seed (%s)',
    (seed) => {
      // 60: little room is left for the random remainder, so none of them is there by chance.
      const { ids } = sample(items, 60, seed);
      expect(ids).toEqual(expect.arrayContaining(['USER-sub-505', 'USER-sub-606', 'USER-sub-707']));
    },
  );

  it('respects a bound smaller than the kinds it would take', () => {
    const { summary } = sample(items, 10);
    expect(summary.users).toBe(10);
  });

  it('is the same sample for the same seed, whatever the order of the items, and another for another seed', () => {
    const first = sample(items, 100).ids.sort();
    expect(sample([...items].reverse(), 100).ids.sort()).toEqual(first);
    expect(sample(items, 100, 'seed-2').ids.sort()).not.toEqual(first);
  });

  it('keeps every user when the bound is above the backup', () => {
    expect(sample(items, 5000).summary.users).toBe(2000);
  });
});
