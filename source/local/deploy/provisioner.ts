// SPDX-License-Identifier: Apache-2.0
/**
 * Creates a template's resources on the emulators, as CloudFormation would, when the template stack
 * first needs them: queues with their attributes, topics, buckets, tables, Lambda functions (registered
 * with the LambdaHost) and custom resources (their real handlers, answered through the fake response
 * URL). Also reads a state machine's definition and the parameters the main stack passes to the StackSet.
 */
import { randomUUID } from 'node:crypto';
import {
  CreateTableCommand,
  type CreateTableCommandInput,
  UpdateContinuousBackupsCommand,
} from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { CreateTopicCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand } from '@aws-sdk/client-sqs';
import type { LambdaHost, LocalFunction } from '../aws/lambda-host';
import type { StateMachineInfo } from '../aws/step-functions';
import {
  type CfnResource,
  isJsonObject,
  type Json,
  type JsonObject,
  type ResourceValue,
  TemplateError,
  type TemplateStack,
} from './cfn-template';
import type { EmulatorClients, EmulatorEndpoints } from './endpoints';

const CUSTOM_RESOURCE_TIMEOUT_MS = 60_000;
/** SQS attributes the emulator understands (encryption and tags are left out locally). */
const QUEUE_ATTRIBUTES = [
  'DelaySeconds',
  'MaximumMessageSize',
  'MessageRetentionPeriod',
  'ReceiveMessageWaitTimeSeconds',
  'VisibilityTimeout',
  'FifoQueue',
  'ContentBasedDeduplication',
];

function isCustomResource(type: string): boolean {
  return type.startsWith('Custom::') || type === 'AWS::CloudFormation::CustomResource';
}

/** The name the template gives a resource, or the one CloudFormation would generate. */
function physicalName(props: JsonObject, key: string, stack: TemplateStack, logicalId: string): string {
  const given = props[key];
  return typeof given === 'string' ? given : stack.generatedName(logicalId);
}

export class Provisioner {
  /** The first table created: the backup table. */
  tableName = '';
  /** Bucket names by logical id. */
  readonly buckets = new Map<string, string>();

  constructor(
    private readonly endpoints: EmulatorEndpoints,
    private readonly clients: EmulatorClients,
    private readonly lambdas: LambdaHost,
    /** A function's timeout in seconds instead of the template's (fault injection: short timeouts). */
    private readonly functionTimeout?: (fn: LocalFunction) => number,
  ) {}

  /** What the main template's StackSetManagerCustomResource passes to the StackSet as parameters. */
  async stackSetParameters(main: TemplateStack): Promise<Record<string, string>> {
    const given = main.template.Resources?.StackSetManagerCustomResource?.Properties?.StackSetParameters;
    const resolved = given === undefined ? {} : await main.resolve(given as Json);
    const parameters: Record<string, string> = {};
    if (isJsonObject(resolved)) {
      for (const [name, value] of Object.entries(resolved)) parameters[name] = String(value);
    }
    return parameters;
  }

  async stateMachine(logicalId: string, stack: TemplateStack): Promise<StateMachineInfo> {
    const value = await stack.resource(logicalId);
    const props = await stack.properties(logicalId);
    let definition: Json;
    if (typeof props.DefinitionString === 'string') {
      definition = JSON.parse(props.DefinitionString) as Json;
    } else if (isJsonObject(props.Definition)) {
      let text = JSON.stringify(props.Definition);
      for (const [key, replacement] of Object.entries(
        isJsonObject(props.DefinitionSubstitutions) ? props.DefinitionSubstitutions : {},
      )) {
        text = text.split(`\${${key}}`).join(String(replacement));
      }
      definition = JSON.parse(text) as Json;
    } else {
      throw new TemplateError(`${logicalId}: neither DefinitionString nor Definition`);
    }
    if (!isJsonObject(definition)) throw new TemplateError(`${logicalId}: the definition is not an object`);
    return {
      logicalId,
      name: String(value.attributes.Name),
      arn: value.ref,
      roleArn: typeof props.RoleArn === 'string' ? props.RoleArn : undefined,
      definition,
      tags: Object.fromEntries(
        (Array.isArray(props.Tags) ? props.Tags : [])
          .filter(isJsonObject)
          .map((tag) => [String(tag.Key), String(tag.Value)]),
      ),
    };
  }

