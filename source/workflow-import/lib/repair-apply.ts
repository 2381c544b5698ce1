// SPDX-License-Identifier: Apache-2.0
/**
 * Applies a repair plan (repair-plan.ts) to the live pool, then proves it with the plan's own
 * comparison run again.
 *
 * 1. Verify: the plan is young enough (`PLAN_MAX_AGE_MS`) and every entry still finds the pool as it
 *    was planned (each planned user read with AdminGetUser and hashed as the plan hashed it, a user to
 *    recreate still absent, each planned group's settings unchanged). Anything else refuses the plan
 *    before any write: plan again.
 * 2. Groups (CreateGroup with the import's applier, UpdateGroup), users (AdminCreateUser with the
 *    import's fallback code, which gives a recreated user a password nobody knows; attributes set back
 *    with AdminUpdateUserAttributes and AdminDeleteUserAttributes as the reconciliation does, so `sub`
 *    and password stay; AdminEnableUser / AdminDisableUser), memberships (AdminAddUserToGroup), and
 *    with `RemoveAdded` what was added since (AdminRemoveUserFromGroup, AdminDeleteUser, DeleteGroup).
 *    Every call goes through the invocation's `CognitoTPS` limiter. Each action converges on the
 *    recovery point rather than replaying a change (attributes are read and compared before they are
 *    written, a user or group that exists already is not created again, adding a membership that exists
 *    or disabling a disabled user changes nothing), so a retried invocation, which starts again from
 *    the last cursor, neither repeats a visible effect nor skips an action.
 * 3. Check: the plan's comparison of the recovery point with the pool, in the plan's scope. The repair
 *    is complete when it finds nothing left to do (what cannot be set back, and what was added since
 *    unless removed, aside); otherwise the workflow fails, saying what is left and how to finish.
 * 4. Report: `repair-reports/<pool>/<planId>-<execution>.csv`, one row per user touched:
 *    `oldSub,newSub,username,action,outcome,reason` (outcome `done`, `failed`, `cannot-set-back` or
 *    `left-alone`; reasons are codes and attribute names, never values).
 */
import {
  AdminAddUserToGroupCommand,
  AdminDeleteUserAttributesCommand,
  AdminDeleteUserCommand,
  AdminDisableUserCommand,
  AdminEnableUserCommand,
  AdminGetUserCommand,
  AdminRemoveUserFromGroupCommand,
  AdminUpdateUserAttributesCommand,
  DeleteGroupCommand,
  DescribeUserPoolCommand,
  GetCSVHeaderCommand,
  ListGroupsCommand,
  UpdateGroupCommand,
  type GroupType,
} from '@aws-sdk/client-cognito-identity-provider';
import { stringify } from 'csv-stringify/sync';
import { batchGet, chunk as batches, DYNAMODB_GET_BATCH_SIZE } from '../../utils/batch';
import { TaskGroup } from '../../utils/concurrency';
import { errorName } from '../../utils/errors';
import { createFallbackUsers } from './admin-create';
import { chunkKey, getText, PoolIndex, putChunk, workPrefix, type GroupDetails } from './pool-index';
import {
  assemblePlan,
  compareStep,
  newCompareCursor,
  planIsEmpty,
  recreatedPrefix,
  seenGroup,
  seenUser,
  type CompareCursor,
  type CompareDeps,
  type PlanCounts,
  type PlannedUser,
  type RepairPlan,
} from './repair-plan';
import { createGroup } from './scan-table';
import type { BackupGroupItem, BackupUserItem, TableKey } from './types';
import {
  attributesKeyOf,
  canonicalAttributes,
  planContents,
  targetSchema,
  type TargetSchema,
} from './user-contents';

/** A plan older than this is refused: the pool and its users move on. */
export const PLAN_MAX_AGE_MS = 24 * 60 * 60 * 1000;
export const REPAIR_REPORT_PREFIX = 'repair-reports/';
export const REPAIR_REPORT_HEADER = 'oldSub,newSub,username,action,outcome,reason\n';

/** Reason of a recreated user whose new sub could not be read (AdminGetUser failed). */
const NEW_SUB_UNREAD = 'new-sub-unread-AdminGetUser-';

/** Entries handled per batch (the cursor advances by whole batches). */
const BATCH = 50;

