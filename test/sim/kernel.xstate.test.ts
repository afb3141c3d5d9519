// The kernel runs XState machines exactly as XState's own SimulatedClock does when that clock is
// stepped deadline by deadline with microtasks flushed in between: `after` timers, promise actors
// that settle on microtasks and promise actors that wait on the clock.
import { describe, expect, it } from 'vitest';
import { SimulatedClock, assign, createActor, fromPromise, setup } from 'xstate';
import type { Clock } from '../../ports/clock.ts';
import { Kernel } from '../../sim/kernel/kernel.ts';
import { VirtualClock } from '../../sim/kernel/virtualClock.ts';

const sleep = (clock: Clock, ms: number) => new Promise<void>((resolve) => clock.setTimeout(resolve, ms));

/** Poll n: resolves on microtasks, or after 20 ms, or too late (80 ms > the 50 ms timeout), or throws. */
async function fetchValue(clock: Clock, n: number): Promise<number> {
  await null;
  await Promise.resolve();
  if (n % 5 === 4) throw new Error(`poll ${n} failed`);
  if (n % 4 === 1) await sleep(clock, 20);
  if (n % 4 === 3) await sleep(clock, 80);
  return n * 10;
}

function pollerMachine(clock: Clock) {
  return setup({
    types: { context: {} as { polls: number; total: number; failures: number } },
    actors: { fetch: fromPromise<number, number>(({ input }) => fetchValue(clock, input)) },
  }).createMachine({
    context: { polls: 0, total: 0, failures: 0 },
    initial: 'idle',
    states: {
      idle: { after: { 100: 'fetching' } },
      fetching: {
        entry: assign({ polls: ({ context }) => context.polls + 1 }),
        invoke: {
          src: 'fetch',
          input: ({ context }) => context.polls,
          onDone: {
            target: 'cooling',
            actions: assign({ total: ({ context, event }) => context.total + event.output }),
          },
          onError: {
            target: 'backoff',
            actions: assign({ failures: ({ context }) => context.failures + 1 }),
          },
        },
        after: { 50: 'backoff' },
      },
      cooling: { after: { 70: 'idle' } },
      backoff: { after: { 230: 'idle' } },
    },
  });
}

function traceActor(clock: Clock, trace: string[]) {
  const actor = createActor(pollerMachine(clock), { clock });
  actor.subscribe((s) =>
    trace.push(
      `${clock.now()} ${String(s.value)} p${s.context.polls} t${s.context.total} f${s.context.failures}`,
    ),
  );
  return actor;
}

async function runUnderSimulatedClock(endMs: number): Promise<string[]> {
  const clock = new SimulatedClock();
  const trace: string[] = [];
  const actor = traceActor(clock, trace);
  actor.start();
  const timeouts = (clock as unknown as { timeouts: Map<number, { start: number; timeout: number }> })
    .timeouts;
  const flush = () => new Promise<void>((resolve) => setImmediate(resolve));
  await flush();
  for (;;) {
    let next = Infinity;
    for (const t of timeouts.values()) next = Math.min(next, t.start + t.timeout);
    if (next > endMs) break;
    clock.set(next);
    await flush();
  }
  actor.stop();
  return trace;
}

async function runUnderKernel(endMs: number): Promise<string[]> {
  const kernel = new Kernel();
  const trace: string[] = [];
  const actor = traceActor(kernel.clock, trace);
  actor.start();
  await kernel.runUntil(endMs);
  actor.stop();
  kernel.dispose();
  return trace;
}

describe('kernel with XState', () => {
  it('runs a machine with after timers and promise actors exactly like a deadline-stepped SimulatedClock', async () => {
    const expected = await runUnderSimulatedClock(5_000);
    const actual = await runUnderKernel(5_000);
    // The trace exercises every path: microtask results, clock-timed results, timeouts and failures.
    expect(expected.some((l) => l.includes(' cooling '))).toBe(true);
    expect(expected.some((l) => l.includes(' backoff ') && !l.endsWith('f0'))).toBe(true);
    expect(expected.at(-1)).toMatch(/ p(\d{2,}) /);
    expect(actual).toEqual(expected);
  });

  it('completes promise actors at the virtual instant their work finishes', async () => {
    const kernel = new Kernel();
    const trace: string[] = [];
    const actor = traceActor(kernel.clock, trace);
    actor.start();
    await kernel.runUntil(300);
    actor.stop();
    kernel.dispose();
    // Poll 1 waits 20 ms on the clock: done at 120. Poll 2 settles on microtasks only: done at the
    // instant it started (290), before any later timer could fire.
    expect(trace).toEqual([
      '0 idle p0 t0 f0',
      '100 fetching p1 t0 f0',
      '120 cooling p1 t10 f0',
      '190 idle p1 t10 f0',
      '290 fetching p2 t10 f0',
      '290 cooling p2 t30 f0',
    ]);
  });

  it('fires chained after timers at their own deadlines where SimulatedClock.increment fires them late', () => {
    const chain = setup({}).createMachine({
      initial: 'a',
      states: { a: { after: { 100: 'b' } }, b: { after: { 100: 'c' } }, c: {} },
    });
    const simulated = new SimulatedClock();
    const late = createActor(chain, { clock: simulated }).start();
    simulated.increment(250);
    expect(late.getSnapshot().value).toBe('b');

    const virtual = new VirtualClock();
    const exact = createActor(chain, { clock: virtual }).start();
    const entered: string[] = [];
    exact.subscribe((s) => entered.push(`${virtual.now()} ${String(s.value)}`));
    virtual.increment(250);
    expect(exact.getSnapshot().value).toBe('c');
    expect(entered).toEqual(['100 b', '200 c']);
    expect(virtual.now()).toBe(250);
  });
});
