// SPDX-License-Identifier: Apache-2.0
/**
 * "Deploys" the solution onto the local emulators from the real templates, as CloudFormation and the
 * StackSet would: the main template's BackupTable and the custom resources that produce the fixed
 * parameters (SolutionConstants, StackChecker, which writes them to SSM), then the StackSet template's
 * StackSetConstants (which reads them back), queues with their dead-letter queues, topic, mapping
 * bucket, Lambda functions (Handler, Timeout, Environment) and the two workflow state machines.
 * Only what the workflows reference is created. Custom resources run their real handlers.
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CreateTableCommand, type CreateTableCommandInput, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { DescribeExecutionCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import {
  type CfnResource,
  isJsonObject,
  type Json,
  type JsonObject,
  loadTemplate,
  type ResourceValue,
  TemplateError,
  TemplateStack,
} from './cfn-template';
import type { FakeServices } from './fake-services';
import { type InvocationEvent, type InvocationHooks, LambdaHost, type LocalFunction } from './lambda-host';
import {
  type ExecutionEvent,
  type ExecutionRecord,
  LocalStepFunctions,
  type StateMachineInfo,
} from './step-functions';

export const MAIN_TEMPLATE = 'deployment/cognito-user-profiles-export-reference-architecture.yaml';
export const STACKSET_TEMPLATE = 'deployment/stack-set-template.yaml';

/** Where the deployment finds the emulators (started by emulators.ts). */
export interface EmulatorEndpoints {
  region: string;
  accountId: string;
  dynamodb: string;
  fauxqs: string;
  fakes: FakeServices;
}

export interface DeployOptions {
  /** Repository root (templates under deployment/, handlers under source/). */
  root: string;
  primaryUserPoolId: string;
  /** Main stack name; each deployment in one process needs its own (SSM parameter name). */
  stackName: string;
  cognitoTps: number;
  snsPreference?: 'INFO_AND_ERRORS' | 'ERRORS_ONLY';
  /**
   * Main-template parameters as an operator sets them (e.g. `AllowMfaUserPools: 'Yes'`); the StackSet
   * gets what the main template's StackSetParameters pass on, as the StackSet manager does.
   */
  parameters?: Record<string, string>;
  secondaryRegion?: string;
  notificationEmail?: string;
  /** Milliseconds a Wait state waits (default: its Seconds, capped at 250 ms). */
  waitMs?: (stateName: string, seconds: number | undefined) => number;
  onLambdaLog?: (fn: LocalFunction, line: string) => void;
  onInvocation?: (event: InvocationEvent) => void;
  onExecutionEvent?: (execution: ExecutionRecord, event: ExecutionEvent) => void;
  /** Crash points of each invocation (fault injection). */
  invocationHooks?: (fn: LocalFunction) => InvocationHooks | undefined;
  /** A function's timeout in seconds instead of the template's (fault injection: short timeouts). */
  functionTimeout?: (fn: LocalFunction) => number;
  mainTemplatePath?: string;
  stackSetTemplatePath?: string;
}

export interface Notification {
  message: string;
  kind: 'success' | 'error' | 'other';
}

const CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };
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

function classify(message: string): Notification['kind'] {
  if (/completed successfully/i.test(message)) return 'success';
  // An expected refusal ("The <workflow> stopped: ...") is an error notification too.
  if (/error/i.test(message) || /^The \S+ stopped: /.test(message)) return 'error';
  return 'other';
}

export class Deployment {
  readonly lambdas: LambdaHost;
  readonly sfnApi: SFNClient;
  sfn!: LocalStepFunctions;
  tableName = '';
  /** The StackSetConstants attributes (the fixed parameters the main stack stored in SSM). */
  constants: Record<string, Json> = {};
  stateMachines = new Map<string, StateMachineInfo>();
  /** Bucket names by logical id. */
  readonly buckets = new Map<string, string>();
  private notificationQueueUrl = '';
  private readonly received: Notification[] = [];
  private readonly sqs: SQSClient;
  private readonly sns: SNSClient;
  private readonly s3: S3Client;
  private readonly ddb: DynamoDBClient;
  private ssmParameterName = '';
  /** States entered so far, per execution, and who waits for which. */
  private readonly entered = new Map<string, Set<string>>();
  private readonly stateWaiters: { arn: string; state: string; resolve: () => void }[] = [];

