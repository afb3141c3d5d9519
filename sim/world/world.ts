// Builds one simulated world from a scenario: the kernel, the exchange and broker models, the
// in-memory infrastructure behind fault gates, and one simulated process per component running the
// same assemblies (actors/) as live mode. Nothing here re-implements component logic.
import { buildUniverse, type SymbolInfo } from '../exchange/universe.ts';
import { ExchangeModel } from '../exchange/exchange.ts';
import { SimBroker } from '../broker/brokerModel.ts';
import { Kernel } from '../kernel/kernel.ts';
import { SimPlatform } from '../kernel/platform.ts';
import { createDependencies, gateListener, type SimDependency } from '../kernel/dependency.ts';
import type { ProcessEnv } from '../kernel/process.ts';
import { collectorSlots, dealSymbols, type Deal } from '../scenario/deal.ts';
import type { ConcreteFault, Scenario } from '../scenario/types.ts';
import { createMemoryPorts, MemoryOutboxStore, type MemoryPorts } from '../../ports/memory/index.ts';
import { validateConfig, withCollectors, type TgConfig } from '../../machines/config.ts';
import type { Bar, BarSource, BrokerName, TickBatch } from '../../machines/types.ts';
import type { Store } from '../../ports/store.ts';
import type { BrokerWs, BrokerWsHandlers } from '../../ports/broker.ts';
import { startCollector, type CollectorHandle } from '../../actors/collector.ts';
import { startWriter } from '../../actors/writer.ts';
import { startSupervisor, type SupervisorHandle } from '../../actors/supervisor.ts';
import { startRecoveryWorker } from '../../actors/recoveryWorker.ts';
import type { ComponentHandle } from '../../actors/common.ts';
import { WorldObserver } from './observer.ts';

export const DEPENDENCY_IDS = [
  'redis-main',
  'redis-gatekeeper',
  'timescaledb',
  'broker-rest',
  'broker-ws',
] as const;
/** The app key the recovery worker uses for REST (its own, like a real deployment's REST key). */
export const REST_APP_KEY = 'rest-key-1';

export interface World {
  scenario: Scenario;
  seed: number;
  kernel: Kernel;
  config: TgConfig;
  universe: SymbolInfo[];
  exchange: ExchangeModel;
  brokers: Record<BrokerName, SimBroker>;
  ports: MemoryPorts;
  dependencies: Map<string, SimDependency>;
  platform: SimPlatform;
  deal: Deal;
  /** Collector id -> its symbols. */
  coverage: Record<string, string[]>;
  volumes: Map<string, number>;
  observer: WorldObserver;
  /** Live handles by component id (undefined while the process is down). */
  handles: Map<string, ComponentHandle | undefined>;
  supervisor(): SupervisorHandle | undefined;
  collectorBroker: Map<string, BrokerName>;
  /** The scenario's fault timeline, expanded (set by runScenario). */
  faults: ConcreteFault[];
  /** Exchange step: how often the exchange hands out the trades of the elapsed interval. */
  stepMs: number;
}

/**
 * The gatekeeper's limits follow the scenario's broker (a user configures KIS_RATE_LIMIT_PER_SEC to
 * match their account) unless the scenario's config sets them itself.
 */
function withBrokerLimits(scenario: Scenario): Record<string, unknown> {
  const config = scenario.config as { gatekeeper?: { limits?: unknown } };
  if (config.gatekeeper?.limits !== undefined) return scenario.config;
  const limit = { ratePerSec: scenario.broker.rateLimitPerSec, burst: 1 };
  return { ...scenario.config, gatekeeper: { ...config.gatekeeper, limits: { kis: limit, kiwoom: limit } } };
}

/** A process-scoped view of the event bus: its subscriptions die with the process. */
function busFor(ports: MemoryPorts, env: ProcessEnv) {
  const connection = ports.eventBus.connect();
  return { bus: env.guardPort(connection), close: () => connection.close() };
}

