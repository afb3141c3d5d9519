// Simulated dependencies: fault timelines in virtual time (down, slow, drop, flap), overlapping
// faults combined, listeners told only of real changes, and the memory adapters' gate driven.
import { afterEach, describe, expect, it } from 'vitest';
import { isTgError } from '../../machines/errors.ts';
import { DependencyGate } from '../../ports/memory/dependencyGate.ts';
import { gateListener, SimDependency, type DependencyCondition } from '../../sim/kernel/dependency.ts';
import { Kernel } from '../../sim/kernel/kernel.ts';

let kernel: Kernel;
afterEach(() => kernel?.dispose());

const describeCondition = (c: DependencyCondition) =>
  c.up
    ? `up${c.slowByMs ? ` slow${c.slowByMs}` : ''}${c.dropRatio ? ` drop${c.dropRatio}` : ''}`
    : `down(${c.downMode})`;

function watch(dep: SimDependency): string[] {
  const seen: string[] = [];
  dep.attach({ onChange: (c, at) => seen.push(`${at} ${describeCondition(c)}`) });
  return seen;
}

describe('SimDependency', () => {
  it('follows a timeline of faults scheduled on the kernel', async () => {
    kernel = new Kernel();
    const dep = new SimDependency(kernel.clock, 'timescaledb');
    const seen = watch(dep);
    kernel.schedule(1_000, () => dep.down(5_000));
    kernel.schedule(10_000, () => dep.slow(800, 2_000));
    kernel.schedule(20_000, () => dep.down(undefined, 'timeout'));
    await kernel.runUntil(30_000);
    expect(seen).toEqual([
      '0 up',
      '1000 down(refuse)',
      '6000 up',
      '10000 up slow800',
      '12000 up',
      '20000 down(timeout)',
    ]);
    expect(dep.isUp()).toBe(false);
    dep.clearAll();
    expect(dep.isUp()).toBe(true);
    expect(dep.history().map((h) => h.at)).toEqual([1_000, 6_000, 10_000, 12_000, 20_000, 30_000]);
  });

  it('flaps down and up every period for the fault duration, ending up', async () => {
    kernel = new Kernel();
    const dep = new SimDependency(kernel.clock, 'redis-main');
    const seen = watch(dep);
    kernel.schedule(100, () => dep.flap(20_000, 120_000));
    await kernel.runUntil(200_000);
    expect(seen).toEqual([
      '0 up',
      '100 down(refuse)',
      '20100 up',
      '40100 down(refuse)',
      '60100 up',
      '80100 down(refuse)',
      '100100 up',
    ]);
    expect(kernel.clock.pending()).toBe(0);
  });

  it('combines overlapping faults: down wins while any down holds, slow and drop take the maximum', async () => {
    kernel = new Kernel();
    const dep = new SimDependency(kernel.clock, 'broker-ws');
    const seen = watch(dep);
    kernel.schedule(0, () => dep.drop(0.01, 300));
    kernel.schedule(100, () => dep.slow(50, 400));
    kernel.schedule(150, () => dep.slow(200, 100));
    kernel.schedule(200, () => dep.down(100));
    kernel.schedule(220, () => dep.down(30));
    await kernel.runUntil(1_000);
    expect(seen).toEqual([
      '0 up',
      '0 up drop0.01',
      '100 up slow50 drop0.01',
      '150 up slow200 drop0.01',
      '200 down(refuse)',
      '300 up slow50',
      '500 up',
    ]);
  });

  it('drives a memory adapter gate: calls are refused while down and delayed while slow', async () => {
    kernel = new Kernel();
    const dep = new SimDependency(kernel.clock, 'redis-gatekeeper');
    const gate = new DependencyGate('redis-gatekeeper', kernel.clock);
    dep.attach(gateListener(gate));
    const outcomes: string[] = [];
    const call = (label: string) =>
      gate
        .run('acquire', () => label)
        .then(
          (v) => outcomes.push(`${kernel.now()} ok ${v}`),
          (e: unknown) => outcomes.push(`${kernel.now()} ${isTgError(e) ? e.code : 'other'} ${label}`),
        );
    kernel.schedule(1_000, () => dep.down(1_000));
    kernel.schedule(1_500, () => void call('during-down'));
    kernel.schedule(3_000, () => dep.slow(800, 1_000));
    kernel.schedule(3_100, () => void call('during-slow'));
    kernel.schedule(5_000, () => void call('after'));
    await kernel.runUntil(6_000);
    expect(outcomes).toEqual(['1500 TG_ERR_DEP_DOWN during-down', '3900 ok during-slow', '5000 ok after']);
  });

  it('rejects impossible faults with a scenario error', () => {
    kernel = new Kernel();
    const dep = new SimDependency(kernel.clock, 'broker-rest');
    for (const bad of [() => dep.drop(1.5), () => dep.flap(0, 100), () => dep.slow(-1), () => dep.down(-5)]) {
      let error: unknown;
      try {
        bad();
      } catch (e) {
        error = e;
      }
      expect(isTgError(error, 'TG_ERR_SCENARIO')).toBe(true);
    }
    expect(dep.isUp()).toBe(true);
  });
});
