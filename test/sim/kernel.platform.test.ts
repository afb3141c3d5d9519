// The Docker-like platform: `restart: always` with Docker's back-off (100 ms doubling, capped at a
// minute, reset after 10 s of uptime), ProcessControl restarts (hung processes too), holds, counts.
import { afterEach, describe, expect, it } from 'vitest';
import { createActor, setup } from 'xstate';
import { isTgError } from '../../machines/errors.ts';
import { Kernel } from '../../sim/kernel/kernel.ts';
import { SimPlatform, type PlatformEvent } from '../../sim/kernel/platform.ts';
import type { ComponentHandle, ProcessEnv } from '../../sim/kernel/process.ts';

let kernel: Kernel;
afterEach(() => kernel?.dispose());

/** A component that beats into `beats` every 100 ms; it throws at start while `broken()` says so. */
function component(beats: string[], broken: () => boolean = () => false) {
  return (env: ProcessEnv): ComponentHandle => {
    if (broken()) throw new Error('cannot connect');
    const machine = setup({
      actions: { beat: () => void beats.push(`${env.clock.now()} ${env.id}#${env.generation}`) },
    }).createMachine({
      initial: 'up',
      states: { up: { after: { 100: { target: 'up', reenter: true, actions: 'beat' } } } },
    });
    const actor = createActor(machine, { clock: env.clock }).start();
    return { id: env.id, actor, stop: () => actor.stop(), state: () => 'up' };
  };
}

function recordStarts(platform: SimPlatform) {
  const lifecycle: string[] = [];
  const delays: number[] = [];
  platform.onLifecycle((e) => lifecycle.push(`${e.at} ${e.component} ${e.kind}`));
  platform.onEvent((e: PlatformEvent) => e.kind === 'restart-scheduled' && delays.push(e.delayMs!));
  return { lifecycle, delays };
}

