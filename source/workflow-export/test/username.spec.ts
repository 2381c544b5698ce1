import { attributeValue, parseUsernameAttributes, pseudoUsername } from '../lib/username';

const person = {
  Username: 'a1b2c3',
  Attributes: [
    { Name: 'sub', Value: 'sub-1' },
    { Name: 'email', Value: 'person@example.com' },
    { Name: 'phone_number', Value: '   ' },
  ],
};

describe('pseudoUsername (spec §6.3)', () => {
  it.each([
    ['no username attribute', [], 'a1b2c3'],
    ['email', ['email'], 'person@example.com'],
    ['an attribute the user lacks', ['preferred_username'], undefined],
    ['an attribute whose value is blank', ['phone_number'], undefined],
    ['two attributes, one usable', ['phone_number', 'email'], 'person@example.com'],
  ])('for a pool with %s', (_label, usernameAttributes, expected) => {
    expect(pseudoUsername(person, usernameAttributes)).toBe(expected);
  });

  it('is undefined for two usable attributes (ambiguous) and for a user without Username', () => {
    const both = {
      ...person,
      Attributes: [...person.Attributes, { Name: 'phone_number', Value: '+15550100' }],
    };
    expect(pseudoUsername(both, ['email', 'phone_number'])).toBeUndefined();
    expect(pseudoUsername({}, [])).toBeUndefined();
    expect(pseudoUsername({ Username: 'x' }, ['email'])).toBeUndefined();
  });

  it('reads attribute values by name', () => {
    expect(attributeValue(person, 'sub')).toBe('sub-1');
    expect(attributeValue({}, 'sub')).toBeUndefined();
  });
});

describe('parseUsernameAttributes', () => {
  it.each([
    [undefined, []],
    ['', []],
    ['[]', []],
    ['["email"]', ['email']],
  ])('reads %p', (json, expected) => {
    expect(parseUsernameAttributes(json)).toEqual(expected);
  });
});
