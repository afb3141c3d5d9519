// Supervisor restarts: back-off after a hang, the platform's restarts after an exit, dependency order
// (no restart while a hard dependency is down), the intensity limit, and failing restart actors.
import { describe, expect, it } from 'vitest';
import type { ComponentStateEvent } from '../../machines/types.ts';
import { drive, startSupervisorMachine, testConfig } from './supervisorHarness.ts';

const states = (rig: ReturnType<typeof startSupervisorMachine>, actor: string) =>
  rig.published
    .filter((e): e is ComponentStateEvent => e.type === 'COMPONENT_STATE' && e.actor === actor)
    .map((e) => `${e.at}:${e.to}:${e.reason}`);

describe('restarts after a hang', () => {
  it('restarts a silent process through restartComponent after the back-off', async () => {
    const rig = startSupervisorMachine();
    await drive(rig, 10_000, { alive: (id, t) => id !== 'writer' || t <= 5000 });
    const down = states(rig, 'writer').find((s) => s.includes(':down:'))!;
    const downAt = Number(down.split(':')[0]);
    expect(downAt - 5000).toBeLessThanOrEqual(3000);
    expect(rig.restarts.map((r) => r.component)).toEqual(['writer']);
    // base 200 ms, random() = 0.5 means no jitter; the 100 ms driver step may add up to 100 ms
    expect(rig.restarts[0].at - downAt).toBeGreaterThanOrEqual(200);
    expect(rig.restarts[0].at - downAt).toBeLessThanOrEqual(300);
    expect(states(rig, 'writer')).toContain(`${rig.restarts[0].at}:recovering:restart ordered`);
  });

  it('spreads the back-off with the injected random() (jitter)', async () => {
    const low = startSupervisorMachine({ random: () => 0 });
    const high = startSupervisorMachine({ random: () => 0.999 });
    for (const rig of [low, high])
      await drive(rig, 10_000, { alive: (id, t) => id !== 'writer' || t <= 5000 });
    expect(high.restarts[0].at - low.restarts[0].at).toBeGreaterThanOrEqual(0);
    expect(low.restarts[0].at).not.toBe(high.restarts[0].at);
  });
});

describe('restarts after an exit', () => {
  it('leaves an exited process to the platform and counts that restart once', async () => {
    const rig = startSupervisorMachine();
    await drive(rig, 3000);
    rig.send({ type: 'PROCESS_EXITED', component: 'writer', at: 3000 });
    expect(rig.views().writer).toBe('down');
    await drive(rig, 3400, { alive: (id) => id !== 'writer' });
    rig.send({ type: 'PROCESS_STARTED', component: 'writer', at: 3400 });
    await drive(rig, 12_000, { alive: (id, t) => id !== 'writer' || t >= 4000 });
    expect(rig.restarts).toEqual([]);
    expect(rig.views().writer).toBe('healthy');
    expect(rig.sup.getSnapshot().context.core.books.writer.history).toEqual([3400]);
  });

  it('restarts an exited process itself when the platform does not within the grace period', async () => {
    const rig = startSupervisorMachine();
    await drive(rig, 3000);
    rig.send({ type: 'PROCESS_EXITED', component: 'writer', at: 3000 });
    await drive(rig, 12_000, { alive: (id) => id !== 'writer' });
    expect(rig.restarts.map((r) => r.at)).toEqual([3000 + 5000 + 200]);
  });

  it('does not count the exit and start that its own restart causes (docker restart = die + start)', async () => {
    const rig = startSupervisorMachine();
    const at = (t: number) => t;
    await drive(rig, 10_000, { alive: (id, t) => id !== 'writer' || t <= 5000 });
    const r = rig.restarts[0].at;
    rig.send({ type: 'PROCESS_EXITED', component: 'writer', at: at(r) });
    rig.send({ type: 'PROCESS_STARTED', component: 'writer', at: at(r) });
    await drive(rig, 15_000);
    expect(rig.views().writer).toBe('healthy');
    expect(rig.sup.getSnapshot().context.core.books.writer.history).toEqual([r]);
    expect(states(rig, 'writer').filter((s) => s.includes(':down:'))).toHaveLength(1);
  });
});

