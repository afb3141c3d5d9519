// Heartbeats on Redis: `tg:hb:{component}` holds the last payload with SET PX ttl (expiry is the
// server's, so silence is detected without the component's help) and the sorted set `tg:hb` keeps
// each component's last beat time, so `live()` needs no KEYS/SCAN and silent components stay known.
import type { HeartbeatPayload } from '../../machines/types.ts';
import type { Heartbeats } from '../../ports/heartbeats.ts';
import type { RedisConnection } from './connection.ts';
import type { RedisKeys } from './keys.ts';
import { repliesOf } from './streamReplies.ts';

/** Components silent for longer than this are dropped from the index (it would grow forever). */
const INDEX_RETENTION_MS = 24 * 60 * 60 * 1000;

export class RedisHeartbeats implements Heartbeats {
  constructor(
    private readonly conn: RedisConnection,
    private readonly keys: RedisKeys,
  ) {}

  beat(payload: HeartbeatPayload, ttlMs: number): Promise<void> {
    const text = JSON.stringify(payload);
    const ttl = Math.max(1, Math.ceil(ttlMs));
    return this.conn.run('heartbeat.beat', async (c) => {
      repliesOf(
        await c
          .multi()
          .set(this.keys.heartbeat(payload.component), text, 'PX', ttl)
          .zadd(this.keys.heartbeatIndex, payload.at, payload.component)
          .zremrangebyscore(this.keys.heartbeatIndex, '-inf', `(${payload.at - INDEX_RETENTION_MS}`)
          .exec(),
      );
    });
  }

  last(component: string): Promise<HeartbeatPayload | undefined> {
    return this.conn.run('heartbeat.last', async (c) =>
      parseBeat(await c.get(this.keys.heartbeat(component))),
    );
  }

  /** Sorted by component id; only components whose key has not expired. */
  live(prefix = ''): Promise<HeartbeatPayload[]> {
    return this.conn.run('heartbeat.live', async (c) => {
      const components = (await c.zrange(this.keys.heartbeatIndex, '0', '-1'))
        .filter((id) => id.startsWith(prefix))
        .sort();
      if (components.length === 0) return [];
      const texts = await c.mget(components.map((id) => this.keys.heartbeat(id)));
      return texts.map(parseBeat).filter((b): b is HeartbeatPayload => b !== undefined);
    });
  }
}

function parseBeat(text: string | null): HeartbeatPayload | undefined {
  if (text === null) return undefined;
  try {
    const beat = JSON.parse(text) as HeartbeatPayload;
    return typeof beat?.component === 'string' ? beat : undefined;
  } catch {
    return undefined;
  }
}
