// SPDX-License-Identifier: Apache-2.0
/**
 * `Custom::CreateTable`. Create adds the secondary replica and starts the checker workflow,
 * which answers CloudFormation once the replica is ready and has point-in-time recovery and deletion
 * protection. Update turns point-in-time recovery and deletion protection on for an existing replica
 * when the properties ask for them, and switches the replica's KMS key when ReplicaKmsKeyArn changed; Delete
 * changes nothing (the table is retained). Both are answered at once.
 */
import { dynamoDbClient, sfnClient } from '../utils/clients';
import type { EnvSpec } from '../utils/config';
import {
  routeCustomResource,
  sendCfnResponse,
  SUCCESS,
  type CustomResourceContext,
  type CustomResourceEvent,
  type CustomResourceResponse,
} from '../utils/custom-resource';
import { defaultRuntime, type Runtime } from '../utils/runtime';
import { startReplicaCreation, updateReplica, updateReplicaKey } from './lib/global-table-creator';
import { failedResponse } from './lib/properties';
import { requestScope } from './lib/request-scope';
import type { CreateTableProperties } from './lib/types';
import { scrubErrors } from '../utils/scrub-errors';

export const ENVIRONMENT = {} satisfies EnvSpec;

type CreateTableEvent = CustomResourceEvent<CreateTableProperties>;

export function createHandler(runtime: Runtime = defaultRuntime()) {
  return scrubErrors(
    async (
      event: CreateTableEvent,
      context: CustomResourceContext,
    ): Promise<CreateTableEvent | CustomResourceResponse> => {
      const { logger, responder } = requestScope(runtime, 'global-table-creator');
      if (event.RequestType !== 'Create') {
        const response = await routeCustomResource(
          event,
          context,
          {
            // The replica's own settings first: a key switch leaves the replica busy, and deletion protection
            // cannot be changed on a table that is being updated.
            Update: async () => {
              await updateReplica(event.ResourceProperties, {
                secondary: (region) => dynamoDbClient({ region }),
                logger,
              });
              await updateReplicaKey(event.ResourceProperties, event.OldResourceProperties, {
                primary: dynamoDbClient(),
                logger,
              });
              return {};
            },
            Delete: () => ({}),
          },
          responder,
        );
        return response.status === SUCCESS ? event : response;
      }
      try {
        await startReplicaCreation(event, { dynamoDb: dynamoDbClient(), sfn: sfnClient() });
        return event;
      } catch (error) {
        logger.error('Could not start the replica creation', { error });
        const response = failedResponse(error);
        await sendCfnResponse(event, response, context.logStreamName, responder);
        return response;
      }
    },
  );
}

export const handler = createHandler();
