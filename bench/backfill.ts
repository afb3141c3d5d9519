// Back-fill benchmark (prints, asserts nothing; issue 5): a 10-minute gap on 500 symbols filled by the
// real recovery worker from the broker emulator at the KIS limit (20 req/s), next to the KIS-sample
// baseline (one request, then a fixed 1000 / limit ms sleep). Targets: achieved req/s >= 0.95 x limit;
// total time <= 1.05 x the lower bound (the ideal scheduler: ceil(pages / limit) s + one answer).
// Run: npx tsx bench/backfill.ts  (env TG_BENCH_SYMBOLS 500, TG_BENCH_GAP_MINUTES 10, TG_BENCH_RATE 20,
// TG_BENCH_ROUNDS 2, TG_BENCH_CONCURRENCY (default: config), TG_BENCH_NAIVE 0 to skip the baseline,
// TG_BENCH_BUCKETS process,exact (see workerRound.ts), TG_BENCH_BROKER_LATENCY_MS 0 (extra answer time);
// REDIS_URL / GATEKEEPER_REDIS_URL / DATABASE_URL reuse servers, else throwaway ones are started).
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import pg from 'pg';
import { defaultConfig, type TgConfig } from '../machines/config.ts';
import { startEmulator, type EmulatorHandle } from '../runtime/emulator/index.ts';
import { startPostgres, startRedis, type ServerHandle } from '../test/infra/servers.ts';
import { connectWhenUp } from './pgConnect.ts';
import { lowerBoundSeconds, makeGaps, type GapSet } from './backfill/gaps.ts';
import { runNaiveRound } from './backfill/naiveRound.ts';
import { spacing, type Call, type KeyStats } from './backfill/recorder.ts';
import { runWorkerRound, type BucketWiring } from './backfill/workerRound.ts';

const SYMBOLS = Number(process.env.TG_BENCH_SYMBOLS ?? 500);
const GAP_MINUTES = Number(process.env.TG_BENCH_GAP_MINUTES ?? 10);
const RATE = Number(process.env.TG_BENCH_RATE ?? 20);
const ROUNDS = Number(process.env.TG_BENCH_ROUNDS ?? 2);
const CONCURRENCY = process.env.TG_BENCH_CONCURRENCY;
/** Extra broker answer time (the emulator's `slow` fault); a real broker answers in tens of ms. */
const LATENCY_MS = Number(process.env.TG_BENCH_BROKER_LATENCY_MS ?? 0);
const NAIVE = process.env.TG_BENCH_NAIVE !== '0';
const BUCKETS = (process.env.TG_BENCH_BUCKETS ?? 'process,exact').split(',') as BucketWiring[];
const BUCKET_LABEL: Record<BucketWiring, string> = {
  process: 'worker, bucket as the process',
  exact: 'worker, exact GCRA spacing',
};
/** The window ends this long before now: every minute of it is complete. */
const END_AGO_MS = 3 * 60_000;
const REQUEST_TIMEOUT_MS = 10_000;
const runId = randomBytes(3).toString('hex');

interface Row {
  round: number;
  path: string;
  stats: KeyStats;
  elapsedMs: number;
  calls: Call[];
  lowerBoundS: number;
  note: string;
}

function benchConfig(): TgConfig {
  const config = defaultConfig();
  config.gatekeeper.limits.kis = { ratePerSec: RATE, burst: 1 };
  if (CONCURRENCY) config.recovery.concurrency = Number(CONCURRENCY);
  return config;
}

async function volumes(emu: EmulatorHandle): Promise<{ symbol: string; volume: number }[]> {
  const res = await fetch(`${emu.url}/_emulator/symbols`);
  const list = (await res.json()) as { symbol: string; prevVolume: number }[];
  return list.map((s) => ({ symbol: s.symbol, volume: s.prevVolume }));
}

const fmt = (n: number, d = 2) => (Number.isFinite(n) ? n.toFixed(d) : '-');

