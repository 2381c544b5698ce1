// SPDX-License-Identifier: Apache-2.0
import {
  CognitoIdentityProviderClient,
  ListGroupsCommand,
  ListUsersInGroupCommand,
  type ListGroupsCommandInput,
  type ListUsersInGroupCommandInput,
} from '@aws-sdk/client-cognito-identity-provider';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockAws } from '../../test-support/aws-mock';
import { fakeClock, type FakeClock } from '../../test-support/fake-clock';
import { cognitoClient } from '../../utils/clients';
import { RateLimitedCognito } from '../../utils/cognito';
import { SlidingWindowLimiter } from '../../utils/limiter';
import { TimeBudget } from '../../utils/time-budget';
import { listGroupsStep, newGroupsCursor, type GroupsCursor } from '../lib/pool-index';

const cognito = mockAws(CognitoIdentityProviderClient);
const s3 = mockAws(S3Client);
const PREFIX = 'restore-work/pool/run/groups/';
const PAGE = 60;

interface Chunk {
  groups: string[];
  members: [string, string][];
}

/**
 * A pool of `groups` groups where group i has `membersOf(i)` members, served in pages of 60. Every
 * call takes `callMs` of the fake clock and yields to the event loop, so calls overlap when the code
 * makes them at once; `calls` records the order and the peak of ListUsersInGroup calls in flight.
 */
function servePool(clock: FakeClock, groups: number, membersOf: (i: number) => number, callMs = 0) {
  const names = Array.from({ length: groups }, (_, i) => `group-${String(i).padStart(5, '0')}`);
  const members = new Map(
    names.map((name, i) => [name, Array.from({ length: membersOf(i) }, (_, m) => `u${i}-${m}`)]),
  );
  const calls = { log: [] as string[], inFlight: 0, peak: 0, groupsFailOn: undefined as string | undefined };
  const slice = <T>(all: readonly T[], token: string | undefined) => {
    const start = token === undefined ? 0 : Number(token.split('@').at(-1));
    return {
      items: all.slice(start, start + PAGE),
      next: start + PAGE < all.length ? start + PAGE : undefined,
    };
  };
  cognito.on(ListGroupsCommand).callsFake(async (input: ListGroupsCommandInput) => {
    calls.log.push(`groups ${input.NextToken ?? 'start'}`);
    await new Promise((resolve) => setImmediate(resolve));
    clock.advance(callMs);
    if (input.NextToken !== undefined && input.NextToken === calls.groupsFailOn) {
      calls.groupsFailOn = undefined;
      throw Object.assign(new Error('denied'), { name: 'NotAuthorizedException', $fault: 'client' });
    }
    const { items, next } = slice(names, input.NextToken);
    return { Groups: items.map((GroupName) => ({ GroupName })), ...(next ? { NextToken: `g@${next}` } : {}) };
  });
  cognito.on(ListUsersInGroupCommand).callsFake(async (input: ListUsersInGroupCommandInput) => {
    const group = input.GroupName as string;
    calls.log.push(`members ${group} ${input.NextToken ?? 'start'}`);
    calls.inFlight += 1;
    calls.peak = Math.max(calls.peak, calls.inFlight);
    await new Promise((resolve) => setImmediate(resolve));
    calls.inFlight -= 1;
    clock.advance(callMs);
    const { items, next } = slice(members.get(group) ?? [], input.NextToken);
    return {
      Users: items.map((Username) => ({ Username })),
      ...(next ? { NextToken: `${group}@${next}` } : {}),
    };
  });
  return { names, members, calls };
}

function deps(clock: FakeClock, remainingMs?: () => number, tps = 25) {
  const limiter = new SlidingWindowLimiter(tps, clock.now, clock.sleep);
  const starts: { operation: string; at: number }[] = [];
  const counting = {
    acquire: async (operation?: string) => {
      await limiter.acquire(operation);
      starts.push({ operation: operation ?? '', at: clock.now() });
    },
  };
  return {
    starts,
    cognito: new RateLimitedCognito(cognitoClient(), counting, {
      now: clock.now,
      sleep: clock.sleep,
      random: () => 0.5,
      maxAttempts: 1,
    }),
    work: { s3: new S3Client({}), bucket: 'bucket' },
    budget: new TimeBudget(remainingMs ? { getRemainingTimeInMillis: remainingMs } : undefined, clock.now),
  };
}

function chunks(): Chunk[] {
  return s3
    .commandCalls(PutObjectCommand)
    .map((call) => JSON.parse(String(call.args[0].input.Body)) as Chunk);
}

async function listAll(d: ReturnType<typeof deps>, start: GroupsCursor = newGroupsCursor()) {
  const cursors: GroupsCursor[] = [];
  let cursor = start;
  while (!cursor.Done) {
    cursor = await listGroupsStep(d, 'pool', PREFIX, cursor);
    cursors.push(cursor);
    if (cursors.length > 200) throw new Error('the listing never finished');
  }
  return cursors;
}

