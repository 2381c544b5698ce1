// SPDX-License-Identifier: Apache-2.0
/**
 * Least privilege, proven against the code: (a) every AWS API action a handler's unit tests saw it
 * call is allowed by its function's role, (b) the role allows nothing else, CloudWatch Logs for the
 * function's own log group aside, and (c) on the right resource: a call on the queue, table, bucket,
 * pool, topic or state machine that the test's environment named (QUEUE_URL=...) is allowed by a
 * statement whose Resource names the resource that the template gives that variable; a call on the
 * execution input's user pool only with the restore-target tag condition. The calls come from build/api-calls/<package>/test/
 * <handler>.json, written by the unit tests (`mockAws`), so the unit tests must run first.
 * (a)-(c) check the templates as rendered with the parameters' defaults (no KMS key given); with a customer
 * managed key (KmsKeyArn), (d) each role gains exactly the KMS actions that the services ask for on its calls'
 * behalf, on its region's key only, and nothing else changes.
 */
import { METRIC_NAMESPACE } from '../../source/utils/backup-metrics';
import { apiCallsRecorded, API_CALLS_DIR, recordedCalls, type RecordedCall } from './support/artifacts';
import {
  isObject,
  loadTemplate,
  loadTemplates,
  MAIN_TEMPLATE,
  REPAIR_CONDITION,
  resourcesOfType,
  STACKSET_TEMPLATE,
  subText,
  TEMPLATE_FILES,
  type Json,
  type KeyChoice,
} from './support/cfn';
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
  // DynamoDB writes a table export to S3 with the caller's permissions (DynamoDB developer guide,
  // "Requesting a table export in DynamoDB").
  'dynamodb:ExportTableToPointInTime': ['s3:PutObject', 's3:AbortMultipartUpload', 's3:PutObjectAcl'],
  // The job's CloudWatchLogsRoleArn is passed to Cognito.
  'cognito-idp:CreateUserImportJob': ['iam:PassRole'],
  // A group's RoleArn is passed to Cognito.
  'cognito-idp:CreateGroup': ['iam:PassRole'],
  // The recorded SMS role (SmsConfiguration.SnsCallerArn) is passed to Cognito with a created pool.
  'cognito-idp:CreateUserPool': ['iam:PassRole'],
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

/** The calls the handler's unit tests recorded for this deployment of it. */
function calledCalls(fn: LambdaFunction): RecordedCall[] {
  const belongs = DEPLOYMENT_OF_TEST[fn.logicalId] ?? (() => true);
  return (recordedCalls(fn.handler) ?? []).filter((call) => belongs(call.test));
}

function calledActions(fn: LambdaFunction): Set<string> {
  return new Set(calledCalls(fn).map(iamAction));
}

const isLogs = (action: string): boolean => action.startsWith('logs:');

/** The functions that exist only with `AllowRepair` `Yes`, checked in that rendering of the templates. */
const repairFunctions = lambdaFunctions(loadTemplates('repair')).filter(
  (fn) => fn.condition === REPAIR_CONDITION,
);
const renderingOf = (fn: LambdaFunction): KeyChoice => (repairFunctions.includes(fn) ? 'repair' : 'default');