export type ApplyPhase = 'Verify' | 'Groups' | 'Users' | 'Memberships' | 'Remove' | 'Check' | 'Report';
const PHASES: readonly ApplyPhase[] = [
  'Verify',
  'Groups',
  'Users',
  'Memberships',
  'Remove',
  'Check',
  'Report',
];

export interface ApplyCursor {
  Phase: ApplyPhase;
  /** Position in the phase's list of entries. */
  Index: number;
  /** Entries of the plan that no longer find the pool as planned (Verify). */
  Changed: number;
  /** Outcome chunks written so far. */
  Outcomes: number;
  Check: CompareCursor;
}

export const newApplyCursor = (resume: boolean): ApplyCursor => ({
  Phase: resume ? 'Groups' : 'Verify',
  Index: 0,
  Changed: 0,
  Outcomes: 0,
  Check: newCompareCursor(),
});

/** Refusal: the plan is too old or its pool changed since: nothing was changed. */
export class PlanOutdatedError extends Error {
  override readonly name = 'PlanOutdatedError';
}

export type Outcome = 'done' | 'failed' | 'cannot-set-back' | 'left-alone';
/** `[oldSub, username, action, outcome, reason]`; the new sub is filled in from the check's listing. */
type OutcomeRow = [string, string, string, Outcome, string];

export interface RepairResult {
  PlanId: string;
  Counts: PlanCounts;
  /** What the check found left (zero everywhere when complete). */
  Left: PlanCounts;
  Report: { Bucket: string; Key: string };
}

export type ApplyOutput =
  | { RepairDone: false; Apply: ApplyCursor }
  | { RepairDone: true; RepairComplete: true; Repair: RepairResult }
  | {
      RepairDone: true;
      RepairComplete: false;
      Repair: RepairResult;
      Error: 'RepairIncomplete';
      Cause: string;
    };

export interface ApplyInput {
  userPoolId: string;
  execution: string;
  plan: RepairPlan;
  secret: Buffer;
  start: ApplyCursor;
  now: number;
}

/** The exact input that finishes an apply that stopped short. */
export const resumeApplyInput = (userPoolId: string, planId: string): string =>
  JSON.stringify({ UserPoolId: userPoolId, Apply: planId, Resume: true });

/**
 * How to plan again what a plan covered: the input with its recovery point; a Scope is only named (its
 * usernames are personal data, which no notification carries).
 */
export function planAgain(plan: RepairPlan): string {
  const point = plan.RecoveryPoint;
  const input = JSON.stringify({
    UserPoolId: plan.UserPoolId,
    ...(point.Source === 'as-of' ? { AsOf: point.AsOf } : {}),
    ...(point.Source === 'snapshot' ? { Snapshot: point.Snapshot } : {}),
    ...(plan.RemoveAdded ? { RemoveAdded: true } : {}),
  });
  return `start the RepairWorkflow with ${input}${plan.Scope !== undefined ? ' and the Scope of this plan' : ''}`;
}

export function refuseOldPlan(plan: RepairPlan, now: number): void {
  const age = now - Date.parse(plan.CreatedAt);
  if (!(age >= 0 && age <= PLAN_MAX_AGE_MS)) {
    throw new PlanOutdatedError(
      `The repair plan ${plan.PlanId} was written at ${plan.CreatedAt}, more than 24 hours ago: nothing was ` +
        `changed. Plan again (${planAgain(plan)}), check the new plan, then apply it.`,
    );
  }
}

const keyOf = (key: { id?: unknown; type?: unknown }): string => `${String(key.id)}\u0000${String(key.type)}`;

/**
 * Reads the recovery point's items of these keys: by key from the live table, 100 at a time; an export
 * cannot be read by key, so its pages are read through once, keeping the items asked for.
 */
async function readItems(
  deps: CompareDeps,
  keys: readonly TableKey[],
): Promise<Map<string, Record<string, unknown>>> {
  const found = new Map<string, Record<string, unknown>>();
  if (keys.length === 0) return found;
  if (!deps.byKey) {
    const wanted = new Set(keys.map(keyOf));
    for await (const page of deps.source.pages(undefined, EXPORT_PAGE)) {
      for (const item of page.items) if (wanted.has(keyOf(item))) found.set(keyOf(item), item);
      if (found.size === wanted.size) break;
    }
    return found;
  }
  for (const batch of batches([...keys], DYNAMODB_GET_BATCH_SIZE)) {
    const items = await batchGet(
      deps.ddb,
      deps.config.tableName,
      batch.map((key) => ({ ...key })),
      {
        ProjectionExpression:
          '#id, #type, pseudoUsername, userAttributes, userEnabled, groupName, groupDescription, groupPrecedence, groupRoleArn',
        ExpressionAttributeNames: { '#id': 'id', '#type': 'type' },
      },
      { deadline: deps.budget.deadline() },
    );
    for (const item of items) found.set(keyOf(item), item);
  }
  return found;
}

