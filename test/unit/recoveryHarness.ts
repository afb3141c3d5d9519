// Test world for the recovery worker: simulator kernel on a KST trading day, in-memory ports, and a
// scripted broker whose minute bars are known (truth), with latency, rate limit, outages and a
// today-only history like KIS's inquire-time-itemchartprice.
import { Kernel } from '../../sim/kernel/index.ts';
import { createMemoryPorts, type MemoryPorts } from '../../ports/memory/index.ts';
import { TgError } from '../../machines/errors.ts';
import { MINUTE_MS, kstDay, kstMidnight, kstTime, minuteOf } from '../../machines/marketHours.ts';
import { defaultConfig, type TgConfig } from '../../machines/config.ts';
import type { Bar, Gap, TgEvent } from '../../machines/types.ts';
import type { BrokerRest, MinuteBarPage } from '../../ports/broker.ts';
import type { Clock } from '../../ports/clock.ts';
import {
  startRecoveryWorker,
  type RecoveryWorkerDeps,
  type RecoveryWorkerHandle,
} from '../../actors/recoveryWorker.ts';

export const DAY = '20250919';
export const T0 = kstTime(DAY, '09:00');
export const at = (hhmm: string): number => kstTime(DAY, hhmm);

/** Deterministic truth bar; minutes listed in `quiet` had no trades. */
export function truthBar(symbol: string, minute: number): Bar {
  const k = (minute / MINUTE_MS) % 97;
  const base = 1000 + (symbol.charCodeAt(5) % 7) * 100 + k;
  return { symbol, minute, open: base, high: base + 5, low: base - 5, close: base + 1, volume: 100 + k };
}

export interface BrokerRequest {
  at: number;
  symbol: string;
  beforeOrAt: number;
  outcome: 'ok' | 'rejected' | 'down';
}

export class ScriptedBroker implements BrokerRest {
  readonly broker = 'kis' as const;
  readonly appKey = 'test-app-key';
  readonly requests: BrokerRequest[] = [];
  down = false;
  latencyMs = 40;
  rateLimitPerSec = 20;
  /** Reject this many of the next requests (on top of the rate limit). */
  rejectNext = 0;
  quiet = new Set<string>();
  private readonly clock: Clock;
  private readonly sessionStart: number;

  constructor(clock: Clock, sessionStart = T0) {
    this.clock = clock;
    this.sessionStart = sessionStart;
  }

  /**
   * HTTP requests each call makes before its answer (Kiwoom paging back to an older minute): each is
   * counted against the rate limit and needs a permit (the next token) before it.
   */
  extraPages = 0;

  async minuteBars(symbol: string, beforeOrAt: number, permit?: () => Promise<void>): Promise<MinuteBarPage> {
    for (let i = 0; i < this.extraPages; i++) {
      await this.request(symbol, beforeOrAt);
      if (!permit) throw new TgError('TG_ERR_BROKER_HTTP', 'a further page without a permit', {});
      await permit();
    }
    return this.request(symbol, beforeOrAt);
  }

  private request(symbol: string, beforeOrAt: number): Promise<MinuteBarPage> {
    const now = this.clock.now();
    const recent = this.requests.filter((r) => r.outcome === 'ok' && r.at > now - 1000).length;
    if (this.down) {
      this.requests.push({ at: now, symbol, beforeOrAt, outcome: 'down' });
      return this.later(() => {
        throw new TgError('TG_ERR_BROKER_DOWN', 'kis REST unreachable', {});
      });
    }
    if (this.rejectNext > 0 || recent >= this.rateLimitPerSec) {
      if (this.rejectNext > 0) this.rejectNext--;
      this.requests.push({ at: now, symbol, beforeOrAt, outcome: 'rejected' });
      return this.later(() => {
        throw new TgError('TG_ERR_BROKER_REJECTED', 'kis: EGW00201 (HTTP 500)', {
          status: 500,
          msgCd: 'EGW00201',
          retryAfterMs: 1000,
        });
      });
    }
    this.requests.push({ at: now, symbol, beforeOrAt, outcome: 'ok' });
    const page = this.page(symbol, now, beforeOrAt);
    return this.later(() => page);
  }

  /** Today's bars only, newest first, up to 30, the current minute partial (half its volume). */
  page(symbol: string, now: number, beforeOrAt: number): MinuteBarPage {
    const newest = Math.min(minuteOf(now), minuteOf(beforeOrAt));
    const first = Math.max(this.sessionStart, kstMidnight(now));
    const bars: Bar[] = [];
    let m = newest;
    for (; m >= first && bars.length < 30; m -= MINUTE_MS) {
      if (this.quiet.has(`${symbol}@${m}`)) continue;
      const bar = truthBar(symbol, m);
      bars.push(m === minuteOf(now) ? { ...bar, volume: Math.floor(bar.volume / 2) } : bar);
    }
    return { bars, exhausted: m < first };
  }