function print(rows: Row[], pagesNeeded: number): void {
  const cols = (c: string[]) =>
    `${c[0].padStart(3)}  ${c[1].padEnd(32)} ${c[2].padStart(8)} ${c[3].padStart(8)} ${c[4].padStart(6)} ${c[5].padStart(8)} ${c[6].padStart(7)} ${c[7].padStart(8)} ${c[8].padStart(8)} ${c[9].padStart(8)}`;
  console.log(
    `\n${cols(['#', 'path', 'requests', 'rejected', 'max/s', 'seconds', 'req/s', 'x limit', 'bound s', 'x bound'])}`,
  );
  for (const r of rows) {
    const s = r.elapsedMs / 1000;
    const rps = r.stats.requests / s;
    console.log(
      cols([
        String(r.round),
        r.path,
        String(r.stats.requests),
        String(r.stats.rejections),
        String(r.stats.maxRequestsInAnySecond),
        fmt(s),
        fmt(rps),
        fmt(rps / RATE, 3),
        fmt(r.lowerBoundS),
        fmt(s / r.lowerBoundS, 3),
      ]),
    );
  }
  console.log(
    `\npages needed ${pagesNeeded} (${SYMBOLS} gaps of ${GAP_MINUTES} min: ${GAP_MINUTES + 1} minutes each with the two ` +
      `boundary minutes, 30 bars a page); limit ${RATE} req/s; bound = ceil(pages / limit) s + the fastest answer seen.`,
  );
  console.log(
    'targets for the worker: x limit >= 0.95 and x bound <= 1.05. requests, rejected and max/s (most requests in any\n' +
      "1000 ms) are the emulator's counts for the path's app key; seconds: first request to the last gap recovered\n" +
      '(worker) or to the last answer (baseline).',
  );
  console.log('\nnotes');
  for (const r of rows) console.log(`${String(r.round).padStart(3)}  ${r.path}: ${r.note}`);
  console.log(
    `\nload average at the end ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')} (2-core machine; other work skews wall time)`,
  );
}

function spacingNote(calls: Call[]): string {
  const sp = spacing(calls);
  return `send spacing mean ${fmt(sp.meanMs, 1)} p50 ${fmt(sp.p50Ms, 1)} p90 ${fmt(sp.p90Ms, 1)} ms; answer min ${fmt(sp.minResponseMs, 1)} med ${fmt(sp.medianResponseMs, 1)} ms`;
}

/** Servers and the emulator we started die with the bench, even on Ctrl-C or a closed pipe. */
const started: ServerHandle[] = [];
let emulator: EmulatorHandle | undefined;
let admin: pg.Client | undefined;
const schemas: string[] = [];

async function cleanUp(): Promise<void> {
  if (admin) {
    for (const schema of schemas.splice(0))
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
    await admin.end().catch(() => undefined);
    admin = undefined;
  }
  await emulator?.close();
  emulator = undefined;
  await Promise.allSettled(started.splice(0).map((s) => s.destroy()));
}

function abort(): void {
  void cleanUp().finally(() => process.exit(130));
}
process.once('SIGINT', abort);
process.once('SIGTERM', abort);
process.stdout.on('error', abort);

async function own(start: () => Promise<ServerHandle>): Promise<string> {
  const s = await start();
  started.push(s);
  return s.url;
}

