// `tickguard recovery-worker`: the actors/recoveryWorker.ts assembly on real ports: the gap ledger in
// PostgreSQL, the back-fill broker's REST client, the event bus, and the shared rate limit on
// redis-gatekeeper (limits from the brokers' config).
import type { GatekeeperClient } from '../../actors/gatekeeperClient.ts';
import { startRecoveryWorker } from '../../actors/recoveryWorker.ts';
import { TgError } from '../../machines/errors.ts';
import { realClock } from '../clock.ts';
import type { LiveConfig } from '../config/index.ts';
import type { Logger } from '../log.ts';
import { logStateChanges } from './observe.ts';
import type { Service } from './service.ts';
import type { StartingBeat } from './startingBeat.ts';
import { openRedis, withDeadline } from './redisWiring.ts';
import { openBroker, openRateLimitStore, openStore } from './wiring.ts';

const WARM_UP_MS = 3000;

export async function startRecoveryWorkerProcess(
  config: LiveConfig,
  log: Logger,
  fatal: (error: unknown) => void,
  starting?: StartingBeat,
): Promise<Service> {
  const brokerName = config.backfillBroker;
  if (!brokerName) {
    throw new TgError(
      'TG_ERR_CONFIG',
      'the recovery worker needs a broker to back-fill from; fix: configure brokers.kis (or brokers.kiwoom) with restUrl and keys',
      { field: 'brokers' },
    );
  }
  const name = 'recovery-worker';
  const broker = openBroker(config, brokerName, 'rest', log, name);
  const redis = openRedis(config, name, log);
  const rateLimitStore = openRateLimitStore(config, name, log);
  const store = openStore(config, { migrate: true, log });
  await store.ready().catch((e) =>
    log.warn('store not reachable at start; the worker retries', {
      error: e instanceof Error ? e.message : String(e),
    }),
  );
  // Token and connection before the first grant: a granted request must not wait for them.
  // Bounded: with the broker down the worker still starts and works the ledger once it is back.
  const warm = await withDeadline(broker.warmUp(), WARM_UP_MS, 'broker warm-up').catch(() => false);
  if (!warm) log.warn('broker warm-up failed; the first request issues the token');
  await starting?.stop();
  // Each request is logged with the gatekeeper's mode: recovery start latency, dispatch order and
  // local-mode back-fill are read from these lines (operators and chaos tests alike).
  const started: { gatekeeper?: GatekeeperClient } = {};
  const handle = startRecoveryWorker({
    clock: realClock,
    ports: {
      store,
      brokerRest: broker.rest,
      eventBus: redis.eventBus,
      heartbeats: redis.heartbeats,
      mirror: redis.mirror,
      rateLimitStore,
    },
    config: config.tuning,
    name,
    random: Math.random,
    requestTimeoutMs: config.brokers[brokerName]?.requestTimeoutMs,
    onRequest: ({ at, symbol, gapId, from, to }) =>
      log.info('backfill request', {
        gapId,
        symbol,
        at,
        from: from === undefined ? undefined : new Date(from).toISOString(),
        to: to === undefined ? undefined : new Date(to).toISOString(),
        gatekeeperMode: started.gatekeeper?.mode(),
      }),
  });
  started.gatekeeper = handle.gatekeeper;
  const unobserve = logStateChanges(handle.actor, handle.state, log, fatal);
  const unobserveMode = logGatekeeperMode(handle.gatekeeper, log);
  return {
    readyFields: {
      broker: brokerName,
      rateLimitPerSec: config.tuning.gatekeeper.limits[brokerName]?.ratePerSec,
    },
    async stop() {
      unobserve();
      unobserveMode();
      const stats = handle.stats();
      handle.stop();
      log.info('recovery worker stats', { ...stats });
      await Promise.all([redis.close(), rateLimitStore.close(), store.close()]);
    },
  };
}

/** One line per change of the gatekeeper client's mode (global: shared bucket; local: own share). */
function logGatekeeperMode(gatekeeper: GatekeeperClient, log: Logger): () => void {
  let last = gatekeeper.mode();
  const sub = gatekeeper.actor.subscribe({
    next: () => {
      const mode = gatekeeper.mode();
      if (mode === last) return;
      last = mode;
      log.info('gatekeeper mode', {
        mode,
        localRatePerSec: mode === 'local' ? gatekeeper.localRatePerSec() : undefined,
      });
    },
    error: () => {},
  });
  return () => sub.unsubscribe();
}