  private constructor(
    private readonly endpoints: EmulatorEndpoints,
    private readonly options: DeployOptions,
  ) {
    const common = { region: endpoints.region, credentials: CREDENTIALS, maxAttempts: 3 };
    this.sqs = new SQSClient({ ...common, endpoint: endpoints.fauxqs });
    this.sns = new SNSClient({ ...common, endpoint: endpoints.fauxqs });
    this.s3 = new S3Client({ ...common, endpoint: endpoints.fauxqs, forcePathStyle: true });
    this.ddb = new DynamoDBClient({ ...common, endpoint: endpoints.dynamodb });
    this.sfnApi = new SFNClient({ ...common, endpoint: endpoints.fakes.endpoint });
    this.lambdas = new LambdaHost({
      sourceRoot: join(options.root, 'source'),
      region: endpoints.region,
      functions: [],
      onLog: options.onLambdaLog,
      onInvocation: options.onInvocation,
      ...(options.invocationHooks !== undefined ? { hooks: options.invocationHooks } : {}),
    });
  }

  static async deploy(endpoints: EmulatorEndpoints, options: DeployOptions): Promise<Deployment> {
    const deployment = new Deployment(endpoints, options);
    await deployment.create();
    return deployment;
  }

  private templatePath(given: string | undefined, fallback: string): string {
    const path = given ?? join(this.options.root, fallback);
    if (!existsSync(path)) throw new TemplateError(`Template ${path} does not exist`);
    return path;
  }

  private async create(): Promise<void> {
    const { region, accountId } = this.endpoints;
    const stackName = this.options.stackName;
    const notificationEmail = this.options.notificationEmail ?? 'backup-admin@example.com';
    const main = new TemplateStack(
      loadTemplate(this.templatePath(this.options.mainTemplatePath, MAIN_TEMPLATE)),
      {
        parameters: {
          PrimaryUserPoolId: this.options.primaryUserPoolId,
          SecondaryRegion: this.options.secondaryRegion ?? 'us-west-2',
          NotificationEmail: notificationEmail,
          CognitoTPS: String(this.options.cognitoTps),
          SnsPreference: this.options.snsPreference ?? 'INFO_AND_ERRORS',
          ...this.options.parameters,
        },
        pseudo: { region, accountId, partition: 'aws', stackName },
        provision: (id, resource, stack) => this.provision(id, resource, stack),
      },
    );
    // The StackChecker custom resource validates the pool and stores the fixed parameters in SSM; it
    // pulls in the backup table and the SolutionConstants custom resource it references.
    await main.resource('StackCheckerCustomResource');
    this.ssmParameterName = `/${stackName}-${region}/fixed-solution-parameters`;

    const stackSet = new TemplateStack(
      loadTemplate(this.templatePath(this.options.stackSetTemplatePath, STACKSET_TEMPLATE)),
      {
        parameters: {
          ...(await this.stackSetParameters(main)),
          PrimaryRegion: region,
          SendAnonymousData: 'No',
          ParentStackName: stackName,
          // The main stack's StackSetRolesBoundary; roles are not provisioned locally.
          PermissionsBoundaryArn: `arn:aws:iam::${accountId}:policy/${stackName}-StackSetRolesBoundary`,
        },
        pseudo: {
          region,
          accountId,
          partition: 'aws',
          stackName: `StackSet-${stackName}-StackSet-${randomUUID()}`,
        },
        provision: (id, resource, stack) => this.provision(id, resource, stack),
      },
    );
    const machineIds = await stackSet.resourceIds('AWS::StepFunctions::StateMachine');
    for (const id of machineIds) this.stateMachines.set(id, await this.stateMachine(id, stackSet));
    for (const required of ['ExportWorkflow', 'ImportWorkflow']) {
      if (!this.stateMachines.has(required))
        throw new TemplateError(`The StackSet template has no ${required}`);
    }
    const topics = await stackSet.resourceIds('AWS::SNS::Topic');
    if (topics[0] !== undefined) await this.subscribeCounter((await stackSet.resource(topics[0])).ref);
    const constants = await stackSet.resourceIds('Custom::StackSetConstants');
    if (constants[0] !== undefined) this.constants = (await stackSet.resource(constants[0])).attributes;

    this.sfn = new LocalStepFunctions({
      region,
      accountId,
      machines: [...this.stateMachines.values()],
      lambdas: this.lambdas,
      waitMs: this.options.waitMs,
      onEvent: (execution, event) => {
        if (event.type === 'StateEntered' && event.stateName !== undefined)
          this.stateEntered(execution, event.stateName);
        this.options.onExecutionEvent?.(execution, event);
      },
    });
    this.endpoints.fakes.attachStepFunctions(this.sfn);
  }

