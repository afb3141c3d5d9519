// `tickguard writer`: the actors/writer.ts assembly on real ports: Redis tick streams -> PostgreSQL
// (migrated on first connect). A writer that starts while PostgreSQL is down runs degraded and
// connects when it returns. Seeds the symbols table from the config's volumes when it is empty.
import { startWriter } from '../../actors/writer.ts';
import { realClock } from '../clock.ts';
import type { LiveConfig } from '../config/index.ts';
import type { Logger } from '../log.ts';
import { logStateChanges } from './observe.ts';
import type { Service } from './service.ts';
import type { StartingBeat } from './startingBeat.ts';
import { openRedis } from './redisWiring.ts';
import { openStore } from './wiring.ts';

export async function startWriterProcess(
  config: LiveConfig,
  log: Logger,
  fatal: (error: unknown) => void,
  starting?: StartingBeat,
): Promise<Service> {
  const redis = openRedis(config, 'writer', log);
  const store = openStore(config, {
    migrate: true,
    log,
    onOpen: () => void seedSymbols(),
  });
  async function seedSymbols(): Promise<void> {
    if (config.symbolVolumes.size === 0) return;
    try {
      const existing = await store.symbolVolumes();
      if (existing.size > 0) return;
      await store.setSymbolVolumes(config.symbolVolumes);
      log.info('symbols table seeded from the config', { symbols: config.symbolVolumes.size });
    } catch (e) {
      log.warn('could not seed the symbols table', { error: e instanceof Error ? e.message : String(e) });
    }
  }
  // Connect and migrate now if PostgreSQL answers; otherwise the writer's retries will.
  await store.ready().catch((e) =>
    log.warn('store not reachable at start; the writer retries', {
      error: e instanceof Error ? e.message : String(e),
    }),
  );
  await starting?.stop();
  const handle = startWriter({
    clock: realClock,
    ports: { tickBuffer: redis.tickBuffer, store, heartbeats: redis.heartbeats, mirror: redis.mirror },
    config: config.tuning,
    random: Math.random,
    afterStore: crashAfterStore(log),
  });
  const unobserve = logStateChanges(handle.actor, handle.state, log, fatal);
  return {
    readyFields: { schema: config.database.schema },
    async stop() {
      unobserve();
      const stats = handle.stats();
      handle.stop();
      log.info('writer stats', { ...stats });
      await Promise.all([redis.close(), store.close()]);
    },
  };
}

/**
 * Chaos-test hook: TG_CHAOS_WRITER_KILL_AFTER_STORE=N makes the writer SIGKILL itself after its Nth
 * stored pass, between the store's commit and the XACK: the crash window that must not duplicate.
 */
function crashAfterStore(log: Logger): (() => Promise<void>) | undefined {
  const n = Number(process.env.TG_CHAOS_WRITER_KILL_AFTER_STORE ?? '');
  if (!Number.isInteger(n) || n < 1) return undefined;
  let passes = 0;
  return async () => {
    passes += 1;
    if (passes < n) return;
    log.warn('chaos: killing the writer between store and ack', { passes });
    process.kill(process.pid, 'SIGKILL');
    await new Promise(() => {});
  };
}
