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
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DescribeExecutionCommand, type SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import {
  type CfnTemplate,
  isJsonObject,
  loadTemplate,
  type Json,
  TemplateError,
  TemplateStack,
} from './cfn-template';
import { alarmStates, metricAlarm, type AlarmState, type MetricAlarm } from '../aws/alarms';
import { emulatorClients, type EmulatorClients, type EmulatorEndpoints } from './endpoints';
import { NotificationInbox, type Notification } from './notifications';
import { Provisioner } from './provisioner';
import { StateWaiters } from './state-waiters';
import {
  type InvocationEvent,
  type InvocationHooks,
  LambdaHost,
  type LocalFunction,
} from '../aws/lambda-host';
import {
  type ExecutionEvent,
  type ExecutionRecord,
  LocalStepFunctions,
  type StateMachineInfo,
} from '../aws/step-functions';

export type { EmulatorEndpoints } from './endpoints';
export type { Notification } from './notifications';

export const MAIN_TEMPLATE = 'deployment/cognito-user-profiles-export-reference-architecture.yaml';
export const STACKSET_TEMPLATE = 'deployment/stack-set-template.yaml';

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
  invocationHooks?: (fn: LocalFunction, event: unknown) => InvocationHooks | undefined;
  /** A function's timeout in seconds instead of the template's (fault injection: short timeouts). */
  functionTimeout?: (fn: LocalFunction) => number;
  mainTemplatePath?: string;
  stackSetTemplatePath?: string;
}

/**
 * One local deployment: the order of the stacks (`create`), and what the run and the tests do with
 * it (start and wait for executions, read notifications and bucket objects, tear down). Resources are
 * created by the `Provisioner`, notifications read by the `NotificationInbox`, entered states tracked
 * by `StateWaiters`.
 */
export class Deployment {
  readonly lambdas: LambdaHost;
  readonly sfnApi: SFNClient;
  sfn!: LocalStepFunctions;
  /** The StackSetConstants attributes (the fixed parameters the main stack stored in SSM). */
  constants: Record<string, Json> = {};
  stateMachines = new Map<string, StateMachineInfo>();
  /**
   * The stack-set template's alarms on the metrics the product puts itself (its namespace), which the
   * harness evaluates (aws/alarms.ts). Alarms on AWS's own metrics (AWS/SQS) are left out: no emulator
   * publishes those.
   */
  alarms: MetricAlarm[] = [];
  private readonly clients: EmulatorClients;
  private readonly provisioner: Provisioner;
  private readonly inbox: NotificationInbox;
  private readonly waiters = new StateWaiters();
  private ssmParameterName = '';

  private constructor(
    private readonly endpoints: EmulatorEndpoints,
    private readonly options: DeployOptions,
  ) {
    this.clients = emulatorClients(endpoints);
    this.sfnApi = this.clients.sfnApi;
    this.lambdas = new LambdaHost({
      sourceRoot: join(options.root, 'source'),
      region: endpoints.region,
      functions: [],
      onLog: options.onLambdaLog,
      onInvocation: options.onInvocation,
      ...(options.invocationHooks !== undefined ? { hooks: options.invocationHooks } : {}),
    });
    this.provisioner = new Provisioner(endpoints, this.clients, this.lambdas, options.functionTimeout);
    this.inbox = new NotificationInbox(endpoints, this.clients);
  }

  static async deploy(endpoints: EmulatorEndpoints, options: DeployOptions): Promise<Deployment> {
    const deployment = new Deployment(endpoints, options);
    await deployment.create();
    return deployment;
  }

  /** The backup table's name. */
  get tableName(): string {
    return this.provisioner.tableName;
  }

  /** Bucket names by logical id. */
  get buckets(): ReadonlyMap<string, string> {
    return this.provisioner.buckets;
  }

  /**
   * The template with the solution version that build-s3-dist.sh would write (`v<package.json version>`),
   * so that the Lambdas log and report a real version instead of `VERSION_PLACEHOLDER`.
   */
  private versioned(template: CfnTemplate): CfnTemplate {
    const config = template.Mappings?.Solution?.Config;
    if (config?.Version === 'VERSION_PLACEHOLDER') {
      const { version } = JSON.parse(readFileSync(join(this.options.root, 'package.json'), 'utf8')) as {
        version: string;
      };
      config.Version = `v${version}`;
    }
    return template;
  }

