// SPDX-License-Identifier: Apache-2.0
/**
 * Least privilege, proven against the code: (a) every AWS API action a handler's unit tests saw it
 * call is allowed by its function's role, (b) the role allows nothing else, CloudWatch Logs for the
 * function's own log group aside, and (c) on the right resource: a call on the queue, table, bucket,
 * pool, topic or state machine that the test's environment named (QUEUE_URL=...) is allowed by a
 * statement whose Resource names the resource that the template gives that variable; a call on the
 * execution input's user pool only with the restore-target tag condition. The calls come from build/api-calls/<package>/test/
 * <handler>.json, written by the unit tests (`mockAws`), so the unit tests must run first.
 */
import { apiCallsRecorded, API_CALLS_DIR, recordedCalls, type RecordedCall } from './support/artifacts';
import { isObject, loadTemplate, STACKSET_TEMPLATE, subText, type Json } from './support/cfn';
import {
  actionMatches,
  lambdaFunctions,
  roleStatements,
  type LambdaFunction,
  type PolicyStatement,
} from './support/functions';

/** SDK operations whose IAM action has another name. */
const ACTION_ALIASES: Record<string, string> = {
  'sqs:SendMessageBatch': 'sqs:SendMessage',
  'sqs:DeleteMessageBatch': 'sqs:DeleteMessage',
  'sqs:ChangeMessageVisibilityBatch': 'sqs:ChangeMessageVisibility',
  's3:HeadObject': 's3:GetObject',
  's3:ListObjectsV2': 's3:ListBucket',
};

/** Actions IAM checks for an API call besides the call's own action. */
const IMPLIED_ACTIONS: Record<string, string[]> = {
  // UpdateTable with a replica Create (global tables 2019.11.21) needs these on the table and the replica,
  // and creates DynamoDB's replication service-linked role on first use.
  'dynamodb:UpdateTable': [
    'dynamodb:DescribeTable',
    'dynamodb:CreateTableReplica',
    'dynamodb:CreateTable',
    'dynamodb:Scan',
    'dynamodb:Query',
    'dynamodb:UpdateItem',
    'dynamodb:PutItem',
    'dynamodb:GetItem',
    'dynamodb:DeleteItem',
    'dynamodb:BatchWriteItem',
    'iam:CreateServiceLinkedRole',
  ],
  // The job's CloudWatchLogsRoleArn is passed to Cognito.
  'cognito-idp:CreateUserImportJob': ['iam:PassRole'],
  // A group's RoleArn is passed to Cognito.
  'cognito-idp:CreateGroup': ['iam:PassRole'],
  // A self-managed StackSet passes its administration role; the template is read with the caller's rights.
  'cloudformation:CreateStackSet': ['iam:PassRole', 's3:GetObject'],
  'cloudformation:UpdateStackSet': ['iam:PassRole', 's3:GetObject'],
};

/**
 * import-users runs as two functions with different roles; its tests say in their names which
 * deployment (state) they exercise.
 */
const DEPLOYMENT_OF_TEST: Record<string, (test: string) => boolean> = {
  ImportNewUsersLambda: (test) => /ImportNewUsers/.test(test) && !/CheckUserImportJob/.test(test),
  ImportCheckImportJobLambda: (test) => /CheckUserImportJob/.test(test),
};

const iamAction = (call: RecordedCall): string => ACTION_ALIASES[call.action] ?? call.action;

function calledActions(fn: LambdaFunction): Set<string> {
  const calls = recordedCalls(fn.handler) ?? [];
  const belongs = DEPLOYMENT_OF_TEST[fn.logicalId] ?? (() => true);
  return new Set(calls.filter((call) => belongs(call.test)).map(iamAction));
}

const isLogs = (action: string): boolean => action.startsWith('logs:');

function grantedActions(fn: LambdaFunction): string[] {
  const statements = roleStatements(loadTemplate(fn.template), fn.roleId).filter((s) => s.Effect === 'Allow');
  return [...new Set(statements.flatMap((statement) => statement.Action))];
}

