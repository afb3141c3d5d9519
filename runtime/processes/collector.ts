// `tickguard collector --name NAME`: one broker collector, exactly the actors/collector.ts assembly
// on real ports: the broker's WebSocket, the Redis tick buffer, a disk spool at
// <spoolDir>/<name>.spool, heartbeats, the state mirror and the event bus.
import { join } from 'node:path';
import { startCollector } from '../../actors/collector.ts';
import { realClock } from '../clock.ts';
import { FileSpool } from '../disk/index.ts';
import { requireCollector, type LiveConfig } from '../config/index.ts';
import type { Logger } from '../log.ts';
import { logStateChanges } from './observe.ts';
import type { Service } from './service.ts';
import type { StartingBeat } from './startingBeat.ts';
import { resolveCoverage } from './symbols.ts';
import { openRedis } from './redisWiring.ts';
import { ensureDir, openBroker, openStore } from './wiring.ts';

export async function startCollectorProcess(
  config: LiveConfig,
  name: string | undefined,
  log: Logger,
  fatal: (error: unknown) => void,
  starting?: StartingBeat,
): Promise<Service> {
  const settings = requireCollector(config, name);
  ensureDir(config.spoolDir);
  const broker = openBroker(config, settings.broker, 'ws', log, settings.id, settings);
  const redis = openRedis(config, settings.id, log);
  // Only for volumes: the collector never writes to PostgreSQL.
  const store = config.database.url ? openStore(config, { migrate: false, log }) : undefined;
  const { coverage, volumes, rankedBy } = await resolveCoverage(
    config,
    store ? () => store.symbolVolumes() : undefined,
    log,
    [settings],
  );
  await store?.close();
  const symbols = coverage[settings.id];
  const spoolPath = join(config.spoolDir, `${settings.name}.spool`);
  const spool = new FileSpool(spoolPath, { log: log.child({ part: 'spool' }) });
  await starting?.stop();
  const handle = startCollector({
    clock: realClock,
    ports: {
      brokerWs: broker.ws,
      tickBuffer: redis.tickBuffer,
      spool,
      heartbeats: redis.heartbeats,
      mirror: redis.mirror,
      eventBus: redis.eventBus,
    },
    config: config.tuning,
    name: settings.id,
    broker: settings.broker,
    symbols,
    volumes,
    random: Math.random,
  });
  const unobserve = logStateChanges(handle.actor, handle.state, log, fatal);
  return {
    readyFields: { broker: settings.broker, symbols: symbols.length, rankedBy, spool: spoolPath },
    async stop() {
      unobserve();
      const stats = handle.stats();
      handle.stop();
      log.info('collector stats', { ...stats, broker: broker.stats() });
      await Promise.all([redis.close(), spool.close()]);
    },
  };
}