  /**
   * Only the primary Region's stack instance runs locally, but a snapshot also exports the table's replica into
   * the backup Region's snapshot bucket (SNAPSHOT_REPLICA_BUCKET of the snapshot function). The local DynamoDB
   * takes the backup Region's table ARN as the replica's (locally the same table: replication is immediate),
   * and the local S3 gets the bucket that Region's stack instance would create.
   */
  private async backupRegionSnapshots(stackSet: TemplateStack, backupRegion: string): Promise<void> {
    if (!(await stackSet.resourceIds('AWS::S3::Bucket')).includes('SnapshotBucket')) return;
    const environment = (await stackSet.properties('TableSnapshotLambda')).Environment;
    const variables = isJsonObject(environment) ? environment.Variables : undefined;
    const bucket = isJsonObject(variables) ? variables.SNAPSHOT_REPLICA_BUCKET : undefined;
    if (typeof bucket !== 'string') return;
    this.endpoints.exports?.addReplicaRegion(backupRegion);
    await this.clients.s3.send(new CreateBucketCommand({ Bucket: bucket }));
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
      this.versioned(loadTemplate(this.templatePath(this.options.mainTemplatePath, MAIN_TEMPLATE))),
      {
        parameters: {
          PrimaryUserPoolId: this.options.primaryUserPoolId,
          SecondaryRegion: this.options.secondaryRegion ?? 'us-west-2',
          NotificationEmail: notificationEmail,
          CognitoTPS: String(this.options.cognitoTps),
          SnsPreference: this.options.snsPreference ?? 'INFO_AND_ERRORS',
          SendAnonymousData: 'No',
          // Snapshots off unless a caller asks (SnapshotRetentionDays=90): each one adds two emulated exports to
          // S3 and their polling to every export of the local runs and tests.
          SnapshotRetentionDays: '0',
          ...this.options.parameters,
        },
        pseudo: { region, accountId, partition: 'aws', stackName },
        provision: (id, resource, stack) => this.provisioner.provision(id, resource, stack),
      },
    );
    // The StackChecker custom resource validates the pool and stores the fixed parameters in SSM; it
    // pulls in the backup table and the SolutionConstants custom resource it references.
    await main.resource('StackCheckerCustomResource');
    this.ssmParameterName = `/${stackName}-${region}/fixed-solution-parameters`;

    const stackSet = new TemplateStack(
      this.versioned(loadTemplate(this.templatePath(this.options.stackSetTemplatePath, STACKSET_TEMPLATE))),
      {
        parameters: {
          ...(await this.provisioner.stackSetParameters(main)),
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
        provision: (id, resource, stack) => this.provisioner.provision(id, resource, stack),
      },
    );
    const machineIds = await stackSet.resourceIds('AWS::StepFunctions::StateMachine');
    for (const id of machineIds)
      this.stateMachines.set(id, await this.provisioner.stateMachine(id, stackSet));
    for (const required of ['ExportWorkflow', 'ImportWorkflow']) {
      if (!this.stateMachines.has(required))
        throw new TemplateError(`The StackSet template has no ${required}`);
    }
    for (const id of await stackSet.resourceIds('AWS::CloudWatch::Alarm')) {
      const alarm = metricAlarm(id, await stackSet.properties(id));
      if (!alarm.namespace.startsWith('AWS/')) this.alarms.push(alarm);
    }
    await this.backupRegionSnapshots(stackSet, this.options.secondaryRegion ?? 'us-west-2');
    const topics = await stackSet.resourceIds('AWS::SNS::Topic');
    if (topics[0] !== undefined) await this.inbox.subscribe((await stackSet.resource(topics[0])).ref);
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
          this.waiters.entered(execution, event.stateName);
        this.options.onExecutionEvent?.(execution, event);
      },
    });
    this.endpoints.fakes.attachStepFunctions(this.sfn);
  }

  /** Every SNS message the topic has delivered so far. */
  notifications(): Promise<Notification[]> {
    return this.inbox.read();
  }

  /** Each alarm's state now, evaluated against the data points the product has put so far. */
  alarmStates(now: number = Date.now()): Record<string, AlarmState> {
    return alarmStates(this.alarms, this.endpoints.fakes.metricData(), now);
  }

  /** Resolves once the execution has entered the state (at once if it already did). */
  waitForState(executionArn: string, stateName: string): Promise<void> {
    return this.waiters.waitFor(executionArn, stateName);
  }

  /** The objects under `prefix` in the bucket with that logical id, by key (for the run's checks). */
  async objects(bucketLogicalId: string, prefix: string): Promise<Map<string, string>> {
    const bucket = this.provisioner.buckets.get(bucketLogicalId);
    if (bucket === undefined) throw new TemplateError(`No bucket ${bucketLogicalId}`);
    const out = new Map<string, string>();
    let token: string | undefined;
    do {
      const page = await this.clients.s3.send(
        new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
      );
      for (const { Key: key } of page.Contents ?? []) {
        if (key === undefined) continue;
        const object = await this.clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
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
    const reply = await this.clients.sfnApi.send(
      new StartExecutionCommand({
        stateMachineArn: this.machine(logicalId).arn,
        input: JSON.stringify(input),
      }),
    );
    return reply.executionArn ?? '';
  }

  async wait(executionArn: string): Promise<ExecutionRecord> {
    await this.sfn.wait(executionArn);
    const described = await this.clients.sfnApi.send(new DescribeExecutionCommand({ executionArn }));
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