describe('dependency order', () => {
  const chain = testConfig({
    components: [
      { id: 'db', hardDeps: [], softDeps: [], kind: 'infrastructure' },
      { id: 'ui', hardDeps: ['api'], softDeps: [] },
      { id: 'api', hardDeps: ['db'], softDeps: [] },
    ],
  });

  it('never restarts a component while a hard dependency is down, then restarts in topological order', async () => {
    const rig = startSupervisorMachine({ config: chain });
    await drive(rig, 3000);
    const dbDown = (t: number) => t > 3000 && t < 20_000;
    // db goes down and both processes hang with it
    await drive(rig, 19_000, { up: (id, t) => !(id === 'db' && dbDown(t)), alive: (_id, t) => t <= 3000 });
    expect(rig.views()).toMatchObject({ db: 'down', api: 'down', ui: 'down' });
    expect(rig.restarts).toEqual([]);
    await drive(rig, 26_000, { alive: (_id, t) => t >= 22_000 });
    expect(rig.restarts.map((r) => r.component)).toEqual(['api', 'ui']);
    expect(rig.restarts[0].at).toBeLessThanOrEqual(rig.restarts[1].at);
    // db is back (recovering) when api restarts; ui waits for api to leave down
    expect(rig.views()).toMatchObject({ db: 'healthy', api: 'healthy', ui: 'healthy' });
  });

  it('does not restart a process that only reports a dependency problem (alive and beating)', async () => {
    const rig = startSupervisorMachine();
    await drive(rig, 20_000, {
      up: (id, t) => id !== 'timescaledb' || t < 5000,
      extra: (id, t) => (id === 'writer' && t >= 5000 ? { state: 'down' } : {}),
    });
    expect(rig.views().writer).toBe('degraded');
    expect(rig.restarts).toEqual([]);
  });
});

describe('restart intensity', () => {
  it('restarts at most maxRestarts times in the window, then marks the component failed once', async () => {
    const rig = startSupervisorMachine({
      config: testConfig({ restart: { maxRestarts: 2, windowMs: 60_000 } }),
    });
    // the writer hangs again two seconds after every (re)start
    let hangAt = 5000;
    await drive(rig, 60_000, {
      alive: (id, t) => {
        if (id !== 'writer') return true;
        const last = rig.restarts.at(-1)?.at ?? 0;
        if (last > hangAt) hangAt = last + 2000;
        return t <= hangAt;
      },
    });
    expect(rig.restarts).toHaveLength(2);
    expect(rig.views().writer).toBe('failed');
    const failed = states(rig, 'writer').filter((s) => s.includes(':failed:'));
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatch(/:failed:restart intensity exceeded$/);
  });

  it('counts platform restarts too, so a crash loop the platform keeps restarting escalates', async () => {
    const rig = startSupervisorMachine({
      config: testConfig({ restart: { maxRestarts: 3, windowMs: 60_000 } }),
    });
    await drive(rig, 2000);
    for (let i = 0; i < 5; i++) {
      const t = 2000 + i * 3000;
      rig.send({ type: 'PROCESS_EXITED', component: 'writer', at: t });
      await drive(rig, t + 200, { alive: (id) => id !== 'writer' });
      rig.send({ type: 'PROCESS_STARTED', component: 'writer', at: t + 200 });
      await drive(rig, t + 3000 - 100, { alive: (id, tt) => id !== 'writer' || tt >= t + 1000 });
    }
    expect(rig.restarts).toEqual([]);
    expect(states(rig, 'writer').filter((s) => s.includes(':failed:'))).toHaveLength(1);
  });
});

describe('failing restart actors', () => {
  it('treats a rejected restart as a death: down, paced retry, never a crash of the supervisor', async () => {
    let calls = 0;
    const rig = startSupervisorMachine({}, async () => {
      calls += 1;
      if (calls === 1) throw Object.assign(new Error('docker said no: token=abc'), { code: 'EDOCKER' });
    });
    await drive(rig, 15_000, { alive: (id, t) => id !== 'writer' || t <= 5000 || calls >= 2 });
    expect(rig.errors).toEqual([]);
    expect(rig.sup.getSnapshot().status).toBe('active');
    expect(calls).toBe(2);
    expect(states(rig, 'writer')).toContainEqual(expect.stringMatching(/:down:restart failed: EDOCKER$/));
    expect(JSON.stringify(rig.published)).not.toContain('token=abc');
    expect(rig.views().writer).toBe('healthy');
    expect(Object.keys(rig.sup.getSnapshot().children).filter((id) => id.startsWith('restart:'))).toEqual([]);
  });
});
