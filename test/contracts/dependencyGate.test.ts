// DependencyGate semantics the simulator relies on: coded errors naming the dependency, the fate of
// calls in flight when the state changes, counters, and the wiring of createMemoryPorts.
import { describe, expect, it } from 'vitest';
import { isTgError } from '../../machines/errors.ts';
import { createDependencyGates, createMemoryPorts, DependencyGate } from '../../ports/memory/index.ts';
import { ManualClock } from './manualClock.ts';

function settledFlag(p: Promise<unknown>): () => boolean {
  let done = false;
  p.then(
    () => (done = true),
    () => (done = true),
  );
  return () => done;
}

describe('DependencyGate', () => {
  it('names the dependency and the operation in its coded errors', async () => {
    const gate = new DependencyGate('redis-main', new ManualClock());
    gate.down('refuse');
    const e = await gate.run('ticks.append', () => 1).catch((x: unknown) => x);
    expect(isTgError(e, 'TG_ERR_DEP_DOWN')).toBe(true);
    expect((e as Error).message).toContain('redis-main');
    expect((e as { details: unknown }).details).toEqual({ dependency: 'redis-main', op: 'ticks.append' });
  });

  it('completes a call admitted while slow even if the dependency goes down before it answers', async () => {
    const clock = new ManualClock();
    const gate = new DependencyGate('timescaledb', clock);
    let applied = 0;
    gate.slow(100);
    const call = gate.run('write', () => ++applied);
    gate.down('refuse');
    await clock.advance(100);
    await expect(call).resolves.toBe(1);
    expect(applied).toBe(1);
  });

  it('still times out a call made while unreachable after the dependency comes back', async () => {
    const clock = new ManualClock();
    const gate = new DependencyGate('timescaledb', clock, { timeoutMs: 300 });
    gate.down('timeout');
    const call = gate.run('write', () => 1);
    const settled = settledFlag(call);
    gate.up();
    await clock.advance(299);
    expect(settled()).toBe(false);
    await clock.advance(1);
    await expect(call).rejects.toMatchObject({ code: 'TG_ERR_TIMEOUT' });
    await expect(gate.run('write', () => 2)).resolves.toBe(2);
  });

  it('counts calls by outcome and tells listeners about every change', async () => {
    const clock = new ManualClock();
    const gate = new DependencyGate('redis-gatekeeper', clock, { timeoutMs: 10 });
    const seen: string[] = [];
    gate.onChange((s) => seen.push(s.kind));
    await gate.run('a', () => 0);
    gate.down('refuse');
    await gate.run('a', () => 0).catch(() => undefined);
    gate.down('timeout');
    const timedOut = gate.run('a', () => 0).catch(() => undefined);
    await clock.advance(10);
    await timedOut;
    gate.slow(0); // no delay means up
    expect(gate.stats()).toEqual({ calls: 3, passed: 1, refused: 1, timedOut: 1 });
    expect(gate.calls()).toBe(3);
    expect(seen).toEqual(['down', 'down', 'up']);
  });

  it('creates one gate per simulated dependency', () => {
    const gates = createDependencyGates(new ManualClock());
    expect(Object.values(gates).map((g) => g.name)).toEqual([
      'redis-main',
      'redis-gatekeeper',
      'timescaledb',
    ]);
  });
});

describe('createMemoryPorts', () => {
  it('puts each adapter behind the gate of the dependency it lives on', async () => {
    const ports = createMemoryPorts(new ManualClock());
    ports.gates['redis-main'].down('refuse');
    await expect(ports.tickBuffer.append('k', [])).rejects.toMatchObject({ code: 'TG_ERR_DEP_DOWN' });
    await expect(ports.heartbeats.live()).rejects.toMatchObject({ code: 'TG_ERR_DEP_DOWN' });
    await expect(ports.store.ping()).resolves.toBeUndefined();
    await expect(ports.rateLimitStore.ping()).resolves.toBeUndefined();
    await expect(ports.spools.for('collector:kis-1').append([])).resolves.toBeUndefined();
    ports.gates.timescaledb.down('refuse');
    await expect(ports.store.ping()).rejects.toMatchObject({ code: 'TG_ERR_DEP_DOWN' });
  });
});
