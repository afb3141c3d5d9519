// A leader lease on redis-main (lease.lua): several supervisors may run for availability; the one
// holding `tg:lease:supervisor` acts, the others stand by and claim it once it expires or is released.
import { readFileSync } from 'node:fs';
import type { RedisConnection } from './connection.ts';
import { LuaScript } from './luaScript.ts';

const LEASE_SCRIPT = new LuaScript(readFileSync(new URL('./lease.lua', import.meta.url), 'utf8'));

export type LeaseClaim =
  /** The caller holds the lease for `ttlMs` from now; `token` is its fencing token. */
  | { held: true; token: number; ttlMs: number }
  /** Another owner holds it for `ttlMs` more. */
  | { held: false; holder: string; ttlMs: number };

export class RedisLease {
  readonly key: string;
  private readonly fenceKey: string;

  constructor(
    private readonly conn: RedisConnection,
    key: string,
    readonly owner: string,
    readonly ttlMs: number,
  ) {
    if (owner.includes('|')) throw new Error(`lease owner must not contain '|': ${owner}`);
    this.key = key;
    this.fenceKey = `${key}:fence`;
  }

  /** Acquire the lease if it is free, renew it if it is ours; TgError when redis-main fails. */
  claim(): Promise<LeaseClaim> {
    return this.conn.run('lease.claim', async (c) => {
      const reply = (await LEASE_SCRIPT.run(
        c,
        [this.key, this.fenceKey],
        ['claim', this.owner, Math.max(1, Math.ceil(this.ttlMs))],
      )) as [number, number | string, number];
      return Number(reply[0]) === 1
        ? { held: true, token: Number(reply[1]), ttlMs: Number(reply[2]) }
        : { held: false, holder: String(reply[1]), ttlMs: Number(reply[2]) };
    });
  }

  /** Give the lease up at once (a graceful stop), if it is still ours. */
  release(): Promise<boolean> {
    return this.conn.run('lease.release', async (c) => {
      const reply = await LEASE_SCRIPT.run(c, [this.key, this.fenceKey], ['release', this.owner]);
      return Number(reply) === 1;
    });
  }
}
