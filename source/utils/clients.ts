// SPDX-License-Identifier: Apache-2.0
/**
 * One factory for every AWS SDK client: solution user agent, the SDK's standard retry strategy with
 * an explicit attempt count, and the DynamoDB document client with `removeUndefinedValues`.
 *
 * Clients are cached per class, region and attempt count, so warm invocations reuse their
 * connections. They hold no per-invocation state.
 */
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { SSMClient } from '@aws-sdk/client-ssm';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DEFAULT_SOLUTION_VERSION, SOLUTION_ID } from './constants';
import { solutionEnvironment, type Env } from './config';
import { RETRY_BUDGETS } from './retry';

/** Attempts the SDK makes for one call (first try included) unless a caller says otherwise. */
export const DEFAULT_MAX_ATTEMPTS = RETRY_BUDGETS.sdk;

export interface ClientOptions {
  region?: string;
  maxAttempts?: number;
}

export interface BaseClientConfig {
  region?: string;
  maxAttempts: number;
  retryMode: 'standard';
  customUserAgent: [string, string][];
}

/** `AwsSolution/SO0126/<version>`, appended to the SDK's own user agent. */
export function solutionUserAgent(source: Env = process.env): [string, string][] {
  const solution = solutionEnvironment(source);
  const id = solution.solutionId ?? SOLUTION_ID;
  const version = solution.solutionVersion ?? DEFAULT_SOLUTION_VERSION;
  return [[`AwsSolution/${id}`, version]];
}

export function clientConfig(options: ClientOptions = {}, source: Env = process.env): BaseClientConfig {
  const config: BaseClientConfig = {
    maxAttempts: options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
    retryMode: 'standard',
    customUserAgent: solutionUserAgent(source),
  };
  if (options.region) config.region = options.region;
  return config;
}

const cache = new Map<string, unknown>();

function cached<T>(kind: string, options: ClientOptions, create: (config: BaseClientConfig) => T): T {
  const key = `${kind}|${options.region ?? ''}|${options.maxAttempts ?? ''}`;
  let client = cache.get(key) as T | undefined;
  if (client === undefined) {
    client = create(clientConfig(options));
    cache.set(key, client);
  }
  return client;
}

/** Forgets cached clients (tests that change endpoints or credentials between cases). */
export function resetClientCache(): void {
  cache.clear();
}

/**
 * Cognito attempts are retried by `RateLimitedCognito` so that every attempt passes through the
 * limiter; the SDK itself therefore makes one attempt per call.
 */
export const cognitoClient = (options: ClientOptions = {}): CognitoIdentityProviderClient =>
  cached(
    'cognito',
    { maxAttempts: RETRY_BUDGETS.cognitoSdk, ...options },
    (c) => new CognitoIdentityProviderClient(c),
  );

export const dynamoDbClient = (options: ClientOptions = {}): DynamoDBClient =>
  cached('dynamodb', options, (c) => new DynamoDBClient(c));

export const documentClient = (options: ClientOptions = {}): DynamoDBDocumentClient =>
  cached('dynamodb-document', options, () =>
    DynamoDBDocumentClient.from(dynamoDbClient(options), {
      marshallOptions: { removeUndefinedValues: true },
    }),
  );

export const sqsClient = (options: ClientOptions = {}): SQSClient =>
  cached('sqs', options, (c) => new SQSClient(c));
export const snsClient = (options: ClientOptions = {}): SNSClient =>
  cached('sns', options, (c) => new SNSClient(c));
export const s3Client = (options: ClientOptions = {}): S3Client =>
  cached('s3', options, (c) => new S3Client(c));
export const sfnClient = (options: ClientOptions = {}): SFNClient =>
  cached('sfn', options, (c) => new SFNClient(c));
export const ssmClient = (options: ClientOptions = {}): SSMClient =>
  cached('ssm', options, (c) => new SSMClient(c));
export const cloudFormationClient = (options: ClientOptions = {}): CloudFormationClient =>
  cached('cloudformation', options, (c) => new CloudFormationClient(c));
export const cloudWatchClient = (options: ClientOptions = {}): CloudWatchClient =>
  cached('cloudwatch', options, (c) => new CloudWatchClient(c));
