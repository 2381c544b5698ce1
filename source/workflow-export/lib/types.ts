// SPDX-License-Identifier: Apache-2.0
/**
 * Event and output shapes of the export workflow's Lambdas. Field names are part of the
 * state machine's contract; fields marked "added" are new in the port and ignored by the original
 * state machine.
 */
import type { WrappedEvent, WrappedResult } from '../../utils/step-functions';

/** The pool's `UsernameAttributes` as a JSON array string, e.g. `'["email"]'`, carried along the workflow. */
export type UsernameAttributesJson = string;

export type YesNo = 'Yes' | 'No';

// check-user-pool-config (wrapped; the input is ignored)
export type CheckUserPoolConfigEvent = WrappedEvent<unknown>;
export interface CheckUserPoolConfigResult {
  UsernameAttributes?: UsernameAttributesJson;
}
export type CheckUserPoolConfigOutput = WrappedResult<CheckUserPoolConfigResult>;

// export-users (raw event; OutputPath $.result)
export interface ExportUsersEvent {
  /** Opaque cursor; `''` or absent starts a new export run. */
  paginationToken?: string;
  /** Epoch ms of the run; read only when `paginationToken` continues a run. */
  ExportTimestamp?: number;
  UsernameAttributes?: UsernameAttributesJson;
}
export interface ExportUsersResult {
  /** `''` when every user has been exported. */
  paginationToken: string;
  UsernameAttributes?: UsernameAttributesJson;
  ExportTimestamp: number;
}
export interface ExportUsersOutput extends WrappedResult<ExportUsersResult> {
  totalUserProcessedCount: number;
}

// list-groups (raw event, flat output)
export interface ListGroupsEvent {
  ExportTimestamp?: number;
  ListGroupsNextToken?: string;
  UsernameAttributes?: UsernameAttributesJson;
  /** Added: the page at `ListGroupsNextToken`, listed ahead by ExportUsersInGroupLambda (`prefetched-groups.ts`). */
  prefetchedGroupsPage?: string;
}
/** One item of the "Process Groups Map" (the Map's Parameters select these fields). */
export interface GroupMapItem {
  groupName: string;
  groupLastModifiedDate?: string;
  UsernameAttributes: UsernameAttributesJson;
  groupDescription: string;
  groupPrecedence: number;
  /** Added: the group's IAM role ARN, `''` when it has none. */
  groupRoleArn: string;
}
export interface ListGroupsOutput {
  ExportTimestamp: number;
  NumGroupsToProcess: number;
  Groups: GroupMapItem[];
  ListGroupsNextToken?: string;
  ProcessedAllGroups: YesNo;
  /** Added: the next ListGroups page reads it from here. */
  UsernameAttributes: UsernameAttributesJson;
}

// export-group (raw event = one Map item, flat output)
export interface ExportGroupEvent {
  groupName?: string;
  groupDescription?: string;
  groupPrecedence?: number;
  groupLastModifiedDate?: string;
  /** Added; absent when an execution of an older definition hands the item over. */
  groupRoleArn?: string;
  UsernameAttributes?: UsernameAttributesJson;
  /** Lower-case e: the Map's Parameters name it so. */
  exportTimestamp?: number;
}
export interface ExportGroupOutput {
  exportTimestamp: number;
  groupName: string;
  UsernameAttributes?: UsernameAttributesJson;
}

/**
 * Added: the ExportWorkflow hands ExportGroupLambda and ExportUsersInGroupLambda a whole ListGroups page
 * (no Map, so an execution's history grows by one page's events, not by one group's). The single-group
 * event above stays valid for executions started before the change.
 */
export interface GroupsPageEvent {
  Groups?: GroupMapItem[];
  ExportTimestamp?: number;
  ListGroupsNextToken?: string;
  ProcessedAllGroups?: YesNo;
  UsernameAttributes?: UsernameAttributesJson;
  /** The page's groups whose memberships are still to be exported (`group-cursor.ts`); `''` when none. */
  groupsToExport?: string;
  /**
   * Added: the page at `ListGroupsNextToken`, listed ahead and its group items written
   * (`prefetched-groups.ts`); absent when no page was listed ahead (always in executions started before).
   */
  prefetchedGroupsPage?: string;
}
export interface GroupsPageOutput {
  ExportTimestamp: number;
  ListGroupsNextToken?: string;
  ProcessedAllGroups: YesNo;
  UsernameAttributes?: UsernameAttributesJson;
  NumGroupsToProcess: number;
  groupsToExport: string;
  /** 'Yes' once every group of the page has had all its memberships exported. */
  processedAllUsersInGroup: YesNo;
  /** Added: see `GroupsPageEvent`; carried until ListGroupsLambda hands the page on. */
  prefetchedGroupsPage?: string;
}

