// SPDX-License-Identifier: Apache-2.0
/**
 * Creates the restore target from the backup's configuration item (`CreateUserPool` in the execution
 * input), then every later step runs with its id as if the operator had given `NewUserPoolId`.
 *
 * The execution's work file `restore-work/created-user-pools/<execution name>.json` in the import
 * bucket says how far the creation got and holds the new pool's id: the execution input cannot change,
 * so each import step reads the id from there (`withCreatedUserPool`).
 *
 * A retried step creates nothing twice: the work file is written before the pool is created; a retry
 * that finds it without an id looks for the pool by its name and the execution's tag before creating
 * one, an app client by its name, a resource server by its identifier, an identity provider by its
 * name, the domain on the pool.
 *
 * Beside the restore report it writes what the operator and the applications need: the map of old to
 * new app client ids, what was left out and what to supply, and the pool as a CloudFormation template.
 * None of it holds a secret: the new clients' secrets are in Cognito only.
 */
import {
  CreateIdentityProviderCommand,
  CreateResourceServerCommand,
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
  CreateUserPoolDomainCommand,
  DescribeUserPoolCommand,
  ListIdentityProvidersCommand,
  ListResourceServersCommand,
  ListUserPoolClientsCommand,
  ListUserPoolsCommand,
  SetUserPoolMfaConfigCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { s3Client } from '../../utils/clients';
import type { RateLimitedCognito } from '../../utils/cognito';
import { env as envSpec, parseConfig, type Env } from '../../utils/config';
import { errorName } from '../../utils/errors';
import type { Logger } from '../../utils/logger';
import type { SfnContextObject } from '../../utils/step-functions';
import {
  CREATE_USER_POOL_INPUT,
  planCreation,
  recordedConfiguration,
  RESTORE_TARGET_TAGS,
  type CreateUserPoolInput,
  type CreationPlan,
} from './create-plan';
import { getText, putChunk, WORK_PREFIX, type S3Work } from './pool-index';
import { poolTemplate } from './pool-template';

export const CREATED_POOLS_PART = 'created-user-pools';

/** `restore-work/created-user-pools/<execution name>.json`. */
export const creationKey = (executionName: string): string =>
  `${WORK_PREFIX}${CREATED_POOLS_PART}/${executionName}.json`;

/** What the execution's work file holds: how far the creation got. */
export interface CreationRecord {
  PoolName: string;
  UserPoolId?: string;
  /** Source app client id → new app client id. */
  Clients: Record<string, string>;
  Done: boolean;
  /** A restore drill's scratch pool: the recorded Lambda triggers it was created without (the drill reports it). */
  TriggersLeftOut?: number;
}

/** The files written beside the restore report, for the operator and the applications. */
export interface CreatedPoolSummary {
  SourceUserPoolId: string;
  NewUserPoolId: string;
  /** Source app client id → new app client id (both public; no secret). */
  ClientIds: Record<string, string>;
  ResourceServers: string[];
  IdentityProviders: string[];
  Domain?: string;
  LeftOut: string[];
  ForTheOperator: string[];
}

/** `restore-reports/<pool>/<execution start>-<suffix>`, beside `<execution start>.csv`. */
export function besideReportKey(userPoolId: string, startTime: string, suffix: string): string {
  return `restore-reports/${userPoolId}/${startTime.replace(/:/g, '-')}-${suffix}`;
}

/** The creation record of an execution, or undefined when it created (or recorded) nothing yet. */
export async function readCreationRecord(
  work: S3Work,
  executionName: string,
): Promise<CreationRecord | undefined> {
  try {
    return JSON.parse(await getText(work, creationKey(executionName))) as CreationRecord;
  } catch (error) {
    if (errorName(error) === 'NoSuchKey') return undefined;
    throw error;
  }
}

/**
 * The event with `NewUserPoolId` in its execution input when the input asked for a pool to be created
 * and the creation has its id; the event as it is otherwise (then `newUserPoolId` says what is missing).
 */
export async function withCreatedUserPool<E extends { Context?: SfnContextObject }>(
  event: E,
  work: () => S3Work,
): Promise<E> {
  const context = event?.Context;
  const input = context?.Execution?.Input;
  if (
    context === undefined ||
    input === undefined ||
    input.NewUserPoolId !== undefined ||
    input[CREATE_USER_POOL_INPUT] === undefined
  )
    return event;
  const name = context.Execution.Name ?? context.Execution.Id.split(':').pop() ?? '';
  const record = await readCreationRecord(work(), name);
  if (record?.UserPoolId === undefined) return event;
  return {
    ...event,
    Context: {
      ...context,
      Execution: { ...context.Execution, Input: { ...input, NewUserPoolId: record.UserPoolId } },
    },
  };
}

/** The import bucket, read from the environment only when a created pool is looked up. */
export const importBucketWork = (env: Env): S3Work => ({
  s3: s3Client(),
  bucket: parseConfig({ USER_IMPORT_JOB_MAPPING_FILES_BUCKET: envSpec.string() }, env)
    .USER_IMPORT_JOB_MAPPING_FILES_BUCKET,
});

export interface CreateDeps {
  cognito: RateLimitedCognito;
  work: S3Work;
  logger: Logger;
  /**
   * The backup's configuration item as the restore's recovery point holds it (the live table, or the
   * export of an `AsOf` or `Snapshot` restore): the pool is created as it was at that point.
   */
  recorded: () => Promise<unknown>;
  region: string;
}

async function listAll<T>(page: (token: string | undefined) => Promise<{ items: T[]; next?: string }>) {
  const items: T[] = [];
  let token: string | undefined;
  do {
    const answer = await page(token);
    items.push(...answer.items);
    token = answer.next === '' ? undefined : answer.next;
  } while (token !== undefined);
  return items;
}

/** A pool this execution created in an attempt that ended before it could record the id. */
async function findCreatedPool(
  cognito: RateLimitedCognito,
  poolName: string,
  executionName: string,
): Promise<string | undefined> {
  const pools = await listAll(async (NextToken) => {
    const answer = await cognito.send(new ListUserPoolsCommand({ MaxResults: 60, NextToken }));
    return { items: answer.UserPools ?? [], next: answer.NextToken };
  });
  for (const pool of pools.filter((candidate) => candidate.Name === poolName && candidate.Id !== undefined)) {
    try {
      const described = await cognito.send(new DescribeUserPoolCommand({ UserPoolId: pool.Id }));
      if (described.UserPool?.UserPoolTags?.[RESTORE_TARGET_TAGS.execution] === executionName) return pool.Id;
    } catch (error) {
      // A pool of the same name that is no restore target: the import role may not read it, and it is not ours.
      if (!/AccessDenied|NotAuthorized/.test(errorName(error))) throw error;
    }
  }
  return undefined;
}

async function createChildren(
  userPoolId: string,
  plan: CreationPlan,
  record: CreationRecord,
  cognito: RateLimitedCognito,
): Promise<void> {
  const UserPoolId = userPoolId;
  if (plan.Mfa !== undefined)
    await cognito.send(new SetUserPoolMfaConfigCommand({ ...plan.Mfa, UserPoolId }));
  const servers = await listAll(async (NextToken) => {
    const answer = await cognito.send(
      new ListResourceServersCommand({ UserPoolId, MaxResults: 50, NextToken }),
    );
    return { items: answer.ResourceServers ?? [], next: answer.NextToken };
  });
  const serverIds = new Set(servers.map((server) => server.Identifier));
  for (const server of plan.ResourceServers) {
    if (!serverIds.has(server.Identifier))
      await cognito.send(new CreateResourceServerCommand({ ...server, UserPoolId }));
  }
  const providers = await listAll(async (NextToken) => {
    const answer = await cognito.send(
      new ListIdentityProvidersCommand({ UserPoolId, MaxResults: 60, NextToken }),
    );
    return { items: answer.Providers ?? [], next: answer.NextToken };
  });
  const providerNames = new Set(providers.map((provider) => provider.ProviderName));
  for (const provider of plan.IdentityProviders) {
    if (!providerNames.has(provider.ProviderName))
      await cognito.send(new CreateIdentityProviderCommand({ ...provider, UserPoolId }));
  }
  const existing = await listAll(async (NextToken) => {
    const answer = await cognito.send(
      new ListUserPoolClientsCommand({ UserPoolId, MaxResults: 60, NextToken }),
    );
    return { items: answer.UserPoolClients ?? [], next: answer.NextToken };
  });
  const mapped = new Set(Object.values(record.Clients));
  for (const client of plan.Clients) {
    if (record.Clients[client.OldClientId] !== undefined) continue;
    // A client an earlier attempt created before it could record it: same name, not yet mapped.
    const adopted = existing.find(
      (candidate) =>
        candidate.ClientName === client.Request.ClientName && !mapped.has(candidate.ClientId ?? ''),
    )?.ClientId;
    const newId =
      adopted ??
      (await cognito.send(new CreateUserPoolClientCommand({ ...client.Request, UserPoolId }))).UserPoolClient
        ?.ClientId;
    if (newId === undefined)
      throw new Error(`CreateUserPoolClient answered no client id for ${client.Request.ClientName ?? ''}`);
    record.Clients[client.OldClientId] = newId;
    mapped.add(newId);
  }
  if (plan.Domain !== undefined) {
    const pool = (await cognito.send(new DescribeUserPoolCommand({ UserPoolId }))).UserPool;
    if (pool?.Domain === undefined || pool.Domain === '')
      await cognito.send(new CreateUserPoolDomainCommand({ Domain: plan.Domain, UserPoolId }));
  }
}

/**
 * Creates (or finishes creating) the pool that the input asks for and answers its id. The summary and
 * the CloudFormation template are written beside the restore report.
 */
export async function createUserPoolFromBackup(
  input: CreateUserPoolInput,
  run: { execution: string; startTime: string },
  deps: CreateDeps,
): Promise<{ userPoolId: string; summary?: CreatedPoolSummary }> {
  const key = creationKey(run.execution);
  let record = await readCreationRecord(deps.work, run.execution);
  if (record?.Done === true && record.UserPoolId !== undefined) return { userPoolId: record.UserPoolId };
  const configuration = recordedConfiguration(await deps.recorded());
  const plan = planCreation(configuration, input, { region: deps.region, executionName: run.execution });
  if (record === undefined) {
    record = {
      PoolName: input.PoolName,
      Clients: {},
      Done: false,
      ...(plan.TriggersLeftOut !== undefined ? { TriggersLeftOut: plan.TriggersLeftOut } : {}),
    };
    // Before the pool exists: a retry then knows to look for it.
    await putChunk(deps.work, key, record);
  } else if (record.UserPoolId === undefined) {
    const found = await findCreatedPool(deps.cognito, input.PoolName, run.execution);
    if (found !== undefined) record.UserPoolId = found;
  }
  if (record.UserPoolId === undefined) {
    const created = await deps.cognito.send(new CreateUserPoolCommand(plan.UserPool));
    const id = created.UserPool?.Id;
    if (id === undefined) throw new Error('CreateUserPool answered no user pool id');
    record.UserPoolId = id;
    await putChunk(deps.work, key, record);
    deps.logger.info('Created the new user pool from the backup', {
      userPoolId: id,
      sourceUserPoolId: configuration.Source.UserPoolId,
    });
  }
  const userPoolId = record.UserPoolId;
  await createChildren(userPoolId, plan, record, deps.cognito);
  const summary: CreatedPoolSummary = {
    SourceUserPoolId: configuration.Source.UserPoolId,
    NewUserPoolId: userPoolId,
    ClientIds: record.Clients,
    ResourceServers: plan.ResourceServers.map((server) => server.Identifier ?? ''),
    IdentityProviders: plan.IdentityProviders.map((provider) => provider.ProviderName ?? ''),
    ...(plan.Domain !== undefined ? { Domain: plan.Domain } : {}),
    LeftOut: plan.LeftOut,
    ForTheOperator: plan.ForTheOperator,
  };
  await putChunk(deps.work, besideReportKey(userPoolId, run.startTime, 'created-pool.json'), summary);
  await putChunk(
    deps.work,
    besideReportKey(userPoolId, run.startTime, 'user-pool.template.json'),
    JSON.stringify(poolTemplate(plan), null, 2),
  );
  record.Done = true;
  await putChunk(deps.work, key, record);
  deps.logger.info('The new user pool has the recorded configuration', {
    userPoolId,
    clients: Object.keys(record.Clients).length,
    resourceServers: summary.ResourceServers.length,
    identityProviders: summary.IdentityProviders.length,
    leftOut: plan.LeftOut.length,
    forTheOperator: plan.ForTheOperator.length,
  });
  for (const line of plan.LeftOut) deps.logger.warn(`Not created: ${line}`);
  for (const line of plan.ForTheOperator) deps.logger.warn(`For the operator: ${line}`);
  return { userPoolId, summary };
}
