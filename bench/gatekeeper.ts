// Benchmark of the live gatekeeper: acquire throughput and latency of our Redis GCRA store against
// rate-limiter-flexible (RateLimiterRedis + RateLimiterMemory insurance) on the same Redis and the
// same ioredis client, and the time from SIGKILL of redis-gatekeeper to the first local grant.
// Prints tables only: `npx tsx bench/gatekeeper.ts` (GATEKEEPER_REDIS_URL: use that server for the
// throughput part; the kill part always starts its own server, since it has to kill it).
import { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis } from 'rate-limiter-flexible';
import { localStartDelayMs } from '../machines/gatekeeperMath.ts';
import { gatekeeperRedisOptions, redisRateLimitStoreOn } from '../runtime/gatekeeper/index.ts';
import { startRedis, type ServerHandle } from '../test/infra/servers.ts';
import {
  createLiveGatekeeperWorld,
  liveGatekeeperConfig,
  maxInWindow,
} from '../test/integration/gatekeeperLive.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 12);
const ROUND_MS = Number(process.env.BENCH_ROUND_MS ?? 250);
const KILL_REPEATS = Number(process.env.BENCH_KILL_REPEATS ?? 5);

const OURS = 'tickguard GCRA';
const RLF = 'rate-limiter-flexible';
const FLOOR = 'PING (round-trip floor)';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const pct = (sorted: Float64Array, p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];

/** One call of a limiter: resolves true when granted, false when refused; throws on failure. */
type Call = () => Promise<boolean>;

interface RoundResult {
  opsPerSec: number;
  latenciesUs: number[];
  cpuUsPerCall: number;
  serverUsPerCall: number;
  refused: number;
  errors: number;
}

/** Server CPU per EVALSHA, from INFO commandstats (undefined where CONFIG/INFO are not allowed). */
async function serverUsPerCall(admin: Redis): Promise<number> {
  const info = await admin.info('commandstats');
  const line = info.split('\n').find((l) => l.startsWith('cmdstat_evalsha:'));
  const m = line?.match(/calls=(\d+),usec=(\d+)/);
  return m ? Number(m[2]) / Number(m[1]) : NaN;
}

async function round(call: Call, concurrency: number, admin: Redis): Promise<RoundResult> {
  await admin.config('RESETSTAT').catch(() => undefined);
  const latenciesUs: number[] = [];
  let refused = 0;
  let errors = 0;
  const cpu = process.cpuUsage();
  const start = performance.now();
  const end = start + ROUND_MS;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        const t = performance.now();
        try {
          if (!(await call())) refused++;
          latenciesUs.push((performance.now() - t) * 1000);
        } catch {
          errors++;
        }
      }
    }),
  );
  const elapsed = performance.now() - start;
  const used = process.cpuUsage(cpu);
  return {
    opsPerSec: (latenciesUs.length / elapsed) * 1000,
    latenciesUs,
    cpuUsPerCall: (used.user + used.system) / Math.max(1, latenciesUs.length),
    serverUsPerCall: await serverUsPerCall(admin).catch(() => NaN),
    refused,
    errors,
  };
}

interface Row {
  impl: string;
  path: string;
  concurrency: number;
  opsPerSec: number;
  p50: number;
  p99: number;
  cpu: number;
  server: number;
  refusedPct: number;
  errors: number;
}

async function throughput(url: string): Promise<Row[]> {
  // The same client for both: fail-fast options, 1 s timeout so a loaded machine shows up as
  // latency rather than errors.
  const redis = new Redis(url, gatekeeperRedisOptions({ commandTimeoutMs: 1000, name: 'bench' }));
  const admin = new Redis(url);
  const prefix = `tg:bench:${process.pid}:`;
  const ours = redisRateLimitStoreOn(redis, { prefix, commandTimeoutMs: 1000, ownsClient: false });
  await ours.ping();
  const paths = {
    // A limit no run can reach: every call is granted, the measure is the call path.
    granted: { ratePerSec: 1e9, burst: 1e9, points: 1e9 },
    // One token per second: after the first call everything is refused.
    refused: { ratePerSec: 1, burst: 1, points: 1 },
  };
  const rows: Row[] = [];
  for (const [path, p] of Object.entries(paths)) {
    const rlf = new RateLimiterRedis({
      storeClient: redis,
      keyPrefix: `${prefix}rlf:${path}`,
      points: p.points,
      duration: 1,
      insuranceLimiter: new RateLimiterMemory({ points: p.points, duration: 1 }),
    });
    const limit = { ratePerSec: p.ratePerSec, burst: p.burst };
    const impls: Record<string, Call> = {
      [OURS]: () => ours.acquire(`tg:rl:kis:${path}`, limit).then((r) => r.granted),
      [RLF]: () =>
        rlf.consume(path).then(
          () => true,
          (e: unknown) => {
            if (e instanceof Error) throw e;
            return false; // a RateLimiterRes: refused
          },
        ),
    };
    // The cheapest possible round trip on the same client: no one-call-per-acquire store beats it.
    if (path === 'granted') impls[FLOOR] = () => redis.ping().then(() => true);
    for (const concurrency of [1, 64]) {
      for (const impl of Object.keys(impls)) await round(impls[impl], concurrency, admin); // warm-up
      const results: Record<string, RoundResult[]> = {};
      for (let r = 0; r < ROUNDS; r++) {
        // Alternate the order so drift in machine load hits both alike.
        const order = r % 2 ? Object.keys(impls).reverse() : Object.keys(impls);
        for (const impl of order) (results[impl] ??= []).push(await round(impls[impl], concurrency, admin));
      }
      for (const [impl, rs] of Object.entries(results)) {
        const all = Float64Array.from(rs.flatMap((x) => x.latenciesUs)).sort();
        const calls = all.length;
        rows.push({
          impl,
          path,
          concurrency,
          opsPerSec: median(rs.map((x) => x.opsPerSec)),
          p50: pct(all, 0.5),
          p99: pct(all, 0.99),
          cpu: median(rs.map((x) => x.cpuUsPerCall)),
          server: median(rs.map((x) => x.serverUsPerCall)),
          refusedPct: (100 * rs.reduce((a, x) => a + x.refused, 0)) / Math.max(1, calls),
          errors: rs.reduce((a, x) => a + x.errors, 0),
        });
      }
    }
  }
  await admin.del(...(await admin.keys(`${prefix}*`)), 'noop').catch(() => undefined);
  admin.disconnect();
  redis.disconnect();
  return rows;
}

