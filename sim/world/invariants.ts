// Invariant checks of DESIGN section 10 that the simulator runs while a scenario plays: restarts
// against hard dependencies (1), restart intensity (2), one COLLECTOR_DOWN per death and
// non-overlapping gaps (4), and the mirror equal to the supervisor's views (9). Invariant 3 is
// checked on every gatekeeper grant (observer.grant), 8 by the tick and bar accounting (metrics).
import { viewMirrorKey } from '../../machines/supervisorTypes.ts';
import type { World } from './world.ts';

export function watchInvariants(world: World): void {
  const { platform, observer, config, kernel, ports, dependencies } = world;
  const hardDeps = new Map(config.components.map((c) => [c.id, c.hardDeps]));
  const restartTimes = new Map<string, number[]>();

  platform.onEvent((e) => {
    if (e.kind !== 'started' || e.cause !== 'supervisor') return;
    const views = world.supervisor()?.views() ?? {};
    for (const dep of hardDeps.get(e.component) ?? []) {
      if (views[dep] === 'down' || views[dep] === 'failed') {
        observer.violate(
          1,
          e.at,
          `${e.component} restarted while its hard dependency ${dep} was ${views[dep]}`,
        );
      }
    }
    const times = restartTimes.get(e.component) ?? [];
    times.push(e.at);
    restartTimes.set(e.component, times);
    const inWindow = times.filter((t) => t > e.at - config.restart.windowMs).length;
    if (inWindow > config.restart.maxRestarts) {
      observer.violate(
        2,
        e.at,
        `${e.component} restarted ${inWindow} times within ${config.restart.windowMs} ms (limit ${config.restart.maxRestarts})`,
      );
    }
  });

  // Invariant 4: one COLLECTOR_DOWN per death: a second one needs a COLLECTOR_UP or a new process
  // life in between (a restarted supervisor may not have seen the first life end).
  const isDown = new Map<string, boolean>();
  const viewChangedAt = new Map<string, number>();
  let supervisorStartedAt = -Infinity;
  platform.onEvent((e) => {
    if (e.kind !== 'started') return;
    isDown.set(e.component, false);
    if (e.component === 'supervisor') supervisorStartedAt = e.at;
  });
  const original = observer.supervisorEvent.bind(observer);
  observer.supervisorEvent = (e, at) => {
    if (e.type === 'COMPONENT_STATE') viewChangedAt.set(e.actor, at);
    if (e.type === 'COLLECTOR_DOWN') {
      if (isDown.get(e.collector))
        observer.violate(4, at, `second COLLECTOR_DOWN for one life of ${e.collector}`);
      isDown.set(e.collector, true);
    } else if (e.type === 'COLLECTOR_UP') {
      isDown.set(e.collector, false);
    }
    original(e, at);
  };

  // Invariant 9: after a settled step, the mirror holds the supervisor's views (while Redis answers).
  const redis = dependencies.get('redis-main')!;
  let redisUpSince = kernel.now();
  redis.attach({
    onChange(c, at) {
      if (c.up && c.slowByMs === 0) redisUpSince = at;
      else redisUpSince = Infinity;
    },
  });
  let nextCheck = kernel.now();
  kernel.onStep((now) => {
    if (now < nextCheck) return;
    nextCheck = now + 1000;
    const supervisor = world.supervisor();
    const settle = 2 * config.heartbeatIntervalMs;
    if (!supervisor || now - redisUpSince < settle || now - supervisorStartedAt < settle) return;
    if (world.platform.process('supervisor').status !== 'running') return;
    for (const [component, state] of Object.entries(supervisor.views())) {
      const mirrored = ports.mirror.snapshot(viewMirrorKey(component));
      // A write in flight is not a violation: the view must have held its state for two beats.
      const settledFor = now - (viewChangedAt.get(component) ?? -Infinity);
      if (mirrored && mirrored.state !== state && settledFor > 2 * config.heartbeatIntervalMs) {
        observer.violate(
          9,
          now,
          `mirror says ${component} is ${mirrored.state}, supervisor view is ${state}`,
        );
      }
    }
  });
}

/** Invariant 4 at the end: coverage gaps of one symbol never overlap, at most one open per symbol. */
export function checkGapLedger(world: World): void {
  const bySymbol = new Map<string, { start: number; end: number | null; id: string }[]>();
  for (const gap of world.ports.store.gapsNow()) {
    if (world.observer.silentGapIds.has(gap.id)) continue;
    const list = bySymbol.get(gap.symbol) ?? [];
    list.push({ start: gap.start, end: gap.end, id: gap.id });
    bySymbol.set(gap.symbol, list);
  }
  const at = world.kernel.now();
  for (const [symbol, list] of bySymbol) {
    list.sort((a, b) => a.start - b.start);
    if (list.filter((g) => g.end === null).length > 1)
      world.observer.violate(4, at, `${symbol} has more than one open gap`);
    for (let i = 1; i < list.length; i++) {
      const prev = list[i - 1];
      if (prev.end === null || prev.end > list[i].start) {
        world.observer.violate(4, at, `gaps ${prev.id} and ${list[i].id} of ${symbol} overlap`);
      }
    }
  }
}
