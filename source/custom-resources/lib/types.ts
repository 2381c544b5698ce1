// SPDX-License-Identifier: Apache-2.0
/**
 * Event, property and result shapes of the custom-resources package. CloudFormation passes every
 * resource property as a string, and any of them may be missing, so all are optional here and
 * validated where they are used.
 */
import type { CustomResourceEvent } from '../../utils/custom-resource';
import type { WrappedEvent, WrappedResult } from '../../utils/step-functions';

/** `Custom::SolutionConstants` (main stack). */
export interface SolutionConstantsProperties {
  StackName?: string;
}

/** The attributes the main template reads with `GetAtt SolutionConstantsCustomResource.<name>`. */
export interface SolutionConstants extends Record<string, string> {
  StackSetName: string;
  FormattedStackName: string;
  SolutionInstanceUUID: string;
  UserImportJobMappingFileBucketPrefix: string;
  AnonymousDataUUID: string;
}

/** `Custom::StackChecker` (main stack): the fixed parameters plus anything else the template passes. */
export interface StackCheckerProperties {
  PrimaryUserPoolId?: string;
  SecondaryRegion?: string;
  ParentStackName?: string;
  [name: string]: unknown;
}

/** `Custom::StackSetConstants` (both StackSet instances). */
export interface StackSetConstantsProperties {
  ParentStackName?: string;
  PrimaryRegion?: string;
}

/** `Custom::StackSet` (main stack). */
export interface StackSetProperties {
  StackSetName?: string;
  StackSetParameters?: Record<string, unknown>;
  TemplateURL?: string;
  AdministrationRoleARN?: string;
  ExecutionRoleName?: string;
  AccountId?: string;
  SecondaryRegion?: string;
}

export type StackSetEvent = CustomResourceEvent<StackSetProperties>;

/** Execution input of StackSetCheckStatusWorkflow, written by stackset-manager. */
export interface StackSetStatusWorkflowInput {
  customResourceStartTime: number;
  operationId: string;
  customResourceEvent: StackSetEvent;
}

export type CheckStackSetStatusEvent = WrappedEvent;
export type CheckStackSetStatusResult = WrappedResult<{ HasRespondedToCfn: boolean }>;

/** `Custom::CreateTable` (main stack). */
export interface CreateTableProperties {
  UserPoolTable?: string;
  SecondaryRegion?: string;
  StateMachineArn?: string;
  /** Added: `Enabled` asks for point-in-time recovery on the replica (also on Update). */
  ReplicaPointInTimeRecovery?: string;
  /** Added: `Enabled` asks for deletion protection on the replica (also on Update). */
  ReplicaDeletionProtection?: string;
  /** Added: ARN of the backup region's customer managed KMS key for the replica; absent: AWS managed key. */
  ReplicaKmsKeyArn?: string;
}

/**
 * Input of each GlobalTableChecker invocation: the execution input written by
 * global-table-creator, then the checker's own previous output.
 */
export interface GlobalTableCheckerEvent {
  StackId: string;
  RequestId: string;
  LogicalResourceId: string;
  ResponseURL: string;
  /** Present only if a caller passes it; a Create request has none, so the logical id is used. */
  PhysicalResourceId?: string;
  LatestStreamArn?: string;
  /** Epoch ms of the first check; carried from one invocation to the next to bound the wait. */
  ReplicaWaitStartTime?: number;
}

/** `LatestStreamArn` is `""` until the replica is ready (the state machine's Choice tests it). */
export interface GlobalTableCheckerOutput extends GlobalTableCheckerEvent {
  LatestStreamArn: string;
  ReplicaWaitStartTime: number;
}