function grantedActions(fn: LambdaFunction): string[] {
  const statements = roleStatements(loadTemplate(fn.template, renderingOf(fn)), fn.roleId).filter(
    (s) => s.Effect === 'Allow',
  );
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

/**
 * Pseudo parameters and names that say nothing about which resource a Resource is (PrimaryRegion: a Region,
 * in which any of the primary Region's state machines are).
 */
const GENERIC = /^AWS::|^Prefix$|^KeyPrefix$|^PrimaryRegion$/;

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

/** The restore-target condition, alone or with more (the created pool's statement also asks for its execution tag). */
const carriesRestoreTargetCondition = (statement: PolicyStatement): boolean =>
  JSON.stringify(statement.Condition) === JSON.stringify(RESTORE_TARGET_CONDITION) ||
  (statement.Condition?.StringEquals as Record<string, Json> | undefined)?.[
    'aws:ResourceTag/cognito-backup-restore-target'
  ] === 'true';

/**
 * Actions that IAM authorizes on no resource (the Service Authorization Reference's "*"): a new pool has no
 * ARN before it exists, and ListUserPools lists the account's pools, ListStateMachines its state machines.
 */
const ACTIONS_WITHOUT_RESOURCE = new Set([
  'cognito-idp:CreateUserPool',
  'cognito-idp:ListUserPools',
  'states:ListStateMachines',
]);

interface ResourceCheck {
  call: string;
  env: string;
  ok: boolean;
}

/** Each recorded call whose target came from the function's environment, checked against the statements. */
function resourceChecks(fn: LambdaFunction): ResourceCheck[] {
  const calls = recordedCalls(fn.handler) ?? [];
  const belongs = DEPLOYMENT_OF_TEST[fn.logicalId] ?? (() => true);
  const statements = roleStatements(loadTemplate(fn.template, renderingOf(fn)), fn.roleId).filter(
    (s) => s.Effect === 'Allow',
  );
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
            carriesRestoreTargetCondition(statement),
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

const defaultFunctions = lambdaFunctions();
const functions = [...defaultFunctions, ...repairFunctions];
const cases = functions.map((fn) => [`${fn.logicalId} (${fn.handler})`, fn] as const);
const defaultCases = defaultFunctions.map((fn) => [`${fn.logicalId} (${fn.handler})`, fn] as const);

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

  it('the repair function is checked too (AllowRepair Yes)', () => {
    expect(repairFunctions.map((fn) => fn.logicalId)).toEqual(['RepairUserPoolLambda']);
  });

  it.each(cases)('%s: logs only to its own log group, and grants nothing on every resource', (_name, fn) => {
    const statements = roleStatements(loadTemplate(fn.template, renderingOf(fn)), fn.roleId);
    const logs = statements.filter((statement) => statement.Action.some(isLogs));
    expect(
      logs.map((statement) => ({ Action: [...statement.Action].sort(), Resource: statement.Resource })),
    ).toEqual([
      {
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: [{ 'Fn::GetAtt': [`${fn.logicalId}LogGroup`, 'Arn'] }] as Json[],
      },
    ]);
    expect(
      statements.filter(
        (statement) =>
          statement.Resource.includes('*') &&
          !isSolutionMetrics(statement) &&
          !statement.Action.every((action) => ACTIONS_WITHOUT_RESOURCE.has(action)),
      ),
    ).toEqual([]);
    expect(statements.filter((statement) => statement.Effect !== 'Allow')).toEqual([]);
  });
});

describe('creating a restore target (CreateUserPool in the ImportWorkflow input)', () => {
  const creator = functions.find((fn) => fn.logicalId === 'ImportCheckNewUserPoolLambda');
  const statements = () =>
    creator === undefined
      ? []
      : roleStatements(loadTemplate(creator.template), creator.roleId).filter((s) => s.Effect === 'Allow');
  const CREATE_PARTS = [
    'cognito-idp:SetUserPoolMfaConfig',
    'cognito-idp:CreateResourceServer',
    'cognito-idp:CreateIdentityProvider',
    'cognito-idp:CreateUserPoolClient',
    'cognito-idp:CreateUserPoolDomain',
  ];

  it('only ImportCheckNewUserPoolLambda may create a pool or its parts', () => {
    // The repair function's role exists only with AllowRepair=Yes: read in that rendering.
    const creators = functions.filter((fn) =>
      roleStatements(
        loadTemplate(fn.template, fn.condition === REPAIR_CONDITION ? 'repair' : 'default'),
        fn.roleId,
      ).some((statement) =>
        statement.Action.some((action) =>
          ['cognito-idp:CreateUserPool', ...CREATE_PARTS].some((create) => actionMatches(action, create)),
        ),
      ),
    );
    expect(creators.map((fn) => fn.logicalId)).toEqual(['ImportCheckNewUserPoolLambda']);
  });

  it('creates a pool only with the tags of a restore target created by an execution', () => {
    const allowing = statements().filter((statement) =>
      statement.Action.includes('cognito-idp:CreateUserPool'),
    );
    expect(allowing.map((statement) => statement.Condition)).toEqual([
      {
        StringEquals: { 'aws:RequestTag/cognito-backup-restore-target': 'true' },
        Null: { 'aws:RequestTag/cognito-backup-restore-execution': 'false' },
      },
    ]);
  });

  it('writes the parts only to a pool that carries the execution tag, which the backed-up pool never gets', () => {
    for (const action of CREATE_PARTS) {
      const allowing = statements().filter((statement) =>
        statement.Action.some((pattern) => actionMatches(pattern, action)),
      );
      expect(allowing.length).toBeGreaterThan(0);
      for (const statement of allowing) {
        expect(statement.Condition).toEqual({
          StringEquals: { 'aws:ResourceTag/cognito-backup-restore-target': 'true' },
          Null: { 'aws:ResourceTag/cognito-backup-restore-execution': 'false' },
        });
      }
    }
    // The pool the backup reads is never created by this solution, so it carries no execution tag: the only
    // other pool statement of the role is the read-only check on restore targets.
    const other = statements().filter(
      (statement) =>
        statement.Action.some((action) => action.startsWith('cognito-idp:')) &&
        statement.Condition?.Null === undefined &&
        !statement.Resource.includes('*'),
    );
    expect(other.flatMap((statement) => statement.Action).sort()).toEqual([
      'cognito-idp:DescribeUserPool',
      'cognito-idp:ListGroups',
      'cognito-idp:ListUsers',
    ]);
  });
});