function printThroughput(rows: Row[]): void {
  const fmt = (n: number, d = 0) => (Number.isFinite(n) ? n.toFixed(d) : '-');
  console.log('\nacquire call path (median of rounds; latency percentiles over all calls of all rounds)');
  console.log(
    'path     conc  implementation             ops/s   p50 µs   p99 µs  client CPU µs/call  server µs/call  refused  errors',
  );
  for (const r of rows) {
    console.log(
      `${r.path.padEnd(8)} ${String(r.concurrency).padStart(4)}  ${r.impl.padEnd(24)} ${fmt(r.opsPerSec).padStart(7)} ${fmt(r.p50).padStart(8)} ${fmt(r.p99).padStart(8)} ${fmt(r.cpu, 1).padStart(19)} ${fmt(r.server, 2).padStart(15)} ${fmt(r.refusedPct, 1).padStart(7)}% ${String(r.errors).padStart(7)}`,
    );
  }
  console.log('\nratio tickguard / rate-limiter-flexible (ops/s; p50 as rlf/ours, so > 1 means faster)');
  for (const path of ['granted', 'refused']) {
    for (const c of [1, 64]) {
      const row = (impl: string) =>
        rows.find((r) => r.path === path && r.concurrency === c && r.impl === impl);
      const ours = row(OURS)!;
      const rlf = row(RLF)!;
      const floor = row(FLOOR);
      console.log(
        `${path.padEnd(8)} c=${String(c).padEnd(3)} throughput ${(ours.opsPerSec / rlf.opsPerSec).toFixed(2)}x   p50 ${(rlf.p50 / ours.p50).toFixed(2)}x   client CPU ${(rlf.cpu / ours.cpu).toFixed(2)}x   server ${(rlf.server / ours.server).toFixed(2)}x` +
          (floor ? `   (PING floor / rlf: ${(floor.opsPerSec / rlf.opsPerSec).toFixed(2)}x)` : ''),
      );
    }
  }
}

/** What the broker sees: 8 callers hammer a 20/s limit for 2.5 s; grant times on the local clock. */
async function brokerView(url: string): Promise<void> {
  const redis = new Redis(url, gatekeeperRedisOptions({ commandTimeoutMs: 1000, name: 'bench' }));
  const prefix = `tg:bench:${process.pid}:window:`;
  const ours = redisRateLimitStoreOn(redis, { prefix, commandTimeoutMs: 1000, ownsClient: false });
  const rlf = new RateLimiterRedis({
    storeClient: redis,
    keyPrefix: `${prefix}rlf`,
    points: 20,
    duration: 1,
    insuranceLimiter: new RateLimiterMemory({ points: 20, duration: 1 }),
  });
  const impls: Record<string, Call> = {
    'tickguard GCRA (20/s, burst 1)': () =>
      ours.acquire('tg:rl:kis:window', { ratePerSec: 20, burst: 1 }).then((r) => r.granted),
    'rate-limiter-flexible (20 / 1 s)': () =>
      rlf.consume('window').then(
        () => true,
        () => false,
      ),
  };
  console.log(
    '\nwhat the broker sees: 8 callers hammer a 20/s limit for 2.5 s (grant times on the local clock)',
  );
  console.log('implementation                      granted  max in any 1000 ms  max in any 100 ms');
  for (const [name, call] of Object.entries(impls)) {
    const grants: number[] = [];
    const end = performance.now() + 2500;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (performance.now() < end) {
          if (await call()) grants.push(performance.now());
          else await sleep(2);
        }
      }),
    );
    grants.sort((a, b) => a - b);
    console.log(
      `${name.padEnd(34)} ${String(grants.length).padStart(8)} ${String(maxInWindow(grants, 1000)).padStart(19)} ${String(maxInWindow(grants, 100)).padStart(18)}`,
    );
  }
  console.log(
    'a fixed window lets a full burst through at the start of each window, so a sliding second sees\n' +
      'up to twice the limit when two bursts fall within 1000 ms of each other (varies run to run)',
  );
  redis.disconnect();
}

