// SPDX-License-Identifier: Apache-2.0
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
 * Rejects pools with MFA ON or OPTIONAL unless `allowMfa` is set. Pools whose users sign in with an
 * e-mail address or a phone number (`UsernameAttributes: ["email", "phone_number"]`), which the
 * original refused, are supported: each user's pseudoUsername is the identifier it has (workflow-export/lib/username.ts).
 */
export function checkUserPoolConfiguration(userPool: UserPoolType, options: UserPoolRuleOptions = {}): void {
  const mfa = userPool.MfaConfiguration;
  if (mfa !== undefined && mfa !== 'OFF' && options.allowMfa !== true) {
    throw new UnsupportedUserPoolError(
      `User Pools with MFA enabled are not supported. The user pool's MFA configuration is set to ${mfa}`,
    );
  }
}