/**
 * PutMetricData has no resource type, so its Resource is "*"; the statement is allowed only for that action
 * and only with the condition that keeps it to the solution's namespace.
 */
function isSolutionMetrics(statement: PolicyStatement): boolean {
  return (
    statement.Action.length === 1 &&
    statement.Action[0] === 'cloudwatch:PutMetricData' &&
    JSON.stringify(statement.Condition) ===
      JSON.stringify({ StringEquals: { 'cloudwatch:namespace': METRIC_NAMESPACE } })
  );
}

/**
 * What the service of an encrypted resource asks KMS for, with the caller's permissions, when the caller
 * makes the call: SQS producers need GenerateDataKey and Decrypt, consumers Decrypt; SNS publishers
 * GenerateDataKey and Decrypt; S3 PutObject GenerateDataKey, GetObject Decrypt; DynamoDB decrypts the table
 * key on every item read or write; a replica of a table with a customer managed key is created (or switched)
 * only by a principal that may describe the backup region's key and create DynamoDB's grant on it.
 */
const KMS_ON_BEHALF: Record<
  string,
  {
    service: string;
    kms: string[];
    replicaKey?: true;
    /** Whether the function makes the call in both Regions (a snapshot exports the table and its replica): both keys. */
    bothKeys?: (fn: LambdaFunction) => boolean;
    when?: (call: RecordedCall) => boolean;
  }
> = {
  'sqs:SendMessage': { service: 'sqs', kms: ['kms:Decrypt', 'kms:GenerateDataKey'] },
  'sqs:ReceiveMessage': { service: 'sqs', kms: ['kms:Decrypt'] },
  'sns:Publish': { service: 'sns', kms: ['kms:Decrypt', 'kms:GenerateDataKey'] },
  's3:PutObject': { service: 's3', kms: ['kms:GenerateDataKey'] },
  's3:GetObject': { service: 's3', kms: ['kms:Decrypt'] },
  ...Object.fromEntries(
    ['Scan', 'Query', 'GetItem', 'BatchGetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem'].map(
      (operation) => [`dynamodb:${operation}`, { service: 'dynamodb', kms: ['kms:Decrypt'] }],
    ),
  ),
  // S3 encrypts the export's objects, as for a PutObject of the caller (multipart uploads also decrypt).
  'dynamodb:ExportTableToPointInTime': {
    service: 's3',
    kms: ['kms:Decrypt', 'kms:GenerateDataKey'],
    // The snapshot exports in both Regions; an AsOf restore exports only in its own Region, with its key.
    bothKeys: (fn) => fn.logicalId === 'TableSnapshotLambda',
  },
  'dynamodb:UpdateTable': {
    service: 'dynamodb',
    kms: ['kms:CreateGrant', 'kms:DescribeKey'],
    replicaKey: true,
    // Only a replica's creation or key switch; turning deletion protection on touches no key.
    when: (call) => call.members?.includes('ReplicaUpdates') ?? true,
  },
};

const isKms = (action: string): boolean => action.startsWith('kms:');

/** `<service> on <key>` -> KMS actions, as the customer-key rendering grants them to a role. */
function kmsGrants(fn: LambdaFunction): Record<string, string[]> {
  const grants: Record<string, string[]> = {};
  for (const statement of roleStatements(loadTemplate(fn.template, 'customer-key'), fn.roleId)) {
    if (!statement.Action.some(isKms)) continue;
    const viaService = (statement.Condition?.StringEquals as Record<string, Json> | undefined)?.[
      'kms:ViaService'
    ];
    const service =
      /^([a-z0-9]+)\.\$\{(AWS::Region|SecondaryRegion|StackSetConstantsCustomResource\.SecondaryRegion)\}\.amazonaws\.com$/.exec(
        subText(viaService) ?? '',
      );
    const key = `${service?.[1] ?? `unscoped ${JSON.stringify(statement.Condition)}`} on ${JSON.stringify(statement.Resource)}`;
    grants[key] = [...(grants[key] ?? []), ...statement.Action].sort();
  }
  return grants;
}

/** The key of the function's region: the main stack's, or in the StackSet the primary or the backup region's. */
function regionKey(fn: LambdaFunction): Json {
  if (fn.template === MAIN_TEMPLATE || fn.condition === 'IsPrimaryRegion') return { Ref: 'KmsKeyArn' };
  return { 'Fn::If': ['IsPrimaryRegion', { Ref: 'KmsKeyArn' }, { Ref: 'SecondaryRegionKmsKeyArn' }] };
}

