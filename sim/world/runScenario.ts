// Runs one scenario in virtual time: builds the world, schedules the faults and the exchange feed,
// runs the market window, then lets recovery drain (bounded), and returns the report.
import { performance } from 'node:perf_hooks';
import { expandFaults } from '../scenario/expand.ts';
import type { ConcreteFault, Scenario } from '../scenario/types.ts';
import type { Report } from '../report/types.ts';
import { buildReport } from '../report/expectations.ts';
import { buildWorld, type World } from './world.ts';
import { scheduleFaults } from './faults.ts';
import { computeMetrics } from './metrics.ts';
import { watchInvariants } from './invariants.ts';

/** How long after the market window recovery may still run before the run is cut off. */
export const DRAIN_LIMIT_MS = 30 * 60_000;

export interface RunOptions {
  seed?: number;
  /** Called about once per virtual minute with the fraction done (progress bars). */
  onProgress?: (fraction: number) => void;
}

/**
 * Whether the supervisor owes a detection for this fault: a hang shorter than the detector's
 * ceiling is not a failure, a kill of a process that is not running changes nothing, and a
 * component the supervisor has already given up on (`failed`, escalated) is known dead.
 */
function detectable(fault: ConcreteFault, world: World): 'yes' | 'no' | 'known' {
  if (fault.target === 'supervisor' || fault.kind === 'slow') return 'no';
  if (
    fault.kind === 'hang' &&
    fault.until !== undefined &&
    fault.until - fault.at < world.config.heartbeatTimeoutMs
  ) {
    return 'no';
  }
  // While redis-main is down the supervisor is blind to heartbeats by design (DESIGN section 1):
  // a hang that starts and ends inside such an outage cannot be seen and loses nothing.
  if (
    fault.kind === 'hang' &&
    fault.until !== undefined &&
    redisDownThroughout(fault.at, fault.until, world)
  ) {
    return 'no';
  }
  if (world.platform.ids().includes(fault.target)) {
    if (world.supervisor()?.views()[fault.target] === 'failed') return 'known';
    if (world.platform.process(fault.target).status === 'exited') return 'no';
  }
  return 'yes';
}

function redisDownThroughout(from: number, to: number, world: World): boolean {
  return world.faults.some(
    (f) =>
      f.target === 'redis-main' &&
      (f.kind === 'down' || f.kind === 'hang') &&
      f.at <= from &&
      (f.until ?? f.at) >= to,
  );
}

/** Recovery is over when nothing is buffered or spooled and every gap's minutes are stored. */
async function drained(world: World): Promise<boolean> {
  const { ports, scenario } = world;
  if (ports.tickBuffer.backlogNow() > 0) return false;
  for (const name of ports.spools.names()) if (ports.spools.for(name).tickCount() > 0) return false;
  for (const gap of ports.store.gapsNow()) {
    if (gap.status === 'recovered' || gap.status === 'unrecoverable') continue;
    if (gap.recoveredUntil < Math.min(gap.end ?? Infinity, scenario.market.toMs)) return false;
  }
  return true;
}

export async function runScenario(scenario: Scenario, options: RunOptions = {}): Promise<Report> {
  const wallStart = performance.now();
  const seed = options.seed ?? scenario.seed;
  const world = buildWorld(scenario, seed);
  const { kernel, platform, observer, exchange, brokers, dependencies, ports, config, stepMs } = world;
  const market = scenario.market;
  const faults = expandFaults(scenario);
  world.faults = faults;

  await ports.eventBus.subscribe((e) => observer.busEvent(e, kernel.now()));
  const gatekeeper = dependencies.get('redis-gatekeeper')!;
  observer.gatekeeperDown = () => !gatekeeper.isUp();
  const kisLimit = config.gatekeeper.limits.kis?.ratePerSec ?? scenario.broker.rateLimitPerSec;
  observer.localShareLimit = kisLimit * config.gatekeeper.safety;
  platform.onEvent((e) => {
    if (e.kind !== 'started' || e.cause === 'initial') return;
    observer.record(e.at, 'restart', e.component, `started by ${e.cause}`);
  });
  scheduleFaults(faults, {
    kernel,
    platform,
    dependencies,
    onFault: (fault, phase, at) => observer.fault(fault, phase, at, detectable(fault, world)),
  });
  kernel.every(
    stepMs,
    (at) => {
      const batches = exchange.advance(at);
      if (batches.length === 0) return;
      brokers.kis.deliver(batches);
      brokers.kiwoom.deliver(batches);
    },
    { startAt: market.fromMs + stepMs, until: market.toMs },
  );
  watchInvariants(world);
  if (options.onProgress) {
    const span = market.toMs - market.fromMs;
    kernel.every(60_000, (at) => options.onProgress!(Math.min(1, (at - market.fromMs) / span)), {
      startAt: market.fromMs,
      until: market.toMs,
    });
  }
  platform.startAll();
  await kernel.runUntil(market.toMs);

  // Recovery may need a little longer than the market window; check about once a virtual second.
  let done = false;
  const cancel = kernel.every(1000, () => {
    void drained(world).then((d) => (done = d));
  });
  kernel.stopWhen(() => done);
  await kernel.runUntil(market.toMs + DRAIN_LIMIT_MS);
  cancel();
  const endedAt = kernel.now();
  const metrics = computeMetrics(world, faults, endedAt);
  platform.shutdown();
  await kernel.settle();
  kernel.dispose();
  return buildReport({
    scenario: scenario.name,
    seed,
    virtualMs: endedAt - (market.fromMs - 60_000),
    wallMs: Math.round(performance.now() - wallStart),
    metrics,
    timeline: observer.timeline.slice().sort((a, b) => a.at - b.at),
    expect: scenario.expect,
  });
}