/** Items per page of an export read by `readItems`. */
const EXPORT_PAGE = 1_000;

const itemOf = (items: Map<string, Record<string, unknown>>, key: TableKey | undefined) =>
  key === undefined ? undefined : items.get(keyOf(key));

/** Lists every group of the pool (ListGroups pages). */
async function listAllGroups(deps: CompareDeps, userPoolId: string): Promise<Map<string, GroupDetails>> {
  const groups = new Map<string, GroupDetails>();
  let token: string | undefined;
  do {
    const page = await deps.cognito.send(
      new ListGroupsCommand({ UserPoolId: userPoolId, Limit: 60, NextToken: token }),
      {
        deadline: deps.budget.deadline(),
      },
    );
    for (const group of page.Groups ?? ([] as GroupType[])) {
      if (group.GroupName)
        groups.set(group.GroupName, [
          group.GroupName,
          group.Description ?? null,
          group.Precedence ?? null,
          group.RoleArn ?? null,
        ]);
    }
    token = page.NextToken || undefined;
  } while (token);
  return groups;
}

/** Does the pool still hold this user as planned? */
async function userAsPlanned(
  deps: CompareDeps,
  userPoolId: string,
  secret: Buffer,
  user: PlannedUser,
): Promise<boolean> {
  const name = user.PoolUsername ?? user.Username;
  try {
    const current = await deps.cognito.send(
      new AdminGetUserCommand({ UserPoolId: userPoolId, Username: name }),
      {
        deadline: deps.budget.deadline(),
      },
    );
    if (user.Seen === undefined) return false;
    const sub = current.UserAttributes?.find((attribute) => attribute.Name === 'sub')?.Value ?? '';
    const attributesKey = attributesKeyOf(secret, canonicalAttributes(current.UserAttributes, new Set()));
    return seenUser(secret, sub, current.Enabled !== false, attributesKey) === user.Seen;
  } catch (error) {
    if (errorName(error) === 'UserNotFoundException') return user.Seen === undefined;
    throw error;
  }
}

