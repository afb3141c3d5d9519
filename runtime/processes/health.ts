// `tickguard health COMPONENT`: the Docker healthcheck. Exit 0 when the component's heartbeat is
// live and its latest state is healthy, degraded or recovering; 1 otherwise (no live beat, state
// down or failed, redis-main unreachable); 2 on usage errors. Degraded counts as alive on purpose:
// a degraded component is running its fallback (spooling, waiting for a hard dependency), and a
// restart would not help it. Infrastructure ids are judged by the supervisor's view of them.
// Answers within about a second even when Redis is down.
import { INFRASTRUCTURE_IDS } from '../../machines/config.ts';
import type { LiveConfig } from '../config/index.ts';
import { openRedis, withDeadline } from './redisWiring.ts';

export const HEALTH_DEADLINE_MS = 900;
const ALIVE = new Set(['healthy', 'degraded', 'recovering']);

export interface HealthVerdict {
  ok: boolean;
  component: string;
  why: string;
}

/** 'kis-1' -> 'collector:kis-1' when the config names such a collector. */
export function componentIdOf(config: LiveConfig, name: string): string {
  const collector = config.collectors.find((c) => c.name === name);
  return collector ? collector.id : name;
}

export async function checkHealth(config: LiveConfig, name: string, now = Date.now): Promise<HealthVerdict> {
  const component = componentIdOf(config, name);
  const redis = openRedis(config, 'health');
  const verdict = (ok: boolean, why: string): HealthVerdict => ({ ok, component, why });
  try {
    return await withDeadline(
      (async () => {
        if (INFRASTRUCTURE_IDS.includes(component)) {
          const [view, supervisor] = await Promise.all([
            redis.mirror.get(`view:${component}`),
            redis.heartbeats.last('supervisor'),
          ]);
          if (!supervisor) return verdict(false, 'no live supervisor heartbeat: nobody is watching it');
          if (!view) return verdict(false, 'the supervisor has no view of it yet');
          return verdict(ALIVE.has(view.state), `the supervisor sees it ${view.state}`);
        }
        const [beat, mirrored] = await Promise.all([
          redis.heartbeats.last(component),
          redis.mirror.get(component),
        ]);
        if (!beat) return verdict(false, 'no live heartbeat');
        const latest = mirrored && mirrored.at > beat.at ? mirrored.state : beat.state;
        const age = ((now() - beat.at) / 1000).toFixed(1);
        return verdict(ALIVE.has(latest), `${latest}, last beat ${age}s ago`);
      })(),
      HEALTH_DEADLINE_MS,
      'redis-main',
    );
  } catch (e) {
    return verdict(false, `cannot read redis-main: ${e instanceof Error ? e.message : String(e)}`);
  } finally {
    await withDeadline(redis.close(), 100, 'close').catch(() => {});
  }
}
