// startSupervisor on the in-memory ports: coded errors before start, detection through the real
// heartbeat registry, restarts through ProcessControl, the outbox that never loses an event while
// redis-main is down, probes with timeouts, and the view mirror.
import { afterEach, describe, expect, it } from 'vitest';
import { startSupervisor, type SupervisorHandle } from '../../actors/supervisor.ts';
import { isTgError } from '../../machines/errors.ts';
import { viewMirrorKey } from '../../machines/supervisorTypes.ts';
import type { HeartbeatPayload, TgEvent } from '../../machines/types.ts';
import type { ProcessControl } from '../../ports/processControl.ts';
import { createMemoryPorts, type MemoryPorts } from '../../ports/memory/index.ts';
import { ManualClock } from '../contracts/manualClock.ts';
import { testConfig } from './supervisorHarness.ts';

type Lifecycle = Parameters<ProcessControl['onLifecycle']>[0];

function setup(
  probes: Record<string, () => Promise<void>> = {},
  before: (ports: MemoryPorts) => void = () => {},
) {
  const clock = new ManualClock(0);
  const ports: MemoryPorts = createMemoryPorts(clock);
  before(ports);
  const handlers = new Set<Lifecycle>();
  const restarts: string[] = [];
  const processControl: ProcessControl = {
    async restart(component) {
      restarts.push(`${clock.now()} ${component}`);
    },
    onLifecycle(h) {
      handlers.add(h);
      return () => handlers.delete(h);
    },
  };
  const alive = new Set(['writer', 'recovery-worker', 'collector:kis-1']);
  let beating = true;
  const beat = () => {
    if (!beating) return;
    for (const component of alive) {
      const payload: HeartbeatPayload = { component, at: clock.now(), state: 'healthy' };
      if (component.startsWith('collector:'))
        Object.assign(payload, { brokerConnected: true, liveSince: 0, lastTickAt: { A: clock.now() } });
      ports.heartbeats.beat(payload, 5000).catch(() => {});
    }
    clock.setTimeout(beat, 1000);
  };
  beat();
  const events: TgEvent[] = [];
  const redisProbe = () =>
    ports.gates['redis-main'].isUp() ? Promise.resolve() : Promise.reject(new Error('down'));
  const sup = startSupervisor({
    clock,
    ports: {
      heartbeats: ports.heartbeats,
      mirror: ports.mirror,
      eventBus: ports.eventBus,
      processControl,
      probes: { 'redis-main': redisProbe, ...probes },
      ledger: ports.store,
    },
    config: testConfig(),
    coverage: { 'collector:kis-1': ['A'] },
    rng: () => 0.5,
    name: 'sup',
    onEvent: (e) => void events.push(e),
  });
  const lifecycle = (e: Parameters<Lifecycle>[0]) => handlers.forEach((h) => h(e));
  const stopBeats = () => void (beating = false);
  return { clock, ports, sup, alive, restarts, events, lifecycle, handlers, stopBeats };
}

let current: SupervisorHandle | undefined;
afterEach(() => current?.stop());

