// SPDX-License-Identifier: Apache-2.0
/**
 * `Custom::StackSet`: starts the StackSet operation for the request, then hands the wait to
 * StackSetCheckStatusWorkflow, which answers CloudFormation when the operation ends. This
 * module answers CloudFormation itself only when it cannot hand over: on failure, on an unknown
 * request type (the workflow is never started then), and on a Delete of a StackSet that does not
 * exist (a rollback after a failed Create must not fail in turn).
 */
import {
  CreateStackInstancesCommand,
  CreateStackSetCommand,
  DeleteStackInstancesCommand,
  UpdateStackSetCommand,
  type CloudFormationClient,
  type Parameter,
} from '@aws-sdk/client-cloudformation';
import { StartExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import {
  routeCustomResource,
  sendCfnResponse,
  SUCCESS,
  type CustomResourceContext,
  type CustomResourceResponse,
  type RequestType,
  type SendResponseDeps,
} from '../../utils/custom-resource';
import type { Now } from '../../utils/time';
import type { Logger } from '../../utils/logger';
import type { ConfigOf, METRICS_ENV } from '../../utils/config';
import {
  metricsSettings,
  sendAnonymousMetric,
  type MetricsDeps,
  type MetricsSettings,
} from '../../utils/metrics';
import { errorName } from '../../utils/errors';
import { isRequestType, failedResponse, requireProperty } from './properties';
import type { StackSetEvent, StackSetProperties, StackSetStatusWorkflowInput } from './types';

export interface StackSetManagerConfig extends ConfigOf<typeof METRICS_ENV> {
  AWS_REGION: string;
  STATE_MACHINE_ARN: string;
  COGNITO_TPS?: string;
  EXPORT_FREQUENCY?: string;
  SNS_PREFERENCE?: string;
}

export interface StackSetManagerDeps {
  /** Parsed inside the request's error handling, so a bad environment is answered FAILED. */
  config: () => StackSetManagerConfig;
  cloudFormation: CloudFormationClient;
  sfn: SFNClient;
  /** The solution's identity for the metric; the metric switches come from `config`. */
  solution: Pick<MetricsSettings, 'solutionId' | 'solutionVersion'>;
  metricsDeps: MetricsDeps;
  responder: SendResponseDeps;
  logger: Logger;
  now: Now;
}

export type StackSetOperation = { operationId: string } | { nothingToDelete: true };

export function stackSetParameters(properties: StackSetProperties): Parameter[] {
  return Object.entries(properties.StackSetParameters ?? {}).map(([key, value]) => ({
    ParameterKey: key,
    ParameterValue: String(value),
  }));
}

/** The fields CreateStackSet and UpdateStackSet share. */
function stackSetDefinition(properties: StackSetProperties) {
  return {
    StackSetName: requireProperty(properties, 'StackSetName'),
    TemplateURL: requireProperty(properties, 'TemplateURL'),
    AdministrationRoleARN: requireProperty(properties, 'AdministrationRoleARN'),
    ExecutionRoleName: requireProperty(properties, 'ExecutionRoleName'),
    Capabilities: ['CAPABILITY_IAM' as const],
    Parameters: stackSetParameters(properties),
  };
}

/** One account; the secondary region first, then the primary (this Lambda's) region. */
function instanceTargets(properties: StackSetProperties, region: string) {
  return {
    StackSetName: requireProperty(properties, 'StackSetName'),
    Accounts: [requireProperty(properties, 'AccountId')],
    Regions: [requireProperty(properties, 'SecondaryRegion'), region],
  };
}

async function startOperation(
  requestType: RequestType,
  properties: StackSetProperties,
  cloudFormation: CloudFormationClient,
  region: string,
): Promise<string | undefined> {
  if (requestType === 'Create') {
    await cloudFormation.send(new CreateStackSetCommand(stackSetDefinition(properties)));
    return (await cloudFormation.send(new CreateStackInstancesCommand(instanceTargets(properties, region))))
      .OperationId;
  }
  if (requestType === 'Update') {
    return (await cloudFormation.send(new UpdateStackSetCommand(stackSetDefinition(properties)))).OperationId;
  }
  const targets = { ...instanceTargets(properties, region), RetainStacks: false };
  return (await cloudFormation.send(new DeleteStackInstancesCommand(targets))).OperationId;
}

export async function startStackSetOperation(
  requestType: RequestType,
  properties: StackSetProperties,
  cloudFormation: CloudFormationClient,
  region: string,
): Promise<StackSetOperation> {
  let operationId: string | undefined;
  try {
    operationId = await startOperation(requestType, properties, cloudFormation, region);
  } catch (error) {
    if (requestType === 'Delete' && errorName(error) === 'StackSetNotFoundException')
      return { nothingToDelete: true };
    throw error;
  }
  if (!operationId) throw new Error(`CloudFormation returned no OperationId for the StackSet ${requestType}`);
  return { operationId };
}

export function statusWorkflowInput(
  event: StackSetEvent,
  operationId: string,
  customResourceStartTime: number,
): StackSetStatusWorkflowInput {
  return { customResourceStartTime, operationId, customResourceEvent: event };
}

/**
 * Returns the event when the operation was handed over (or nothing was left to delete), or the
 * FAILED response that was sent. A FAILED response that cannot be delivered is thrown.
 */
export async function manageStackSet(
  event: StackSetEvent,
  context: CustomResourceContext,
  deps: StackSetManagerDeps,
): Promise<StackSetEvent | CustomResourceResponse> {
  // The router answers FAILED for an unknown request type; nothing is started.
  if (!isRequestType(event.RequestType)) return routeCustomResource(event, context, {}, deps.responder);

  const customResourceStartTime = deps.now();
  let config: StackSetManagerConfig;
  try {
    config = deps.config();
    const operation = await startStackSetOperation(
      event.RequestType,
      event.ResourceProperties,
      deps.cloudFormation,
      config.AWS_REGION,
    );
    if ('nothingToDelete' in operation) {
      deps.logger.info('The StackSet does not exist; nothing to delete');
      await sendCfnResponse(
        event,
        { status: SUCCESS, data: { Message: 'Delete Successful' } },
        context.logStreamName,
        deps.responder,
      );
    } else {
      await deps.sfn.send(
        new StartExecutionCommand({
          stateMachineArn: config.STATE_MACHINE_ARN,
          input: JSON.stringify(statusWorkflowInput(event, operation.operationId, customResourceStartTime)),
        }),
      );
      deps.logger.info('Started the StackSet status workflow', {
        requestType: event.RequestType,
        operationId: operation.operationId,
      });
    }
  } catch (error) {
    deps.logger.error('StackSet request failed', { requestType: event.RequestType, error });
    const response = failedResponse(error);
    await sendCfnResponse(event, response, context.logStreamName, deps.responder);
    return response;
  }

  await sendAnonymousMetric(
    metricsSettings(config, deps.solution),
    {
      EventType: `Solution-${event.RequestType}`,
      EventDetails: {
        Region: config.AWS_REGION,
        CognitoTPS: config.COGNITO_TPS,
        SnsPreference: config.SNS_PREFERENCE,
        ExportFrequency: config.EXPORT_FREQUENCY,
      },
    },
    deps.metricsDeps,
  );
  return event;
}