/** What kmsGrants should be, from the calls the handler's unit tests recorded. */
function expectedKmsGrants(fn: LambdaFunction): Record<string, string[]> {
  const grants: Record<string, Set<string>> = {};
  for (const call of calledCalls(fn)) {
    const need = KMS_ON_BEHALF[iamAction(call)];
    if (!need || (need.when && !need.when(call))) continue;
    const keys: Json[] = need.bothKeys?.(fn)
      ? [regionKey(fn), { Ref: 'SecondaryRegionKmsKeyArn' }]
      : [need.replicaKey ? { Ref: 'SecondaryRegionKmsKeyArn' } : regionKey(fn)];
    for (const kmsKey of keys) {
      const key = `${need.service} on ${JSON.stringify([kmsKey])}`;
      grants[key] = new Set([...(grants[key] ?? []), ...need.kms]);
    }
  }
  return Object.fromEntries(Object.entries(grants).map(([key, actions]) => [key, [...actions].sort()]));
}

/** A role's statements without its KMS grants through a service (kms:ViaService). */
const withoutViaServiceGrants = (statements: PolicyStatement[]): PolicyStatement[] =>
  statements.filter(
    (statement) =>
      !(
        statement.Action.every(isKms) && JSON.stringify(statement.Condition ?? {}).includes('kms:ViaService')
      ),
  );

describe('IAM roles with a customer managed KMS key (KmsKeyArn)', () => {
  it.each(defaultCases)(
    "%s: (d) the role may use its region's key through each service it calls on an encrypted resource, for exactly what the service needs",
    (_name, fn) => {
      expect(kmsGrants(fn)).toEqual(expectedKmsGrants(fn));
    },
  );

  it("(d) the grants are conditional: with the parameters' defaults no function role has a KMS action", () => {
    const withKms = defaultFunctions.filter((fn) =>
      roleStatements(loadTemplate(fn.template), fn.roleId).some((statement) => statement.Action.some(isKms)),
    );
    expect(withKms.map((fn) => fn.roleId)).toEqual([]);
    // ...and with the key, some do (the check above is not vacuous).
    expect(defaultFunctions.filter((fn) => Object.keys(kmsGrants(fn)).length > 0).length).toBeGreaterThan(5);
  });

  it.each(TEMPLATE_FILES)(
    '%s: (d) apart from those KMS grants, every role is the same with and without the key',
    (file) => {
      const roles = resourcesOfType(loadTemplate(file), 'AWS::IAM::Role').map(([id]) => id);
      const changed = roles.filter(
        (id) =>
          JSON.stringify(withoutViaServiceGrants(roleStatements(loadTemplate(file, 'customer-key'), id))) !==
          JSON.stringify(roleStatements(loadTemplate(file), id)),
      );
      expect(changed).toEqual([]);
    },
  );
});

describe("a recovery point's configuration item, kept by CheckRecoveryPoint (restore-work/pool-configurations/)", () => {
  const BUCKET = 'arn:${AWS::Partition}:s3:::${UserImportJobMappingFiles}/';
  /** The S3 object actions a function's role allows on keys that `key` falls under. */
  const objectGrants = (logicalId: string, key: string): string[] => {
    const fn = functions.find((candidate) => candidate.logicalId === logicalId);
    if (fn === undefined) return [];
    return roleStatements(loadTemplate(fn.template, renderingOf(fn)), fn.roleId)
      .filter((statement) =>
        statement.Resource.some((resource) => {
          const text = subText(resource);
          if (text === undefined || !text.startsWith(BUCKET) || !text.endsWith('*')) return false;
          return key.startsWith(text.slice(BUCKET.length, -1));
        }),
      )
      .flatMap((statement) => statement.Action.filter((action) => action.startsWith('s3:')))
      .sort();
  };
  const SUMMARY = 'restore-work/pool-configurations/run-1.json';

  it('CheckRecoveryPoint (the reconcile function) writes and reads it', () => {
    expect(objectGrants('ImportReconcileNewUserPoolLambda', SUMMARY)).toEqual([
      's3:GetObject',
      's3:PutObject',
    ]);
  });

  it('the target check and CreateUserPool only read it, and no other work file but their own', () => {
    expect(objectGrants('ImportCheckNewUserPoolLambda', SUMMARY)).toEqual(['s3:GetObject']);
    expect(
      objectGrants('ImportCheckNewUserPoolLambda', 'restore-work/us-east-2_pool/run-1/users/0.json'),
    ).toEqual([]);
  });
});
