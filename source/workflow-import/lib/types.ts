// SPDX-License-Identifier: Apache-2.0
/**
 * Payloads of the import workflow's Lambdas and the backup items they read.
 * Items come from a table written by the original solution or by this port: every field is read
 * defensively, nothing beyond the documented attributes is assumed.
 */
import type { SfnContextObject, WrappedResult } from '../../utils/step-functions';
import type { ExportCursor } from '../../utils/table-export';

/** `Context` may be absent when a handler is called directly (tests, manual invocations). */
export interface ImportEvent<I> {
  Input?: I;
  Context?: SfnContextObject;
}

export interface NameValue {
  Name?: string;
  Value?: string;
}

/** `USER-<sub>` / `TYPE_USER`. */
export interface BackupUserItem {
  id?: string;
  type?: string;
  username?: string;
  pseudoUsername?: unknown;
  userAttributes?: NameValue[];
  userEnabled?: boolean;
  userStatus?: string;
  /** Added: ListUsers' `MFAOptions` of the user (SMS MFA), when it had any. */
  userMFAOptions?: ({ DeliveryMedium?: string; AttributeName?: string } | null)[];
  lastConfirmedInUserPool?: number;
  lastUpdatedRegion?: string;
}

/** `GROUP-<groupName>` / `TYPE_GROUP`. */
export interface BackupGroupItem {
  id?: string;
  type?: string;
  groupName?: string;
  groupDescription?: string;
  groupPrecedence?: number;
  groupLastModifiedDate?: string;
  /** Added: the group's IAM role ARN; absent in tables written by v1.0.10 and for groups without one. */
  groupRoleArn?: string;
}

/** `GROUP_MEMBER-<groupName>` / `GROUP_MEMBER-<sub>`. */
export interface BackupMembershipItem {
  id?: string;
  type?: string;
  groupUser?: string;
  groupPseudoUsername?: string;
  groupName?: string;
}

export type BackupItem = Record<string, unknown>;
export type TableKey = Record<string, unknown>;

export type CheckNewUserPoolEvent = ImportEvent<unknown>;
export interface CheckNewUserPoolResult {
  NewUserPoolEmpty: boolean;
  /** `"Resume": true` in the execution input: a non-empty pool is accepted. */
  Resume: boolean;
}

/** Where the previous invocation stopped: a table key (the live table) or a place in an export. */
export interface ScanTableInput {
  LastEvaluatedKey?: TableKey;
  ExportCursor?: ExportCursor;
}
export type ScanTableEvent = ImportEvent<ScanTableInput>;
export type ScanTableResult =
  | { AllGroupsProcessed: 'No'; LastEvaluatedKey: TableKey }
  | { AllGroupsProcessed: 'No'; ExportCursor: ExportCursor }
  | { AllGroupsProcessed: 'Yes' };

/** After the Parallel state the input is the two-element array of branch outputs. */
export type ImportUsersInput = Record<string, unknown> | unknown[];
export type ImportUsersEvent = ImportEvent<ImportUsersInput>;

/** ImportNewUsers: `ImportJobStatus` is `''` when no job was started; the Choice states test it. */
export interface ImportNewUsersOutput {
  ImportJobStatus: string;
  QueueEmpty: boolean;
  ImportJobId?: string;
}

export interface CheckUserImportJobOutput {
  ImportJobId: string;
  ImportJobStatus: string;
}

export type ImportUsersResult = Record<string, unknown> & { StateName?: string } & (
    ImportNewUsersOutput | CheckUserImportJobOutput
  );

export type UpdateNewUsersEvent = ImportEvent<Record<string, unknown>>;
/** `UpdatesCaughtUp` only in the `Parallel: UpdateNewUsers` state: the branch beside the import ends. */
export type UpdateNewUsersResult = Record<string, unknown> & {
  StateName?: string;
  QueueEmpty: boolean;
  UpdatesCaughtUp?: boolean;
};

export type Wrapped<R> = WrappedResult<R>;
