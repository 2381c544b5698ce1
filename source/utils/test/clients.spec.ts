// SPDX-License-Identifier: Apache-2.0
import { CognitoIdentityProviderClient, ListUsersCommand } from '@aws-sdk/client-cognito-identity-provider';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  clientConfig,
  cloudFormationClient,
  cognitoClient,
  documentClient,
  resetClientCache,
  s3Client,
  sfnClient,
  snsClient,
  solutionUserAgent,
  sqsClient,
  ssmClient,
} from '../clients';
import { RateLimitedCognito } from '../cognito';
import { SlidingWindowLimiter } from '../limiter';
import { mockAws } from '../../test-support/aws-mock';

describe('client factory', () => {
  beforeEach(() => resetClientCache());

  it('identifies the solution in the user agent', () => {
    expect(solutionUserAgent({})).toEqual([['AwsSolution/SO0126', 'v2.0.0']]);
    expect(solutionUserAgent({ SOLUTION_ID: 'SO0126', SOLUTION_VERSION: 'v9.9.9' })).toEqual([
      ['AwsSolution/SO0126', 'v9.9.9'],
    ]);
  });

  it('uses the standard retry strategy with an explicit attempt count', () => {
    expect(clientConfig({}, {})).toEqual({
      maxAttempts: 5,
      retryMode: 'standard',
      customUserAgent: [['AwsSolution/SO0126', 'v2.0.0']],
    });
    expect(clientConfig({ region: 'eu-west-1', maxAttempts: 2 }, {})).toMatchObject({
      region: 'eu-west-1',
      maxAttempts: 2,
    });
  });

  it('reuses one client per kind and region', async () => {
    expect(sqsClient()).toBe(sqsClient());
    expect(sqsClient({ region: 'us-west-2' })).not.toBe(sqsClient({ region: 'us-east-1' }));
    expect(await sqsClient({ region: 'us-west-2' }).config.region()).toBe('us-west-2');
    for (const make of [snsClient, s3Client, sfnClient, ssmClient, cloudFormationClient])
      expect(make()).toBe(make());
  });

  it('removes undefined values in the document client', () => {
    const client = documentClient({ region: 'us-east-1' });
    expect(client).toBeInstanceOf(DynamoDBDocumentClient);
    expect(client.config.translateConfig?.marshallOptions?.removeUndefinedValues).toBe(true);
  });

  it('leaves Cognito retries to the limiter-aware wrapper', async () => {
    expect(await cognitoClient({ region: 'us-east-1' }).config.maxAttempts()).toBe(1);
  });
});

describe('RateLimitedCognito', () => {
  const cognitoMock = mockAws(CognitoIdentityProviderClient);
  beforeEach(() => cognitoMock.reset());

  it('takes a limiter slot for every attempt, retries included, and counts calls', async () => {
    let now = 0;
    const sleeps: number[] = [];
    const sleep = async (ms: number) => {
      sleeps.push(ms);
      now += ms;
    };
    const limiter = new SlidingWindowLimiter(2, () => now, sleep);
    const throttled = Object.assign(new Error('Rate exceeded'), {
      name: 'TooManyRequestsException',
      $metadata: { httpStatusCode: 400 },
    });
    cognitoMock.on(ListUsersCommand).rejectsOnce(throttled).resolves({ Users: [] });
    const cognito = new RateLimitedCognito(cognitoClient({ region: 'us-east-1' }), limiter, {
      sleep,
      now: () => now,
      random: () => 0,
    });
    await cognito.send(new ListUsersCommand({ UserPoolId: 'pool' }));
    await cognito.send(new ListUsersCommand({ UserPoolId: 'pool' }));
    expect(limiter.admitted).toBe(3);
    expect(cognito.callCounts()).toEqual({ ListUsers: 3 });
    // one backoff sleep (100 ms) after the throttle, then one limiter wait for the third start
    expect(sleeps).toEqual([100, 900]);
  });
});
