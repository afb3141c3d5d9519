// Simulated processes: kill loses memory and cancels timers, a dead process's in-flight calls cannot
// touch the world, hang holds timers and deliveries and releases them in order on resume, and
// throws or actor errors inside a process crash it rather than the caller.
import { afterEach, describe, expect, it } from 'vitest';
import { assign, createActor, fromPromise, setup } from 'xstate';
import { Kernel } from '../../sim/kernel/kernel.ts';
import {
  SimProcess,
  type ComponentHandle,
  type ProcessEnv,
  type ProcessEvent,
} from '../../sim/kernel/process.ts';
import { createRng } from '../../sim/kernel/rng.ts';

let kernel: Kernel;
afterEach(() => kernel?.dispose());

/** A component that counts in memory and reports each count to the world every 100 ms. */
function counter(world: string[]) {
  return (env: ProcessEnv): ComponentHandle => {
    const machine = setup({
      actions: {
        beat: ({ context }) =>
          void world.push(`${env.clock.now()} ${env.id}#${env.generation} ${context.count}`),
      },
    }).createMachine({
      context: { count: 0 },
      initial: 'run',
      states: {
        run: {
          after: {
            100: {
              target: 'run',
              reenter: true,
              actions: [assign({ count: ({ context }) => context.count + 1 }), 'beat'],
            },
          },
        },
      },
    });
    const actor = createActor(machine, { clock: env.clock }).start();
    return { id: env.id, actor, stop: () => actor.stop(), state: () => String(actor.getSnapshot().value) };
  };
}

/** A fake remote store: writes land after `latencyMs` of virtual time. */
function slowStore(latencyMs: number, received: string[]) {
  return {
    async write(value: string): Promise<string> {
      received.push(`${kernel.now()} ${value}`);
      await new Promise<void>((resolve) => kernel.after(latencyMs, resolve));
      return `ack:${value}`;
    },
  };
}

/** A component that writes once to a store port and reports the ack to the world. */
function writer(world: string[], store: ReturnType<typeof slowStore>, capture?: (env: ProcessEnv) => void) {
  return (env: ProcessEnv): ComponentHandle => {
    capture?.(env);
    const port = env.guardPort(store);
    const machine = setup({
      actors: { write: fromPromise(() => port.write(`row-${env.generation}`)) },
    }).createMachine({
      initial: 'writing',
      states: {
        writing: {
          invoke: {
            src: 'write',
            onDone: {
              target: 'done',
              actions: ({ event }) => void world.push(`${env.clock.now()} ${event.output}`),
            },
            onError: 'failed',
          },
        },
        done: {},
        failed: {},
      },
    });
    const actor = createActor(machine, { clock: env.clock }).start();
    return { id: env.id, actor, stop: () => actor.stop(), state: () => String(actor.getSnapshot().value) };
  };
}

const handleOf = (env: ProcessEnv): ComponentHandle => {
  const actor = createActor(setup({}).createMachine({}), { clock: env.clock }).start();
  return { id: env.id, actor, stop: () => actor.stop(), state: () => 'idle' };
};

