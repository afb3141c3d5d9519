// The recovery worker machine on its own: every state reachable, and the outage/probe cycle.
import { describe, expect, it } from 'vitest';
import { createActor, fromCallback, fromPromise, SimulatedClock } from 'xstate';
import { recoveryWorkerMachine, recoveryWorkerState } from '../../machines/recoveryWorker.ts';
import { reachedStatePaths, stateNodePaths } from './gatekeeperHarness.ts';

const input = { heartbeatIntervalMs: 1000, probeIntervalMs: 1000 };

describe('recoveryWorkerMachine', () => {
  it('reaches every state node', () => {
    const events = [
      { type: 'xstate.done.actor.startup' },
      { type: 'xstate.error.actor.startup', error: new Error('store down') },
      { type: 'OUTAGE', reason: 'store down' },
      { type: 'FATAL', reason: 'bug' },
      { type: 'DEPENDENCY_UP', component: 'timescaledb' },
      { type: 'xstate.after.probe.recoveryWorker.degraded.waiting' },
      { type: 'xstate.done.actor.probe' },
      { type: 'xstate.error.actor.probe', error: new Error('still down') },
    ];
    const all = stateNodePaths(recoveryWorkerMachine);
    expect(all).toEqual([
      'recovering',
      'healthy',
      'degraded',
      'degraded.waiting',
      'degraded.probing',
      'down',
    ]);
    expect([...reachedStatePaths(recoveryWorkerMachine, events, input)].sort()).toEqual([...all].sort());
  });

  it('pauses on an outage, probes every interval, and catches up again once the probe succeeds', async () => {
    const clock = new SimulatedClock();
    let probeOk = false;
    let startups = 0;
    const machine = recoveryWorkerMachine.provide({
      actors: {
        startup: fromPromise(async () => {
          startups++;
        }),
        work: fromCallback(() => () => {}),
        probe: fromPromise(async () => {
          if (!probeOk) throw new Error('down');
        }),
      },
    });
    const actor = createActor(machine, { clock, input }).start();
    const flush = () => new Promise((r) => setImmediate(r));
    await flush();
    expect(recoveryWorkerState(actor.getSnapshot())).toBe('healthy');
    actor.send({ type: 'OUTAGE', reason: 'timescaledb refused' });
    expect(actor.getSnapshot().value).toEqual({ degraded: 'waiting' });
    clock.increment(1000);
    await flush();
    expect(actor.getSnapshot().value).toEqual({ degraded: 'waiting' });
    probeOk = true;
    clock.increment(1000);
    await flush();
    await flush();
    expect(recoveryWorkerState(actor.getSnapshot())).toBe('healthy');
    expect(startups).toBe(2);
    actor.send({ type: 'FATAL', reason: 'bug' });
    expect(actor.getSnapshot().value).toBe('down');
    actor.stop();
  });
});
