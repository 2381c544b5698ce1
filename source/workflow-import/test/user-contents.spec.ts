// SPDX-License-Identifier: Apache-2.0
import { randomBytes } from 'node:crypto';
import {
  attributeHashesOf,
  attributesKeyOf,
  canonicalAttributes,
  differenceReason,
  hashedAttributes,
  parseAttributeHashes,
  planContents,
  targetSchema,
} from '../lib/user-contents';

const list = (attributes: Record<string, string>) =>
  Object.entries(attributes).map(([Name, Value]) => ({ Name, Value }));

const schema = targetSchema([
  { Name: 'sub', Mutable: false, Required: true },
  { Name: 'email', Mutable: true },
  { Name: 'email_verified', Mutable: true },
  { Name: 'phone_number', Mutable: true },
  { Name: 'phone_number_verified', Mutable: true },
  { Name: 'given_name', Mutable: true, Required: true },
  { Name: 'nickname', Mutable: true },
  { Name: 'custom:tier', Mutable: false },
]);

describe('canonicalAttributes and attributesKeyOf', () => {
  const secret = randomBytes(32);
  const key = (attributes: Record<string, string>, ignore: string[] = []) =>
    attributesKeyOf(secret, canonicalAttributes(list(attributes), new Set(ignore)));

  it('ignores what Cognito sets itself, a false verification flag, empty values and the order', () => {
    expect(key({ sub: 'a', email: 'x@example.com', email_verified: 'false', nickname: '' })).toBe(
      key({ email: 'x@example.com', sub: 'b', identities: '[]' }),
    );
    expect(key({ given_name: 'Ana', email: 'x@example.com' })).toBe(
      key({ email: 'x@example.com', given_name: 'Ana' }),
    );
  });

  it('tells a changed value, a missing and an extra attribute, and a verified flag apart', () => {
    const base = key({ email: 'x@example.com', email_verified: 'true', given_name: 'Ana' });
    expect(key({ email: 'x@example.com', email_verified: 'true', given_name: 'Anna' })).not.toBe(base);
    expect(key({ email: 'x@example.com', email_verified: 'true' })).not.toBe(base);
    expect(
      key({ email: 'x@example.com', email_verified: 'true', given_name: 'Ana', nickname: 'A' }),
    ).not.toBe(base);
    expect(key({ email: 'x@example.com', given_name: 'Ana' })).not.toBe(base);
  });

  it('leaves out the names it is told to ignore (DropAttributes)', () => {
    expect(key({ email: 'x@example.com', 'custom:plan': 'gold' }, ['custom:plan'])).toBe(
      key({ email: 'x@example.com' }),
    );
  });

  it('takes the first of a repeated name and skips entries without a name or a text value', () => {
    const attributes = canonicalAttributes(
      [
        { Name: 'email', Value: 'x@example.com' },
        { Name: 'email', Value: 'y@example.com' },
        null,
        undefined,
        { Value: 'nameless' },
        { Name: 'nickname' },
      ],
      new Set(),
    );
    expect([...attributes]).toEqual([['email', 'x@example.com']]);
    expect(canonicalAttributes(undefined, new Set()).size).toBe(0);
  });

  it('depends on the key (a hash cannot be matched against guesses without it)', () => {
    const attributes = canonicalAttributes(list({ email: 'x@example.com' }), new Set());
    expect(attributesKeyOf(randomBytes(32), attributes)).not.toBe(attributesKeyOf(secret, attributes));
  });
});

