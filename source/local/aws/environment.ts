// SPDX-License-Identifier: Apache-2.0
/**
 * The set of local emulators one run (or one test file) shares: dynalite and fauxqs in child
 * processes, the Cognito emulator and the small fakes (Step Functions API, SSM, CloudFormation
 * responses) in this process. Every server binds 127.0.0.1 on a free port. The AWS SDK clients of the
 * Lambda code reach them through `AWS_ENDPOINT_URL_<SERVICE>` variables, with dummy credentials.
 */
import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { resetClientCache } from '../../utils/clients';
import { type CognitoEmulator, startCognitoEmulator } from '../cognito';
import type { LatencyOption, ThrottlingOptions } from '../cognito';
import type { EmulatorEndpoints } from '../deploy/endpoints';
import { DynamoDbFaultFront } from './ddb-fault-front';
import { PointInTimeExports, s3ObjectWriter } from './ddb-exports';
import { startEmulatorProcess, type EmulatorProcess } from './emulators/processes';
import { FakeServices } from './fake-services';
import { type FaultPlan, seededRandom } from '../run/faults';

export interface EnvironmentOptions {
  region?: string;
  accountId?: string;
  latency?: LatencyOption;
  /** Cognito quotas (default: AWS's); `false` turns throttling off. */
  throttling?: ThrottlingOptions | false;
  /** Longest wait of an empty SQS long poll, in ms. Default 200. */
  maxReceiveWaitMs?: number;
  /**
   * Point-in-time recovery: LatestRestorableDateTime is now minus this (AWS: typically 5 minutes).
   * Default 0: a local run lasts about a minute (see ddb-exports.ts).
   */
  restorableLagMs?: number;
  /** How long an emulated table export stays IN_PROGRESS at least, ms (default 1000). */
  exportDurationMs?: number;
}

export const DEFAULT_MAX_RECEIVE_WAIT_MS = 200;
const CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

export class LocalEnvironment {
  private stopped = false;
  private baseThrottling: ThrottlingOptions | false = {};
  /** DynamoDB faults were applied at least once (their counts are then reported). */
  private ddbFaults = false;
  /** DynamoDB's point-in-time recovery and export to S3, answered by the front. */
  readonly pointInTime: PointInTimeExports;

  private constructor(
    readonly region: string,
    readonly accountId: string,
    readonly dynalite: EmulatorProcess,
    readonly fauxqs: EmulatorProcess,
    readonly cognito: CognitoEmulator,
    readonly fakes: FakeServices,
    /** The proxy every DynamoDB client goes through: faults, the write journal, exports. */
    readonly ddbFront: DynamoDbFaultFront,
    options: EnvironmentOptions,
  ) {
    this.pointInTime = new PointInTimeExports({
      journal: ddbFront.journal,
      writer: s3ObjectWriter(
        new S3Client({ region, endpoint: fauxqs.endpoint, credentials: CREDENTIALS, forcePathStyle: true }),
      ),
      region,
      accountId,
      ...(options.restorableLagMs !== undefined ? { restorableLagMs: options.restorableLagMs } : {}),
      ...(options.exportDurationMs !== undefined ? { exportDurationMs: options.exportDurationMs } : {}),
    });
    ddbFront.setExports(this.pointInTime);
  }

  static async start(options: EnvironmentOptions = {}): Promise<LocalEnvironment> {
    const region = options.region ?? 'us-east-1';
    const accountId = options.accountId ?? '000000000000';
    const started: { stop(): Promise<void> }[] = [];
    try {
      const fakes = new FakeServices(region, accountId);
      const [dynalite, fauxqs, cognito] = await Promise.all([
        startEmulatorProcess('dynalite').then((p) => (started.push(p), p)),
        startEmulatorProcess('fauxqs', {
          maxReceiveWaitMs: options.maxReceiveWaitMs ?? DEFAULT_MAX_RECEIVE_WAIT_MS,
        }).then((p) => (started.push(p), p)),
        startCognitoEmulator({
          region,
          accountId,
          latency: options.latency ?? 'none',
          ...(options.throttling !== undefined ? { throttling: options.throttling } : {}),
        }).then((c) => (started.push(c), c)),
        fakes.start().then(() => started.push(fakes)),
      ]);
      const front = new DynamoDbFaultFront(dynalite.endpoint);
      await front.start();
      started.push(front);
      const environment = new LocalEnvironment(
        region,
        accountId,
        dynalite,
        fauxqs,
        cognito,
        fakes,
        front,
        options,
      );
      if (options.throttling !== undefined) environment.baseThrottling = options.throttling;
      environment.exportEndpoints();
      return environment;
    } catch (error) {
      await Promise.allSettled(started.map((item) => item.stop()));
      throw error;
    }
  }

