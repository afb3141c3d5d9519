// One round of the real recovery worker: the actors/recoveryWorker.ts assembly wired like
// runtime/processes/recoveryWorker.ts (PostgreSQL ledger on a fresh schema, Redis bus/heartbeats/
// mirror, the Lua GCRA on redis-gatekeeper, the KIS REST client, the real clock), fed the gaps through
// the event bus; timed from the first broker request to the last gap recovered.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { startRecoveryWorker, type RecoveryWorkerHandle } from '../../actors/recoveryWorker.ts';
import type { TgConfig } from '../../machines/config.ts';
import { MINUTE_MS, minuteOf } from '../../machines/marketHours.ts';
import type { TgEvent } from '../../machines/types.ts';
import type { SchedulerStats } from '../../actors/recoveryScheduler.ts';
import { createBrokerPorts } from '../../runtime/brokers/index.ts';
import { realClock } from '../../runtime/clock.ts';
import { loadConfig } from '../../runtime/config/index.ts';
import { createRedisRateLimitStore, type RedisRateLimitStore } from '../../runtime/gatekeeper/index.ts';
import { createPgStore, type PgStore } from '../../runtime/postgres/index.ts';
import { openRateLimitStore } from '../../runtime/processes/wiring.ts';
import { createRedisPorts } from '../../runtime/redis/index.ts';
import type { GapSet } from './gaps.ts';
import { emulatorKeyStats, recordingRest, statsSince, type Call, type KeyStats } from './recorder.ts';
import { emulatorTruthBars } from '../../test/infra/emulatorTruth.ts';

/**
 * How the shared bucket is reached: 'process' = runtime/processes/wiring.ts openRateLimitStore, what
 * `tickguard recovery-worker` uses (with any spacing it adds); 'exact' = createRedisRateLimitStore
 * with its defaults (grants spaced exactly 1000 / limit ms).
 */
export type BucketWiring = 'process' | 'exact';

export interface RoundSetup {
  bucket: BucketWiring;
  emulatorUrl: string;
  emulatorWsUrl: string;
  redisUrl: string;
  gatekeeperUrl: string;
  databaseUrl: string;
  schema: string;
  prefix: string;
  appKey: string;
  config: TgConfig;
  requestTimeoutMs: number;
  /** Give up waiting for the last gap after this long. */
  deadlineMs: number;
}

export interface WorkerResult {
  /** First broker request to the last GAP_RECOVERED (ms), NaN when not every gap recovered in time. */
  elapsedMs: number;
  recovered: number;
  ledgerRecovered: number;
  calls: Call[];
  emulator: KeyStats;
  worker: SchedulerStats | undefined;
  /** Event-loop delay while the round ran (ms): the bench, the worker and the emulator share it. */
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
  /** Ingest of the two events: their publish to the worker's first request (ms). */
  intakeMs: number;
  /** Sampled gaps whose stored bars equal the emulator's truth, e.g. '5/5'. */
  barsMatch: string;
}