interface KillSample {
  detectMs: number;
  firstLocalMs: number;
}

/** SIGKILL the server while one gatekeeper client is busy granting globally; time the fallback. */
async function killOnce(server: ServerHandle, ratePerSec: number, slowCallMs: number): Promise<KillSample> {
  const world = await createLiveGatekeeperWorld({
    gatekeeperUrl: server.url,
    clients: 1,
    config: liveGatekeeperConfig(ratePerSec, { slowCallMs, probeIntervalMs: 5000 }),
    recordCalls: false,
  });
  try {
    world.startDemand(4);
    // Kill only while the client grants globally (on a loaded machine a slow call may send it local).
    for (let i = 0; i < 300 && (world.grants.length < 3 || world.clients[0].mode() !== 'global'); i++) {
      await sleep(10);
    }
    await sleep(Math.random() * (1000 / ratePerSec)); // anywhere within a grant interval
    const killedAt = Date.now();
    await server.kill();
    const localGrant = () => world.grants.find((g) => g.mode === 'local' && g.at >= killedAt);
    for (let i = 0; i < 300 && !localGrant(); i++) await sleep(5);
    const local = localGrant();
    // A slow call before the kill may already have sent the client local: count from the kill on.
    const degraded = world.states.find((s) => s.state === 'degraded' && s.at >= killedAt);
    return {
      detectMs: degraded ? degraded.at - killedAt : NaN,
      firstLocalMs: local ? local.at - killedAt : NaN,
    };
  } finally {
    await world.stop();
    await server.start();
  }
}

async function killToLocal(): Promise<void> {
  const server = await ownServer();
  const configs = [
    { ratePerSec: 20, slowCallMs: 100, label: 'KIS real 20/s, slowCallMs 100 (defaults)' },
    { ratePerSec: 20, slowCallMs: 20, label: 'KIS real 20/s, slowCallMs 20' },
    { ratePerSec: 200, slowCallMs: 20, label: '200/s, slowCallMs 20' },
  ];
  console.log(
    `\nSIGKILL of redis-gatekeeper -> first local grant through createGatekeeperClient (${KILL_REPEATS} kills each)`,
  );
  console.log(
    'config                                     floor ms   kill->local mode ms (min/med/max)   kill->first local grant ms (min/med/max)',
  );
  try {
    for (const c of configs) {
      const samples: KillSample[] = [];
      for (let i = 0; i < KILL_REPEATS; i++) samples.push(await killOnce(server, c.ratePerSec, c.slowCallMs));
      const limit = { ratePerSec: c.ratePerSec, burst: 1 };
      const floor = localStartDelayMs({ limit, safety: 0.8, slowCallMs: c.slowCallMs } as Parameters<
        typeof localStartDelayMs
      >[0]);
      const triple = (xs: number[]) => {
        const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
        if (!s.length) return '-';
        return `${s[0]} / ${median(s)} / ${s[s.length - 1]}`;
      };
      console.log(
        `${c.label.padEnd(42)} ${floor.toFixed(1).padStart(8)}   ${triple(samples.map((s) => s.detectMs)).padStart(33)}   ${triple(samples.map((s) => s.firstLocalMs)).padStart(38)}`,
      );
    }
  } finally {
    await server.destroy();
  }
  console.log(
    'floor = localStartDelayMs (one local slot + slowCallMs): the client never grants locally sooner after\n' +
      'entering local mode, so that grants made just before the outage plus local ones fit the limit.',
  );
}

/** Servers we started die with the bench, even on Ctrl-C or a closed pipe (`| head`). */
const started = new Set<ServerHandle>();
async function ownServer(): Promise<ServerHandle> {
  const server = await startRedis();
  started.add(server);
  return server;
}
function abort(): void {
  void Promise.all([...started].map((s) => s.destroy())).finally(() => process.exit(130));
}
process.once('SIGINT', abort);
process.once('SIGTERM', abort);
process.stdout.on('error', abort);

async function main(): Promise<void> {
  let server: ServerHandle | undefined;
  const url = process.env.GATEKEEPER_REDIS_URL ?? (server = await ownServer()).url;
  try {
    printThroughput(await throughput(url));
    await brokerView(url);
  } finally {
    await server?.destroy();
  }
  await killToLocal();
}

await main();