/**
 * What a template value names: `Ref X` and `Fn::GetAtt [X, A]` name X (and X.A); a `Fn::Sub` names
 * every `${...}` it contains.
 */
function namedEntities(value: Json | undefined): string[] {
  if (!isObject(value)) return [];
  if (typeof value.Ref === 'string') return [value.Ref];
  const getAtt = value['Fn::GetAtt'];
  if (Array.isArray(getAtt) && typeof getAtt[0] === 'string')
    return [getAtt[0], `${getAtt[0]}.${String(getAtt[1])}`];
  const text = subText(value);
  return text === undefined ? [] : [...text.matchAll(/\$\{([^}]+)\}/g)].map((match) => match[1] ?? '');
}

/** Pseudo parameters and names that say nothing about which resource a Resource is. */
const GENERIC = /^AWS::|^Prefix$|^KeyPrefix$/;

/**
 * `true` when the statement's Resource names what the environment variable names: the variable
 * `QUEUE_URL: !Ref ImportNewUsersQueue` against `!GetAtt ImportNewUsersQueue.Arn`, or
 * `BACKUP_TABLE_NAME: !GetAtt C.BackupTableName` against `!Sub '...:table/${C.BackupTableName}'`.
 */
function resourceNames(statement: PolicyStatement, envValue: Json | undefined): boolean {
  const wanted = namedEntities(envValue).filter((name) => !GENERIC.test(name));
  if (wanted.length === 0) return false;
  return statement.Resource.some((resource) => {
    const named = namedEntities(resource);
    if (isObject(resource) && (resource.Ref !== undefined || resource['Fn::GetAtt'] !== undefined)) {
      return named.some((name) => wanted.includes(name));
    }
    // A Sub names the resource only through the most specific reference in it (the last one).
    const specific = named.filter((name) => !GENERIC.test(name)).at(-1);
    return specific !== undefined && wanted.includes(specific);
  });
}

const RESTORE_TARGET_CONDITION = {
  StringEquals: { 'aws:ResourceTag/cognito-backup-restore-target': 'true' },
};

interface ResourceCheck {
  call: string;
  env: string;
  ok: boolean;
}

/** Each recorded call whose target came from the function's environment, checked against the statements. */
function resourceChecks(fn: LambdaFunction): ResourceCheck[] {
  const calls = recordedCalls(fn.handler) ?? [];
  const belongs = DEPLOYMENT_OF_TEST[fn.logicalId] ?? (() => true);
  const statements = roleStatements(loadTemplate(fn.template), fn.roleId).filter((s) => s.Effect === 'Allow');
  const checks = new Map<string, ResourceCheck>();
  for (const call of calls.filter((c) => belongs(c.test) && c.target)) {
    const env = (call.target?.env ?? []).filter((name) => name in fn.environment);
    const action = iamAction(call);
    const allowing = statements.filter((statement) =>
      statement.Action.some((pattern) => actionMatches(pattern, action)),
    );
    if (env.length === 0) {
      // The pool of the execution input (NewUserPoolId): any pool, but only one tagged as a restore target.
      if (fn.handler.startsWith('workflow-import/') && call.target?.kind === 'userpool') {
        const key = `${action} on the execution input's user pool`;
        const ok = allowing.some(
          (statement) =>
            statement.Resource.some((resource) => /:userpool\/\*$/.test(subText(resource) ?? '')) &&
            JSON.stringify(statement.Condition) === JSON.stringify(RESTORE_TARGET_CONDITION),
        );
        checks.set(key, { call: key, env: '', ok: (checks.get(key)?.ok ?? true) && ok });
      }
      continue;
    }
    const ok = env.some((name) =>
      allowing.some((statement) => resourceNames(statement, fn.environment[name])),
    );
    const key = `${action} on ${call.target?.kind} from ${env.join('|')}`;
    const previous = checks.get(key);
    checks.set(key, { call: key, env: env.join('|'), ok: (previous?.ok ?? true) && ok });
  }
  return [...checks.values()];
}

