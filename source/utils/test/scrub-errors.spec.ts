// SPDX-License-Identifier: Apache-2.0
import { CognitoIdentityProviderServiceException } from '@aws-sdk/client-cognito-identity-provider';
import { scrubError, scrubErrors } from '../scrub-errors';

class NamedError extends Error {
  override readonly name = 'NamedError';
}

const sdkError = (message: string) =>
  new CognitoIdentityProviderServiceException({
    name: 'InvalidParameterException',
    $fault: 'client',
    message,
    $metadata: { httpStatusCode: 400 },
  });

describe('scrubError', () => {
  it('masks e-mail addresses and phone numbers in the message and the stack, keeping class and name', () => {
    const error = new NamedError('user jane.doe@example.com (+1 555 123 4567, 06 12 34 56 78) failed');
    const scrubbed = scrubError(error);
    expect(scrubbed).toBeInstanceOf(NamedError);
    expect(scrubbed.name).toBe('NamedError');
    expect(scrubbed.message).toBe('user [email] ([phone], [phone]) failed');
    expect(scrubbed.stack).not.toMatch(/jane|555|06 12/);
  });

  it('masks an SDK error and its cause chain', () => {
    const cause = sdkError('Value müller@bücher.de at username failed');
    const error = new Error(`Import failed: ${cause.message}`, { cause });
    const scrubbed = scrubError(error);
    expect(scrubbed.message).toBe('Import failed: Value [email] at username failed');
    expect((scrubbed.cause as Error).message).toBe('Value [email] at username failed');
    expect((scrubbed.cause as Error).name).toBe('InvalidParameterException');
    expect(
      JSON.stringify({ m: scrubbed.message, s: scrubbed.stack, c: (scrubbed.cause as Error).stack }),
    ).not.toMatch(/müller|bücher/);
  });

  it('turns a thrown string or object into an Error with its scrubbed text', () => {
    expect(scrubError('mail a@b.io').message).toBe('mail [email]');
    expect(scrubError({ email: 'a@b.io' }).message).toBe('{"email":"[email]"}');
  });

  it('copies an error that cannot be changed', () => {
    const frozen = Object.freeze(new NamedError('call 555-123-4567'));
    const scrubbed = scrubError(frozen);
    expect(scrubbed.message).toBe('call [phone]');
    expect(scrubbed.name).toBe('NamedError');
  });
});

describe('scrubErrors', () => {
  it('rethrows what the handler throws, scrubbed', async () => {
    const handler = scrubErrors(async (_event: unknown) => {
      throw sdkError('User with email someone@example.org already exists');
    });
    await expect(handler({})).rejects.toMatchObject({
      name: 'InvalidParameterException',
      message: 'User with email [email] already exists',
    });
  });

  it('returns what the handler returns', async () => {
    await expect(scrubErrors(async (value: number) => value + 1)(1)).resolves.toBe(2);
  });
});
