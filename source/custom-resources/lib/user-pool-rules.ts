/**
 * The user-pool configuration rules of §6.7, shared in spirit with check-user-pool-config.
 * TODO(dedupe): workflow-export is to export the same `checkUserPoolConfiguration`; this local copy
 * exists because that module was not there yet when the stack checker was written.
 */
import type { UserPoolType } from '@aws-sdk/client-cognito-identity-provider';

export class UnsupportedUserPoolError extends Error {
  override readonly name = 'UnsupportedUserPoolError';
}

/** Throws `UnsupportedUserPoolError` with the original's messages; MFA is checked first. */
export function checkUserPoolConfiguration(
  userPool: Pick<UserPoolType, 'MfaConfiguration' | 'UsernameAttributes'> | undefined,
): void {
  const mfa = userPool?.MfaConfiguration;
  if (mfa && mfa !== 'OFF') {
    throw new UnsupportedUserPoolError(
      `User Pools with MFA enabled are not supported. The user pool's MFA configuration is set to ${mfa}`,
    );
  }
  const usernameAttributes = userPool?.UsernameAttributes ?? [];
  if (usernameAttributes.length > 1) {
    throw new UnsupportedUserPoolError(
      'This solution does not support user pools for which more than one username attribute is allowed. ' +
        `Configured username attributes: ${JSON.stringify(usernameAttributes)}`,
    );
  }
}
