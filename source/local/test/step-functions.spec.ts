// SPDX-License-Identifier: Apache-2.0
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  ListTagsForResourceCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { JsonObject } from '../deploy/cfn-template';
import { FakeServices } from '../aws/fake-services';
import type { LambdaHost } from '../aws/lambda-host';
import {
  LocalStepFunctions,
  prepareMachine,
  StateMachineError,
  type StateMachineInfo,
} from '../aws/step-functions';
import { lambdaHostFor, localFunction } from './support';

const ARN = (name: string): string => `arn:aws:lambda:us-east-1:000000000000:function:stack-${name}`;

interface WrappedEvent {
  Input: JsonObject;
  Context: {
    Execution: { Id: string; Input: unknown; StartTime: string };
    StateMachine: { Id: string; Name: string };
    State: { Name: string; EnteredTime: string };
  };
}

const DEFINITION = {
  StartAt: 'First',
  States: {
    First: {
      Type: 'Task',
      Resource: ARN('Wrapped'),
      Parameters: { 'Input.$': '$', 'Context.$': '$$' },
      OutputPath: '$.result',
      Next: 'Pause',
    },
    Pause: { Type: 'Wait', Seconds: 3600, Next: 'Items' },
    Items: {
      Type: 'Map',
      ItemsPath: '$.items',
      MaxConcurrency: 1,
      Parameters: { 'value.$': '$$.Map.Item.Value' },
      Iterator: {
        StartAt: 'InMap',
        States: {
          InMap: {
            Type: 'Task',
            Resource: ARN('Wrapped'),
            Parameters: { 'Input.$': '$', 'Context.$': '$$' },
            OutputPath: '$.result',
            End: true,
          },
        },
      },
      ResultPath: '$.mapped',
      Next: 'Invoke',
    },
    Invoke: {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke',
      Parameters: { FunctionName: ARN('Plain'), Payload: { 'x.$': '$.items' } },
      ResultSelector: { 'payload.$': '$.Payload' },
      ResultPath: '$.invoked',
      Next: 'Throws',
    },
    Throws: {
      Type: 'Task',
      Resource: ARN('Thrower'),
      Catch: [{ ErrorEquals: ['States.TaskFailed'], Next: 'WorkflowErrorHandlerLambda' }],
      End: true,
    },
    WorkflowErrorHandlerLambda: {
      Type: 'Task',
      Resource: ARN('Wrapped'),
      Parameters: { 'Input.$': '$', 'Context.$': '$$' },
      OutputPath: '$.result',
      Next: 'Unexpected workflow error',
    },
    'Unexpected workflow error': { Type: 'Fail', Error: 'UnexpectedErrorInWorkflow', Cause: 'see the logs' },
  },
};

const MACHINE: StateMachineInfo = {
  logicalId: 'DemoWorkflow',
  name: 'DemoWorkflow-ABC',
  arn: 'arn:aws:states:us-east-1:000000000000:stateMachine:DemoWorkflow-ABC',
  definition: DEFINITION as unknown as JsonObject,
};

class NamedError extends Error {
  override readonly name = 'NamedError';
}

function setUp(gate?: Promise<void>): { lambdas: LambdaHost; wrapped: WrappedEvent[]; plain: unknown[] } {
  const wrapped: WrappedEvent[] = [];
  const plain: unknown[] = [];
  const lambdas = lambdaHostFor(
    [
      localFunction('Wrapped', 'pkg/wrapped.handler'),
      localFunction('Plain', 'pkg/plain.handler'),
      localFunction('Thrower', 'pkg/thrower.handler'),
    ],
    {
      'pkg/wrapped.ts': {
        handler: async (event: WrappedEvent) => {
          wrapped.push(event);
          await gate;
          return { result: { ...event.Input, seen: event.Context.State.Name } };
        },
      },
      'pkg/plain.ts': { handler: (event: unknown) => (plain.push(event), { sum: 3 }) },
      'pkg/thrower.ts': {
        handler: () => {
          throw new NamedError('Something broke');
        },
      },
    },
  );
  return { lambdas, wrapped, plain };
}