/** Back-filled bars of a few gaps (busiest, middle, quietest) against the emulator's truth. */
async function sampleBarsMatch(store: PgStore, emulatorUrl: string, gapSet: GapSet): Promise<string> {
  const gaps = gapSet.gaps;
  const sample = [0, 1, Math.floor(gaps.length / 2), gaps.length - 2, gaps.length - 1]
    .filter((i, k, all) => i >= 0 && all.indexOf(i) === k)
    .map((i) => gaps[i]);
  let same = 0;
  for (const g of sample) {
    const [from, to] = [minuteOf(g.start), minuteOf(g.end) + MINUTE_MS];
    const truth = (await emulatorTruthBars(emulatorUrl, g.symbol)).filter(
      (b) => b.minute >= from && b.minute < to,
    );
    const stored = await store.bars(g.symbol, from, to);
    const key = (b: { minute: number; close: number; volume: number }) =>
      `${b.minute}:${b.close}:${b.volume}`;
    if (stored.every((b) => b.source === 'backfill') && stored.map(key).join() === truth.map(key).join())
      same++;
  }
  return `${same}/${sample.length}`;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function until(ok: () => boolean, deadline: number, stepMs = 5): Promise<boolean> {
  while (!ok()) {
    if (performance.now() > deadline) return false;
    await sleep(stepMs);
  }
  return true;
}

function openBucket(s: RoundSetup, name: string): RedisRateLimitStore {
  if (s.bucket === 'exact') {
    return createRedisRateLimitStore({
      url: s.gatekeeperUrl,
      prefix: s.prefix,
      commandTimeoutMs: s.config.gatekeeper.slowCallMs,
      name,
    });
  }
  // A real LiveConfig from the environment a process would see, with the bench's tuning.
  const live = loadConfig({
    env: {
      REDIS_URL: s.redisUrl,
      GATEKEEPER_REDIS_URL: s.gatekeeperUrl,
      TG_REDIS_PREFIX: s.prefix,
      DATABASE_URL: s.databaseUrl,
    },
  });
  return openRateLimitStore({ ...live, tuning: s.config }, name);
}

export async function runWorkerRound(s: RoundSetup, gapSet: GapSet): Promise<WorkerResult> {
  const store = await createPgStore({ url: s.databaseUrl, schema: s.schema });
  await store.migrate();
  const name = 'recovery-worker';
  const redis = createRedisPorts({ url: s.redisUrl, prefix: s.prefix, commandTimeoutMs: 1000, name });
  // Another process's view of the bus: the supervisor that publishes, the operator who watches.
  const observer = createRedisPorts({ url: s.redisUrl, prefix: s.prefix, name: 'bench-observer' });
  const rateLimitStore = openBucket(s, name);
  const broker = createBrokerPorts({
    broker: 'kis',
    restUrl: s.emulatorUrl,
    wsUrl: s.emulatorWsUrl,
    appKey: s.appKey,
    appSecret: `${s.appKey}-secret`,
    clock: realClock,
    requestTimeoutMs: s.requestTimeoutMs,
  });
  const rest = recordingRest(broker.rest);
  const recoveredAt: number[] = [];
  let handle: RecoveryWorkerHandle | undefined;
  const loop = monitorEventLoopDelay({ resolution: 5 });
  try {
    // A running process has its token already: one request issues it, well before the round.
    await broker.rest.minuteBars(gapSet.gaps[0].symbol, gapSet.gaps[0].end);
    await sleep(1100);
    const before = await emulatorKeyStats(s.emulatorUrl, s.appKey);
    const unsubscribe = await observer.eventBus.subscribe((e: TgEvent) => {
      if (e.type === 'GAP_RECOVERED') recoveredAt.push(performance.now());
    });
    handle = startRecoveryWorker({
      clock: realClock,
      ports: {
        store,
        brokerRest: rest,
        eventBus: redis.eventBus,
        heartbeats: redis.heartbeats,
        mirror: redis.mirror,
        rateLimitStore,
      },
      config: s.config,
      name,
      random: Math.random,
      requestTimeoutMs: s.requestTimeoutMs,
    });
    const h = handle;
    if (!(await until(() => h.state().startsWith('healthy'), performance.now() + 15_000))) {
      throw new Error(`recovery worker did not become healthy (state ${h.state()})`);
    }
    await sleep(200); // its Pub/Sub subscription is in place (else the stream drain brings the events)
    loop.enable();
    const publishedAt = performance.now();
    await observer.eventBus.publish(gapSet.down);
    await observer.eventBus.publish(gapSet.up);
    const n = gapSet.gaps.length;
    await until(() => recoveredAt.length >= n, performance.now() + s.deadlineMs, 2);
    loop.disable();
    await sleep(1100); // stragglers (retries of rejected calls) would show in the counters
    const after = await emulatorKeyStats(s.emulatorUrl, s.appKey);
    await unsubscribe();
    const first = Math.min(...rest.calls.map((c) => c.sentAt));
    const ledgerRecovered = (await store.listGaps(['recovered'])).length;
    const barsMatch = await sampleBarsMatch(store, s.emulatorUrl, gapSet);
    return {
      elapsedMs: recoveredAt.length >= n ? recoveredAt[n - 1] - first : NaN,
      recovered: recoveredAt.length,
      ledgerRecovered,
      calls: rest.calls,
      emulator: statsSince(before, after),
      worker: h.stats(),
      loopDelayP99Ms: loop.percentile(99) / 1e6,
      loopDelayMaxMs: loop.max / 1e6,
      intakeMs: first - publishedAt,
      barsMatch,
    };
  } finally {
    loop.disable();
    handle?.stop();
    await Promise.allSettled([redis.close(), observer.close(), rateLimitStore.close(), store.close()]);
  }
}
