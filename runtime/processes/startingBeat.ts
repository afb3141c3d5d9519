// Heartbeats of a process that is still starting (loading code, connecting, migrating): state
// `recovering`, sent from the moment the config is read until the assembly takes over its own
// beats. Without them a slow start (a cold TypeScript cache, a loaded host) looks like a dead
// process and the supervisor kills it again and again. Bounded: a start that hangs longer than
// `maxMs` stops beating, so the supervisor sees it dead and restarts it.
import type { LiveConfig } from '../config/index.ts';
import type { Logger } from '../log.ts';
import { openRedis } from './redisWiring.ts';

export interface StartingBeat {
  /** Stop beating and wait for the last beat in flight (call right before the assembly starts). */
  stop(): Promise<void>;
}

export function beatWhileStarting(
  config: LiveConfig,
  component: string,
  log: Logger,
  maxMs = 30_000,
): StartingBeat {
  const redis = openRedis(config, `${component}:starting`);
  const interval = config.tuning.heartbeatIntervalMs;
  const started = Date.now();
  let inFlight: Promise<unknown> = Promise.resolve();
  let stopped = false;
  const beat = () => {
    if (stopped) return;
    if (Date.now() - started > maxMs) {
      log.warn('still starting; no more starting heartbeats', { afterMs: maxMs });
      clearInterval(timer);
      return;
    }
    inFlight = redis.heartbeats
      .beat({ component, at: Date.now(), state: 'recovering' }, config.tuning.heartbeatTimeoutMs)
      .catch(() => {});
  };
  const timer = setInterval(beat, interval);
  beat();
  return {
    async stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      await inFlight;
      await redis.close().catch(() => {});
    },
  };
}