describe('LocalStepFunctions', () => {
  it('gives each wrapped task its state name, entered time and the execution input, also inside a Map', async () => {
    const { lambdas, wrapped, plain } = setUp();
    const sfn = new LocalStepFunctions({
      region: 'us-east-1',
      accountId: '000000000000',
      machines: [MACHINE],
      lambdas,
    });
    const input = { items: [1, 2] };
    const started = Date.now();
    const record = sfn.start(MACHINE.arn, input, 'run-1');
    const done = await sfn.wait(record.executionArn);
    expect(Date.now() - started).toBeLessThan(10_000);

    expect(wrapped.map((event) => event.Context.State.Name)).toEqual([
      'First',
      'InMap',
      'InMap',
      'WorkflowErrorHandlerLambda',
    ]);
    for (const event of wrapped) {
      expect(event.Context.Execution).toMatchObject({
        Id: 'arn:aws:states:us-east-1:000000000000:execution:DemoWorkflow-ABC:run-1',
        Input: input,
        StartTime: record.startDate.toISOString(),
      });
      expect(event.Context.StateMachine).toEqual({ Id: MACHINE.arn, Name: MACHINE.name });
      expect(Date.parse(event.Context.State.EnteredTime)).toBeGreaterThanOrEqual(record.startDate.getTime());
    }
    expect(wrapped[1]?.Input).toEqual({ value: 1 });
    expect(plain).toEqual([{ x: [1, 2] }]);
    // The error handler receives the Step Functions catch payload: Cause is the Lambda error document.
    const caught = wrapped[3]?.Input as { Error: string; Cause: string };
    expect(caught.Error).toBe('NamedError');
    expect(JSON.parse(caught.Cause)).toMatchObject({
      errorType: 'NamedError',
      errorMessage: 'Something broke',
    });
    expect(done).toMatchObject({
      status: 'FAILED',
      error: 'UnexpectedErrorInWorkflow',
      cause: 'see the logs',
    });
    expect(done.stopDate).toBeInstanceOf(Date);
    // Started 1; First 5; Pause 2; Items 4 + 2 iterations x (2 + InMap 5); Invoke 5; Throws 5;
    // WorkflowErrorHandlerLambda 5; the Fail state 1; ExecutionFailed 1.
    expect(done.historyEvents).toBe(43);
    expect(done.maxStatePayloadBytes).toBeGreaterThan(JSON.stringify(input).length);
  });

  it('fails an execution whose history passes 25,000 events, as Step Functions does', async () => {
    const { lambdas } = setUp();
    const loop: StateMachineInfo = {
      ...MACHINE,
      arn: `${MACHINE.arn}-loop`,
      definition: {
        StartAt: 'Ping',
        States: {
          Ping: { Type: 'Pass', Next: 'Again?' },
          'Again?': {
            Type: 'Choice',
            Choices: [{ Variable: '$.stop', IsPresent: true, Next: 'Done' }],
            Default: 'Ping',
          },
          Done: { Type: 'Succeed' },
        },
      } as unknown as JsonObject,
    };
    const sfn = new LocalStepFunctions({
      region: 'us-east-1',
      accountId: '000000000000',
      machines: [loop],
      lambdas,
    });
    const done = await sfn.wait(sfn.start(loop.arn, {}, 'loop').executionArn);
    expect(done).toMatchObject({
      status: 'FAILED',
      error: 'States.Runtime',
      cause: 'The execution reached the maximum number of history events (25000).',
    });
    expect(done.historyEvents).toBe(25_001);
  }, 60_000);

  it('fails an execution whose state output passes 256 KiB', async () => {
    const { lambdas } = setUp();
    const big: StateMachineInfo = {
      ...MACHINE,
      arn: `${MACHINE.arn}-big`,
      definition: {
        StartAt: 'Grow',
        States: { Grow: { Type: 'Pass', Result: { text: 'é'.repeat(140_000) }, End: true } },
      } as unknown as JsonObject,
    };
    const sfn = new LocalStepFunctions({
      region: 'us-east-1',
      accountId: '000000000000',
      machines: [big],
      lambdas,
    });
    const done = await sfn.wait(sfn.start(big.arn, {}, 'big').executionArn);
    expect(done).toMatchObject({ status: 'FAILED', error: 'States.DataLimitExceeded' });
    expect(done.maxStatePayloadBytes).toBeGreaterThan(262_144);
  });

  it("gives Task states the function's timeout instead of the library's 60 s default", () => {
    const { lambdas } = setUp();
    const prepared = prepareMachine(MACHINE, lambdas);
    const states = prepared.definition.States as Record<string, JsonObject>;
    expect(states.First?.TimeoutSeconds).toBe(65);
    expect(prepared.waits.get('Pause')).toBe(3600);
    expect([...prepared.tasks.keys()].sort()).toEqual([
      'First',
      'InMap',
      'Invoke',
      'Throws',
      'WorkflowErrorHandlerLambda',
    ]);
  });

  it('runs states:startExecution.sync:2 as Step Functions does: the child under its name, awaited, its error failing the task', async () => {
    const { lambdas } = setUp();
    const child: StateMachineInfo = {
      ...MACHINE,
      logicalId: 'ChildWorkflow',
      name: 'ChildWorkflow-ABC',
      arn: 'arn:aws:states:us-east-1:000000000000:stateMachine:ChildWorkflow-ABC',
      definition: {
        StartAt: 'Work',
        States: {
          Work: {
            Type: 'Task',
            Resource: ARN('Wrapped'),
            Parameters: { 'Input.$': '$', 'Context.$': '$$' },
            OutputPath: '$.result',
            Next: 'Fail?',
          },
          'Fail?': {
            Type: 'Choice',
            Choices: [{ Variable: '$.fail', IsPresent: true, Next: 'Failed' }],
            Default: 'Done',
          },
          Failed: { Type: 'Fail', Error: 'ChildFailed', Cause: 'asked to' },
          Done: { Type: 'Succeed' },
        },
      } as unknown as JsonObject,
    };
    const parent: StateMachineInfo = {
      ...MACHINE,
      logicalId: 'ParentWorkflow',
      name: 'ParentWorkflow-ABC',
      arn: 'arn:aws:states:us-east-1:000000000000:stateMachine:ParentWorkflow-ABC',
      definition: {
        StartAt: 'Run child',
        States: {
          'Run child': {
            Type: 'Task',
            Resource: 'arn:aws:states:::states:startExecution.sync:2',
            Parameters: { StateMachineArn: child.arn, 'Name.$': '$.name', 'Input.$': '$.input' },
            ResultSelector: { 'ExecutionArn.$': '$.ExecutionArn', 'Output.$': '$.Output' },
            ResultPath: '$.child',
            Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.childError', Next: 'After' }],
            Next: 'After',
          },
          After: { Type: 'Pass', End: true },
        },
      } as unknown as JsonObject,
    };
    const sfn = new LocalStepFunctions({
      region: 'us-east-1',
      accountId: '000000000000',
      machines: [parent, child],
      lambdas,
    });
    const ok = await sfn.wait(sfn.start(parent.arn, { name: 'child-1', input: { a: 1 } }, 'p1').executionArn);
    const childArn = 'arn:aws:states:us-east-1:000000000000:execution:ChildWorkflow-ABC:child-1';
    expect(JSON.parse(ok.output ?? '{}')).toMatchObject({
      child: { ExecutionArn: childArn, Output: { a: 1, seen: 'Work' } },
    });
    expect(sfn.describe(childArn)?.entered.map((entry) => entry.stateName)).toEqual([
      'Work',
      'Fail?',
      'Done',
    ]);
    // No 60 s default of the library: Step Functions waits for the child however long it runs.
    const prepared = prepareMachine(parent, lambdas).definition as { States: Record<string, JsonObject> };
    expect(prepared.States['Run child']?.TimeoutSeconds).toBeGreaterThan(7 * 86_400);
    const failed = await sfn.wait(
      sfn.start(parent.arn, { name: 'child-2', input: { fail: true } }, 'p2').executionArn,
    );
    expect(failed.status).toBe('SUCCEEDED');
    expect(JSON.parse(failed.output ?? '{}')).toMatchObject({ childError: { Error: 'States.TaskFailed' } });
    expect(
      JSON.parse((JSON.parse(failed.output ?? '{}') as { childError: { Cause: string } }).childError.Cause),
    ).toMatchObject({
      Status: 'FAILED',
      Error: 'ChildFailed',
    });
  });

  it('refuses a definition with a Task that is not a Lambda function', () => {
    const { lambdas } = setUp();
    const definition = {
      StartAt: 'Publish',
      States: { Publish: { Type: 'Task', Resource: 'arn:aws:states:::sns:publish', End: true } },
    };
    expect(() => prepareMachine({ ...MACHINE, definition }, lambdas)).toThrow(StateMachineError);
    expect(() => prepareMachine({ ...MACHINE, definition }, lambdas)).toThrow(
      /DemoWorkflow \/ Publish: resource/,
    );
  });
});