  okRequests(): BrokerRequest[] {
    return this.requests.filter((r) => r.outcome === 'ok');
  }

  private later<T>(settle: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.clock.setTimeout(() => {
        try {
          resolve(settle());
        } catch (e) {
          reject(e);
        }
      }, this.latencyMs);
    });
  }
}

export interface RecoveryWorld {
  kernel: Kernel;
  ports: MemoryPorts;
  broker: ScriptedBroker;
  config: TgConfig;
  worker: RecoveryWorkerHandle;
  requestLog: { at: number; symbol: string; gapId: string }[];
  start(over?: Partial<RecoveryWorkerDeps>): RecoveryWorkerHandle;
  publish(event: TgEvent): Promise<void>;
  run(ms: number): Promise<void>;
  runUntil(t: number): Promise<void>;
  gap(id: string): Gap | undefined;
  dispose(): void;
}

export async function createRecoveryWorld(
  opts: {
    startAt?: number;
    concurrency?: number;
    worker?: Partial<RecoveryWorkerDeps>;
    autoStart?: boolean;
  } = {},
): Promise<RecoveryWorld> {
  const kernel = new Kernel({ startMs: opts.startAt ?? T0, maxTimersPerInstant: 10_000 });
  const ports = createMemoryPorts(kernel.clock);
  const broker = new ScriptedBroker(kernel.clock);
  const base = defaultConfig();
  const config: TgConfig = {
    ...base,
    recovery: { ...base.recovery, concurrency: opts.concurrency ?? base.recovery.concurrency },
  };
  const requestLog: RecoveryWorld['requestLog'] = [];
  const world: RecoveryWorld = {
    kernel,
    ports,
    broker,
    config,
    worker: undefined as unknown as RecoveryWorkerHandle,
    requestLog,
    start(over = {}) {
      world.worker = startRecoveryWorker({
        clock: kernel.clock,
        ports: { ...ports, brokerRest: broker },
        config,
        onRequest: (info) => requestLog.push(info),
        ...opts.worker,
        ...over,
      });
      return world.worker;
    },
    publish: (event) => ports.eventBus.publish(event),
    run: async (ms) => {
      await kernel.runFor(ms);
    },
    runUntil: async (t) => {
      await kernel.runUntil(t);
    },
    gap: (id) => ports.store.gapsNow().find((g) => g.id === id),
    dispose() {
      world.worker?.stop();
      kernel.dispose();
    },
  };
  if (opts.autoStart !== false) world.start();
  await kernel.settle();
  return world;
}

let eventCounter = 0;

export function collectorDown(
  collector: string,
  gaps: { symbol: string; start: number; priority: number }[],
  detectedAt: number,
): TgEvent {
  return {
    type: 'COLLECTOR_DOWN',
    id: `COLLECTOR_DOWN:test:${++eventCounter}`,
    collector,
    symbols: gaps.map((g) => g.symbol),
    gapStart: Math.min(...gaps.map((g) => g.start)),
    detectedAt,
    reason: 'exited',
    gaps: gaps.map((g) => ({
      gapId: `gap:${g.symbol}:${g.start}`,
      symbol: g.symbol,
      start: g.start,
      priority: g.priority,
    })),
  };
}

export function collectorUp(
  collector: string,
  closed: { symbol: string; start: number; end: number }[],
): TgEvent {
  return {
    type: 'COLLECTOR_UP',
    id: `COLLECTOR_UP:test:${++eventCounter}`,
    collector,
    gapEnd: Math.max(...closed.map((c) => c.end)),
    closed: closed.map((c) => ({ gapId: `gap:${c.symbol}:${c.start}`, symbol: c.symbol, end: c.end })),
  };
}

/** Stored bars of `symbol` in [from, to] (minutes inclusive) against the truth. */
export function compareWithTruth(world: RecoveryWorld, symbol: string, from: number, to: number) {
  const stored = new Map((world.ports.store.allBars().get(symbol) ?? []).map((b) => [b.minute, b]));
  const missing: number[] = [];
  const wrong: number[] = [];
  for (let m = from; m <= to; m += MINUTE_MS) {
    if (world.broker.quiet.has(`${symbol}@${m}`) || kstDay(m) !== DAY) continue;
    const bar = stored.get(m);
    const truth = truthBar(symbol, m);
    if (!bar) missing.push(m);
    else if (bar.volume !== truth.volume || bar.close !== truth.close || bar.source !== 'backfill')
      wrong.push(m);
  }
  return { missing, wrong };
}
