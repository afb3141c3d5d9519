// `tickguard recovery-worker`: the actors/recoveryWorker.ts assembly on real ports: the gap ledger in
// PostgreSQL, the back-fill broker's REST client, the event bus, and the shared rate limit on
// redis-gatekeeper (limits from the brokers' config).
import { startRecoveryWorker } from '../../actors/recoveryWorker.ts';
import { TgError } from '../../machines/errors.ts';
import { realClock } from '../clock.ts';
import type { LiveConfig } from '../config/index.ts';
import type { Logger } from '../log.ts';
import { logStateChanges } from './observe.ts';
import type { Service } from './service.ts';
import type { StartingBeat } from './startingBeat.ts';
import { openRedis } from './redisWiring.ts';
import { openBroker, openRateLimitStore, openStore } from './wiring.ts';

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
  await starting?.stop();
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
  });
  const unobserve = logStateChanges(handle.actor, handle.state, log, fatal);
  return {
    readyFields: {
      broker: brokerName,
      rateLimitPerSec: config.tuning.gatekeeper.limits[brokerName]?.ratePerSec,
    },
    async stop() {
      unobserve();
      const stats = handle.stats();
      handle.stop();
      log.info('recovery worker stats', { ...stats });
      await Promise.all([redis.close(), rateLimitStore.close(), store.close()]);
    },
  };
}