describe('SimProcess', () => {
  it('kill cancels every timer of the process and a restart starts from fresh memory', async () => {
    kernel = new Kernel();
    const world: string[] = [];
    const proc = new SimProcess(kernel.clock, { id: 'writer', start: counter(world) });
    const events: string[] = [];
    proc.onLifecycle((e) => events.push(`${e.at} ${e.kind}${e.reason ? ` ${e.reason}` : ''}`));
    proc.start();
    await kernel.runUntil(350);
    expect(world).toEqual(['100 writer#1 1', '200 writer#1 2', '300 writer#1 3']);
    proc.kill();
    expect(proc.status).toBe('exited');
    expect(proc.component).toBeUndefined();
    expect(kernel.clock.pending()).toBe(0);
    await kernel.runUntil(1_000);
    expect(world).toHaveLength(3);
    proc.start();
    await kernel.runUntil(1_250);
    expect(world.slice(3)).toEqual(['1100 writer#2 1', '1200 writer#2 2']);
    expect(events).toEqual(['0 started', '350 exited killed', '1000 started']);
  });

  it('never lets a call in flight at the kill reach the dead process, and drops calls made after it', async () => {
    kernel = new Kernel();
    const world: string[] = [];
    const received: string[] = [];
    const store = slowStore(50, received);
    let firstEnv: ProcessEnv | undefined;
    const proc = new SimProcess(kernel.clock, {
      id: 'writer',
      start: writer(world, store, (env) => (firstEnv ??= env)),
    });
    proc.start();
    await kernel.runUntil(20);
    proc.kill();
    await kernel.runUntil(200);
    // The request was sent before the kill (the store saw it), but the ack found nobody.
    expect(received).toEqual(['0 row-1']);
    expect(world).toEqual([]);
    expect(firstEnv!.alive()).toBe(false);
    // A stale reference held by dead code cannot reach the world.
    let settled = false;
    void firstEnv!
      .guardPort(store)
      .write('zombie')
      .then(() => (settled = true));
    await kernel.runUntil(400);
    expect(received).toEqual(['0 row-1']);
    expect(settled).toBe(false);
    proc.start();
    await kernel.runUntil(500);
    expect(world).toEqual(['450 ack:row-2']);
  });

  it('hang holds due timers and deliveries, and resume releases them in arrival order, late', async () => {
    kernel = new Kernel();
    const world: string[] = [];
    let env!: ProcessEnv;
    const proc = new SimProcess(kernel.clock, {
      id: 'collector:kis-1',
      start: (e) => {
        env = e;
        return counter(world)(e);
      },
    });
    proc.start();
    // A broker pushing a message into the process every 130 ms.
    let n = 0;
    kernel.every(130, () => {
      const id = ++n;
      env.deliver(() => world.push(`${kernel.now()} msg${id}`));
    });
    kernel.schedule(250, () => proc.hang());
    kernel.schedule(550, () => proc.resume());
    await kernel.runUntil(700);
    expect(world).toEqual([
      '100 collector:kis-1#1 1',
      '130 msg1',
      '200 collector:kis-1#1 2',
      // Hung from 250 to 550: msg2 (260), the beat due at 300, msg3 (390) and msg4 (520) are held
      // and released at 550 in that order. The beat due at 400 was never armed (the 300 beat had
      // not run), so the heartbeat chain continues from the release: the next one is at 650.
      '550 msg2',
      '550 collector:kis-1#1 3',
      '550 msg3',
      '550 msg4',
      // msg5's driver timer was armed at 520, before the beat re-armed at 550: equal deadlines, FIFO.
      '650 msg5',
      '650 collector:kis-1#1 4',
    ]);
  });

  it('releases held work in order even when new work arrives during the release', async () => {
    kernel = new Kernel();
    const log: string[] = [];
    let env!: ProcessEnv;
    const proc = new SimProcess(kernel.clock, {
      id: 'p',
      start: (e) => {
        env = e;
        return handleOf(e);
      },
    });
    proc.start();
    kernel.schedule(10, () => proc.hang());
    kernel.schedule(20, () => env.deliver(() => log.push(`a@${kernel.now()}`)));
    kernel.schedule(30, () => env.deliver(() => log.push(`b@${kernel.now()}`)));
    kernel.schedule(40, () => {
      proc.resume();
      env.deliver(() => log.push(`c@${kernel.now()}`));
    });
    await kernel.runUntil(50);
    expect(log).toEqual(['a@40', 'b@40', 'c@40']);
  });

  it('does not run a held timer that the process cleared while its held work was being released', async () => {
    kernel = new Kernel();
    const log: string[] = [];
    const proc = new SimProcess(kernel.clock, {
      id: 'p',
      start: (env) => {
        const armed: { second?: unknown } = {};
        env.clock.setTimeout(() => {
          log.push(`first@${env.clock.now()}`);
          env.clock.clearTimeout(armed.second);
        }, 100);
        armed.second = env.clock.setTimeout(() => log.push('second'), 150);
        return handleOf(env);
      },
    });
    proc.start();
    kernel.schedule(50, () => proc.hang());
    kernel.schedule(200, () => proc.resume());
    await kernel.runUntil(300);
    expect(log).toEqual(['first@200']);
  });

  it('delivers a port result to a hung process only after it resumes', async () => {
    kernel = new Kernel();
    const world: string[] = [];
    const proc = new SimProcess(kernel.clock, { id: 'writer', start: writer(world, slowStore(50, [])) });
    proc.start();
    kernel.schedule(10, () => proc.hang());
    kernel.schedule(400, () => proc.resume());
    await kernel.runUntil(500);
    expect(world).toEqual(['400 ack:row-1']);
  });

  it('crashes the process, not the caller, on an actor error, a throwing callback or exit()', async () => {
    kernel = new Kernel();
    const exits: ProcessEvent[] = [];
    const failing = setup({
      actions: {
        boom: () => {
          throw new Error('bad state');
        },
      },
    }).createMachine({
      initial: 'a',
      states: { a: { after: { 100: { target: 'b', actions: 'boom' } } }, b: {} },
    });
    const actorCrash = new SimProcess(kernel.clock, {
      id: 'actor-crash',
      start: (env) => {
        const actor = createActor(failing, { clock: env.clock }).start();
        return {
          id: env.id,
          actor,
          stop: () => actor.stop(),
          state: () => String(actor.getSnapshot().value),
        };
      },
    });
    let callbackEnv!: ProcessEnv;
    const callbackCrash = new SimProcess(kernel.clock, {
      id: 'callback-crash',
      start: (env) => {
        callbackEnv = env;
        return handleOf(env);
      },
    });
    const selfExit = new SimProcess(kernel.clock, {
      id: 'self-exit',
      start: (env) => {
        env.clock.setTimeout(() => env.exit('done'), 300);
        return handleOf(env);
      },
    });
    const startCrash = new SimProcess(kernel.clock, {
      id: 'start-crash',
      start: () => {
        throw new Error('missing config');
      },
    });
    for (const p of [actorCrash, callbackCrash, selfExit, startCrash]) {
      p.onLifecycle((e) => e.kind === 'exited' && exits.push(e));
      p.start();
    }
    const onBatches = callbackEnv.guard(() => {
      throw new Error('bad frame');
    });
    kernel.schedule(200, () => expect(onBatches()).toBeUndefined());
    await kernel.runUntil(1_000);
    expect(
      exits.map((e) => `${e.at} ${e.process} ${e.reason} ${(e.error as Error | undefined)?.message}`),
    ).toEqual([
      '0 start-crash crashed missing config',
      '100 actor-crash crashed bad state',
      '200 callback-crash crashed bad frame',
      '300 self-exit done undefined',
    ]);
    expect(kernel.clock.pending()).toBe(0);
  });

  it('gives each run its own deterministic rng stream', () => {
    kernel = new Kernel();
    const draws: number[] = [];
    const spec = {
      id: 'supervisor',
      rng: createRng(5),
      start: (env: ProcessEnv) => {
        draws.push(env.rng!.next());
        return handleOf(env);
      },
    };
    const a = new SimProcess(kernel.clock, spec);
    a.start();
    a.kill();
    a.start();
    const b = new SimProcess(kernel.clock, { ...spec, rng: createRng(5) });
    b.start();
    expect(draws[0]).not.toBe(draws[1]);
    expect(draws[2]).toBe(draws[0]);
  });

  it('refuses to start a process that is already running', () => {
    kernel = new Kernel();
    const proc = new SimProcess(kernel.clock, { id: 'p', start: handleOf });
    proc.start();
    expect(() => proc.start()).toThrow(/cannot start: it is running/);
    proc.hang();
    expect(proc.hang()).toBe(false);
    expect(() => proc.start()).toThrow(/it is hung/);
  });
});