describe('listGroupsStep: the new pool’s groups and their members', () => {
  beforeEach(() => {
    cognito.reset();
    s3.reset();
    s3.on(PutObjectCommand).resolves({});
  });

  it('lists many groups’ members at once within COGNITO_TPS, and the next page of groups meanwhile', async () => {
    const clock = fakeClock();
    const { names, members, calls } = servePool(clock, 130, (i) => (i % 10 === 0 ? 70 : 1));
    const d = deps(clock);
    const cursors = await listAll(d);
    expect(cursors).toHaveLength(1);

    const [chunk] = chunks();
    expect(chunk?.groups).toEqual(names);
    const expected = [...members].flatMap(([group, users]) => users.map((user) => [group, user]));
    expect(new Set(chunk?.members.map((pair) => pair.join('/')))).toEqual(
      new Set(expected.map((pair) => pair.join('/'))),
    );
    expect(chunk?.members).toHaveLength(expected.length);

    // Several groups at once, and the second ListGroups page asked for before the first page's last
    // group was listed.
    expect(calls.peak).toBeGreaterThanOrEqual(10);
    const secondPage = calls.log.indexOf('groups g@60');
    const lastOfFirstPage = calls.log.lastIndexOf(`members ${names[59] ?? ''} start`);
    expect(secondPage).toBeGreaterThan(0);
    expect(secondPage).toBeLessThan(lastOfFirstPage);

    // 130 groups + 13 second pages of members + 3 pages of groups, admitted 25 a second at most.
    expect(d.starts).toHaveLength(130 + 13 + 3);
    for (const { at } of d.starts) {
      expect(d.starts.filter((s) => s.at >= at && s.at < at + 1000).length).toBeLessThanOrEqual(25);
    }
    // The pace is the limiter's: 143 member calls at 25 a second end within 6 s (1 s of slack).
    expect((d.starts.at(-1)?.at ?? 0) - (d.starts[0]?.at ?? 0)).toBeLessThanOrEqual(6_000);
  });

  it('stops mid-page with each unfinished group’s token and resumes without losing or skipping a page', async () => {
    const clock = fakeClock();
    const { names, members, calls } = servePool(clock, 75, (i) => (i < 5 ? 600 : 2), 300);
    // Every invocation has 65 s: 5 s of work (about 16 calls of 300 ms) before the last minute.
    let ends = clock.now() + 65_000;
    const d = deps(clock, () => ends - clock.now());
    const cursors: GroupsCursor[] = [];
    let cursor = newGroupsCursor();
    while (!cursor.Done && cursors.length < 50) {
      ends = clock.now() + 65_000;
      cursor = await listGroupsStep(d, 'pool', PREFIX, cursor);
      cursors.push(JSON.parse(JSON.stringify(cursor)) as GroupsCursor);
    }
    expect(cursor.Done).toBe(true);
    expect(cursors.length).toBeGreaterThan(3);
    // A stop mid-page names the unfinished groups, some of them started.
    const midPage = cursors.find((c) => (c.Pending ?? []).some(([, token]) => token !== null));
    expect(midPage).toBeDefined();

    // Every group's member pages were each asked for exactly once, in order.
    for (const group of names) {
      const tokens = calls.log
        .filter((line) => line.startsWith(`members ${group} `))
        .map((line) => line.split(' ')[2]);
      const pages = Math.max(1, Math.ceil((members.get(group)?.length ?? 0) / PAGE));
      expect(tokens).toEqual(
        Array.from({ length: pages }, (_, p) => (p === 0 ? 'start' : `${group}@${p * PAGE}`)),
      );
    }
    const all = chunks();
    expect(new Set(all.flatMap((c) => c.groups))).toEqual(new Set(names));
    const listed = all.flatMap((c) => c.members.map((pair) => pair.join('/')));
    const expected = [...members].flatMap(([group, users]) => users.map((user) => `${group}/${user}`));
    expect(new Set(listed)).toEqual(new Set(expected));
    expect(listed).toHaveLength(expected.length);
  });

  it('resumes a cursor of the previous version from its group offset and members token', async () => {
    const clock = fakeClock();
    const { names, calls } = servePool(clock, 70, (i) => (i === 63 ? 100 : 1));
    const old: GroupsCursor = {
      PageToken: 'g@60',
      Offset: 3,
      MembersToken: 'group-00063@60',
      Chunks: 4,
      Done: false,
    };
    const cursor = await listGroupsStep(deps(clock), 'pool', PREFIX, old);
    expect(cursor).toEqual({ PageToken: 'g@60', Offset: 0, Chunks: 5, Done: true });
    expect(calls.log.filter((line) => line.startsWith('members'))).toEqual(
      expect.arrayContaining([
        'members group-00063 group-00063@60',
        ...names.slice(64).map((n) => `members ${n} start`),
      ]),
    );
    expect(calls.log.filter((line) => line.startsWith('members'))).toHaveLength(1 + 6);
    expect(s3.commandCalls(PutObjectCommand)[0]?.args[0].input.Key).toBe(`${PREFIX}000004.json`);
    expect(chunks()[0]?.groups).toEqual(names.slice(64));
  });

  it('lists a page of groups itself when listing it ahead failed', async () => {
    const clock = fakeClock();
    const { names, calls } = servePool(clock, 100, () => 1);
    calls.groupsFailOn = 'g@60';
    const d = deps(clock);
    const first = await listGroupsStep(d, 'pool', PREFIX, newGroupsCursor());
    expect(first).toEqual({ PageToken: 'g@60', Offset: 0, Chunks: 1, Done: false });
    const second = await listGroupsStep(d, 'pool', PREFIX, first);
    expect(second.Done).toBe(true);
    expect(chunks().flatMap((c) => c.groups)).toEqual(names);
  });
});
