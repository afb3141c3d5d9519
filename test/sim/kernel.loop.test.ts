// The run loop: deadline-by-deadline advance, microtasks settled after every timer, exact periodic
// drivers, per-instant observers, stop conditions, and loud failures instead of silent hangs.
import { afterEach, describe, expect, it } from 'vitest';
import { isTgError } from '../../machines/errors.ts';
import { Kernel } from '../../sim/kernel/kernel.ts';

let kernel: Kernel;
afterEach(() => kernel?.dispose());

async function deepChain(depth: number): Promise<void> {
  for (let i = 0; i < depth; i++) await null;
}

describe('Kernel.runUntil', () => {
  it('fires every timer due by the end, then moves time to the end', async () => {
    kernel = new Kernel({ startMs: 32_340_000 });
    const fired: number[] = [];
    kernel.after(10, () => fired.push(kernel.now()));
    kernel.schedule(32_340_500, () => fired.push(kernel.now()));
    kernel.after(2_000, () => fired.push(kernel.now()));
    const result = await kernel.runUntil(32_341_000);
    expect(fired).toEqual([32_340_010, 32_340_500]);
    expect(result).toEqual({ now: 32_341_000, instants: 2, timersFired: 2, stopped: false });
    expect(kernel.clock.pending()).toBe(1);
  });

  it('settles a deep promise chain started by a timer before the next timer of the same instant', async () => {
    kernel = new Kernel();
    const log: string[] = [];
    kernel.after(5, () => {
      void deepChain(500).then(() => log.push(`chain done @${kernel.now()}`));
    });
    kernel.after(5, () => log.push(`second timer @${kernel.now()}`));
    await kernel.runUntil(5);
    expect(log).toEqual(['chain done @5', 'second timer @5']);
  });

  it('settles promises started outside any timer before the first deadline', async () => {
    kernel = new Kernel();
    const log: string[] = [];
    void deepChain(50).then(() => log.push(`outside @${kernel.now()}`));
    kernel.after(1, () => log.push(`timer @${kernel.now()}`));
    await kernel.runUntil(10);
    expect(log).toEqual(['outside @0', 'timer @1']);
  });

  it('runs timers armed by settled promises at the same instant when their delay is zero', async () => {
    kernel = new Kernel();
    const log: string[] = [];
    kernel.after(3, () => {
      void deepChain(3).then(() => kernel.after(0, () => log.push(`follow-up @${kernel.now()}`)));
    });
    kernel.onStep((now) => log.push(`step @${now}`));
    await kernel.runUntil(10);
    expect(log).toEqual(['follow-up @3', 'step @3']);
  });

  it('drives every() at exact multiples of its interval, within its window, until cancelled', async () => {
    kernel = new Kernel({ startMs: 1_000 });
    const at: number[] = [];
    const cancel = kernel.every(300, (t) => at.push(t), { startAt: 1_100, until: 2_300 });
    const late: number[] = [];
    const cancelLate = kernel.every(1_000, (t) => late.push(t));
    await kernel.runUntil(5_000);
    expect(at).toEqual([1_100, 1_400, 1_700, 2_000, 2_300]);
    expect(late).toEqual([2_000, 3_000, 4_000, 5_000]);
    cancelLate();
    cancel();
    await kernel.runUntil(9_000);
    expect(late).toHaveLength(4);
  });

  it('calls step observers once per instant, after all of its timers', async () => {
    kernel = new Kernel();
    const log: string[] = [];
    kernel.after(10, () => log.push('a'));
    kernel.after(10, () => log.push('b'));
    kernel.after(20, () => log.push('c'));
    const off = kernel.onStep((now) => log.push(`step ${now}`));
    await kernel.runUntil(30);
    off();
    expect(log).toEqual(['a', 'b', 'step 10', 'c', 'step 20']);
  });

  it('stops after the instant at which a stop condition holds, and can continue later', async () => {
    kernel = new Kernel();
    let count = 0;
    kernel.every(100, () => count++);
    kernel.stopWhen(() => count >= 3);
    const first = await kernel.runUntil(10_000);
    expect(first).toMatchObject({ now: 300, stopped: true });
    kernel.after(50, () => kernel.stop());
    const second = await kernel.runUntil(10_000);
    expect(second).toMatchObject({ now: 350, stopped: true });
  });

  it('rejects with the original error when a callback throws', async () => {
    kernel = new Kernel();
    kernel.after(7, () => {
      throw new Error('driver broke');
    });
    await expect(kernel.runUntil(100)).rejects.toThrow('driver broke');
    expect(kernel.now()).toBe(7);
  });

  it('declares a zero-delay loop instead of spinning forever', async () => {
    kernel = new Kernel({ maxTimersPerInstant: 1_000 });
    const loop = () => kernel.after(0, loop);
    kernel.after(1, loop);
    const error = await kernel.runUntil(10).catch((e: unknown) => e);
    expect(isTgError(error, 'TG_ERR_INTERNAL')).toBe(true);
    expect(String(error)).toMatch(/zero-delay loop/);
  });

  it('refuses overlapping runs, runs into the past and schedules in the past', async () => {
    kernel = new Kernel({ startMs: 100 });
    const running = kernel.runUntil(200);
    await expect(kernel.runUntil(300)).rejects.toThrow(/already running/);
    await running;
    await expect(kernel.runUntil(150)).rejects.toThrow(/already 200/);
    expect(() => kernel.schedule(199, () => {})).toThrow(/already 200/);
  });
});