/** Wraps a collector's BrokerWs so the observer counts what actually reached the live process. */
function countingWs(inner: BrokerWs, onReceived: (batches: TickBatch[]) => void): BrokerWs {
  return new Proxy(inner, {
    get(target, key) {
      if (key === 'connect') {
        return (handlers: BrokerWsHandlers) =>
          target.connect({
            ...handlers,
            onBatches: (batches) => {
              onReceived(batches);
              handlers.onBatches(batches);
            },
          });
      }
      const value = Reflect.get(target, key, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

export function buildWorld(scenario: Scenario, seed: number): World {
  const market = scenario.market;
  // Start a minute early so every process is connected and beating when the market opens.
  const kernel = new Kernel({ startMs: market.fromMs - 60_000, seed });
  const rng = kernel.rng;
  const names = scenario.collectors.names.map((n) => `collector:${n}`);
  const config = withCollectors(validateConfig(withBrokerLimits(scenario)), names);
  const universe = buildUniverse(market.symbols, { rng: rng.fork('universe') });
  const exchange = new ExchangeModel({ rng: rng.fork('exchange'), day: market.date, symbols: universe });
  // The exchange always opens at 09:00: skip to the scenario's window.
  exchange.advance(market.fromMs);
  const brokerOptions = {
    exchange,
    clock: kernel.clock,
    rateLimitPerSec: scenario.broker.rateLimitPerSec,
    barsPerRequest: scenario.broker.barsPerRequest,
    reject: scenario.broker.reject,
    sanctions: scenario.broker.sanctions,
  };
  const brokers: Record<BrokerName, SimBroker> = {
    kis: new SimBroker({ ...brokerOptions, broker: 'kis', rng: rng.fork('broker:kis') }),
    kiwoom: new SimBroker({ ...brokerOptions, broker: 'kiwoom', rng: rng.fork('broker:kiwoom') }),
  };
  const ports = createMemoryPorts(kernel.clock);
  const dependencies = createDependencies(kernel.clock, DEPENDENCY_IDS);
  for (const id of ['redis-main', 'redis-gatekeeper', 'timescaledb'] as const) {
    dependencies.get(id)!.attach(gateListener(ports.gates[id]));
  }
  attachBrokerFaults(dependencies, brokers);

  const slots = collectorSlots(scenario.collectors);
  const deal = dealSymbols({
    symbols: universe.map((s) => ({ code: s.code, prevVolume: s.prevVolume })),
    collectors: slots,
    redundancy: scenario.collectors.redundancy,
  });
  const coverage: Record<string, string[]> = {};
  const collectorBroker = new Map<string, BrokerName>();
  for (const slot of slots) {
    coverage[`collector:${slot.name}`] = deal.assignments.get(slot.name) ?? [];
    collectorBroker.set(`collector:${slot.name}`, slot.broker);
  }
  const volumes = new Map(universe.map((s) => [s.code, s.prevVolume]));
  void ports.store.setSymbolVolumes(volumes);

  const platform = new SimPlatform(kernel.clock);
  const handles = new Map<string, ComponentHandle | undefined>();
  const observer = new WorldObserver();
  const stepMs = universe.length > 500 ? 5000 : 1000;
  const world: World = {
    scenario,
    seed,
    kernel,
    config,
    universe,
    exchange,
    brokers,
    ports,
    dependencies,
    platform,
    deal,
    coverage,
    volumes,
    observer,
    handles,
    supervisor: () => handles.get('supervisor') as SupervisorHandle | undefined,
    collectorBroker,
    stepMs,
    faults: [],
  };

  const track = <H extends ComponentHandle>(id: string, handle: H, onStop?: () => void): H => {
    handles.set(id, handle);
    const stop = handle.stop.bind(handle);
    handle.stop = () => {
      handles.set(id, undefined);
      onStop?.();
      stop();
    };
    return handle;
  };

  for (const slot of slots) {
    const id = `collector:${slot.name}`;
    const broker = brokers[slot.broker];
    platform.add({
      id,
      rng: rng.fork(id),
      start: (env) => {
        const { bus, close } = busFor(ports, env);
        const appKey = `ws-key-${slot.name}`;
        const ws = countingWs(env.guardPort(broker.ws(appKey)), (b) => observer.received(id, b));
        const handle: CollectorHandle = startCollector({
          clock: env.clock,
          ports: {
            brokerWs: ws,
            tickBuffer: env.guardPort(ports.tickBuffer),
            spool: env.guardPort(ports.spools.for(id)),
            heartbeats: env.guardPort(ports.heartbeats),
            mirror: env.guardPort(ports.mirror),
            eventBus: bus,
          },
          config,
          name: id,
          broker: slot.broker,
          symbols: coverage[id],
          volumes,
          random: env.rng ? () => env.rng!.next() : undefined,
        });
        // A dead process's socket is closed by the OS: the broker frees the app key's session.
        return track(id, handle, () => {
          close();
          broker.sessionOf(appKey)?.terminate();
        });
      },
    });
  }

  platform.add({
    id: 'writer',
    rng: rng.fork('writer'),
    start: (env) =>
      track(
        'writer',
        startWriter({
          clock: env.clock,
          ports: {
            tickBuffer: env.guardPort(ports.tickBuffer),
            store: env.guardPort(ports.store),
            heartbeats: env.guardPort(ports.heartbeats),
            mirror: env.guardPort(ports.mirror),
          },
          config,
          random: env.rng ? () => env.rng!.next() : undefined,
        }),
      ),
  });

  platform.add({
    id: 'recovery-worker',
    rng: rng.fork('recovery-worker'),
    start: (env) => {
      const { bus, close } = busFor(ports, env);
      const handle = startRecoveryWorker({
        clock: env.clock,
        ports: {
          store: env.guardPort(
            recordingBackfill(ports.store, (at) => (observer.lastBackfillAt = at), kernel),
          ),
          brokerRest: env.guardPort(brokers.kis.rest(REST_APP_KEY)),
          eventBus: bus,
          heartbeats: env.guardPort(ports.heartbeats),
          mirror: env.guardPort(ports.mirror),
          rateLimitStore: env.guardPort(ports.rateLimitStore),
        },
        config,
        name: 'recovery-worker',
        random: env.rng ? () => env.rng!.next() : undefined,
        onRequest: (info: { at: number; symbol: string; gapId: string }) => observer.backfillRequest(info),
        onGrant: (info: { at: number; mode: 'global' | 'local'; localRatePerSec?: number }) =>
          observer.grant(info),
      } as never);
      return track('recovery-worker', handle as ComponentHandle, close);
    },
  });

  const supervisorDisk = new MemoryOutboxStore();
  platform.add({
    id: 'supervisor',
    rng: rng.fork('supervisor'),
    start: (env) => {
      const { bus, close } = busFor(ports, env);
      const probe = (p: () => Promise<unknown>) => () => p().then(() => undefined);
      const handle = startSupervisor({
        clock: env.clock,
        ports: {
          heartbeats: env.guardPort(ports.heartbeats),
          mirror: env.guardPort(ports.mirror),
          eventBus: bus,
          processControl: env.guardPort(platform),
          ledger: env.guardPort(ports.store),
          outboxStore: env.guardPort(supervisorDisk),
          probes: {
            'redis-main': probe(() => env.guardPort(ports.mirror).get('supervisor')),
            'redis-gatekeeper': probe(() => env.guardPort(ports.rateLimitStore).ping()),
            timescaledb: probe(() => env.guardPort(ports.store).ping()),
            'broker-rest': probe(() => env.guardPort(brokers.kis).pingRest()),
          },
        },
        config,
        coverage,
        volumes,
        rng: env.rng ? () => env.rng!.next() : undefined,
        name: `supervisor#${env.generation}`,
        onEvent: (e) => observer.supervisorEvent(e, kernel.now()),
      });
      return track('supervisor', handle, close);
    },
  });

  return world;
}

/** The worker's view of the store, noting when back-filled bars land (time to full recovery). */
function recordingBackfill(store: Store, onBackfill: (at: number) => void, kernel: Kernel): Store {
  return new Proxy(store, {
    get(target, key) {
      const value = Reflect.get(target, key, target);
      if (key === 'upsertBars') {
        return (bars: Bar[], source: BarSource) =>
          target.upsertBars(bars, source).then(() => {
            if (source === 'backfill' && bars.length > 0) onBackfill(kernel.now());
          });
      }
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** broker-rest and broker-ws faults act on both brokers' models. */
function attachBrokerFaults(
  dependencies: Map<string, SimDependency>,
  brokers: Record<BrokerName, SimBroker>,
): void {
  const all = Object.values(brokers);
  dependencies.get('broker-rest')!.attach({ onChange: (c) => all.forEach((b) => b.applyRestCondition(c)) });
  dependencies.get('broker-ws')!.attach({ onChange: (c) => all.forEach((b) => b.applyWsCondition(c)) });
}
