// SPDX-License-Identifier: Apache-2.0
/**
 * The state machines against the code they run: every `${X.Arn}` is a function of the same template,
 * each definition is valid ASL, the state names the handlers dispatch on exist (and only those
 * invoke them), and every field a Choice state tests is produced by the task before it, according
 * to the handler's result type.
 */
import { STATE_NAMES as BROKER_STATES } from '../../source/workflow-common/message-broker';
import { STATE_NAMES as CLEANUP_STATES } from '../../source/workflow-export/backup-table-cleanup';
import { STATE_NAMES as SNAPSHOT_STATES } from '../../source/workflow-export/table-snapshot';
import {
  CHECK_USER_IMPORT_JOB_STATES,
  IMPORT_NEW_USERS_STATES,
} from '../../source/workflow-import/import-users';
import { STATE_NAMES as RECONCILE_STATES } from '../../source/workflow-import/reconcile-new-user-pool';
import { loadTemplate, loadTemplates, MAIN_TEMPLATE, STACKSET_TEMPLATE } from './support/cfn';
import { lambdaFunctions, type LambdaFunction } from './support/functions';
import { handlerResultFields, packageStringLiterals } from './support/handlers';
import {
  allStates,
  choiceFields,
  edges,
  functionOf,
  stateMachines,
  type AslDefinition,
  type AslScope,
  type AslState,
  type StateMachine,
} from './support/state-machines';

// asl-validator ships no type declarations.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const aslValidator = require('asl-validator') as (
  definition: unknown,
  options?: { checkPaths: boolean; checkArn: boolean },
) => { isValid: boolean; errors: unknown[] };

const defaultMachines = stateMachines();
/** The RepairWorkflow exists only with AllowRepair Yes: checked in that rendering, like the others. */
const repairMachines = stateMachines(loadTemplates('repair')).filter(
  (machine) => machine.logicalId === 'RepairWorkflow',
);
const machines = [...defaultMachines, ...repairMachines];
const functions = lambdaFunctions(loadTemplates('repair'));
const machineCases = machines.map((machine) => [machine.logicalId, machine] as const);

const functionIn = (template: string, logicalId: string): LambdaFunction | undefined =>
  functions.find((fn) => fn.template === template && fn.logicalId === logicalId);

const LAMBDA_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
];

