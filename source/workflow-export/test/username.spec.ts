// SPDX-License-Identifier: Apache-2.0
import { attributeValue, parseUsernameAttributes, pseudoUsername } from '../lib/username';

const person = {
  Username: 'a1b2c3',
  Attributes: [
    { Name: 'sub', Value: 'sub-1' },
    { Name: 'email', Value: 'person@example.com' },
    { Name: 'phone_number', Value: '   ' },
  ],
};

describe('pseudoUsername', () => {
  it.each([
    ['no username attribute', [], 'a1b2c3'],
    ['email', ['email'], 'person@example.com'],
    ['an attribute the user lacks', ['preferred_username'], undefined],
    ['an attribute whose value is blank', ['phone_number'], undefined],
    ['two attributes, one usable', ['phone_number', 'email'], 'person@example.com'],
  ])('for a pool with %s', (_label, usernameAttributes, expected) => {
    expect(pseudoUsername(person, usernameAttributes)).toBe(expected);
  });

  it('takes the verified identifier of an e-mail-or-phone user, e-mail first, else the one it has', () => {
    const user = (attributes: Record<string, string>) => ({
      Username: 'uuid',
      Attributes: Object.entries(attributes).map(([Name, Value]) => ({ Name, Value })),
    });
    const both = ['email', 'phone_number'];
    const email = { email: 'a@example.com' };
    const phone = { phone_number: '+15550100' };
    expect(pseudoUsername(user({ ...email, ...phone }), both)).toBe('a@example.com');
    expect(pseudoUsername(user({ ...email, ...phone, phone_number_verified: 'true' }), both)).toBe(
      '+15550100',
    );
    expect(
      pseudoUsername(
        user({ ...email, ...phone, email_verified: 'true', phone_number_verified: 'true' }),
        both,
      ),
    ).toBe('a@example.com');
    expect(pseudoUsername(user(phone), both)).toBe('+15550100');
    expect(pseudoUsername(user(email), ['phone_number', 'email'])).toBe('a@example.com');
    expect(pseudoUsername(user({}), both)).toBeUndefined();
  });

  it('is undefined for a user without Username or the attribute', () => {
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
