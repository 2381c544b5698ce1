// SPDX-License-Identifier: Apache-2.0
/** The RepairWorkflow's execution input, validated once: anything unexpected is refused, never guessed. */
import {
  InvalidRecoveryPointError,
  recoveryPointRequest,
  type RecoveryPointRequest,
} from '../../utils/recovery-point';
import type { RepairScope } from './repair-plan';

export interface RepairInput {
  userPoolId: string;
  /** The plan to apply (the planning execution's name); absent: plan. */
  apply?: string;
  resume: boolean;
  scope: RepairScope;
  removeAdded: boolean;
  /** What a plan compares the pool with (`AsOf`, `Snapshot`, or the live table); an apply takes it from its plan. */
  recoveryPoint: RecoveryPointRequest;
}

export class InvalidRepairInputError extends Error {
  override readonly name = 'InvalidRepairInputError';
}

const strings = (value: unknown): value is string[] =>
  Array.isArray(value) && value.length > 0 && value.every((item) => typeof item === 'string' && item !== '');

export function parseRepairInput(raw: unknown, backedUpPoolId: string): RepairInput {
  const input = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  const problems: string[] = [];
  const userPoolId = typeof input.UserPoolId === 'string' ? input.UserPoolId.trim() : '';
  if (userPoolId === '') problems.push('UserPoolId must name the user pool to repair');
  else if (userPoolId !== backedUpPoolId)
    problems.push(
      `UserPoolId must be the backed-up user pool (${backedUpPoolId}): only that pool is repaired in place`,
    );
  let recoveryPoint: RecoveryPointRequest = { kind: 'table' };
  try {
    recoveryPoint = recoveryPointRequest(input);
  } catch (error) {
    if (!(error instanceof InvalidRecoveryPointError)) throw error;
    problems.push(error.message.replace(/\.$/, ''));
  }
  // A drill's sample is a part of a backup, restored into a scratch pool: never a state to repair a pool to.
  if (recoveryPoint.kind === 'sample')
    problems.push(
      "Sample is a restore drill's recovery point: repair from the backup table, AsOf or Snapshot",
    );
  const apply = input.Apply;
  if (apply !== undefined && (typeof apply !== 'string' || !/^[0-9A-Za-z_-]{1,80}$/.test(apply)))
    problems.push('Apply must be the id of a plan (the name of the execution that wrote it)');
  if (input.Resume !== undefined && input.Resume !== true && input.Resume !== false)
    problems.push('Resume must be true or false');
  if (input.Resume === true && apply === undefined)
    problems.push('Resume goes with Apply (it finishes an apply)');
  if (input.RemoveAdded !== undefined && typeof input.RemoveAdded !== 'boolean')
    problems.push('RemoveAdded must be true or false');
  let scope: RepairScope;
  const rawScope = input.Scope;
  if (rawScope !== undefined) {
    const fields =
      typeof rawScope === 'object' && rawScope !== null ? (rawScope as Record<string, unknown>) : {};
    const keys = Object.keys(fields);
    if (keys.length === 1 && keys[0] === 'Usernames' && strings(fields.Usernames))
      scope = { Usernames: fields.Usernames };
    else if (keys.length === 1 && keys[0] === 'Groups' && strings(fields.Groups))
      scope = { Groups: fields.Groups };
    else problems.push('Scope must be {"Usernames": [...]} or {"Groups": [...]}, with at least one name');
  }
  if (apply !== undefined && (rawScope !== undefined || input.RemoveAdded !== undefined))
    problems.push('Scope and RemoveAdded belong to the plan: the apply takes them from it');
  if (apply !== undefined && (input.AsOf !== undefined || input.Snapshot !== undefined))
    problems.push(
      'AsOf and Snapshot belong to the plan: the apply compares with the recovery point it was made from',
    );
  if (problems.length > 0)
    throw new InvalidRepairInputError(`The RepairWorkflow input is refused: ${problems.join('; ')}.`);
  return {
    userPoolId,
    ...(typeof apply === 'string' ? { apply } : {}),
    resume: input.Resume === true,
    scope,
    removeAdded: input.RemoveAdded === true,
    recoveryPoint,
  };
}