describe('state machine definitions', () => {
  it('are the four of the original, with generated names (the code reads the logical id prefix)', () => {
    expect(repairMachines).toHaveLength(1);
    expect(defaultMachines.map((machine) => `${machine.template}:${machine.logicalId}`).sort()).toEqual(
      [
        `${MAIN_TEMPLATE}:SecondaryUserPoolTableStepFunctions`,
        `${MAIN_TEMPLATE}:StackSetCheckStatusWorkflow`,
        `${STACKSET_TEMPLATE}:ExportWorkflow`,
        `${STACKSET_TEMPLATE}:ImportWorkflow`,
        // Added (issue 24): the restore drill.
        `${STACKSET_TEMPLATE}:RestoreDrillWorkflow`,
      ].sort(),
    );
    for (const machine of defaultMachines) {
      expect(
        loadTemplate(machine.template).Resources[machine.logicalId]?.Properties?.StateMachineName,
      ).toBeUndefined();
    }
  });

  it.each(machineCases)('%s: every ${X.Arn} names a Lambda function of the same template', (_id, machine) => {
    expect(machine.arnReferences.length).toBeGreaterThan(0);
    const unknown = machine.arnReferences.filter((id) => !functionIn(machine.template, id));
    expect(unknown).toEqual([]);
  });

  it.each(machineCases)('%s: every Task resource is one of those functions', (_id, machine) => {
    const tasks = allStates(machine.definition).filter(({ state }) => state.Type === 'Task');
    const unresolved = tasks
      .filter(({ state }) => !functionIn(machine.template, functionOf(state) ?? ''))
      .map(({ name, state }) => `${name}: ${state.Resource ?? ''}`);
    // The restore drill runs the ImportWorkflow as it is: started and awaited, not a function.
    const expected =
      machine.logicalId === 'RestoreDrillWorkflow'
        ? ['Restore drill: restore into a scratch pool: arn:aws:states:::states:startExecution.sync:2']
        : [];
    expect(unresolved).toEqual(expected);
  });

  it.each(machineCases)('%s: passes asl-validator', (_id, machine) => {
    const result = aslValidator(structuredClone(machine.definition), { checkPaths: true, checkArn: true });
    expect(result.errors).toEqual([]);
    expect(result.isValid).toBe(true);
  });

  it.each(machineCases)('%s: retries Lambda service errors on every Lambda task', (_id, machine) => {
    const withoutRetry = allStates(machine.definition)
      .filter(({ state }) => state.Type === 'Task' && functionOf(state) !== undefined)
      .filter(
        ({ state }) =>
          !(state.Retry ?? []).some((retry) => LAMBDA_ERRORS.every((e) => retry.ErrorEquals.includes(e))),
      )
      .map(({ name }) => name);
    expect(withoutRetry).toEqual([]);
  });

  it.each(machineCases)('%s: every Choice state has a Default', (_id, machine) => {
    const withoutDefault = allStates(machine.definition)
      .filter(({ state }) => state.Type === 'Choice' && !state.Default)
      .map(({ name }) => name);
    expect(withoutDefault).toEqual([]);
  });

  it.each(['SecondaryUserPoolTableStepFunctions', 'StackSetCheckStatusWorkflow'])(
    '%s polls for a bounded time',
    (id) => {
      const machine = machines.find((candidate) => candidate.logicalId === id);
      expect(machine?.definition.TimeoutSeconds).toBeGreaterThan(0);
      // The Lambdas answer CloudFormation themselves after 55 minutes; the machine must not stop first.
      expect(machine?.definition.TimeoutSeconds).toBeGreaterThanOrEqual(55 * 60 + 300);
    },
  );

  it('keep the Fail error names of the original', () => {
    const errors = new Set(
      machines.flatMap((machine) =>
        allStates(machine.definition)
          .filter(({ state }) => state.Type === 'Fail')
          .map(({ state }) => String(state.Error)),
      ),
    );
    expect([...errors].sort()).toEqual(
      [
        'AnotherExecutionRunning',
        // Added: the ExportWorkflow's expected refusals end in failures of their own name.
        'MassDeletionRefused',
        'NewUserPoolNotEmpty',
        // Added: an import whose reconciliation finds users, groups, memberships or flags missing.
        'RestoreIncomplete',
        // Added: an export whose snapshot (the export of the table to the snapshot buckets) failed.
        'SnapshotFailed',
        // Added (AllowRepair): a repair plan refused at apply, and an apply whose check finds something left.
        'PlanOutdatedError',
        'RepairIncomplete',
        // Added (issue 24): the restore drill's failure and refusal.
        'RestoreDrillFailed',
        'RestoreDrillRefused',
        'UnexpectedErrorInWorkflow',
        'UnsupportedUserPool',
      ].sort(),
    );
  });
});

/**
 * The state names each handler dispatches on, as the handlers export them. The handler's package must
 * contain each name, and exactly these states invoke the function.
 */
const DISPATCH: { functionId: string; handler: string; states: string[] }[] = [
  {
    functionId: 'WorkflowMessageBrokerLambda',
    handler: 'workflow-common/message-broker',
    states: [...BROKER_STATES],
  },
  {
    functionId: 'BackupTableCleanupLambda',
    handler: 'workflow-export/backup-table-cleanup',
    states: [...CLEANUP_STATES],
  },
  {
    functionId: 'TableSnapshotLambda',
    handler: 'workflow-export/table-snapshot',
    states: [...SNAPSHOT_STATES],
  },
  {
    functionId: 'ImportNewUsersLambda',
    handler: 'workflow-import/import-users',
    states: [...IMPORT_NEW_USERS_STATES],
  },
  {
    functionId: 'ImportCheckImportJobLambda',
    handler: 'workflow-import/import-users',
    states: [...CHECK_USER_IMPORT_JOB_STATES],
  },
  {
    functionId: 'ImportReconcileNewUserPoolLambda',
    handler: 'workflow-import/reconcile-new-user-pool',
    states: [...RECONCILE_STATES],
  },
];

describe('state names the handlers dispatch on', () => {
  it.each(DISPATCH.map((entry) => [entry.functionId, entry] as const))(
    '%s runs the handler that knows each of its state names',
    (_id, entry) => {
      expect(functions.find((fn) => fn.logicalId === entry.functionId)?.handler).toBe(entry.handler);
      const literals = packageStringLiterals(entry.handler.split('/')[0] ?? '');
      expect(entry.states.filter((name) => !literals.has(name))).toEqual([]);
    },
  );

  it.each(DISPATCH.map((entry) => [entry.functionId, entry] as const))(
    '%s is invoked by exactly the states its handler dispatches on',
    (_id, entry) => {
      const invoking = machines
        .filter((machine) => machine.template === STACKSET_TEMPLATE)
        .flatMap((machine) => allStates(machine.definition))
        .filter(({ state }) => state.Type === 'Task' && functionOf(state) === entry.functionId)
        .map(({ name }) => name);
      expect([...new Set(invoking)].sort()).toEqual([...entry.states].sort());
    },
  );

  it('the code compares the state machine name prefixes ImportWorkflow and ExportWorkflow', () => {
    const literals = packageStringLiterals('workflow-common');
    expect(['ImportWorkflow', 'ExportWorkflow'].filter((name) => !literals.has(name))).toEqual([]);
  });
});

