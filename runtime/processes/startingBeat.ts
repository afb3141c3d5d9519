// Heartbeats of a process that is still starting (loading code, connecting, migrating): state
// `recovering`, sent from the moment the config is read until the assembly takes over its own
// beats. Without them a slow start (a cold TypeScript cache, a loaded host) looks like a dead
// process and the supervisor kills it again and again. Bounded: a start that hangs longer than
// `maxMs` stops beating, so the supervisor sees it dead and restarts it.
import type { LiveConfig } from '../config/index.ts';
import type { Logger } from '../log.ts';
import { openRedis } from './redisWiring.ts';

export interface StartingBeat {
  /**
   * Stop beating, wait for the last beat in flight and for the next beat slot (call right before
   * the assembly starts): the assembly beats as it starts, so the supervisor sees one periodic
   * stream. A short hand-over interval would read to its phi detector as jitter and slow the
   * detection of this process's death for its next ~100 beats (past 3 s at 1 s beats).
   */
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
  let lastBeatAt: number | undefined;
  const beat = () => {
    if (stopped) return;
    if (Date.now() - started > maxMs) {
      log.warn('still starting; no more starting heartbeats', { afterMs: maxMs });
      clearInterval(timer);
      return;
    }
    lastBeatAt = Date.now();
    inFlight = redis.heartbeats
      .beat({ component, at: lastBeatAt, state: 'recovering' }, config.tuning.heartbeatTimeoutMs)
      .catch(() => {});
  };
  const timer = setInterval(beat, interval);
  beat();
  return {
    async stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      const untilSlot = lastBeatAt === undefined ? 0 : lastBeatAt + interval - Date.now();
      await Promise.all([inFlight, untilSlot > 0 && new Promise((r) => setTimeout(r, untilSlot))]);
      await redis.close().catch(() => {});
    },
  };
}