  async provision(
    logicalId: string,
    resource: CfnResource,
    stack: TemplateStack,
  ): Promise<ResourceValue | undefined> {
    const { region, accountId } = this.endpoints;
    if (resource.Type === 'AWS::SQS::Queue') {
      const props = await stack.properties(logicalId);
      const name = physicalName(props, 'QueueName', stack, logicalId);
      const attributes: Record<string, string> = {};
      for (const key of QUEUE_ATTRIBUTES) if (props[key] !== undefined) attributes[key] = String(props[key]);
      if (props.RedrivePolicy !== undefined) {
        attributes.RedrivePolicy =
          typeof props.RedrivePolicy === 'string' ? props.RedrivePolicy : JSON.stringify(props.RedrivePolicy);
      }
      const created = await this.clients.sqs.send(
        new CreateQueueCommand({ QueueName: name, Attributes: attributes }),
      );
      const url = created.QueueUrl ?? '';
      const arn = `arn:aws:sqs:${region}:${accountId}:${name}`;
      return { ref: url, attributes: { Arn: arn, QueueName: name, QueueUrl: url } };
    }
    if (resource.Type === 'AWS::SNS::Topic') {
      const props = await stack.properties(logicalId);
      const name = physicalName(props, 'TopicName', stack, logicalId);
      const created = await this.clients.sns.send(new CreateTopicCommand({ Name: name }));
      const arn = created.TopicArn ?? '';
      return { ref: arn, attributes: { TopicArn: arn, TopicName: name } };
    }
    if (resource.Type === 'AWS::S3::Bucket') {
      const props = await stack.properties(logicalId);
      const name = physicalName(props, 'BucketName', stack, logicalId).toLowerCase();
      await this.clients.s3.send(new CreateBucketCommand({ Bucket: name }));
      this.buckets.set(logicalId, name);
      return {
        ref: name,
        attributes: {
          Arn: `arn:aws:s3:::${name}`,
          DomainName: `${name}.s3.amazonaws.com`,
          RegionalDomainName: `${name}.s3.${region}.amazonaws.com`,
        },
      };
    }
    if (resource.Type === 'AWS::DynamoDB::Table' || resource.Type === 'AWS::DynamoDB::GlobalTable') {
      const props = await stack.properties(logicalId);
      const name = physicalName(props, 'TableName', stack, logicalId);
      const input = {
        TableName: name,
        AttributeDefinitions: props.AttributeDefinitions,
        KeySchema: props.KeySchema,
        BillingMode: props.BillingMode ?? 'PAY_PER_REQUEST',
        ...(props.ProvisionedThroughput ? { ProvisionedThroughput: props.ProvisionedThroughput } : {}),
        ...(props.GlobalSecondaryIndexes ? { GlobalSecondaryIndexes: props.GlobalSecondaryIndexes } : {}),
        ...(props.LocalSecondaryIndexes ? { LocalSecondaryIndexes: props.LocalSecondaryIndexes } : {}),
      } as unknown as CreateTableCommandInput;
      await this.clients.ddb.send(new CreateTableCommand(input));
      // CloudFormation turns point-in-time recovery on after the table exists, as UpdateContinuousBackups
      // does; the local DynamoDB front emulates it (its window starts now).
      const pitr = props.PointInTimeRecoverySpecification;
      if (isJsonObject(pitr) && pitr.PointInTimeRecoveryEnabled === true) {
        await this.clients.ddb.send(
          new UpdateContinuousBackupsCommand({
            TableName: name,
            PointInTimeRecoverySpecification: {
              PointInTimeRecoveryEnabled: true,
              ...(typeof pitr.RecoveryPeriodInDays === 'number'
                ? { RecoveryPeriodInDays: pitr.RecoveryPeriodInDays }
                : {}),
            },
          }),
        );
      }
      if (this.tableName === '') this.tableName = name;
      const arn = `arn:aws:dynamodb:${region}:${accountId}:table/${name}`;
      return { ref: name, attributes: { Arn: arn, StreamArn: `${arn}/stream/local` } };
    }
    if (resource.Type === 'AWS::Lambda::Function') {
      const props = await stack.properties(logicalId);
      const name = physicalName(props, 'FunctionName', stack, logicalId);
      const arn = `arn:aws:lambda:${region}:${accountId}:function:${name}`;
      const variables =
        isJsonObject(props.Environment) && isJsonObject(props.Environment.Variables)
          ? props.Environment.Variables
          : {};
      const environment: Record<string, string> = {};
      for (const [key, value] of Object.entries(variables)) {
        environment[key] = typeof value === 'string' ? value : JSON.stringify(value);
      }
      const fn: LocalFunction = {
        logicalId,
        name,
        arn,
        handler: String(props.Handler),
        timeoutSeconds: typeof props.Timeout === 'number' ? props.Timeout : Number(props.Timeout ?? 3),
        memoryMb: typeof props.MemorySize === 'number' ? props.MemorySize : Number(props.MemorySize ?? 128),
        environment,
      };
      if (this.functionTimeout !== undefined) fn.timeoutSeconds = this.functionTimeout(fn);
      this.lambdas.register(fn);
      // Fails now, with the function's name, when the Handler names no file.
      this.lambdas.modulePath(fn);
      return { ref: name, attributes: { Arn: arn } };
    }
    if (isCustomResource(resource.Type)) return this.runCustomResource(logicalId, resource, stack);
    return undefined;
  }