const functions = lambdaFunctions();
const cases = functions.map((fn) => [`${fn.logicalId} (${fn.handler})`, fn] as const);

describe('IAM roles of the functions', () => {
  beforeAll(() => {
    if (!apiCallsRecorded()) {
      throw new Error(
        `${API_CALLS_DIR} does not exist: the global setup runs the unit tests to write it (npx jest --selectProjects unit)`,
      );
    }
  });

  it('each function has a role of its own', () => {
    const roles = functions.map((fn) => `${fn.template}:${fn.roleId}`);
    expect(new Set(roles).size).toBe(roles.length);
  });

  it.each(cases)('%s: its unit tests recorded the AWS calls it makes', (_name, fn) => {
    const calls = recordedCalls(fn.handler);
    expect(
      calls === undefined ? `no ${API_CALLS_DIR}/${fn.handler.replace('/', '/test/')}.json` : 'recorded',
    ).toBe('recorded');
    expect(calledActions(fn).size).toBeGreaterThan(0);
  });

  it('every import-users call is attributed to exactly one of its two functions', () => {
    const calls = recordedCalls('workflow-import/import-users') ?? [];
    const unattributed = calls.filter(
      (call) => Object.values(DEPLOYMENT_OF_TEST).filter((belongs) => belongs(call.test)).length !== 1,
    );
    expect(unattributed.map((call) => `${call.action} in "${call.test}"`)).toEqual([]);
  });

  it.each(cases)('%s: (a) the role allows every action the handler calls', (_name, fn) => {
    const granted = grantedActions(fn);
    const denied = [...calledActions(fn)].filter(
      (action) => !granted.some((pattern) => actionMatches(pattern, action)),
    );
    expect(denied).toEqual([]);
  });

  it.each(cases)('%s: (b) the role allows no action the handler never calls (logs aside)', (_name, fn) => {
    const called = calledActions(fn);
    const needed = new Set([...called, ...[...called].flatMap((action) => IMPLIED_ACTIONS[action] ?? [])]);
    const extra = grantedActions(fn).filter((action) => !isLogs(action) && !needed.has(action));
    expect(extra).toEqual([]);
  });

  it.each(cases)(
    '%s: (c) each call on a queue, table, bucket, pool, topic or state machine of its environment is allowed on that resource',
    (_name, fn) => {
      const checks = resourceChecks(fn);
      expect(checks.filter((check) => !check.ok).map((check) => check.call)).toEqual([]);
    },
  );

  it('(c) every StackSet function call on a queue, table, topic or bucket names it through an environment variable, so (c) checks it', () => {
    const unchecked = functions
      .filter((fn) => fn.template === STACKSET_TEMPLATE)
      .flatMap((fn) => {
        const belongs = DEPLOYMENT_OF_TEST[fn.logicalId] ?? (() => true);
        return (recordedCalls(fn.handler) ?? [])
          .filter(
            (call) =>
              belongs(call.test) && call.target && /^(queue|table|topic|bucket)$/.test(call.target.kind),
          )
          .filter((call) => !(call.target?.env ?? []).some((name) => name in fn.environment))
          .map(
            (call) =>
              `${fn.logicalId}: ${call.action} on ${call.target?.kind} ${call.target?.value} in "${call.test}"`,
          );
      });
    expect([...new Set(unchecked)]).toEqual([]);
  });

  it.each(cases)('%s: logs only to its own log group, and grants nothing on every resource', (_name, fn) => {
    const statements = roleStatements(loadTemplate(fn.template), fn.roleId);
    const logs = statements.filter((statement) => statement.Action.some(isLogs));
    expect(
      logs.map((statement) => ({ Action: [...statement.Action].sort(), Resource: statement.Resource })),
    ).toEqual([
      {
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: [{ 'Fn::GetAtt': [`${fn.logicalId}LogGroup`, 'Arn'] }] as Json[],
      },
    ]);
    expect(statements.filter((statement) => statement.Resource.includes('*'))).toEqual([]);
    expect(statements.filter((statement) => statement.Effect !== 'Allow')).toEqual([]);
  });
});