describe('FakeServices', () => {
  const fakes = new FakeServices('us-east-1', '000000000000');
  const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
  let sfnApi: SFNClient;
  let ssm: SSMClient;

  beforeAll(async () => {
    const endpoint = await fakes.start();
    sfnApi = new SFNClient({ region: 'us-east-1', endpoint, credentials, maxAttempts: 1 });
    ssm = new SSMClient({ region: 'us-east-1', endpoint, credentials, maxAttempts: 1 });
  });

  afterAll(async () => {
    await fakes.stop();
  });

  it('serves StartExecution, ListExecutions, DescribeExecution and StopExecution from the local executions', async () => {
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const { lambdas } = setUp(gate);
    const sfn = new LocalStepFunctions({
      region: 'us-east-1',
      accountId: '000000000000',
      machines: [MACHINE],
      lambdas,
    });
    fakes.attachStepFunctions(sfn);

    const first = await sfnApi.send(
      new StartExecutionCommand({
        stateMachineArn: MACHINE.arn,
        name: 'one',
        input: JSON.stringify({ items: [] }),
      }),
    );
    const second = await sfnApi.send(
      new StartExecutionCommand({ stateMachineArn: MACHINE.arn, input: '{"items":[]}' }),
    );
    await expect(
      sfnApi.send(new StartExecutionCommand({ stateMachineArn: MACHINE.arn, name: 'one', input: '{}' })),
    ).rejects.toMatchObject({ name: 'ExecutionAlreadyExists' });
    await expect(
      sfnApi.send(new ListExecutionsCommand({ stateMachineArn: `${MACHINE.arn}-missing` })),
    ).rejects.toMatchObject({ name: 'StateMachineDoesNotExist' });

    const running = await sfnApi.send(
      new ListExecutionsCommand({ stateMachineArn: MACHINE.arn, statusFilter: 'RUNNING' }),
    );
    expect(running.executions?.map((e) => e.executionArn).sort()).toEqual(
      [first.executionArn, second.executionArn].sort(),
    );
    expect(running.executions?.[0]?.startDate).toBeInstanceOf(Date);
    const page = await sfnApi.send(
      new ListExecutionsCommand({ stateMachineArn: MACHINE.arn, maxResults: 1 }),
    );
    expect(page.executions).toHaveLength(1);
    expect(page.nextToken).toBeDefined();

    await sfnApi.send(new StopExecutionCommand({ executionArn: second.executionArn }));
    open();
    await sfn.wait(first.executionArn ?? '');
    await sfn.wait(second.executionArn ?? '');
    const described = await sfnApi.send(new DescribeExecutionCommand({ executionArn: first.executionArn }));
    expect(described).toMatchObject({
      status: 'FAILED',
      error: 'UnexpectedErrorInWorkflow',
      input: '{"items":[]}',
    });
    const stopped = await sfnApi.send(new DescribeExecutionCommand({ executionArn: second.executionArn }));
    expect(stopped.status).toBe('ABORTED');
    const none = await sfnApi.send(
      new ListExecutionsCommand({ stateMachineArn: MACHINE.arn, statusFilter: 'RUNNING' }),
    );
    expect(none.executions).toEqual([]);
  });

  it('answers ListStateMachines, ListTagsForResource and GetExecutionHistory for the restore drill', async () => {
    const { lambdas } = setUp();
    const tagged: StateMachineInfo = {
      ...MACHINE,
      arn: `${MACHINE.arn}-tagged`,
      tags: { 'solution-id-SO0126': 'stack-us-east-1' },
    };
    const sfn = new LocalStepFunctions({
      region: 'us-east-1',
      accountId: '000000000000',
      machines: [tagged],
      lambdas,
    });
    fakes.attachStepFunctions(sfn);
    const listed = await sfnApi.send(new ListStateMachinesCommand({}));
    expect(listed.stateMachines?.map((machine) => machine.stateMachineArn)).toContain(tagged.arn);
    const tags = await sfnApi.send(new ListTagsForResourceCommand({ resourceArn: tagged.arn }));
    expect(tags.tags).toEqual([{ key: 'solution-id-SO0126', value: 'stack-us-east-1' }]);
    const record = sfn.start(tagged.arn, { items: [] }, 'history');
    await sfn.wait(record.executionArn);
    const history = await sfnApi.send(new GetExecutionHistoryCommand({ executionArn: record.executionArn }));
    const entered = history.events?.map((event) => event.stateEnteredEventDetails?.name);
    expect(entered?.slice(0, 3)).toEqual(['First', 'Pause', 'Items']);
    expect(history.events?.[0]?.timestamp).toBeInstanceOf(Date);
    expect(JSON.parse(history.events?.[0]?.stateEnteredEventDetails?.input ?? 'null')).toEqual({ items: [] });
    fakes.detachStepFunctions(sfn);
  });

  it('stores SSM parameters and answers ParameterNotFound and ParameterAlreadyExists', async () => {
    await ssm.send(
      new PutParameterCommand({ Name: '/stack-us-east-1/fixed', Value: '{"a":1}', Type: 'String' }),
    );
    const read = await ssm.send(new GetParameterCommand({ Name: '/stack-us-east-1/fixed' }));
    expect(read.Parameter).toMatchObject({ Name: '/stack-us-east-1/fixed', Value: '{"a":1}', Version: 1 });
    await expect(ssm.send(new GetParameterCommand({ Name: '/missing' }))).rejects.toMatchObject({
      name: 'ParameterNotFound',
    });
    await expect(
      ssm.send(new PutParameterCommand({ Name: '/stack-us-east-1/fixed', Value: 'x', Type: 'String' })),
    ).rejects.toMatchObject({ name: 'ParameterAlreadyExists' });
  });

  it('receives a custom resource response on its pre-signed URL', async () => {
    const { url, response } = fakes.cfnResponseUrl();
    const reply = await fetch(url, {
      method: 'PUT',
      body: JSON.stringify({ Status: 'SUCCESS', Data: { A: '1' } }),
    });
    expect(reply.status).toBe(200);
    await expect(response).resolves.toEqual({ Status: 'SUCCESS', Data: { A: '1' } });
  });
});