  /** Sends the Create request to the custom resource's Lambda and waits for its CloudFormation answer. */
  private async runCustomResource(
    logicalId: string,
    resource: CfnResource,
    stack: TemplateStack,
  ): Promise<ResourceValue> {
    const props = await stack.properties(logicalId);
    const token = String(props.ServiceToken);
    if (this.lambdas.find(token) === undefined)
      throw new TemplateError(`${logicalId}: ServiceToken ${token} is not a local function`);
    const { url, response } = this.endpoints.fakes.cfnResponseUrl();
    const { region, accountId } = this.endpoints;
    const event = {
      RequestType: 'Create',
      ServiceToken: token,
      ResponseURL: url,
      StackId: `arn:aws:cloudformation:${region}:${accountId}:stack/${stack.pseudo.stackName}/${randomUUID()}`,
      RequestId: randomUUID(),
      LogicalResourceId: logicalId,
      ResourceType: resource.Type,
      ResourceProperties: props,
    };
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new TemplateError(`${logicalId}: no CloudFormation response`)),
        CUSTOM_RESOURCE_TIMEOUT_MS,
      );
    });
    try {
      // The answer is the PUT to the response URL; a handler that fails without answering fails here.
      const invoked = this.lambdas.invoke(token, event).then(
        () => response,
        (error: unknown) => {
          throw new TemplateError(
            `${logicalId} (${resource.Type}): its Lambda failed: ${(error as Error).message}`,
          );
        },
      );
      const answer = await Promise.race([response, invoked, timeout]);
      if (answer.Status !== 'SUCCESS') {
        throw new TemplateError(`${logicalId} (${resource.Type}) failed: ${answer.Reason ?? answer.Status}`);
      }
      const data: Record<string, Json> = isJsonObject(answer.Data) ? answer.Data : {};
      return { ref: answer.PhysicalResourceId ?? logicalId, attributes: data };
    } finally {
      clearTimeout(timer);
    }
  }
}
