// Supervisor fallbacks and robustness: gatekeeper local/global mode, blindness while the heartbeat
// registry (redis-main) is unreachable, bad configuration, crashing children, and the view mirror.
import { createActor, createMachine } from 'xstate';
import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../machines/config.ts';
import { supervisorMachine } from '../../machines/supervisor.ts';
import { viewMirrorKey } from '../../machines/supervisorTypes.ts';
import type { GatekeeperModeEvent } from '../../machines/types.ts';
import { drive, startSupervisorMachine, testConfig } from './supervisorHarness.ts';

const modes = (rig: ReturnType<typeof startSupervisorMachine>) =>
  rig.published.filter((e): e is GatekeeperModeEvent => e.type === 'GATEKEEPER_MODE');

describe('gatekeeper mode', () => {
  it('broadcasts local (with the per-client share) while redis-gatekeeper is not healthy, then global', async () => {
    const rig = startSupervisorMachine();
    const gkDown = (t: number) => t >= 3000 && t < 8000;
    await drive(rig, 2000);
    for (const client of ['gatekeeper:a', 'gatekeeper:b']) {
      rig.send({
        type: 'HEARTBEAT',
        payload: { component: client, at: 2000, state: 'healthy', gatekeeperMode: 'global' },
      });
    }
    await drive(rig, 12_000, { up: (id, t) => id !== 'redis-gatekeeper' || !gkDown(t) });
    expect(modes(rig).map((e) => [e.at, e.mode, e.share])).toEqual([
      [3000, 'local', 0.4], // safety 0.8 over two live clients, on the first failed probe
      [9000, 'global', 1], // down -> recovering -> healthy takes two good probes
    ]);
    expect(rig.sup.getSnapshot().value).toEqual({ running: { heartbeats: 'sighted', gatekeeper: 'global' } });
  });

  it('restarts nothing that depends on redis-gatekeeper softly', async () => {
    const rig = startSupervisorMachine();
    await drive(rig, 20_000, { up: (id, t) => id !== 'redis-gatekeeper' || t < 3000 });
    expect(rig.views()['recovery-worker']).toBe('healthy');
    expect(rig.restarts).toEqual([]);
  });
});

describe('blindness (registry on redis-main unreachable)', () => {
  const redisDown = (t: number) => t >= 5000 && t < 65_000;

  it('declares nobody dead and restarts nothing while it cannot read heartbeats', async () => {
    const rig = startSupervisorMachine();
    await drive(rig, 90_000, {
      up: (id, t) => id !== 'redis-main' || !redisDown(t),
      alive: (_id, t) => !redisDown(t), // beats cannot reach the registry either
    });
    expect(rig.restarts).toEqual([]);
    const processDowns = rig.published.filter(
      (e) => e.type === 'COMPONENT_STATE' && e.to === 'down' && e.actor !== 'redis-main',
    );
    expect(processDowns).toEqual([]);
    expect(rig.views()).toMatchObject({
      writer: 'healthy',
      'recovery-worker': 'healthy',
      'redis-main': 'healthy',
    });
  });

  it('still acts on process exits while blind', async () => {
    const rig = startSupervisorMachine();
    await drive(rig, 10_000, {
      up: (id, t) => id !== 'redis-main' || !redisDown(t),
      alive: (_id, t) => !redisDown(t),
    });
    expect(rig.sup.getSnapshot().value).toMatchObject({ running: { heartbeats: 'blind' } });
    rig.send({ type: 'PROCESS_EXITED', component: 'writer', at: 10_000 });
    expect(rig.views().writer).toBe('down');
  });

  it('finds a process that hung during the outage soon after sight returns', async () => {
    const rig = startSupervisorMachine();
    await drive(rig, 75_000, {
      up: (id, t) => id !== 'redis-main' || !redisDown(t),
      alive: (id, t) => !redisDown(t) && (id !== 'writer' || t < 5000),
    });
    const down = rig.published.find(
      (e) => e.type === 'COMPONENT_STATE' && e.actor === 'writer' && e.to === 'down',
    );
    expect(down).toMatchObject({ reason: 'heartbeat-timeout' });
    expect((down as { at: number }).at - 65_000).toBeLessThanOrEqual(3500);
  });

  it('goes blind when the registry read fails even before any probe notices', async () => {
    const rig = startSupervisorMachine();
    await drive(rig, 3000);
    rig.send({ type: 'REGISTRY_UNREACHABLE', at: 3000 });
    expect(rig.sup.getSnapshot().value).toMatchObject({ running: { heartbeats: 'blind' } });
    rig.send({ type: 'REGISTRY_READ', at: 2900 }); // issued before the failure: proves nothing
    expect(rig.sup.getSnapshot().value).toMatchObject({ running: { heartbeats: 'blind' } });
  });
});

