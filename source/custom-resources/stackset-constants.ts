// SPDX-License-Identifier: Apache-2.0
/**
 * `Custom::StackSetConstants`: exposes the fixed-parameters document of the primary region
 * as attributes, on Create and again on Update.
 */
import { ssmClient } from '../utils/clients';
import type { EnvSpec } from '../utils/config';
import {
  routeCustomResource,
  type CustomResourceContext,
  type CustomResourceEvent,
  type CustomResourceResponse,
} from '../utils/custom-resource';
import { defaultRuntime, type Runtime } from '../utils/runtime';
import { requestScope } from './lib/request-scope';
import { readStackSetConstants } from './lib/stackset-constants';
import type { StackSetConstantsProperties } from './lib/types';
import { scrubErrors } from '../utils/scrub-errors';

/** No variables of its own: the SSM client's region is ResourceProperties.PrimaryRegion. */
export const ENVIRONMENT = {} satisfies EnvSpec;

export function createHandler(runtime: Runtime = defaultRuntime()) {
  return scrubErrors(
    async (
      event: CustomResourceEvent<StackSetConstantsProperties>,
      context: CustomResourceContext,
    ): Promise<CustomResourceResponse> => {
      const { responder } = requestScope(runtime, 'stackset-constants');
      const read = ({ ResourceProperties }: CustomResourceEvent<StackSetConstantsProperties>) =>
        readStackSetConstants(ResourceProperties, (region) => ssmClient({ region }));
      return routeCustomResource(event, context, { Create: read, Update: read }, responder);
    },
  );
}

export const handler = createHandler();
