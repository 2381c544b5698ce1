// SPDX-License-Identifier: Apache-2.0
import {
  distributedChildStates,
  HistoryCounter,
  MAX_HISTORY_EVENTS,
  MAX_STATE_PAYLOAD_BYTES,
} from '../aws/step-functions-history';

const entered = (stateType: string, stateName = stateType, payload?: unknown) => ({
  type: 'StateEntered',
  stateType,
  stateName,
  payload,
});

describe('HistoryCounter', () => {
  it.each([
    ['Task', 5],
    ['Choice', 2],
    ['Pass', 2],
    ['Wait', 2],
    ['Succeed', 2],
    ['Fail', 1],
    ['Map', 4],
    ['Parallel', 4],
  ])('a %s state counts %i events', (type, events) => {
    const counter = new HistoryCounter();
    counter.add(entered(type));
    expect(counter.events).toBe(events);
  });

  it('counts 2 per Map iteration and per Parallel branch, 3 per retry, 1 per execution start and end', () => {
    const counter = new HistoryCounter();
    counter.add({ type: 'ExecutionStarted' });
    counter.add(entered('Map'));
    for (let i = 0; i < 3; i += 1) counter.add({ type: 'MapIterationStarted' });
    counter.add({ type: 'MapIterationSucceeded' });
    counter.add({ type: 'ParallelBranchStarted' });
    counter.add(entered('Task', 'Work'));
    counter.add({ type: 'StateRetried', stateName: 'Work' });
    counter.add({ type: 'StateExited', stateName: 'Work' });
    counter.add({ type: 'ExecutionSucceeded' });
    expect(counter.events).toBe(1 + 4 + 6 + 2 + 5 + 3 + 1);
  });

  it("leaves out the states of a Distributed Map's child executions", () => {
    const definition = {
      States: {
        Fan: {
          Type: 'Map',
          ItemProcessor: {
            ProcessorConfig: { Mode: 'DISTRIBUTED' },
            States: {
              Child: { Type: 'Task' },
              Inner: { Type: 'Map', ItemProcessor: { States: { Deep: {} } } },
            },
          },
        },
        Inline: { Type: 'Map', ItemProcessor: { States: { InlineChild: { Type: 'Task' } } } },
      },
    };
    const excluded = distributedChildStates(definition);
    expect([...excluded].sort()).toEqual(['Child', 'Deep', 'Inner']);
    const counter = new HistoryCounter(excluded);
    counter.add(entered('Map', 'Fan'));
    counter.add(entered('Task', 'Child'));
    counter.add(entered('Task', 'InlineChild'));
    expect(counter.events).toBe(4 + 5);
  });

  it('reports the 25,000-event limit at the event that passes it', () => {
    const counter = new HistoryCounter();
    let broken;
    for (let i = 0; i < MAX_HISTORY_EVENTS / 2 && broken === undefined; i += 1)
      broken = counter.add(entered('Pass'));
    expect(broken).toBeUndefined();
    expect(counter.events).toBe(MAX_HISTORY_EVENTS);
    broken = counter.add({ type: 'ExecutionSucceeded' });
    expect(broken?.name).toBe('States.Runtime');
  });

  it('keeps the largest state payload in UTF-8 bytes and reports one over 256 KiB', () => {
    const counter = new HistoryCounter();
    expect(counter.add(entered('Pass', 'Small', { v: 'é' }))).toBeUndefined();
    expect(counter.maxStatePayloadBytes).toBe(Buffer.byteLength('{"v":"é"}'));
    const exact = 'x'.repeat(MAX_STATE_PAYLOAD_BYTES - 2);
    expect(counter.add({ type: 'StateExited', stateName: 'Edge', payload: exact })).toBeUndefined();
    expect(counter.maxStatePayloadBytes).toBe(MAX_STATE_PAYLOAD_BYTES);
    const broken = counter.add({ type: 'StateExited', stateName: 'Big', payload: `${exact}x` });
    expect(broken?.name).toBe('States.DataLimitExceeded');
    expect(broken?.message).toContain("'Big'");
  });
});