describe('SimPlatform', () => {
  it('restarts a crash-looping process after 100, 200, 400 ms and resets the delay after 10 s of uptime', async () => {
    kernel = new Kernel();
    const platform = new SimPlatform(kernel.clock);
    let broken = true;
    const beats: string[] = [];
    platform.add({ id: 'writer', start: component(beats, () => broken) });
    const { lifecycle, delays } = recordStarts(platform);
    platform.startAll();
    kernel.schedule(650, () => (broken = false));
    await kernel.runUntil(800);
    expect(delays).toEqual([100, 200, 400]);
    expect(lifecycle.filter((l) => l.endsWith('started'))).toEqual([
      '0 writer started',
      '100 writer started',
      '300 writer started',
      '700 writer started',
    ]);
    // Up since 700. A kill after 5 s keeps doubling; a kill after a 10 s run resets to 100 ms.
    kernel.schedule(5_700, () => platform.kill('writer'));
    await kernel.runUntil(6_000);
    expect(delays.at(-1)).toBe(800);
    const restartedAt = 5_700 + 800;
    kernel.schedule(restartedAt + 10_000, () => platform.kill('writer'));
    await kernel.runUntil(restartedAt + 10_500);
    expect(delays.at(-1)).toBe(100);
    expect(platform.restartCounts()).toEqual({ writer: { supervisor: 0, platform: 5 } });
    expect(beats.at(-1)).toMatch(/#6$/);
  });

  it('caps the back-off at one minute', async () => {
    kernel = new Kernel();
    const platform = new SimPlatform(kernel.clock);
    platform.add({ id: 'collector:kis-1', start: component([], () => true) });
    const { delays } = recordStarts(platform);
    platform.startAll();
    await kernel.runUntil(10 * 60_000);
    expect(delays.slice(0, 12)).toEqual([
      100, 200, 400, 800, 1_600, 3_200, 6_400, 12_800, 25_600, 51_200, 60_000, 60_000,
    ]);
  });

  it('restarts a hung process through ProcessControl, which sees no hang, only the exit and the start', async () => {
    kernel = new Kernel();
    const platform = new SimPlatform(kernel.clock);
    const beats: string[] = [];
    platform.add({ id: 'collector:kiwoom-1', start: component(beats) });
    const { lifecycle } = recordStarts(platform);
    const all: string[] = [];
    platform.onEvent((e) => all.push(`${e.at} ${e.kind}${e.cause ? ` ${e.cause}` : ''}`));
    platform.startAll();
    kernel.schedule(250, () => platform.hang('collector:kiwoom-1'));
    kernel.schedule(3_000, () => void platform.restart('collector:kiwoom-1'));
    await kernel.runUntil(3_250);
    expect(lifecycle).toEqual([
      '0 collector:kiwoom-1 started',
      '3000 collector:kiwoom-1 exited',
      '3000 collector:kiwoom-1 started',
    ]);
    expect(all).toEqual(['0 started initial', '250 hung', '3000 exited', '3000 started supervisor']);
    // The hung run's held beats died with it; the new run beats from 3000 on, and no platform
    // restart follows the supervisor's kill.
    expect(beats).toEqual([
      '100 collector:kiwoom-1#1',
      '200 collector:kiwoom-1#1',
      '3100 collector:kiwoom-1#2',
      '3200 collector:kiwoom-1#2',
    ]);
    expect(platform.process('collector:kiwoom-1').status).toBe('running');
    expect(platform.restartCounts()['collector:kiwoom-1']).toEqual({ supervisor: 1, platform: 0 });
  });

  it('resets the back-off after a supervisor restart, like a manual docker start', async () => {
    kernel = new Kernel();
    const platform = new SimPlatform(kernel.clock);
    platform.add({ id: 'writer', start: component([]) });
    const { delays } = recordStarts(platform);
    platform.startAll();
    for (const at of [1_000, 2_000, 3_000]) kernel.schedule(at, () => platform.kill('writer'));
    kernel.schedule(4_000, () => void platform.restart('writer'));
    kernel.schedule(5_000, () => platform.kill('writer'));
    await kernel.runUntil(6_000);
    expect(delays).toEqual([100, 200, 400, 100]);
  });

  it('keeps a held-down process down, refuses supervisor restarts meanwhile, and starts it when the hold ends', async () => {
    kernel = new Kernel();
    const platform = new SimPlatform(kernel.clock);
    platform.add({ id: 'recovery-worker', start: component([]) });
    const { lifecycle } = recordStarts(platform);
    platform.startAll();
    kernel.schedule(1_000, () => platform.holdDown('recovery-worker', 120_000));
    let refusal: unknown;
    kernel.schedule(
      5_000,
      () => void platform.restart('recovery-worker').catch((e: unknown) => (refusal = e)),
    );
    await kernel.runUntil(200_000);
    expect(isTgError(refusal, 'TG_ERR_DEP_DOWN')).toBe(true);
    expect(lifecycle).toEqual([
      '0 recovery-worker started',
      '1000 recovery-worker exited',
      '121000 recovery-worker started',
    ]);
    expect(platform.restartCounts()['recovery-worker']).toEqual({ supervisor: 0, platform: 1 });
  });

  it('does not restart a stopped process, and rejects unknown components with a coded error', async () => {
    kernel = new Kernel();
    const platform = new SimPlatform(kernel.clock);
    platform.add({ id: 'writer', start: component([]) });
    platform.startAll();
    kernel.schedule(100, () => platform.stop('writer'));
    await kernel.runUntil(10_000);
    expect(platform.process('writer').status).toBe('exited');
    const error = await platform.restart('nope').catch((e: unknown) => e);
    expect(isTgError(error, 'TG_ERR_CONFIG')).toBe(true);
    expect(() => platform.add({ id: 'writer', start: component([]) })).toThrow(/registered twice/);
  });

  it('shuts everything down with no restart left pending', async () => {
    kernel = new Kernel();
    const platform = new SimPlatform(kernel.clock);
    platform.add({ id: 'a', start: component([]) });
    platform.add({ id: 'b', start: component([]) });
    platform.startAll();
    kernel.schedule(50, () => platform.kill('a'));
    kernel.schedule(100, () => platform.shutdown());
    await kernel.runUntil(120);
    expect(kernel.clock.pending()).toBe(0);
    expect(platform.ids().map((id) => platform.process(id).status)).toEqual(['exited', 'exited']);
  });
});