  /** What the main template's StackSetManagerCustomResource passes to the StackSet as parameters. */
  private async stackSetParameters(main: TemplateStack): Promise<Record<string, string>> {
    const given = main.template.Resources?.StackSetManagerCustomResource?.Properties?.StackSetParameters;
    const resolved = given === undefined ? {} : await main.resolve(given as Json);
    const parameters: Record<string, string> = {};
    if (isJsonObject(resolved)) {
      for (const [name, value] of Object.entries(resolved)) parameters[name] = String(value);
    }
    return parameters;
  }

  private async stateMachine(logicalId: string, stack: TemplateStack): Promise<StateMachineInfo> {
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
    };
  }

  private async provision(
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
      const created = await this.sqs.send(
        new CreateQueueCommand({ QueueName: name, Attributes: attributes }),
      );
      const url = created.QueueUrl ?? '';
      const arn = `arn:aws:sqs:${region}:${accountId}:${name}`;
      return { ref: url, attributes: { Arn: arn, QueueName: name, QueueUrl: url } };
    }
    if (resource.Type === 'AWS::SNS::Topic') {
      const props = await stack.properties(logicalId);
      const name = physicalName(props, 'TopicName', stack, logicalId);
      const created = await this.sns.send(new CreateTopicCommand({ Name: name }));
      const arn = created.TopicArn ?? '';
      return { ref: arn, attributes: { TopicArn: arn, TopicName: name } };
    }
    if (resource.Type === 'AWS::S3::Bucket') {
      const props = await stack.properties(logicalId);
      const name = physicalName(props, 'BucketName', stack, logicalId).toLowerCase();
      await this.s3.send(new CreateBucketCommand({ Bucket: name }));
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
      await this.ddb.send(new CreateTableCommand(input));
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
      if (this.options.functionTimeout !== undefined) fn.timeoutSeconds = this.options.functionTimeout(fn);
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
        async (error: unknown) => {
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
      return { ref: String(answer.PhysicalResourceId ?? logicalId), attributes: data };
    } finally {
      clearTimeout(timer);
    }
  }

  private async subscribeCounter(topicArn: string): Promise<void> {
    const name = `local-run-notifications-${randomUUID().slice(0, 8)}`;
    const queue = await this.sqs.send(new CreateQueueCommand({ QueueName: name }));
    this.notificationQueueUrl = queue.QueueUrl ?? '';
    const arn = `arn:aws:sqs:${this.endpoints.region}:${this.endpoints.accountId}:${name}`;
    await this.sns.send(new SubscribeCommand({ TopicArn: topicArn, Protocol: 'sqs', Endpoint: arn }));
  }

  /** Every SNS message the topic has delivered so far (read from the subscribed counting queue). */
  async notifications(): Promise<Notification[]> {
    if (this.notificationQueueUrl === '') return this.received;
    for (;;) {
      const batch = await this.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: this.notificationQueueUrl,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 0,
        }),
      );
      const messages = batch.Messages ?? [];
      if (messages.length === 0) break;
      for (const message of messages) {
        let text = message.Body ?? '';
        try {
          const envelope = JSON.parse(text) as { Message?: string };
          if (typeof envelope.Message === 'string') text = envelope.Message;
        } catch {
          // a raw (non-envelope) delivery: keep the body
        }
        this.received.push({ message: text, kind: classify(text) });
      }
      await this.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: this.notificationQueueUrl,
          Entries: messages.map((message, index) => ({
            Id: String(index),
            ReceiptHandle: message.ReceiptHandle ?? '',
          })),
        }),
      );
    }
    return [...this.received];
  }

  private stateEntered(execution: ExecutionRecord, stateName: string): void {
    let states = this.entered.get(execution.executionArn);
    if (states === undefined) {
      states = new Set();
      this.entered.set(execution.executionArn, states);
    }
    states.add(stateName);
    for (let i = this.stateWaiters.length - 1; i >= 0; i -= 1) {
      const waiter = this.stateWaiters[i];
      if (waiter?.arn === execution.executionArn && waiter.state === stateName) {
        this.stateWaiters.splice(i, 1);
        waiter.resolve();
      }
    }
  }

  /** Resolves once the execution has entered the state (at once if it already did). */
  waitForState(executionArn: string, stateName: string): Promise<void> {
    if (this.entered.get(executionArn)?.has(stateName)) return Promise.resolve();
    return new Promise((resolve) => this.stateWaiters.push({ arn: executionArn, state: stateName, resolve }));
  }

  /** The objects under `prefix` in the bucket with that logical id, by key (for the run's checks). */
  async objects(bucketLogicalId: string, prefix: string): Promise<Map<string, string>> {
    const bucket = this.buckets.get(bucketLogicalId);
    if (bucket === undefined) throw new TemplateError(`No bucket ${bucketLogicalId}`);
    const out = new Map<string, string>();
    let token: string | undefined;
    do {
      const page = await this.s3.send(
        new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
      );
      for (const { Key: key } of page.Contents ?? []) {
        if (key === undefined) continue;
        const object = await this.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        out.set(key, (await object.Body?.transformToString('utf8')) ?? '');
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return out;
  }

  machine(logicalId: string): StateMachineInfo {
    const info = this.stateMachines.get(logicalId);
    if (info === undefined) throw new TemplateError(`No state machine ${logicalId}`);
    return info;
  }

  /** StartExecution through the (fake) Step Functions API, as a user or EventBridge would. */
  async start(logicalId: string, input: Json = {}): Promise<string> {
    const reply = await this.sfnApi.send(
      new StartExecutionCommand({
        stateMachineArn: this.machine(logicalId).arn,
        input: JSON.stringify(input),
      }),
    );
    return reply.executionArn ?? '';
  }

  async wait(executionArn: string): Promise<ExecutionRecord> {
    await this.sfn.wait(executionArn);
    const described = await this.sfnApi.send(new DescribeExecutionCommand({ executionArn }));
    const record = this.sfn.describe(executionArn);
    if (record === undefined || described.status === undefined)
      throw new Error(`Lost execution ${executionArn}`);
    return record;
  }

  async run(logicalId: string, input: Json = {}): Promise<ExecutionRecord> {
    return this.wait(await this.start(logicalId, input));
  }

  /** Stops what is still running and removes the SSM document, so the stack name can be reused. */
  async teardown(): Promise<void> {
    await this.sfn?.stopAll();
    if (this.sfn !== undefined) this.endpoints.fakes.detachStepFunctions(this.sfn);
    if (this.ssmParameterName !== '') this.endpoints.fakes.deleteParameter(this.ssmParameterName);
  }
}
