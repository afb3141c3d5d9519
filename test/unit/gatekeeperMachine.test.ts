// The gatekeeper mode machine on its own (pure transitions): reachability of every state, entry to
// local mode, half-open return, pause on rejection with AIMD, and the local slot arithmetic.
import { describe, expect, it } from 'vitest';
import { createActor, SimulatedClock } from 'xstate';
import { gatekeeperMachine, gatekeeperMode } from '../../machines/gatekeeper.ts';
import {
  localPlan,
  localStartDelayMs,
  peerAllowance,
  slotMs,
  slotStart,
  type BucketNumbers,
} from '../../machines/gatekeeperMath.ts';
import { aimdInit } from '../../machines/aimd.ts';
import { reachedStatePaths, stateNodePaths } from './gatekeeperHarness.ts';

const input = {
  limit: { ratePerSec: 20, burst: 1 },
  safety: 0.8,
  slowCallMs: 100,
  probeIntervalMs: 1000,
  heartbeatIntervalMs: 1000,
};

describe('gatekeeperMachine', () => {
  it('reaches every state node', () => {
    const events = [
      { type: 'STORE_FAILED', at: 1, reason: 'refused' },
      { type: 'STORE_OK', at: 2 },
      { type: 'REJECTED', at: 3, retryAfterMs: 1000 },
      { type: 'SET_MODE', at: 4, mode: 'global' },
      { type: 'SET_MODE', at: 4, mode: 'local' },
      { type: 'xstate.after.probe.gatekeeper.degraded' },
      { type: 'xstate.after.pause.gatekeeper.down' },
      { type: 'xstate.done.actor.probe', output: 5 },
      { type: 'xstate.error.actor.probe', error: new Error('down') },
    ];
    const all = stateNodePaths(gatekeeperMachine);
    expect(all).toEqual(['healthy', 'degraded', 'recovering', 'down']);
    expect([...reachedStatePaths(gatekeeperMachine, events, input)].sort()).toEqual([...all].sort());
  });

  it('goes local at once on a failed call and probes after probeIntervalMs', () => {
    const clock = new SimulatedClock();
    const actor = createActor(gatekeeperMachine, { clock, input }).start();
    actor.send({ type: 'STORE_FAILED', at: 0, reason: 'refused' });
    expect(actor.getSnapshot().value).toBe('degraded');
    expect(gatekeeperMode(actor.getSnapshot())).toBe('local');
    clock.increment(999);
    expect(actor.getSnapshot().value).toBe('degraded');
    clock.increment(1);
    expect(actor.getSnapshot().value).toBe('recovering');
    actor.stop();
  });

  it('stays paused for the broker window and returns to the mode it came from', () => {
    const clock = new SimulatedClock();
    const actor = createActor(gatekeeperMachine, { clock, input }).start();
    actor.send({ type: 'STORE_FAILED', at: 0, reason: 'refused' });
    actor.send({ type: 'REJECTED', at: 0, retryAfterMs: 700 });
    expect(actor.getSnapshot().value).toBe('down');
    expect(gatekeeperMode(actor.getSnapshot())).toBe('local');
    expect(actor.getSnapshot().context.aimd.rate).toBe(10);
    clock.increment(700);
    expect(actor.getSnapshot().value).toBe('degraded');
    actor.stop();
  });

  it('halves the rate once per second however many in-flight requests were rejected', () => {
    const clock = new SimulatedClock();
    const actor = createActor(gatekeeperMachine, { clock, input }).start();
    for (let i = 0; i < 5; i++) actor.send({ type: 'REJECTED', at: i * 10, retryAfterMs: 1000 });
    expect(actor.getSnapshot().context.aimd.rate).toBe(10);
    actor.send({ type: 'REJECTED', at: 1100, retryAfterMs: 1000 });
    expect(actor.getSnapshot().context.aimd.rate).toBe(5);
    actor.stop();
  });

  it('clears only the local debt that was charged', () => {
    const clock = new SimulatedClock();
    const actor = createActor(gatekeeperMachine, { clock, input }).start();
    actor.send({ type: 'STORE_FAILED', at: 0, reason: 'refused' });
    actor.send({ type: 'LOCAL_GRANT', at: 1200, slot: 20 });
    actor.send({ type: 'LOCAL_GRANT', at: 1300, slot: 21 });
    actor.send({ type: 'DEBT_CHARGED', at: 1250, upTo: 1250 });
    expect(actor.getSnapshot().context.localGrants).toEqual([1300]);
    actor.stop();
  });
});

describe('local slot grid', () => {
  const numbers = (over: Partial<BucketNumbers> = {}): BucketNumbers => ({
    limit: { ratePerSec: 20, burst: 1 },
    safety: 0.8,
    slowCallMs: 100,
    peers: 3,
    peerIndex: 1,
    aimd: aimdInit(20),
    localTatSlot: 0,
    localGrants: [],
    lastContactAt: -Infinity,
    ...over,
  });

  it('gives client i of N every N-th slot of limit*safety', () => {
    const n = numbers();
    expect(slotMs(n)).toBe(62.5);
    const plan = localPlan(n, 1000);
    expect(plan.slot % 3).toBe(1);
    expect(plan.at).toBe(slotStart(n, plan.slot));
    expect(plan.at).toBeGreaterThanOrEqual(1000 - 125);
  });

  it('skips slots under a reduced AIMD rate', () => {
    const half = numbers({ aimd: { rate: 10, windowStart: null, lastDecreaseAt: 0 }, localTatSlot: 4 });
    const plan = localPlan(half, 0);
    expect(plan.slot).toBe(4);
    // After slot 4 the next usable slot is 4 + N / (10/20) = 10, not 7.
    const next = localPlan({ ...half, localTatSlot: 10 }, slotStart(half, 5));
    expect(next.slot).toBe(10);
  });

  it('charges a peer allowance only after a silence long enough to hide a local grant', () => {
    const n = numbers({ lastContactAt: 0 });
    expect(peerAllowance(n, localStartDelayMs(n) - 1)).toBe(0);
    expect(peerAllowance(n, localStartDelayMs(n))).toBeGreaterThanOrEqual(2);
    expect(peerAllowance({ ...n, peers: 1 }, 1e9)).toBe(0);
  });
});