describe('startSupervisor', () => {
  it('throws the coded configuration error before starting anything', () => {
    const clock = new ManualClock(0);
    const ports = createMemoryPorts(clock);
    const noPlatform: ProcessControl = { restart: async () => {}, onLifecycle: () => () => {} };
    const start = (config: unknown, coverage?: Record<string, string[]>) => () =>
      startSupervisor({ clock, ports: { ...ports, processControl: noPlatform }, config, coverage });
    expect(start({ components: [{ id: 'w', hardDeps: ['nope'] }] })).toThrow(/TG_ERR_DEP_UNKNOWN.*"nope"/);
    expect(start({ components: [{ id: 'a', hardDeps: ['a'] }] })).toThrow(
      /TG_ERR_DEP_CYCLE: dependency cycle a -> a/,
    );
    expect(start({ restart: { backoffBaseMs: -1 } })).toThrow(
      /TG_ERR_CONFIG: config\.restart\.backoffBaseMs/,
    );
    expect(start({}, { writer: ['A'] })).toThrow(/TG_ERR_CONFIG/);
    try {
      start({ stallTimeoutMs: 0 })();
    } catch (e) {
      expect(isTgError(e, 'TG_ERR_CONFIG')).toBe(true);
    }
    expect(clock.pendingTimers()).toBe(0);
  });

  it('adds collectors named in coverage and watches them', async () => {
    const w = setup();
    current = w.sup;
    await w.clock.advance(3000);
    expect(w.sup.views()['collector:kis-1']).toBe('healthy');
  });

  it('finds a hung process through the registry within 3 s and restarts it through ProcessControl', async () => {
    const w = setup();
    current = w.sup;
    await w.clock.advance(10_000);
    w.alive.delete('writer');
    const stoppedAt = w.clock.now();
    let downAt: number | undefined;
    for (let i = 0; i < 40 && downAt === undefined; i++) {
      await w.clock.advance(100);
      if (w.events.some((e) => e.type === 'COMPONENT_STATE' && e.actor === 'writer' && e.to === 'down'))
        downAt = w.clock.now();
    }
    expect(downAt! - stoppedAt).toBeLessThanOrEqual(3000);
    await w.clock.advance(1000);
    expect(w.restarts).toHaveLength(1);
    expect(w.restarts[0]).toMatch(/ writer$/);
  });

  it('mirrors every view’s state under view:<component>', async () => {
    const w = setup();
    current = w.sup;
    await w.clock.advance(5000);
    w.alive.delete('recovery-worker');
    await w.clock.advance(3000);
    for (const [id, state] of Object.entries(w.sup.views())) {
      expect(w.ports.mirror.snapshot(viewMirrorKey(id))?.state).toBe(state);
    }
    expect(w.sup.views()['recovery-worker']).not.toBe('healthy');
  });

  it('keeps a COLLECTOR_DOWN in its outbox while redis-main is down and delivers it, in order, after', async () => {
    const w = setup();
    current = w.sup;
    await w.clock.advance(3000);
    w.ports.gates['redis-main'].down();
    await w.clock.advance(500);
    w.alive.delete('collector:kis-1');
    w.lifecycle({ component: 'collector:kis-1', kind: 'exited', at: w.clock.now() });
    expect(w.events.at(-1)).toMatchObject({ type: 'COLLECTOR_DOWN', collector: 'collector:kis-1' });
    await w.clock.advance(10_000);
    expect(w.sup.pendingEvents()).toBeGreaterThan(0);
    const loggedIds = () => w.ports.eventBus.entries().map((e) => e.event.id);
    expect(loggedIds()).not.toContain(w.events.find((e) => e.type === 'COLLECTOR_DOWN')!.id);
    w.ports.gates['redis-main'].up();
    await w.clock.advance(2000);
    expect(w.sup.pendingEvents()).toBe(0);
    expect(loggedIds()).toEqual(w.events.map((e) => e.id));
  });

  it('restarts nothing while the registry is unreachable, and is healthy again after', async () => {
    const w = setup();
    current = w.sup;
    await w.clock.advance(5000);
    w.ports.gates['redis-main'].down('timeout');
    await w.clock.advance(30_000);
    w.ports.gates['redis-main'].up();
    await w.clock.advance(5000);
    expect(w.restarts).toEqual([]);
    expect(w.sup.views()).toMatchObject({
      writer: 'healthy',
      'collector:kis-1': 'healthy',
      'redis-main': 'healthy',
    });
    expect(
      w.events
        .filter((e) => e.type === 'COMPONENT_STATE' && e.to === 'down')
        .map((e) => (e as { actor: string }).actor),
    ).toEqual(['redis-main']);
  });

  it('counts a probe that never answers as failed (timeout) and marks the dependency down', async () => {
    const w = setup({ timescaledb: () => new Promise<void>(() => {}) });
    current = w.sup;
    await w.clock.advance(4000);
    expect(w.sup.views().timescaledb).toBe('down');
  });

  it('closes a gap its predecessor left open in the ledger once the collector covers again', async () => {
    const w = setup({}, (ports) => {
      void ports.store.openGap({
        id: 'gap:A:-5000',
        collector: 'collector:kis-1',
        symbol: 'A',
        start: -5000,
        end: null,
        status: 'open',
        priority: 1,
        recoveredUntil: -5000,
        attempts: 0,
        reason: null,
      });
    });
    current = w.sup;
    await w.clock.advance(3000);
    expect(w.events.find((e) => e.type === 'COLLECTOR_UP')).toMatchObject({
      collector: 'collector:kis-1',
      closed: [{ gapId: 'gap:A:-5000', symbol: 'A', end: 0 }],
    });
  });

  it('stops cleanly: no timers left, no lifecycle subscription', async () => {
    const w = setup();
    await w.clock.advance(3000);
    w.sup.stop();
    w.stopBeats();
    await w.clock.advance(1000); // the world's own last beat timer
    expect(w.handlers.size).toBe(0);
    await w.clock.advance(5000);
    expect(w.clock.pendingTimers()).toBe(0);
  });
});