interface Origin {
  /** Where the data comes from, for failure messages. */
  label: string;
  fields: Set<string> | 'unknown';
}

/** The possible shapes of a state's input: the outputs of the states that lead to it. */
function inputOrigins(
  machine: StateMachine,
  scope: AslScope,
  name: string,
  mapState: AslState | undefined,
  visited: Set<string>,
): Origin[] {
  if (visited.has(name)) return [];
  visited.add(name);
  const origins: Origin[] = [];
  if (scope.StartAt === name) {
    const selected = mapState?.Parameters ?? mapState?.ItemSelector;
    origins.push(
      selected
        ? { label: 'Map item', fields: new Set(Object.keys(selected).map((key) => key.replace(/\.\$$/, ''))) }
        : { label: 'execution input', fields: 'unknown' },
    );
  }
  for (const edge of edges(scope).filter((candidate) => candidate.to === name)) {
    const from = scope.States[edge.from] as AslState;
    if (edge.viaCatch) origins.push({ label: `${edge.from} (Catch)`, fields: new Set(['Error', 'Cause']) });
    else origins.push(...outputOrigins(machine, scope, edge.from, from, mapState, visited));
  }
  return origins;
}

function outputOrigins(
  machine: StateMachine,
  scope: AslScope,
  name: string,
  state: AslState,
  mapState: AslState | undefined,
  visited: Set<string>,
): Origin[] {
  switch (state.Type) {
    case 'Task': {
      // `ResultPath: null` discards the task's result: the state passes its input on unchanged.
      if (state.ResultPath === null && state.ResultSelector === undefined && state.OutputPath === undefined) {
        return inputOrigins(machine, scope, name, mapState, visited);
      }
      if (state.ResultPath !== undefined || state.ResultSelector !== undefined) {
        throw new Error(`${name}: ResultPath/ResultSelector on a Task is not supported by this test`);
      }
      const fn = functionIn(machine.template, functionOf(state) ?? '');
      if (!fn) throw new Error(`${name}: not a Lambda task of ${machine.template}`);
      const result = handlerResultFields(fn.handler, state.OutputPath);
      return [
        { label: `${name} (${fn.handler})`, fields: result.kind === 'fields' ? result.fields : new Set() },
      ];
    }
    case 'Pass':
      if (state.Parameters) {
        return [
          {
            label: name,
            fields: new Set(Object.keys(state.Parameters).map((key) => key.replace(/\.\$$/, ''))),
          },
        ];
      }
      if (state.Result !== undefined || state.ResultPath !== undefined) {
        // A Result placed at `$.Field` adds that field to the state's input.
        const placed = /^\$\.([A-Za-z0-9_]+)$/.exec(String(state.ResultPath))?.[1];
        if (state.Result === undefined || placed === undefined) {
          throw new Error(
            `${name}: Pass with Result/ResultPath other than $.Field is not supported by this test`,
          );
        }
        return inputOrigins(machine, scope, name, mapState, visited).map((origin) => ({
          label: `${origin.label} + ${name}`,
          fields: origin.fields === 'unknown' ? 'unknown' : new Set([...origin.fields, placed]),
        }));
      }
      return inputOrigins(machine, scope, name, mapState, visited);
    case 'Wait':
    case 'Choice':
      return inputOrigins(machine, scope, name, mapState, visited);
    case 'Map':
    case 'Parallel': {
      const match = /^\$\.([A-Za-z0-9_]+)$/.exec(String(state.ResultPath));
      if (!match?.[1]) return [{ label: `${name} (array output)`, fields: new Set() }];
      const added = match[1];
      return inputOrigins(machine, scope, name, mapState, visited).map((origin) => ({
        label: `${origin.label} + ${name}`,
        fields: origin.fields === 'unknown' ? 'unknown' : new Set([...origin.fields, added]),
      }));
    }
    default:
      throw new Error(`${name}: state type ${state.Type} has no output`);
  }
}

function scopeOf(definition: AslDefinition, stateName: string): { scope: AslScope; mapState?: AslState } {
  const found = allStates(definition).find(({ name }) => name === stateName);
  if (!found) throw new Error(`No state ${stateName}`);
  return { scope: found.scope, ...(found.mapState ? { mapState: found.mapState } : {}) };
}

