// SPDX-License-Identifier: Apache-2.0
/**
 * Values real pools hold that the local emulators must carry as AWS does: characters above U+FFFF
 * (4-byte UTF-8, e.g. emoji) through SQS, and through both workflows end to end.
 */
import {
  CreateQueueCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { LocalEnvironment } from '../aws/environment';
import { runLocal } from '../run/local-run';
import { generateSeed, type SeedFile } from '../run/seed';
import { ROOT } from './support';

jest.setTimeout(120_000);

let environment: LocalEnvironment;
let runs = 0;

beforeAll(async () => {
  environment = await LocalEnvironment.start({ maxReceiveWaitMs: 100 });
});

afterAll(async () => {
  await environment?.stop();
});

/** Both workflows on `seed` (what npm start runs), on the shared emulators. */
async function restore(seed: SeedFile): ReturnType<typeof runLocal> {
  runs += 1;
  return runLocal({
    root: ROOT,
    seed,
    seedSource: 'test',
    tps: 25,
    maxWaitMs: 50,
    environment,
    stackName: `cupera-test-edge-${runs}`,
  });
}

/** U+1F600 and U+10FFFF (the last code point): 4 bytes each in UTF-8, two UTF-16 units in JavaScript. */
const EMOJI = '\u{1F600}';
const LAST = '\u{10FFFF}';

describe('the local SQS (fauxqs)', () => {
  let sqs: SQSClient;
  let queueUrl: string;

  beforeAll(async () => {
    sqs = new SQSClient({
      region: 'us-east-1',
      endpoint: environment.endpoints().fauxqs,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'unicode-test' }))).QueueUrl ?? '';
  });

  it('accepts characters from U+10000 to U+10FFFF, as SQS does, and returns them intact', async () => {
    const body = JSON.stringify({ given_name: `Ana ${EMOJI}`, nickname: LAST });
    expect(Buffer.byteLength(EMOJI)).toBe(4);
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body }));
    const batch = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: [{ Id: 'a', MessageBody: `${EMOJI}${EMOJI}` }],
      }),
    );
    expect(batch.Failed ?? []).toEqual([]);
    const received = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
    );
    expect((received.Messages ?? []).map((message) => message.Body).sort()).toEqual(
      [body, `${EMOJI}${EMOJI}`].sort(),
    );
  });

  it('still refuses what SQS refuses: a control character', async () => {
    await expect(
      sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'bell \u0007' })),
    ).rejects.toMatchObject({ name: expect.stringMatching(/InvalidMessageContents$/) });
  });
});

describe('a seed with emoji in attributes', () => {
  it('restores with parity', async () => {
    const seed = generateSeed({ users: 30, groups: 2, usernameAttribute: 'none', randomSeed: 5 });
    const [first, second] = seed.users;
    if (first === undefined || second === undefined) throw new Error('generator gave fewer than 2 users');
    first.attributes.given_name = `Ana ${EMOJI}`;
    second.attributes['custom:' + (seed.userPool.customAttributes[0] ?? '')] = `plan ${EMOJI}${LAST}`;
    const report = await restore(seed);
    expect(report.import?.failure).toBeUndefined();
    expect(report).toMatchObject({ ok: true, parity: { ok: true, mismatches: [], missingUsers: [] } });
    const restored = environment.cognito.snapshot(report.restoredUserPoolId ?? '');
    expect(restored.users.map((user) => user.attributes.given_name)).toContain(`Ana ${EMOJI}`);
  });
});

describe('a seed with a line break in a value and a value padded with whitespace', () => {
  it('ends OK: the users the CSV cannot carry (or would trim) are restored another way (AdminCreateUser) and compared', async () => {
    const seed = generateSeed({
      users: 30,
      groups: 2,
      usernameAttribute: 'none',
      federatedUsers: 1,
      randomSeed: 6,
    });
    const target = seed.users[3];
    if (target === undefined) throw new Error('generator gave fewer than 4 users');
    target.attributes.address = '1 Main Street\nSpringfield';
    const padded = seed.users[1];
    if (padded === undefined) throw new Error('generator gave fewer than 2 users');
    // The import CSV trims values: this one would come back as "padded".
    padded.attributes[`custom:${seed.userPool.customAttributes[0] ?? ''}`] = '  padded\t';
    const memberships = seed.groups.reduce((sum, group) => sum + group.members.length, 0);
    const federated = seed.users.find((user) => user.status === 'EXTERNAL_PROVIDER');
    const ofFederated = seed.groups.filter((group) =>
      group.members.includes(federated?.username ?? ''),
    ).length;
    const report = await restore(seed);
    expect(report.ok).toBe(true);
    if (!('counts' in report.parity)) throw new Error(`parity not checked: ${report.parity.skipped}`);
    expect(report.parity.missingUsers).toEqual([]);
    expect(report.parity.mismatches).toEqual([]);
    // Only the federated user is excluded, with its reason; the counts add up to the seed.
    expect(report.parity.excluded).toEqual([
      { user: federated?.username, reason: expect.stringMatching(/^federated user \(EXTERNAL_PROVIDER\)/) },
    ]);
    expect(report.parity.counts).toMatchObject({
      users: 30,
      excludedUsers: 1,
      memberships: memberships - ofFederated,
      excludedMemberships: ofFederated,
    });
    const restored = environment.cognito.snapshot(report.restoredUserPoolId ?? '');
    expect(restored.users.map((user) => user.attributes.address)).toContain('1 Main Street\nSpringfield');
    expect(
      restored.users.map((user) => user.attributes[`custom:${seed.userPool.customAttributes[0] ?? ''}`]),
    ).toContain('  padded\t');
  });
});
