// Every state node of the collector machine (sub-states included) is reachable from the start
// through control events, actor results and timers: a state that loses its way in fails this test.
import { describe, expect, it } from 'vitest';
import { getShortestPaths } from 'xstate/graph';
import { collectorMachine } from '../../machines/collector.ts';
import { SESSION_10AM, atomicStatePaths, delayEvents } from './collectorHarness.ts';
import { statePath } from '../../actors/common.ts';

const input = {
  name: 'collector:kis-1',
  broker: 'kis' as const,
  symbols: ['005930', '000660'],
  heartbeatIntervalMs: 1000,
  stallTimeoutMs: 30_000,
  reconnect: { baseMs: 200, maxMs: 10_000, jitter: 0.2 },
  now: () => SESSION_10AM,
  random: () => 0.5,
  lastReceivedAt: () => undefined,
};

const events = [
  { type: 'xstate.done.actor.connect' },
  { type: 'xstate.error.actor.connect', error: new Error('unreachable') },
  {
    type: 'xstate.done.actor.subscribe',
    output: { accepted: ['005930'], rejected: { '000660': 'OPSP0008' } },
  },
  { type: 'xstate.error.actor.subscribe', error: new Error('kicked') },
  { type: 'xstate.done.actor.replay' },
  { type: 'xstate.error.actor.replay', error: new Error('still down') },
  { type: 'broker.closed', reason: 'kick' },
  { type: 'buffer.failed', reason: 'refused' },
  { type: 'stall.check', at: SESSION_10AM + 16_000, lastReceivedAt: undefined },
  { type: 'stall.check', at: SESSION_10AM + 31_000, lastReceivedAt: undefined },
  { type: 'stall.check', at: SESSION_10AM + 16_000, lastReceivedAt: SESSION_10AM + 15_000 },
  ...delayEvents(collectorMachine),
];

describe('collector machine reachability', () => {
  it('reaches every atomic state node', () => {
    const paths = getShortestPaths(collectorMachine, {
      input,
      events: events as never,
      serializeState: (s) => JSON.stringify([s.value, s.context.bufferOk]),
    });
    const reached = new Set(paths.map((p) => statePath(p.state.value)));
    const all = atomicStatePaths(collectorMachine);
    expect(all).toEqual(
      expect.arrayContaining([
        'recovering.connecting',
        'healthy',
        'degraded.spooling.replaying',
        'degraded.stalled',
        'down',
      ]),
    );
    expect(all.filter((s) => !reached.has(s))).toEqual([]);
  });
});
