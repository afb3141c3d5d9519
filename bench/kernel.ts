// Micro benchmark of the simulation kernel: timer throughput of the virtual clock alone, of the run
// loop (which settles microtasks after every timer), and of the loop driving XState actors with
// promise actors. Prints figures only; run with `npx tsx bench/kernel.ts`.
import { assign, createActor, fromPromise, setup } from 'xstate';
import { Kernel } from '../sim/kernel/kernel.ts';
import { VirtualClock } from '../sim/kernel/virtualClock.ts';

function report(label: string, steps: number, wallMs: number, extra = ''): void {
  const perSec = Math.round(steps / (wallMs / 1000));
  console.log(
    `${label.padEnd(44)} ${String(steps).padStart(9)} steps ${wallMs.toFixed(0).padStart(6)} ms  ${perSec.toLocaleString('en-US').padStart(11)} steps/s${extra}`,
  );
}

function clockOnly(timers: number, virtualMs: number): void {
  const clock = new VirtualClock(0);
  for (let i = 0; i < timers; i++) {
    const interval = 50 + (i % 950);
    const tick = () => void clock.setTimeout(tick, interval);
    clock.setTimeout(tick, interval);
  }
  const t = performance.now();
  clock.set(virtualMs);
  report(`clock only, ${timers} periodic timers`, clock.firedCount(), performance.now() - t);
}

async function loopOnly(timers: number, virtualMs: number): Promise<void> {
  const kernel = new Kernel();
  for (let i = 0; i < timers; i++) kernel.every(50 + (i % 950), () => {});
  const t = performance.now();
  const r = await kernel.runUntil(virtualMs);
  report(
    `run loop, ${timers} periodic timers`,
    r.timersFired,
    performance.now() - t,
    `  (${r.instants} instants)`,
  );
  kernel.dispose();
}

function pollerMachine(store: { write(): Promise<number> }) {
  return setup({
    types: { context: {} as { beats: number } },
    actors: { write: fromPromise(() => store.write()) },
  }).createMachine({
    context: { beats: 0 },
    type: 'parallel',
    states: {
      heart: {
        initial: 'on',
        states: {
          on: {
            after: {
              1000: {
                target: 'on',
                reenter: true,
                actions: assign({ beats: ({ context }) => context.beats + 1 }),
              },
            },
          },
        },
      },
      work: {
        initial: 'idle',
        states: {
          idle: { after: { 100: 'writing' } },
          writing: { invoke: { src: 'write', onDone: 'idle' } },
        },
      },
    },
  });
}

async function loopWithActors(actors: number, virtualMs: number, print = true): Promise<void> {
  const kernel = new Kernel();
  const store = { rows: 0, write: async () => ++store.rows };
  const machine = pollerMachine(store);
  for (let i = 0; i < actors; i++)
    kernel.after(i, () => void createActor(machine, { clock: kernel.clock }).start());
  const t = performance.now();
  const r = await kernel.runUntil(virtualMs);
  if (print)
    report(
      `run loop, ${actors} XState actors + promise actors`,
      r.timersFired,
      performance.now() - t,
      `  (${store.rows} writes)`,
    );
  kernel.dispose();
}

/** The same actors stepped with a fixed 6 microtask rounds instead of an exact drain: the loop's own share. */
async function actorsWithoutDrain(actors: number, virtualMs: number): Promise<void> {
  const clock = new VirtualClock(0);
  const store = { rows: 0, write: async () => ++store.rows };
  const machine = pollerMachine(store);
  for (let i = 0; i < actors; i++) clock.setTimeout(() => void createActor(machine, { clock }).start(), i);
  const t = performance.now();
  while (clock.fireNext(virtualMs)) for (let k = 0; k < 6; k++) await null;
  report(
    `same, 6 microtask rounds instead of a drain`,
    clock.firedCount(),
    performance.now() - t,
    `  (${store.rows} writes)`,
  );
}

clockOnly(500, 600_000);
await loopOnly(500, 600_000);
// Warm-up, so the JIT cost of XState is not charged to whichever variant runs first.
await loopWithActors(50, 30_000, false);
await loopWithActors(50, 120_000);
await actorsWithoutDrain(50, 120_000);
