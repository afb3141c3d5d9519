// StateMirror on Redis: one hash per actor (`tg:state:{actor}`), an index set of actor ids so
// `all()` needs no KEYS/SCAN, and a PUBLISH on `tg:state` for live watchers; all in one MULTI.
import type { ViewState } from '../../machines/types.ts';
import type { MirroredState, StateMirror } from '../../ports/stateMirror.ts';
import type { RedisConnection } from './connection.ts';
import type { RedisKeys } from './keys.ts';
import { repliesOf } from './streamReplies.ts';

export class RedisStateMirror implements StateMirror {
  constructor(
    private readonly conn: RedisConnection,
    private readonly keys: RedisKeys,
  ) {}

  set(state: MirroredState): Promise<void> {
    const key = this.keys.state(state.actor);
    const fields: Record<string, string> = {
      actor: state.actor,
      state: state.state,
      detail: state.detail,
      at: String(state.at),
    };
    if (state.reason !== undefined) fields.reason = state.reason;
    return this.conn.run('mirror.set', async (c) => {
      repliesOf(
        await c
          .multi()
          .del(key) // a previous `reason` must not survive a state that has none
          .hset(key, fields)
          .sadd(this.keys.stateIndex, state.actor)
          .publish(this.keys.stateChannel, JSON.stringify(state))
          .exec(),
      );
    });
  }

  get(actor: string): Promise<MirroredState | undefined> {
    return this.conn.run('mirror.get', async (c) => fromHash(await c.hgetall(this.keys.state(actor))));
  }

  /** Sorted by actor id so every reader sees the same order. */
  all(): Promise<MirroredState[]> {
    return this.conn.run('mirror.all', async (c) => {
      const actors = (await c.smembers(this.keys.stateIndex)).sort();
      if (actors.length === 0) return [];
      const pipeline = c.pipeline();
      for (const actor of actors) pipeline.hgetall(this.keys.state(actor));
      const hashes = repliesOf(await pipeline.exec());
      return hashes
        .map((h) => fromHash(h as Record<string, string>))
        .filter((s): s is MirroredState => s !== undefined);
    });
  }
}

function fromHash(h: Record<string, string> | null): MirroredState | undefined {
  if (!h || typeof h.actor !== 'string' || typeof h.state !== 'string') return undefined;
  const state: MirroredState = {
    actor: h.actor,
    state: h.state as ViewState,
    detail: h.detail ?? h.state,
    at: Number(h.at),
  };
  if (h.reason !== undefined) state.reason = h.reason;
  return state;
}
