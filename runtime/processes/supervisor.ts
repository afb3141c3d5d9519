// `tickguard supervisor`: the actors/supervisor.ts assembly on real ports: heartbeats, mirror and
// event bus on redis-main, probes of the infrastructure, the gap ledger in PostgreSQL, the outbox
// on local disk, and a ProcessControl (child processes under `up`; none when Docker restarts).
// The supervisor also beats and mirrors itself so `health supervisor` and `status` can see it.
// Several may run: the one holding the lease tg:lease:supervisor acts, the others stand by.
import { join } from 'node:path';
import { startSupervisor } from '../../actors/supervisor.ts';
import type { TgConfig } from '../../machines/config.ts';
import { TgError } from '../../machines/errors.ts';
import type { ProcessControl } from '../../ports/processControl.ts';
import { realClock } from '../clock.ts';
import type { LiveConfig } from '../config/index.ts';
import { FileOutboxStore } from '../disk/index.ts';
import { RedisLease } from '../redis/index.ts';
import type { Logger } from '../log.ts';
import { createNoProcessControl } from '../processControl/none.ts';
import { logStateChanges } from './observe.ts';
import type { Service } from './service.ts';
import { leaseOwner, startLeadership, type Leading } from './leadership.ts';
import { resolveCoverage } from './symbols.ts';
import { openRedis } from './redisWiring.ts';
import { ensureDir, openRateLimitStore, openStore } from './wiring.ts';

export const SUPERVISOR_ID = 'supervisor';

export interface SupervisorProcessOptions {
  processControl?: ProcessControl;
}

/**
 * The graph the supervisor watches: no recovery worker when no broker can back-fill. Without process
 * control (compose: the platform's restart policy restarts) nothing is restartable by the supervisor:
 * its restart orders could only fail, and each failed order counted toward the restart limit, so one
 * crash made the component `failed` within seconds and its return was ignored for restart.windowMs.
 */
export function supervisedConfig(config: LiveConfig, canRestart = true): TgConfig {
  let components = config.tuning.components;
  if (!config.backfillBroker) components = components.filter((c) => c.id !== 'recovery-worker');
  if (!canRestart) components = components.map((c) => ({ ...c, restartable: false }));
  return components === config.tuning.components ? config.tuning : { ...config.tuning, components };
}

/** broker-rest is reachable when its REST endpoint answers HTTP at all (5xx gateway errors = down). */
export function httpReachability(url: string, timeoutMs: number): () => Promise<void> {
  return async () => {
    let res: Response;
    try {
      res = await fetch(url, { method: 'GET', signal: AbortSignal.timeout(timeoutMs) });
    } catch (e) {
      throw new TgError('TG_ERR_BROKER_DOWN', `broker REST does not answer (${(e as Error).name})`);
    }
    await res.body?.cancel().catch(() => {});
    if (res.status === 502 || res.status === 503 || res.status === 504) {
      throw new TgError('TG_ERR_BROKER_DOWN', `broker REST answers HTTP ${res.status}`);
    }
  };
}

export async function startSupervisorProcess(
  config: LiveConfig,
  log: Logger,
  fatal: (error: unknown) => void,
  options: SupervisorProcessOptions = {},
): Promise<Service> {
  ensureDir(config.spoolDir);
  const redis = openRedis(config, SUPERVISOR_ID, log);
  const rateLimitStore = openRateLimitStore(config, SUPERVISOR_ID, log);
  const store = openStore(config, { migrate: false, log });
  const processControl = options.processControl ?? createNoProcessControl();
  const { coverage, volumes, rankedBy } = await resolveCoverage(config, () => store.symbolVolumes(), log);
  const tuning = supervisedConfig(config, options.processControl !== undefined);
  const interval = tuning.heartbeatIntervalMs;
  const backfill = config.backfillBroker ? config.brokers[config.backfillBroker] : undefined;
  const probes: Record<string, () => Promise<void>> = {
    'redis-main': () => redis.ping(),
    'redis-gatekeeper': () => rateLimitStore.ping(),
    timescaledb: () => store.ping(),
  };
  if (backfill?.restUrl) probes['broker-rest'] = httpReachability(backfill.restUrl, interval);
  const outboxPath = join(config.spoolDir, 'supervisor.outbox');

  /** The supervisor proper: runs while this process holds the lease (or cannot learn who does). */
  const lead = (token: number | undefined): Leading => {
    const handle = startSupervisor({
      clock: realClock,
      ports: {
        heartbeats: redis.heartbeats,
        mirror: redis.mirror,
        eventBus: redis.eventBus,
        processControl,
        probes,
        ledger: store,
        outboxStore: new FileOutboxStore(outboxPath),
      },
      config: tuning,
      coverage,
      volumes,
      rng: Math.random,
      onError: fatal,
      onEvent: (event) => log.info('event', { event }),
    });
    const unobserve = logStateChanges(handle.actor, handle.state, log, fatal);

    // Its own beat and mirror entry: what `health supervisor` and `status` read.
    let beating = false;
    const beat = () => {
      if (beating) return;
      beating = true;
      const at = Date.now();
      const state = handle.state() === 'running' ? 'healthy' : 'down';
      Promise.allSettled([
        redis.heartbeats.beat({ component: SUPERVISOR_ID, at, state }, tuning.heartbeatTimeoutMs),
        redis.mirror.set({
          actor: SUPERVISOR_ID,
          state,
          detail: handle.state(),
          at,
          reason: `${handle.pendingEvents()} events waiting for the bus; lease fence ${token ?? 'unknown'}`,
        }),
      ]).finally(() => (beating = false));
    };
    beat();
    const beatTimer = setInterval(beat, interval);
    return {
      stop() {
        clearInterval(beatTimer);
        unobserve();
        handle.stop();
      },
    };
  };

  const leadership = await startLeadership({
    lease: new RedisLease(
      redis.connection,
      redis.keys.lease(SUPERVISOR_ID),
      leaseOwner(config.spoolDir),
      tuning.heartbeatTimeoutMs,
    ),
    renewEveryMs: interval,
    lead,
    log,
  });
  return {
    readyFields: {
      components: tuning.components.map((c) => c.id),
      rankedBy,
      processControl: options.processControl ? 'children' : 'none',
      ...leadership.fields(),
    },
    async stop() {
      await leadership.stop();
      await Promise.all([redis.close(), rateLimitStore.close(), store.close()]);
    },
  };
}