// export-users-in-group (raw event, flat output)
export interface ExportUsersInGroupEvent {
  groupName?: string;
  exportTimestamp?: number;
  listUsersInGroupNextToken?: string;
  UsernameAttributes?: UsernameAttributesJson;
}
export interface ExportUsersInGroupOutput {
  exportTimestamp: number;
  groupName: string;
  listUsersInGroupNextToken?: string;
  processedAllUsersInGroup: YesNo;
  /** Added: continuation pages of the group read it from here. */
  UsernameAttributes?: UsernameAttributesJson;
}

// backup-table-cleanup (wrapped)
export type BackupTableKey = Record<string, unknown>;

/**
 * Added: the backup table's user, membership and group items seen by the cleanup scan so far, and
 * how many of them this run did not confirm (stale). Carried from page to page of "Find Items".
 */
export interface CleanupCounts {
  Users: number;
  StaleUsers: number;
  Memberships: number;
  StaleMemberships: number;
  Groups: number;
  StaleGroups: number;
}

/**
 * Added: the mass-deletion decision, taken once the scan is complete and before anything is
 * deleted. `WithinLimit`: the stale items are within the allowance; `Overridden`: the execution
 * input allowed a larger deletion. "Remove Items" deletes nothing without one of the two.
 */
export type DeletionCheck = 'WithinLimit' | 'Overridden';

export interface BackupTableCleanupInput {
  ExportTimestamp?: number;
  NumItemsAddedToQueue?: number;
  /** A DynamoDB key while the scan is unfinished, `''` when it is complete. */
  lastEvaluatedKey?: BackupTableKey | '';
  CleanupCounts?: CleanupCounts;
  DeletionCheck?: DeletionCheck;
}
export type BackupTableCleanupEvent = WrappedEvent<BackupTableCleanupInput>;
export interface BackupTableCleanupResult {
  ExportTimestamp?: number;
  NumItemsAddedToQueue: number;
  lastEvaluatedKey?: BackupTableKey | '';
  IsQueueEmpty?: boolean;
  CleanupCounts?: CleanupCounts;
  DeletionCheck?: DeletionCheck;
}
export type BackupTableCleanupOutput = WrappedResult<BackupTableCleanupResult>;

/** State names of the two cleanup tasks. */
export const FIND_ITEMS_STATE = 'BackupTableCleanup: Find Items';
export const REMOVE_ITEMS_STATE = 'BackupTableCleanup: Remove Items';

/** State names of the snapshot tasks (TableSnapshotLambda). */
export const START_EXPORTS_STATE = 'Snapshot: Start Exports';
export const CHECK_EXPORTS_STATE = 'Snapshot: Check Exports';

export type SnapshotLockMode = 'GOVERNANCE' | 'COMPLIANCE';

/**
 * A snapshot export's status: DynamoDB's (`IN_PROGRESS`, `COMPLETED`, `FAILED`), or `WAITING` before DynamoDB
 * accepted it.
 */
export type SnapshotStatus = 'WAITING' | 'IN_PROGRESS' | 'COMPLETED' | 'FAILED';

/** One Region's export of a snapshot. */
export interface SnapshotExport {
  Region: string;
  Bucket: string;
  /** `snapshots/<SnapshotId>`; DynamoDB writes under `<Prefix>/AWSDynamoDB/<ExportId>/`. */
  Prefix: string;
  ExportArn?: string;
  Status: SnapshotStatus;
  ItemCount?: number;
  FailureCode?: string;
  FailureMessage?: string;
}

/** `Snapshot` in the ExportWorkflow's state: what the success notification names. */
export interface SnapshotProgress {
  /** The export time in UTC, `YYYYMMDDTHHMMSSZ`: the restore input `"Snapshot"`. */
  SnapshotId: string;
  /** The same time, ISO 8601. */
  ExportTime: string;
  Status: SnapshotStatus;
  RetentionDays: number;
  LockMode: SnapshotLockMode;
  /** The primary Region's export, then the backup Region's. */
  Exports: SnapshotExport[];
}

/** The state passes through: the notification reads the cleanup's counts and the export timestamp. */
export interface TableSnapshotInput {
  Snapshot?: SnapshotProgress;
  [field: string]: unknown;
}
export type TableSnapshotEvent = WrappedEvent<TableSnapshotInput>;
export interface TableSnapshotResult {
  Snapshot: SnapshotProgress;
  [field: string]: unknown;
}
export type TableSnapshotOutput = WrappedResult<TableSnapshotResult>;