describe('planContents', () => {
  const plan = (backup: Record<string, string>, current: Record<string, string>) =>
    planContents(
      canonicalAttributes(list(backup), new Set()),
      canonicalAttributes(list(current), new Set()),
      schema,
    );

  it('sets changed and missing values and deletes extra attributes', () => {
    expect(plan({ given_name: 'Ana', nickname: 'A' }, { given_name: 'Anna', 'custom:x': 'y' })).toEqual({
      updates: [
        [
          { Name: 'given_name', Value: 'Ana' },
          { Name: 'nickname', Value: 'A' },
        ],
      ],
      deletes: ['custom:x'],
      unfixable: new Map(),
    });
  });

  it('sends a changed address with its flag true, then sets an unverified one back to false', () => {
    expect(plan({ email: 'new@example.com' }, { email: 'old@example.com', email_verified: 'true' })).toEqual({
      updates: [
        [
          { Name: 'email', Value: 'new@example.com' },
          { Name: 'email_verified', Value: 'true' },
        ],
        [{ Name: 'email_verified', Value: 'false' }],
      ],
      deletes: [],
      unfixable: new Map(),
    });
    expect(
      plan(
        { phone_number: '+15551111111', phone_number_verified: 'true' },
        { phone_number: '+15550000000', phone_number_verified: 'true' },
      ).updates,
    ).toEqual([
      [
        { Name: 'phone_number', Value: '+15551111111' },
        { Name: 'phone_number_verified', Value: 'true' },
      ],
    ]);
  });

  it('sets an extra verified flag to false instead of deleting it, and a missing one to true', () => {
    expect(
      plan({ email: 'x@example.com' }, { email: 'x@example.com', email_verified: 'true' }),
    ).toMatchObject({
      updates: [[{ Name: 'email_verified', Value: 'false' }]],
      deletes: [],
    });
    expect(
      plan({ email: 'x@example.com', email_verified: 'true' }, { email: 'x@example.com' }).updates,
    ).toEqual([[{ Name: 'email_verified', Value: 'true' }]]);
  });

  it('cannot delete an extra attribute that the target pool makes immutable, and says so', () => {
    const result = plan({ email: 'x@example.com' }, { email: 'x@example.com', 'custom:tier': 'vip' });
    expect(result.deletes).toEqual([]);
    expect(differenceReason(result.unfixable)).toBe('attribute-immutable-in-target-pool:custom:tier');
  });

  it('knows no attribute of a pool whose schema is not given, nor one without a name', () => {
    const none = targetSchema(undefined);
    expect(none.known.size).toBe(0);
    const nameless = targetSchema([{ Mutable: false, Required: true }]);
    expect([nameless.known.size, nameless.immutable.size, nameless.required.size]).toEqual([0, 0, 0]);
  });

  it('names what no call can set right: absent from the pool, immutable, required', () => {
    const result = plan(
      { 'custom:plan': 'gold', 'custom:tier': 'vip', email: 'x@example.com' },
      { 'custom:tier': 'basic', given_name: 'Ana', email: 'x@example.com' },
    );
    expect(result.updates).toEqual([]);
    expect(result.deletes).toEqual([]);
    expect(differenceReason(result.unfixable)).toBe(
      'attribute-immutable-in-target-pool:custom:tier; attribute-not-in-target-pool:custom:plan; ' +
        'attribute-required-in-target-pool:given_name',
    );
  });
});

describe('attributeHashesOf: one keyed hash per attribute (the repair listing)', () => {
  const secret = randomBytes(32);
  const canonical = (attributes: Record<string, string>) => canonicalAttributes(list(attributes), new Set());

  it('keeps each name and no value, and reads back as the hashed canonical set', () => {
    const attributes = canonical({
      email: 'ana@example.com',
      'custom:a.b-c,d=e': 'Ana, the first',
      locale: 'fr',
    });
    const text = attributeHashesOf(secret, attributes);
    expect(text).not.toMatch(/ana@example|Ana, the first|fr\b/);
    expect(parseAttributeHashes(text)).toEqual(hashedAttributes(secret, attributes));
    expect([...parseAttributeHashes(text).keys()].sort()).toEqual(['custom:a.b-c,d=e', 'email', 'locale']);
    expect(parseAttributeHashes(attributeHashesOf(secret, canonical({})))).toEqual(new Map());
  });

  it('names the same attributes to set back and delete as the values themselves do', () => {
    const backup = canonical({
      email: 'x@example.com',
      email_verified: 'true',
      given_name: 'Ana',
      nickname: 'an',
    });
    const current = canonical({
      email: 'y@example.com',
      given_name: 'Ana',
      nickname: 'an',
      'custom:tier': 'gold',
    });
    const names = (plan: ReturnType<typeof planContents>) => ({
      // Names only, as the plan keeps them (a verified flag may come in two calls).
      set: [...new Set(plan.updates.flat().map((attribute) => attribute.Name))].sort(),
      deletes: plan.deletes,
      unfixable: [...plan.unfixable],
    });
    const byHash = planContents(
      hashedAttributes(secret, backup),
      parseAttributeHashes(attributeHashesOf(secret, current)),
      schema,
    );
    expect(names(byHash)).toEqual(names(planContents(backup, current, schema)));
    expect(names(byHash).set).toEqual(['email', 'email_verified']);
    // Another key, or another value, gives another hash.
    expect(hashedAttributes(randomBytes(32), backup).get('email')).not.toBe(
      hashedAttributes(secret, backup).get('email'),
    );
    expect(hashedAttributes(secret, current).get('email')).not.toBe(
      hashedAttributes(secret, backup).get('email'),
    );
  });
});