describe('bad configuration', () => {
  it.each([
    ['TG_ERR_DEP_UNKNOWN', { components: [{ id: 'writer', hardDeps: ['redis'], softDeps: [] }] }, /"redis"/],
    [
      'TG_ERR_DEP_CYCLE',
      {
        components: [
          { id: 'a', hardDeps: ['b'] },
          { id: 'b', hardDeps: ['a'] },
        ],
      },
      /a -> b -> a/,
    ],
    ['TG_ERR_CONFIG', { heartbeatIntervalMs: -1 }, /config\.heartbeatIntervalMs/],
  ])('parks the machine in misconfigured with %s naming the problem', (code, config, message) => {
    const rig = startSupervisorMachine({ config });
    const snap = rig.sup.getSnapshot();
    expect(snap.value).toBe('misconfigured');
    expect(snap.context.error?.code).toBe(code);
    expect(snap.context.error?.message).toMatch(message);
    expect(Object.keys(snap.children)).toEqual([]);
    rig.send({ type: 'PROCESS_EXITED', component: 'writer', at: 1 });
    expect(rig.published).toEqual([]);
    expect(rig.errors).toEqual([]);
  });

  it('rejects coverage of a component that is not a collector', () => {
    const rig = startSupervisorMachine({ config: defaultConfig(), coverage: { writer: ['A'] } });
    expect(rig.sup.getSnapshot().context.error).toMatchObject({ code: 'TG_ERR_CONFIG' });
  });
});

describe('children', () => {
  it('spawns one health view per component, id = component id, and mirrors each state', async () => {
    const rig = startSupervisorMachine({ config: testConfig({}, ['kis-1']) });
    expect(Object.keys(rig.views()).sort()).toEqual(
      [
        'broker-rest',
        'broker-ws',
        'collector:kis-1',
        'recovery-worker',
        'redis-gatekeeper',
        'redis-main',
        'timescaledb',
        'writer',
      ].sort(),
    );
    await drive(rig, 3000);
    const last = new Map(rig.mirrored.map((m) => [m.actor, m.state]));
    for (const [id, state] of Object.entries(rig.views())) expect(last.get(viewMirrorKey(id))).toBe(state);
  });

  it('replaces a health view that crashes instead of going down with it', () => {
    let crashes = 0;
    const brittle = createMachine({
      on: {
        HEARTBEAT: {
          actions: () => {
            crashes += 1;
            throw new Error('view bug');
          },
        },
      },
    });
    const machine = supervisorMachine.provide({ actors: { healthView: brittle as never } });
    const actor = createActor(machine, { input: { config: testConfig(), now: () => 0, random: () => 0.5 } });
    const errors: unknown[] = [];
    actor.subscribe({ error: (e) => void errors.push(e) });
    actor.start();
    actor.send({ type: 'HEARTBEAT', payload: { component: 'writer', at: 1, state: 'healthy' } });
    actor.send({ type: 'HEARTBEAT', payload: { component: 'writer', at: 2, state: 'healthy' } });
    expect(crashes).toBe(2);
    expect(errors).toEqual([]);
    expect(actor.getSnapshot().status).toBe('active');
    expect(actor.getSnapshot().children.writer).toBeDefined();
  });
});
