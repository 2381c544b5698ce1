/**
 * The user-pool configurations this solution supports, shared by the export workflow's
 * check-user-pool-config and the stack-checker custom resource. Pure: it throws the original's messages.
 */
import type { UserPoolType } from '@aws-sdk/client-cognito-identity-provider';

export class UnsupportedUserPoolError extends Error {
  override readonly name = 'UnsupportedUserPoolError';
}

export interface UserPoolRuleOptions {
  /**
   * The stack's `AllowMfaUserPools` parameter: pools with MFA `ON` or `OPTIONAL` are backed up. Their
   * users' SMS MFA setting is kept; software-token (TOTP) secrets cannot be exported, so those users
   * enroll again after a restore. Default false: such pools are refused, as the original did.
   */
  allowMfa?: boolean;
}

/**
 * Rejects pools with MFA ON or OPTIONAL unless `allowMfa` is set, and pools that allow more than one
 * username attribute (the backup stores one pseudoUsername per user). MFA is checked first. Nothing
 * else is validated.
 */
export function checkUserPoolConfiguration(userPool: UserPoolType, options: UserPoolRuleOptions = {}): void {
  const mfa = userPool.MfaConfiguration;
  if (mfa !== undefined && mfa !== 'OFF' && options.allowMfa !== true) {
    throw new UnsupportedUserPoolError(
      `User Pools with MFA enabled are not supported. The user pool's MFA configuration is set to ${mfa}`,
    );
  }
  const usernameAttributes = userPool.UsernameAttributes;
  if (usernameAttributes !== undefined && usernameAttributes.length > 1) {
    throw new UnsupportedUserPoolError(
      `This solution does not support user pools for which more than one username attribute is allowed. Configured username attributes: ${JSON.stringify(usernameAttributes)}`,
    );
  }
}
