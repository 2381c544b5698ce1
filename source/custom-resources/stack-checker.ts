// SPDX-License-Identifier: Apache-2.0
/**
 * `Custom::StackChecker`: validates the deployment on Create and guards the fixed
 * parameters (SSM `/<ParentStackName>-<AWS_REGION>/fixed-solution-parameters`) afterwards.
 */
import { cognitoClient, ssmClient } from '../utils/clients';
import { RateLimitedCognito } from '../utils/cognito';
import { env, parseConfig, type EnvSpec } from '../utils/config';
import {
  routeCustomResource,
  type CustomResourceContext,
  type CustomResourceEvent,
  type CustomResourceResponse,
} from '../utils/custom-resource';
import { SlidingWindowLimiter } from '../utils/limiter';
import { defaultRuntime, retryOptions, type Runtime } from '../utils/runtime';
import { requestScope } from './lib/request-scope';
import { checkOnCreate, checkOnUpdate, parseFixedNames, removeOnDelete } from './lib/stack-checker';
import type { StackCheckerProperties } from './lib/types';
import { RETRY_BUDGETS } from '../utils/retry';
import { scrubErrors } from '../utils/scrub-errors';

export const ENVIRONMENT = {
  AWS_REGION: env.string(),
  FIXED_PARAMETERS: env.string(),
  /** The AllowMfaUserPools parameter: "Yes" accepts a pool with MFA ON or OPTIONAL. */
  ALLOW_MFA_USER_POOLS: env.yesNo(),
} satisfies EnvSpec;

export function createHandler(runtime: Runtime = defaultRuntime()) {
  return scrubErrors(
    async (
      event: CustomResourceEvent<StackCheckerProperties>,
      context: CustomResourceContext,
    ): Promise<CustomResourceResponse> => {
      const { logger, responder } = requestScope(runtime, 'stack-checker');
      // Built inside the request handlers, so that a bad environment is answered FAILED.
      const deps = () => {
        const config = parseConfig(ENVIRONMENT, runtime.env);
        // One DescribeUserPool per request; the limiter spaces the retries of that call.
        const limiter = new SlidingWindowLimiter(1, runtime.now, runtime.sleep);
        return {
          ssm: ssmClient(),
          cognito: new RateLimitedCognito(cognitoClient(), limiter, {
            ...retryOptions(runtime),
            maxAttempts: RETRY_BUDGETS.userPoolCheck,
          }),
          logger,
          region: config.AWS_REGION,
          fixedNames: parseFixedNames(config.FIXED_PARAMETERS),
          allowMfa: config.ALLOW_MFA_USER_POOLS,
        };
      };
      // Delete needs only the region: a missing FIXED_PARAMETERS must not block a stack deletion.
      const region = () => parseConfig({ AWS_REGION: ENVIRONMENT.AWS_REGION }, runtime.env).AWS_REGION;
      return routeCustomResource(
        event,
        context,
        {
          Create: ({ ResourceProperties }) => checkOnCreate(ResourceProperties, deps()),
          Update: ({ ResourceProperties }) => checkOnUpdate(ResourceProperties, deps()),
          Delete: ({ ResourceProperties }) =>
            removeOnDelete(ResourceProperties, { ssm: ssmClient(), region: region(), logger }),
        },
        responder,
      );
    },
  );
}

export const handler = createHandler();
