// One seed gives one trace, byte for byte: a small world of XState components in simulated
// processes, a platform with random kills and a hang, and a flapping, slow dependency behind a gate.
import { describe, expect, it } from 'vitest';
import { assign, createActor, fromPromise, setup } from 'xstate';
import { DependencyGate } from '../../ports/memory/dependencyGate.ts';
import { gateListener, SimDependency } from '../../sim/kernel/dependency.ts';
import { Kernel } from '../../sim/kernel/kernel.ts';
import { SimPlatform } from '../../sim/kernel/platform.ts';
import type { ComponentHandle, ProcessEnv } from '../../sim/kernel/process.ts';

interface Db {
  write(component: string, n: number): Promise<number>;
}

/** Beats every second; writes to the db at rng-jittered intervals, backing off after a failure. */
function component(trace: string[], db: Db) {
  return (env: ProcessEnv): ComponentHandle => {
    const port = env.guardPort(db);
    const rng = env.rng!;
    const machine = setup({
      types: { context: {} as { written: number } },
      actors: { write: fromPromise<number, number>(({ input }) => port.write(env.id, input)) },
      delays: { jitter: () => 200 + rng.int(800) },
      actions: {
        beat: ({ context }) =>
          void trace.push(`${env.clock.now()} beat ${env.id}#${env.generation} ${context.written}`),
      },
    }).createMachine({
      context: { written: 0 },
      type: 'parallel',
      states: {
        heart: {
          initial: 'on',
          states: { on: { after: { 1000: { target: 'on', reenter: true, actions: 'beat' } } } },
        },
        work: {
          initial: 'waiting',
          states: {
            waiting: { after: { jitter: 'writing' } },
            writing: {
              invoke: {
                src: 'write',
                input: ({ context }) => context.written,
                onDone: { target: 'waiting', actions: assign({ written: ({ event }) => event.output }) },
                onError: 'failing',
              },
            },
            failing: { after: { 1500: 'waiting' } },
          },
        },
      },
    });
    const actor = createActor(machine, { clock: env.clock });
    actor.subscribe((s) => trace.push(`${env.clock.now()} ${env.id} ${JSON.stringify(s.value)}`));
    actor.start();
    return {
      id: env.id,
      actor,
      stop: () => actor.stop(),
      state: () => JSON.stringify(actor.getSnapshot().value),
    };
  };
}

async function runWorld(seed: number): Promise<string> {
  const kernel = new Kernel({ seed, startMs: Date.UTC(2026, 0, 5, 0, 0, 0) });
  const t0 = kernel.now();
  const trace: string[] = [];
  const dep = new SimDependency(kernel.clock, 'timescaledb');
  const gate = new DependencyGate('timescaledb', kernel.clock);
  dep.attach(gateListener(gate));
  dep.attach({ onChange: (c, at) => trace.push(`${at - t0} dep ${JSON.stringify(c)}`) });
  const db: Db = {
    write: (who, n) =>
      gate.run('write', () => {
        trace.push(`${kernel.now() - t0} db ${who} ${n + 1}`);
        return n + 1;
      }),
  };
  const platform = new SimPlatform(kernel.clock);
  platform.onEvent((e) =>
    trace.push(`${e.at - t0} platform ${e.component} ${e.kind} ${e.cause ?? e.reason ?? ''}`),
  );
  for (const id of ['collector:kis-1', 'collector:kiwoom-1', 'writer']) {
    platform.add({ id, start: component(trace, db), rng: kernel.rng.fork('process') });
  }
  platform.startAll();
  const faults = kernel.rng.fork('faults');
  for (let i = 0; i < 8; i++) {
    const id = faults.pick(platform.ids());
    kernel.schedule(t0 + faults.int(60_000), () => platform.kill(id));
  }
  kernel.schedule(t0 + 10_000 + faults.int(5_000), () => dep.flap(3_000, 15_000));
  kernel.schedule(t0 + 35_000, () => dep.slow(700, 5_000));
  kernel.schedule(t0 + 20_000, () => platform.hang('writer'));
  kernel.schedule(t0 + 26_000, () => void platform.restart('writer'));
  await kernel.runUntil(t0 + 60_000);
  platform.shutdown();
  kernel.dispose();
  return trace.join('\n');
}

describe('kernel determinism', () => {
  it('produces the same trace, byte for byte, for the same seed, and another for another seed', async () => {
    const first = await runWorld(7);
    const second = await runWorld(7);
    const other = await runWorld(8);
    expect(first.length).toBeGreaterThan(10_000);
    expect(first).toMatch(/platform writer hung/);
    expect(first).toMatch(/platform \S+ restart-scheduled/);
    expect(first).toMatch(/"failing"/);
    expect(second).toBe(first);
    expect(other).not.toBe(first);
  });
});
