// One OS process of the shared-app-key chaos test: a gatekeeper client on redis-gatekeeper plus the
// real KIS REST client, calling minuteBars as fast as the gatekeeper grants until a deadline, then
// printing one JSON summary line on stdout. Run: node --import tsx/esm test/chaos/gatekeeperHammer.ts (env HAMMER_*)
import { createGatekeeperClient } from '../../actors/gatekeeperClient.ts';
import { isTgError } from '../../machines/errors.ts';
import { KRX_HOURS } from '../../machines/marketHours.ts';
import { createBrokerPorts } from '../../runtime/brokers/index.ts';
import { realClock } from '../../runtime/clock.ts';
import { createRedisRateLimitStore, LIVE_TRANSIT_ALLOWANCE_MS } from '../../runtime/gatekeeper/index.ts';
import { createRedisPorts } from '../../runtime/redis/index.ts';

export interface HammerSummary {
  client: string;
  granted: number;
  ok: number;
  rejected: number;
  errors: string[];
  modes: Record<string, number>;
  firstGrantAt: number | null;
  lastGrantAt: number | null;
}

function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`gatekeeperHammer: ${name} is not set`);
  return value;
}

async function main(): Promise<void> {
  const client = env('HAMMER_CLIENT');
  const limit = Number(env('HAMMER_LIMIT'));
  const hammerMs = Number(env('HAMMER_MS'));
  const symbol = env('HAMMER_SYMBOL');
  const prefix = env('HAMMER_PREFIX');
  const appKey = env('HAMMER_APP_KEY');
  const redisMain = createRedisPorts({ url: env('HAMMER_REDIS_URL'), prefix, name: client });
  // As every live process wires it (runtime/processes/wiring.ts openRateLimitStore).
  const store = createRedisRateLimitStore({
    url: env('HAMMER_GATEKEEPER_URL'),
    prefix,
    name: client,
    commandTimeoutMs: 100,
    transitAllowanceMs: LIVE_TRANSIT_ALLOWANCE_MS,
  });
  const config = {
    heartbeatIntervalMs: 500,
    heartbeatTimeoutMs: 2500,
    gatekeeper: {
      safety: 0.8,
      slowCallMs: 100,
      probeIntervalMs: 500,
      limits: { kis: { ratePerSec: limit, burst: 1 } },
    },
  };
  const summary: HammerSummary = {
    client,
    granted: 0,
    ok: 0,
    rejected: 0,
    errors: [],
    modes: {},
    firstGrantAt: null,
    lastGrantAt: null,
  };
  const gatekeeper = createGatekeeperClient({
    clock: realClock,
    store,
    heartbeats: redisMain.heartbeats,
    config,
    broker: 'kis',
    appKey,
    clientId: client,
    random: Math.random,
    onGrant: ({ at, mode }) => {
      summary.modes[mode] = (summary.modes[mode] ?? 0) + 1;
      summary.firstGrantAt ??= at;
      summary.lastGrantAt = at;
    },
  });
  const broker = createBrokerPorts({
    broker: 'kis',
    restUrl: env('HAMMER_REST_URL'),
    wsUrl: env('HAMMER_REST_URL').replace(/^http/, 'ws'),
    appKey,
    appSecret: env('HAMMER_APP_SECRET'),
    clock: realClock,
    sessionHours: { ...KRX_HOURS, always: true },
  });
  // As the recovery worker process does before its first request.
  if (!(await broker.warmUp())) throw new Error('broker warm-up failed');
  // Every process starts hammering at the same instant, once all of them have loaded: the test
  // answers `ready` with `go` on stdin.
  process.stdout.write('ready\n');
  await new Promise<void>((resolve) => process.stdin.once('data', () => resolve()));
  const endAt = Date.now() + hammerMs;
  const inFlight = new Set<Promise<void>>();
  for (;;) {
    try {
      await gatekeeper.acquire(endAt);
    } catch (e) {
      if (isTgError(e, 'TG_ERR_RATE_LIMITED')) break;
      throw e;
    }
    if (Date.now() >= endAt) break;
    summary.granted++;
    // Sent the moment it is granted; the answer is not awaited before asking for the next token.
    const call = broker.rest.minuteBars(symbol, Date.now()).then(
      () => void summary.ok++,
      (e: unknown) => {
        if (isTgError(e, 'TG_ERR_BROKER_REJECTED')) summary.rejected++;
        else summary.errors.push(e instanceof Error ? e.message : String(e));
      },
    );
    inFlight.add(call);
    void call.finally(() => inFlight.delete(call));
  }
  await Promise.all(inFlight);
  gatekeeper.stop();
  process.stdin.destroy();
  await Promise.all([store.close(), redisMain.close()]);
  process.stdout.write(JSON.stringify(summary) + '\n');
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(
      `gatekeeperHammer failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`,
    );
    process.exit(1);
  },
);
