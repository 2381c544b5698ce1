// SPDX-License-Identifier: Apache-2.0
/**
 * The created pool as a CloudFormation template (JSON), for teams that keep their pools as code:
 * `AWS::Cognito::UserPool`, its clients, resource servers, identity providers and domain, with the
 * same settings as the create calls (ARNs already mapped, what was left out left out). The resource
 * properties of these types carry the API's member names, but the pool's name (`UserPoolName`) and MFA
 * (`MfaConfiguration` with `EnabledMfas`). No secret: a client with a secret has `GenerateSecret`.
 */
import { RESTORE_TARGET_TAGS, type CreationPlan } from './create-plan';

type Resource = { Type: string; Properties: Record<string, unknown>; DependsOn?: string[] };

const RESTORE_TAG_KEYS = new Set<string>(Object.values(RESTORE_TARGET_TAGS));

export function poolTemplate(plan: CreationPlan): Record<string, unknown> {
  const { PoolName, UserPoolTags, ...pool } = plan.UserPool;
  const tags = Object.fromEntries(
    Object.entries(UserPoolTags ?? {}).filter(([key]) => !RESTORE_TAG_KEYS.has(key)),
  );
  const enabled: string[] = [];
  if (plan.Mfa?.SmsMfaConfiguration !== undefined) enabled.push('SMS_MFA');
  if (plan.Mfa?.SoftwareTokenMfaConfiguration?.Enabled === true) enabled.push('SOFTWARE_TOKEN_MFA');
  if (plan.Mfa?.EmailMfaConfiguration !== undefined) enabled.push('EMAIL_OTP');
  const resources: Record<string, Resource> = {
    UserPool: {
      Type: 'AWS::Cognito::UserPool',
      Properties: {
        UserPoolName: PoolName,
        ...pool,
        ...(Object.keys(tags).length > 0 ? { UserPoolTags: tags } : {}),
        ...(plan.Mfa?.MfaConfiguration !== undefined ? { MfaConfiguration: plan.Mfa.MfaConfiguration } : {}),
        ...(enabled.length > 0 ? { EnabledMfas: enabled } : {}),
      },
    },
  };
  const userPoolId = { Ref: 'UserPool' };
  const servers = plan.ResourceServers.map((server, index) => {
    const id = `ResourceServer${index + 1}`;
    resources[id] = {
      Type: 'AWS::Cognito::UserPoolResourceServer',
      Properties: { UserPoolId: userPoolId, ...server },
    };
    return id;
  });
  const providers = plan.IdentityProviders.map((provider, index) => {
    const id = `IdentityProvider${index + 1}`;
    resources[id] = {
      Type: 'AWS::Cognito::UserPoolIdentityProvider',
      Properties: { UserPoolId: userPoolId, ...provider },
    };
    return id;
  });
  const outputs: Record<string, unknown> = { UserPoolId: { Value: userPoolId } };
  plan.Clients.forEach((client, index) => {
    const id = `Client${index + 1}`;
    // Scopes and identity providers must exist before a client names them.
    const dependsOn = [...servers, ...providers];
    resources[id] = {
      Type: 'AWS::Cognito::UserPoolClient',
      Properties: { UserPoolId: userPoolId, ...client.Request },
      ...(dependsOn.length > 0 ? { DependsOn: dependsOn } : {}),
    };
    outputs[`${id}Id`] = {
      Description: `App client ${client.Request.ClientName ?? ''} (was ${client.OldClientId})`,
      Value: { Ref: id },
    };
  });
  if (plan.Domain !== undefined) {
    resources.Domain = {
      Type: 'AWS::Cognito::UserPoolDomain',
      Properties: { UserPoolId: userPoolId, Domain: plan.Domain },
    };
  }
  return {
    AWSTemplateFormatVersion: '2010-09-09',
    Description: `User pool ${PoolName} as recorded by the backup (no secrets)`,
    Resources: resources,
    Outputs: outputs,
  };
}