export async function applyStep(deps: CompareDeps, input: ApplyInput): Promise<ApplyOutput> {
  const { plan, userPoolId, secret } = input;
  const cursor = structuredClone(input.start);
  const outcomes: OutcomeRow[] = [];
  const outcomesPrefix = workPrefix(userPoolId, input.execution, 'repair-outcomes');
  const retry = () => ({ deadline: deps.budget.deadline() });
  const target = (username: string) => ({ UserPoolId: userPoolId, Username: username });
  const group = new TaskGroup(Math.max(1, Math.min(20, deps.config.cognitoTps * 2)));
  let schema: Promise<TargetSchema> | undefined;
  const schemaOf = (): Promise<TargetSchema> =>
    (schema ??= deps.cognito
      .send(new DescribeUserPoolCommand({ UserPoolId: userPoolId }), retry())
      .then((described) => targetSchema(described.UserPool?.SchemaAttributes)));

  // An export cannot be read by key: one pass per invocation collects the items of every entry of the plan.
  let fromExport: Promise<Map<string, Record<string, unknown>>> | undefined;
  const itemsOf = (keys: readonly TableKey[]): Promise<Map<string, Record<string, unknown>>> =>
    deps.byKey
      ? readItems(deps, keys)
      : (fromExport ??= readItems(
          deps,
          [...plan.Users, ...plan.Groups].flatMap((entry) => (entry.Key ? [entry.Key] : [])),
        ));

  const flush = async (): Promise<void> => {
    if (outcomes.length === 0) return;
    await putChunk(deps.work, chunkKey(outcomesPrefix, cursor.Outcomes), outcomes);
    cursor.Outcomes += 1;
    outcomes.length = 0;
  };
  const next = (): void => {
    cursor.Phase = PHASES[PHASES.indexOf(cursor.Phase) + 1] ?? 'Report';
    cursor.Index = 0;
  };
  /** Runs `act` on the phase's entries from the cursor, a batch at a time, while the budget allows. */
  const run = async <T>(entries: readonly T[], act: (batch: T[]) => Promise<void>): Promise<boolean> => {
    while (cursor.Index < entries.length) {
      if (!deps.budget.hasTime()) return false;
      const batch = entries.slice(cursor.Index, cursor.Index + BATCH);
      await act(batch);
      cursor.Index += batch.length;
    }
    next();
    return true;
  };
  const pause = async (): Promise<ApplyOutput> => {
    await flush();
    return { RepairDone: false, Apply: cursor };
  };

  if (cursor.Phase === 'Verify') {
    if (cursor.Index === 0) refuseOldPlan(plan, input.now);
    const users = plan.Users.filter((user) => user.Actions.length > 0);
    const done = await run(users, async (batch) => {
      for (const user of batch) {
        await group.add(async () => {
          if (!(await userAsPlanned(deps, userPoolId, secret, user))) cursor.Changed += 1;
        });
      }
      await group.drain();
    });
    if (!done) return pause();
    const planned = plan.Groups.filter((entry) => entry.Action !== undefined);
    let groupsChanged = 0;
    if (planned.length > 0) {
      const groups = await listAllGroups(deps, userPoolId);
      for (const entry of planned) {
        const details = groups.get(entry.GroupName);
        const seen = details === undefined ? undefined : seenGroup(secret, details);
        if (seen !== entry.Seen) groupsChanged += 1;
      }
    }
    if (cursor.Changed + groupsChanged > 0) {
      throw new PlanOutdatedError(
        `The user pool ${userPoolId} changed since the repair plan ${plan.PlanId} was written: ` +
          `${cursor.Changed} of its ${users.length} users and ${groupsChanged} of its ${planned.length} groups ` +
          `to set back are no longer as planned. Nothing was changed. Plan again (${planAgain(plan)}), check the ` +
          'new plan, then apply it.',
      );
    }
    // The writes start in the next invocation: a retried one must not verify again a pool it changed.
    return pause();
  }

  if (cursor.Phase === 'Groups') {
    const entries = plan.Groups.filter((entry) => entry.Action === 'create' || entry.Action === 'update');
    const done = await run(entries, async (batch) => {
      const items = await itemsOf(batch.flatMap((entry) => (entry.Key ? [entry.Key] : [])));
      for (const entry of batch) {
        const item = itemOf(items, entry.Key) as BackupGroupItem | undefined;
        await group.add(async () => {
          if (item === undefined) return;
          try {
            if (entry.Action === 'create')
              await createGroup({ cognito: deps.cognito, logger: deps.logger }, userPoolId, item);
            else
              await deps.cognito.send(
                new UpdateGroupCommand({
                  UserPoolId: userPoolId,
                  GroupName: entry.GroupName,
                  Description: typeof item.groupDescription === 'string' ? item.groupDescription : '',
                  ...(typeof item.groupPrecedence === 'number' && item.groupPrecedence >= 0
                    ? { Precedence: item.groupPrecedence }
                    : {}),
                }),
                retry(),
              );
          } catch (error) {
            deps.logger.warn('A group of the plan could not be set back', {
              action: entry.Action,
              error: errorName(error),
            });
          }
        });
      }
      await group.drain();
    });
    // The users' phase follows in the same invocation: an export, which cannot be read by key, is then read
    // once for both.
    if (!done) return pause();
  }

  if (cursor.Phase === 'Users') {
    const entries = plan.Users.filter(
      (user) => user.Key !== undefined && (user.Actions.length > 0 || user.CannotSetBack),
    );
    let header: Promise<string[]> | undefined;
    const headerOf = () =>
      (header ??= deps.cognito
        .send(new GetCSVHeaderCommand({ UserPoolId: userPoolId }), retry())
        .then((response) => response.CSVHeader ?? []));
    const done = await run(entries, async (batch) => {
      const items = await itemsOf(batch.flatMap((user) => (user.Key ? [user.Key] : [])));
      const creations = batch.filter((user) => user.Actions.includes('create'));
      if (creations.length > 0) {
        const fallback = creations.flatMap((user) => {
          const item = itemOf(items, user.Key) as BackupUserItem | undefined;
          return item === undefined
            ? []
            : [{ sub: user.OldSub ?? '', username: user.Username, item, reason: 'repair-recreate' }];
        });
        const created = await createFallbackUsers(
          {
            cognito: deps.cognito,
            s3: deps.work.s3,
            logger: deps.logger,
            config: { bucket: deps.work.bucket },
          },
          userPoolId,
          await headerOf(),
          fallback,
        );
        const recreated: [string, string][] = [];
        const skipped = new Map(
          created.entries
            .filter((entry) => entry.outcome === 'skipped')
            .map((entry) => [entry.sub, entry.reason]),
        );
        for (const user of creations) {
          const item = itemOf(items, user.Key) as BackupUserItem | undefined;
          const reason = item === undefined ? 'not-in-recovery-point' : skipped.get(user.OldSub ?? '');
          if (reason !== undefined) {
            outcomes.push([user.OldSub ?? '', user.Username, 'create', 'failed', reason]);
            continue;
          }
          // Her new sub is recorded first: a user created but not disabled is still hers, and the check
          // must count her as left to disable rather than take her for somebody else who took the name.
          const failures: string[] = [];
          try {
            const current = await deps.cognito.send(new AdminGetUserCommand(target(user.Username)), retry());
            const sub = current.UserAttributes?.find((attribute) => attribute.Name === 'sub')?.Value;
            if (sub !== undefined && user.OldSub !== undefined) recreated.push([user.OldSub, sub]);
          } catch (error) {
            // She exists: the rest of the batch goes on. Without her new sub the next comparison would
            // take her for somebody else, so the repair ends incomplete; a Resume finds her and records it.
            failures.push(`${NEW_SUB_UNREAD}${errorName(error)}`);
          }
          if (item?.userEnabled === false) {
            try {
              await deps.cognito.send(new AdminDisableUserCommand(target(user.Username)), retry());
            } catch (error) {
              failures.push(`disable-failed-${errorName(error)}`);
            }
          }
          outcomes.push([
            user.OldSub ?? '',
            user.Username,
            'create',
            failures.length === 0 ? 'done' : 'failed',
            failures.join('; '),
          ]);
        }
        await putChunk(
          deps.work,
          `${recreatedPrefix(userPoolId)}${input.execution}-${cursor.Index}.json`,
          recreated,
        );
      }
      for (const user of batch) {
        if (user.Actions.includes('create')) continue;
        if (user.CannotSetBack && user.Actions.length === 0) {
          outcomes.push([
            user.OldSub ?? '',
            user.Username,
            'none',
            'cannot-set-back',
            Object.keys(user.CannotSetBack).join(' '),
          ]);
          continue;
        }
        const item = itemOf(items, user.Key) as BackupUserItem | undefined;
        const name = user.PoolUsername ?? user.Username;
        await group.add(async () => {
          const reasons: string[] = [];
          let step = 'AdminGetUser';
          try {
            if (item === undefined) throw new Error('not-in-recovery-point');
            if (user.Actions.includes('enable')) {
              step = 'AdminEnableUser';
              await deps.cognito.send(new AdminEnableUserCommand(target(name)), retry());
            }
            if (user.Actions.includes('disable')) {
              step = 'AdminDisableUser';
              await deps.cognito.send(new AdminDisableUserCommand(target(name)), retry());
            }
            if (user.Actions.includes('set-attributes') || user.Actions.includes('delete-attributes')) {
              step = 'AdminGetUser';
              const [current, pool] = await Promise.all([
                deps.cognito.send(new AdminGetUserCommand(target(name)), retry()),
                schemaOf(),
              ]);
              const contents = planContents(
                canonicalAttributes(item.userAttributes, new Set()),
                canonicalAttributes(current.UserAttributes, new Set()),
                pool,
              );
              for (const attributes of contents.updates) {
                step = 'AdminUpdateUserAttributes';
                await deps.cognito.send(
                  new AdminUpdateUserAttributesCommand({ ...target(name), UserAttributes: attributes }),
                  retry(),
                );
              }
              if (contents.deletes.length > 0) {
                step = 'AdminDeleteUserAttributes';
                await deps.cognito.send(
                  new AdminDeleteUserAttributesCommand({
                    ...target(name),
                    UserAttributeNames: contents.deletes,
                  }),
                  retry(),
                );
              }
            }
          } catch (error) {
            reasons.push(`${step}-${errorName(error)}`);
          }
          const unfixable = Object.entries(user.CannotSetBack ?? {}).map(
            ([code, names]) => `${code}:${names.join(' ')}`,
          );
          outcomes.push([
            user.OldSub ?? '',
            user.Username,
            user.Actions.join(' '),
            reasons.length > 0 ? 'failed' : unfixable.length > 0 ? 'cannot-set-back' : 'done',
            [...reasons, ...unfixable].join('; '),
          ]);
        });
      }
      await group.drain();
    });
    // A phase that wrote ends the invocation: its cursor is then in the execution's history, so a
    // crash or a timeout later repeats at most that phase (with the groups before the users).
    if (!done || entries.length > 0) return pause();
  }

  if (cursor.Phase === 'Memberships') {
    const entries = plan.Memberships.filter(
      (entry) => entry.Action === 'add' && entry.CannotSetBack === undefined,
    );
    const done = await run(entries, async (batch) => {
      for (const entry of batch) {
        await group.add(async () => {
          try {
            await deps.cognito.send(
              new AdminAddUserToGroupCommand({ ...target(entry.Username), GroupName: entry.GroupName }),
              retry(),
            );
          } catch (error) {
            deps.logger.warn('A membership of the plan could not be added', { error: errorName(error) });
          }
        });
      }
      await group.drain();
    });
    if (!done || entries.length > 0) return pause();
  }

  if (cursor.Phase === 'Remove') {
    const removals = [
      ...plan.Memberships.filter((entry) => entry.Action === 'remove').map((entry) => ({
        kind: 'membership' as const,
        entry,
      })),
      ...plan.Users.filter((user) => user.Actions.includes('remove')).map((user) => ({
        kind: 'user' as const,
        user,
      })),
      ...plan.Groups.filter((entry) => entry.Action === 'remove').map((entry) => ({
        kind: 'group' as const,
        entry,
      })),
    ];
    const done = await run(removals, async (batch) => {
      for (const removal of batch) {
        await group.add(async () => {
          try {
            if (removal.kind === 'membership')
              await deps.cognito.send(
                new AdminRemoveUserFromGroupCommand({
                  ...target(removal.entry.Username),
                  GroupName: removal.entry.GroupName,
                }),
                retry(),
              );
            else if (removal.kind === 'group')
              await deps.cognito.send(
                new DeleteGroupCommand({ UserPoolId: userPoolId, GroupName: removal.entry.GroupName }),
                retry(),
              );
            else {
              // Only the user that was planned: a user of that name with another sub is somebody else.
              if (await userAsPlanned(deps, userPoolId, secret, removal.user))
                await deps.cognito.send(
                  new AdminDeleteUserCommand(target(removal.user.PoolUsername ?? removal.user.Username)),
                  retry(),
                );
              outcomes.push([removal.user.Sub ?? '', removal.user.Username, 'remove', 'done', '']);
            }
          } catch (error) {
            const name = errorName(error);
            if (name === 'UserNotFoundException' || name === 'ResourceNotFoundException') return;
            if (removal.kind === 'user')
              outcomes.push([removal.user.Sub ?? '', removal.user.Username, 'remove', 'failed', name]);
            else
              deps.logger.warn('Something added since could not be removed', {
                kind: removal.kind,
                error: name,
              });
          }
        });
      }
      await group.drain();
    });
    if (!done || removals.length > 0) return pause();
  }

  const checkRun = { userPoolId, execution: input.execution, part: 'repair-check', scope: plan.Scope };
  if (cursor.Phase === 'Check') {
    await flush();
    cursor.Check = await compareStep(deps, checkRun, cursor.Check);
    if (cursor.Check.Phase !== 'Done') return { RepairDone: false, Apply: cursor };
    next();
  }

  // Report: the outcome rows, with each recreated user's new sub from the check's listing.
  await flush();
  const check = await assemblePlan(deps.work, checkRun, cursor.Check, {
    PlanId: `${plan.PlanId}-check`,
    UserPoolId: userPoolId,
    CreatedAt: new Date(input.now).toISOString(),
    RecoveryPoint: plan.RecoveryPoint,
    RemoveAdded: plan.RemoveAdded,
  });
  const rows: OutcomeRow[] = [];
  for (let index = 0; index < cursor.Outcomes; index += 1)
    rows.push(...(JSON.parse(await getText(deps.work, chunkKey(outcomesPrefix, index))) as OutcomeRow[]));
  const newSubs = await subsOfCheck(deps, checkRun, cursor.Check);
  const seen = new Set<string>();
  const lines: string[][] = [];
  for (const [oldSub, username, action, outcome, reason] of rows.reverse()) {
    // A retried batch wrote its rows again: the last word on a user counts.
    const key = `${oldSub}\u0000${username}\u0000${action}`;
    if (seen.has(key)) continue;
    seen.add(key);
    lines.push([oldSub, newSubs.get(username) ?? '', username, action, outcome, reason]);
  }
  for (const user of plan.Users.filter((entry) => entry.Actions.length === 0 && entry.Key === undefined))
    lines.push(['', user.Sub ?? '', user.Username, 'none', 'left-alone', 'added-since']);
  lines.reverse();
  const key = `${REPAIR_REPORT_PREFIX}${userPoolId}/${plan.PlanId}-${input.execution}.csv`;
  await putChunk(
    deps.work,
    key,
    REPAIR_REPORT_HEADER + (lines.length > 0 ? stringify(lines, { record_delimiter: '\n' }) : ''),
  );
  const result: RepairResult = {
    PlanId: plan.PlanId,
    Counts: plan.Counts,
    Left: check.Counts,
    Report: { Bucket: deps.work.bucket, Key: key },
  };
  const subsUnread = lines.filter(
    ([, , , action, outcome, reason]) =>
      action === 'create' && outcome === 'failed' && reason?.includes(NEW_SUB_UNREAD) === true,
  ).length;
  deps.logger.info('Repair applied and checked', {
    planId: plan.PlanId,
    left: check.Counts,
    subsUnread,
    report: key,
  });
  if (planIsEmpty(check.Counts, plan.RemoveAdded) && subsUnread === 0)
    return { RepairDone: true, RepairComplete: true, Repair: result };
  return {
    RepairDone: true,
    RepairComplete: false,
    Repair: result,
    Error: 'RepairIncomplete',
    Cause: incompleteRepairMessage(
      userPoolId,
      plan.PlanId,
      check.Counts,
      `s3://${deps.work.bucket}/${key}`,
      subsUnread,
      planAgain(plan),
    ),
  };
}

