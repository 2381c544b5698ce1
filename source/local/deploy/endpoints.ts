// SPDX-License-Identifier: Apache-2.0
/** Where a deployment finds the emulators (started by aws/environment.ts), and its SDK clients for them. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { FakeServices } from '../aws/fake-services';

export interface EmulatorEndpoints {
  region: string;
  accountId: string;
  dynamodb: string;
  fauxqs: string;
  fakes: FakeServices;
  /** The emulated export to S3: told which Region the backup table's replica is in (the snapshots export it). */
  exports?: { addReplicaRegion(region: string): void };
}

const CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

/** The clients the deployment itself uses (the Lambdas build their own from their environment). */
export interface EmulatorClients {
  sqs: SQSClient;
  sns: SNSClient;
  s3: S3Client;
  ddb: DynamoDBClient;
  /** The fake Step Functions API, as a user or EventBridge reaches it. */
  sfnApi: SFNClient;
}

export function emulatorClients(endpoints: EmulatorEndpoints): EmulatorClients {
  const common = { region: endpoints.region, credentials: CREDENTIALS, maxAttempts: 3 };
  return {
    sqs: new SQSClient({ ...common, endpoint: endpoints.fauxqs }),
    sns: new SNSClient({ ...common, endpoint: endpoints.fauxqs }),
    s3: new S3Client({ ...common, endpoint: endpoints.fauxqs, forcePathStyle: true }),
    ddb: new DynamoDBClient({ ...common, endpoint: endpoints.dynamodb }),
    sfnApi: new SFNClient({ ...common, endpoint: endpoints.fakes.endpoint }),
  };
}