  /** Points every AWS SDK client of this process (the Lambda code's) at the emulators. */
  private exportEndpoints(): void {
    const env = process.env;
    env.AWS_REGION = this.region;
    env.AWS_DEFAULT_REGION = this.region;
    env.AWS_ACCESS_KEY_ID = CREDENTIALS.accessKeyId;
    env.AWS_SECRET_ACCESS_KEY = CREDENTIALS.secretAccessKey;
    delete env.AWS_SESSION_TOKEN;
    delete env.AWS_PROFILE;
    delete env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS;
    env.AWS_EC2_METADATA_DISABLED = 'true';
    env.AWS_ENDPOINT_URL_DYNAMODB = this.ddbFront.endpoint;
    env.AWS_ENDPOINT_URL_SQS = this.fauxqs.endpoint;
    env.AWS_ENDPOINT_URL_SNS = this.fauxqs.endpoint;
    env.AWS_ENDPOINT_URL_S3 = this.fauxqs.endpoint;
    env.AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER = this.cognito.endpoint;
    env.AWS_ENDPOINT_URL_SFN = this.fakes.endpoint;
    env.AWS_ENDPOINT_URL_SSM = this.fakes.endpoint;
    env.AWS_ENDPOINT_URL_CLOUDWATCH = this.fakes.endpoint;
    // Anything else must not reach AWS from a local run.
    env.AWS_ENDPOINT_URL = 'http://127.0.0.1:9';
    resetClientCache();
  }

  /**
   * Injects a run's faults (`undefined`: none, as after start): Cognito faults and quotas in the
   * emulator; DynamoDB faults through a proxy the Lambdas' clients are pointed at. Crashes and
   * timeouts belong to the deployment (its Lambda host). `randomSeed` makes the same calls fail.
   */
  applyFaults(plan: FaultPlan | undefined, randomSeed = 1): Promise<void> {
    const random = seededRandom(randomSeed);
    const scale = plan?.cognitoThrottleScale;
    this.cognito.setThrottling(
      scale === undefined || this.baseThrottling === false
        ? this.baseThrottling
        : { ...this.baseThrottling, scale: (this.baseThrottling.scale ?? 1) * scale },
    );
    const cognitoFaults = {
      ...(plan?.cognito500 !== undefined ? { internalErrorShare: plan.cognito500 } : {}),
      ...(plan?.cognitoDrop !== undefined ? { dropShare: plan.cognitoDrop } : {}),
      ...(plan?.importJobMsPerKb !== undefined ? { importJobMsPerKb: plan.importJobMsPerKb } : {}),
    };
    this.cognito.setFaults(Object.keys(cognitoFaults).length > 0 ? { ...cognitoFaults, random } : undefined);
    this.ddbFaults = plan?.ddbThroughput !== undefined || plan?.ddbUnprocessed !== undefined;
    this.ddbFront.setFaults({
      ...(plan?.ddbThroughput !== undefined ? { throughputShare: plan.ddbThroughput } : {}),
      ...(plan?.ddbUnprocessed !== undefined ? { unprocessedShare: plan.ddbUnprocessed } : {}),
      random,
    });
    const failing = plan?.exportFail;
    /** The prefixes whose first export has failed already. */
    const failedPrefixes = new Set<string>();
    this.pointInTime.setFault(
      failing === undefined
        ? undefined
        : {
            fails: (n, s3Prefix) => {
              if (failing.includes(n)) return true;
              const prefix = failing.find(
                (given): given is string =>
                  typeof given === 'string' && s3Prefix.startsWith(given) && !failedPrefixes.has(given),
              );
              if (prefix === undefined) return false;
              failedPrefixes.add(prefix);
              return true;
            },
          },
    );
    resetClientCache();
    return Promise.resolve();
  }

  /** Calls the injected faults hit so far (Cognito and DynamoDB). */
  faultCounts(): {
    cognito: ReturnType<CognitoEmulator['faultCounts']>;
    dynamodb?: ReturnType<DynamoDbFaultFront['faultCounts']>;
  } {
    return {
      cognito: this.cognito.faultCounts(),
      ...(this.ddbFaults ? { dynamodb: this.ddbFront.faultCounts() } : {}),
    };
  }

  endpoints(): EmulatorEndpoints {
    return {
      region: this.region,
      accountId: this.accountId,
      dynamodb: this.ddbFront.endpoint,
      fauxqs: this.fauxqs.endpoint,
      fakes: this.fakes,
      exports: this.pointInTime,
    };
  }

  /** A Cognito client for the harness itself (seeding checks, test set-up). */
  cognitoClient(): CognitoIdentityProviderClient {
    return new CognitoIdentityProviderClient({
      region: this.region,
      endpoint: this.cognito.endpoint,
      credentials: CREDENTIALS,
      maxAttempts: 5,
    });
  }

  documentClient(): DynamoDBDocumentClient {
    return DynamoDBDocumentClient.from(
      new DynamoDBClient({ region: this.region, endpoint: this.ddbFront.endpoint, credentials: CREDENTIALS }),
      { marshallOptions: { removeUndefinedValues: true } },
    );
  }

  /** Stops everything this environment started (idempotent). */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await Promise.allSettled([
      this.ddbFront.stop(),
      this.cognito.stop(),
      this.fakes.stop(),
      this.dynalite.stop(),
      this.fauxqs.stop(),
    ]);
  }
}