async function subsOfCheck(
  deps: CompareDeps,
  run: { userPoolId: string; execution: string; part: string },
  cursor: CompareCursor,
): Promise<Map<string, string>> {
  const index = await PoolIndex.load(deps.work, {
    prefix: workPrefix(run.userPoolId, run.execution, `${run.part}-users`),
    chunks: cursor.Users.Chunks,
  });
  const subs = new Map<string, string>();
  for (const user of index.listed) subs.set(user.username, user.sub);
  return subs;
}

/** What is left after an apply (counts only) and the input that finishes it. */
export function incompleteRepairMessage(
  userPoolId: string,
  planId: string,
  left: PlanCounts,
  report: string,
  subsUnread = 0,
  planAgainInput?: string,
): string {
  const parts = (
    [
      ['usersToCreate', 'users still missing'],
      ['usersToUpdate', 'users whose attributes still differ'],
      ['flagsToChange', 'enabled flags still different'],
      ['groupsToCreate', 'groups still missing'],
      ['groupsToUpdate', 'groups whose settings still differ'],
      ['membershipsToAdd', 'memberships still missing'],
    ] as const
  )
    .filter(([name]) => left[name] > 0)
    .map(([name, text]) => `${left[name]} ${text}`);
  if (subsUnread > 0) parts.push(`${subsUnread} recreated users whose new sub could not be read`);
  return (
    `The repair of the user pool ${userPoolId} with the plan ${planId} is incomplete: ${parts.join(', ') || 'things added since are still there'}. ` +
    `The repair report (${report}) says what failed and why. To finish, start the RepairWorkflow again with the input ` +
    `${resumeApplyInput(userPoolId, planId)}: it applies what is still missing and checks again.` +
    (planAgainInput === undefined
      ? ''
      : ` A difference the report does not name (a user or group the plan left alone, changed in the pool after the plan) ` +
        `is not in this plan and a Resume cannot set it back: plan again (${planAgainInput}) and apply the new plan.`)
  );
}