async function main(): Promise<void> {
  const redisUrl = process.env.REDIS_URL ?? (await own(startRedis));
  const gatekeeperUrl = process.env.GATEKEEPER_REDIS_URL ?? (await own(startRedis));
  const databaseUrl = process.env.DATABASE_URL ?? (await own(startPostgres));
  admin = await connectWhenUp(databaseUrl);
  emulator = await startEmulator({
    symbols: SYMBOLS,
    rateLimitPerSec: RATE,
    historyMinutes: GAP_MINUTES + END_AGO_MS / 60_000 + 5,
  });
  const emu = emulator;
  if (LATENCY_MS > 0) {
    const res = await fetch(`${emu.url}/_emulator/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'slow', forMs: 24 * 3600_000, byMs: LATENCY_MS }),
    });
    if (!res.ok) throw new Error(`emulator slow fault: HTTP ${res.status}`);
  }
  const universe = (await volumes(emu)).slice(0, SYMBOLS);
  const config = benchConfig();
  console.log(
    `back-fill bench: ${universe.length} symbols, ${GAP_MINUTES}-minute gaps ending ${END_AGO_MS / 60_000} min ago, ` +
      `KIS limit ${RATE} req/s (burst ${config.gatekeeper.limits.kis.burst}), recovery concurrency ` +
      `${config.recovery.concurrency}, ${ROUNDS} round(s); gaps through the event bus (COLLECTOR_DOWN + COLLECTOR_UP)` +
      (LATENCY_MS > 0 ? `; broker answers delayed ${LATENCY_MS} ms` : '') +
      (started.length > 0 ? '; throwaway servers' : ''),
  );
  const rows: Row[] = [];
  let gapSet: GapSet | undefined;
  for (let round = 1; round <= ROUNDS; round++) {
    const tag = `${runId}-${round}`;
    gapSet = makeGaps(universe, { now: Date.now(), minutes: GAP_MINUTES, endAgoMs: END_AGO_MS, tag });
    for (const bucket of BUCKETS) {
      const variant = `${tag}-${bucket}`;
      const schema = `bench_backfill_${runId}_${round}_${bucket}`;
      schemas.push(schema);
      const w = await runWorkerRound(
        {
          bucket,
          emulatorUrl: emu.url,
          emulatorWsUrl: emu.wsUrl,
          redisUrl,
          gatekeeperUrl,
          databaseUrl,
          schema,
          prefix: `tg:bench:${variant}:`,
          appKey: `bench-worker-${variant}`,
          config,
          requestTimeoutMs: REQUEST_TIMEOUT_MS,
          deadlineMs: 4000 * Math.ceil(gapSet.pagesNeeded / RATE) + 30_000,
        },
        gapSet,
      );
      rows.push({
        round,
        path: BUCKET_LABEL[bucket],
        stats: w.emulator,
        elapsedMs: w.elapsedMs,
        calls: w.calls,
        lowerBoundS: lowerBoundSeconds(gapSet.pagesNeeded, RATE, spacing(w.calls).minResponseMs),
        note:
          `recovered ${w.recovered}/${gapSet.gaps.length} (ledger ${w.ledgerRecovered}, sampled bars = truth ${w.barsMatch}); ` +
          `worker requests ${w.worker?.requests ?? '-'} rejections ${w.worker?.rejections ?? '-'}; ` +
          `${spacingNote(w.calls)}; event loop delay p99 ${fmt(w.loopDelayP99Ms, 1)} max ${fmt(w.loopDelayMaxMs, 1)} ms; ` +
          `events published -> first request ${fmt(w.intakeMs, 0)} ms (not timed)`,
      });
      console.log(`round ${round}/${ROUNDS}: ${BUCKET_LABEL[bucket]} done`);
    }
    if (NAIVE) {
      const n = await runNaiveRound(
        {
          emulatorUrl: emu.url,
          emulatorWsUrl: emu.wsUrl,
          appKey: `bench-naive-${tag}`,
          ratePerSec: RATE,
          requestTimeoutMs: REQUEST_TIMEOUT_MS,
        },
        gapSet,
      );
      rows.push({
        round,
        path: `naive: sleep ${fmt(1000 / RATE, 0)} ms between`,
        stats: n.emulator,
        elapsedMs: n.elapsedMs,
        calls: n.calls,
        lowerBoundS: lowerBoundSeconds(gapSet.pagesNeeded, RATE, spacing(n.calls).minResponseMs),
        note: `fetch only (no ledger, no store); failed ${n.failed}; ${spacingNote(n.calls)}`,
      });
      console.log(`round ${round}/${ROUNDS}: baseline done`);
    }
  }
  print(rows, gapSet?.pagesNeeded ?? 0);
}

try {
  await main();
} catch (e) {
  console.error(e);
  process.exitCode = 1;
} finally {
  await cleanUp();
}