/**
 * The restore drill keeps its steps' results beside its input (ResultPath), which the producer check below does
 * not follow; its two Choices are checked on their own.
 */
const DRILL = 'RestoreDrillWorkflow';
const choiceCases = machines
  .filter((machine) => machine.logicalId !== DRILL)
  .flatMap((machine) =>
    allStates(machine.definition)
      .filter(({ state }) => state.Type === 'Choice')
      .map(({ name, state }) => [`${machine.logicalId}: ${name}`, machine, name, state] as const),
  );

describe('the restore drill', () => {
  const drill = machines.find((machine) => machine.logicalId === DRILL);
  const states = drill?.definition.States ?? {};

  it('tests what its own steps put under their ResultPath', () => {
    expect(states['Restore drill: prepare']?.ResultPath).toBe('$.Drill');
    expect(JSON.stringify(states['Can the drill run?']?.Choices)).toContain('"Variable":"$.Drill.Refused"');
    expect(states['Restore drill: record and notify']?.ResultPath).toBe('$.Outcome');
    expect(JSON.stringify(states['Did the drill succeed?']?.Choices)).toContain(
      '"Variable":"$.Outcome.Succeeded"',
    );
  });

  it('deletes the scratch pool whatever the restore did, and records and notifies whatever the cleanup did', () => {
    const restore = states['Restore drill: restore into a scratch pool'];
    expect(restore?.Next).toBe('Restore drill: delete the scratch pool');
    expect(restore?.Catch).toEqual([
      {
        ErrorEquals: ['States.ALL'],
        ResultPath: '$.ImportError',
        Next: 'Restore drill: delete the scratch pool',
      },
    ]);
    const cleanup = states['Restore drill: delete the scratch pool'];
    expect(cleanup?.Next).toBe('Restore drill: record and notify');
    expect(cleanup?.Catch?.[0]).toMatchObject({
      ErrorEquals: ['States.ALL'],
      Next: 'Restore drill: record and notify',
    });
  });

  it('runs the ImportWorkflow as it is, with the input prepare gives (CreateUserPool, and Sample above the bound)', () => {
    expect(states['Restore drill: restore into a scratch pool']?.Parameters).toEqual({
      StateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:ImportWorkflow',
      'Name.$': '$.Drill.ImportExecutionName',
      'Input.$': '$.Drill.ImportInput',
    });
  });
});

describe('fields tested by Choice states', () => {
  it('cover the Choice fields the original dispatches on', () => {
    const tested = new Set(choiceCases.flatMap(([, , , state]) => choiceFields(state)));
    expect([...tested].sort()).toEqual(
      [
        'OnlyThisStateMachineExecution',
        'NewUserPoolEmpty',
        'paginationToken',
        'ProcessedAllGroups',
        'processedAllUsersInGroup',
        'lastEvaluatedKey',
        'NumItemsAddedToQueue',
        'IsQueueEmpty',
        'AllGroupsProcessed',
        'ImportJobStatus',
        'QueueEmpty',
        'HasRespondedToCfn',
        'LatestStreamArn',
        // Added: both workflows' "Which failure?" tell expected refusals (a non-empty target pool,
        // another execution, a refused mass deletion, an unsupported pool) from other errors after
        // the error notification, so those refusals are notified too.
        'Error',
        // Added: the ImportWorkflow's reconciliation loop and its verdict, and Resume.
        'ReconcileDone',
        'RestoreComplete',
        'Resume',
        'ResumeListingDone',
        // Added: the ImportWorkflow waits for the recovery point (AsOf's export, a Snapshot's check).
        'RecoveryPointReady',
        'RecoveryPointWait',
        // Added: the ExportWorkflow's snapshot (SnapshotRetentionDays, then the exports' progress).
        'SnapshotSettings',
        'Snapshot',
        // Added: the RepairWorkflow's loop and its verdict.
        'RepairDone',
        'RepairComplete',
        // Added: the branch that applies updates beside the import ends when they caught up.
        'UpdatesCaughtUp',
      ].sort(),
    );
  });

  it.each(choiceCases)(
    '%s: each tested field is produced by every task that leads to it',
    (_label, machine, name) => {
      const { scope, mapState } = scopeOf(machine.definition, name);
      const origins = inputOrigins(machine, scope, name, mapState, new Set());
      const state = scope.States[name] as AslState;
      expect(origins.length).toBeGreaterThan(0);
      const missing = origins.flatMap((origin) =>
        choiceFields(state)
          .filter((field) => origin.fields === 'unknown' || !origin.fields.has(field))
          .map((field) => `${field} is not produced by ${origin.label}`),
      );
      expect(missing).toEqual([]);
    },
  );
});
