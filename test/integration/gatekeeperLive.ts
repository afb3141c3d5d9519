// A live gatekeeper world for chaos tests and the bench: N gatekeeper clients (createGatekeeperClient
// on the real clock), each with its own connection to redis-gatekeeper, steady demand, and logs of
// every grant and every store call (to check charge-back and the per-second limit afterwards).
import { randomUUID } from 'node:crypto';
import {
  createGatekeeperClient,
  type GatekeeperClient,
  type GrantInfo,
} from '../../actors/gatekeeperClient.ts';
import type { GatekeeperConfigSlice } from '../../machines/gatekeeper.ts';
import type { HealthState } from '../../machines/types.ts';
import type { Heartbeats } from '../../ports/heartbeats.ts';
import { MemoryHeartbeats } from '../../ports/memory/index.ts';
import type { AcquireResult, RateLimitStore } from '../../ports/rateLimitStore.ts';
import { realClock } from '../../runtime/clock.ts';
import { createRedisRateLimitStore, type RedisRateLimitStore } from '../../runtime/gatekeeper/index.ts';
import { gatekeeperState } from '../../machines/gatekeeper.ts';

export interface LiveGrant extends GrantInfo {
  client: number;
}

export interface StoreCall {
  client: number;
  op: 'acquire' | 'charge' | 'ping';
  startedAt: number;
  endedAt: number;
  ok: boolean;
  tokens?: number;
  result?: AcquireResult;
}

export interface StateChange {
  client: number;
  at: number;
  state: HealthState;
  reason: string;
}

export interface LiveGatekeeperWorld {
  clients: GatekeeperClient[];
  grants: LiveGrant[];
  calls: StoreCall[];
  states: StateChange[];
  /** Keep `depth` acquires waiting on every client until stop(). */
  startDemand(depth: number): void;
  stop(): Promise<void>;
  heartbeatsKind: 'redis' | 'memory';
}

export function liveGatekeeperConfig(
  ratePerSec: number,
  over: Partial<GatekeeperConfigSlice['gatekeeper']> = {},
): GatekeeperConfigSlice {
  return {
    heartbeatIntervalMs: 200,
    heartbeatTimeoutMs: 2000,
    gatekeeper: {
      safety: 0.8,
      slowCallMs: 100,
      probeIntervalMs: 300,
      limits: { kis: { ratePerSec, burst: 1 } },
      ...over,
    },
  };
}

/**
 * The heartbeat registry on redis-main when runtime/redis exists (another engineer's adapter),
 * else the in-memory one on the real clock: peer discovery (N) is all the gatekeeper needs from it.
 */
export async function liveHeartbeats(
  redisMainUrl: string | undefined,
): Promise<{ heartbeats: Heartbeats; kind: 'redis' | 'memory'; close(): Promise<void> }> {
  if (redisMainUrl) {
    try {
      const spec = '../../runtime/redis/index.ts';
      const mod = (await import(/* @vite-ignore */ spec)) as {
        createRedisPorts(o: { url: string; prefix?: string }): {
          heartbeats: Heartbeats;
          close(): Promise<void>;
        };
      };
      const ports = mod.createRedisPorts({ url: redisMainUrl, prefix: `tg:test:${randomUUID()}:` });
      return { heartbeats: ports.heartbeats, kind: 'redis', close: () => ports.close() };
    } catch {
      // not built yet: fall through to the in-memory registry
    }
  }
  return { heartbeats: new MemoryHeartbeats({ clock: realClock }), kind: 'memory', close: async () => {} };
}

function recording(store: RateLimitStore, client: number, calls: StoreCall[]): RateLimitStore {
  const logged = async <T>(op: StoreCall['op'], tokens: number | undefined, fn: () => Promise<T>) => {
    const startedAt = Date.now();
    try {
      const value = await fn();
      const result = op === 'acquire' ? (value as AcquireResult) : undefined;
      calls.push({ client, op, startedAt, endedAt: Date.now(), ok: true, tokens, result });
      return value;
    } catch (e) {
      calls.push({ client, op, startedAt, endedAt: Date.now(), ok: false, tokens });
      throw e;
    }
  };
  return {
    acquire: (key, limit, cost) => logged('acquire', cost, () => store.acquire(key, limit, cost)),
    charge: (key, limit, tokens) => logged('charge', tokens, () => store.charge(key, limit, tokens)),
    ping: () => logged('ping', undefined, () => store.ping()),
  };
}

export async function createLiveGatekeeperWorld(o: {
  gatekeeperUrl: string;
  redisMainUrl?: string;
  clients: number;
  config: GatekeeperConfigSlice;
  /** Record every store call (the bench turns it off). */
  recordCalls?: boolean;
}): Promise<LiveGatekeeperWorld> {
  const hb = await liveHeartbeats(o.redisMainUrl);
  const ttl = o.config.heartbeatTimeoutMs ?? o.config.heartbeatIntervalMs * 5;
  // Every client is registered before any starts, so each knows N from its first grant.
  for (let i = 0; i < o.clients; i++) {
    await hb.heartbeats.beat(
      { component: `gatekeeper:kis:c${i}`, at: Date.now(), state: 'healthy', gatekeeperMode: 'global' },
      ttl,
    );
  }
  const grants: LiveGrant[] = [];
  const calls: StoreCall[] = [];
  const states: StateChange[] = [];
  const stores: RedisRateLimitStore[] = [];
  const clients = Array.from({ length: o.clients }, (_, i) => {
    const store = createRedisRateLimitStore({
      url: o.gatekeeperUrl,
      commandTimeoutMs: o.config.gatekeeper.slowCallMs,
    });
    stores.push(store);
    const client = createGatekeeperClient({
      clock: realClock,
      store: o.recordCalls === false ? store : recording(store, i, calls),
      heartbeats: hb.heartbeats,
      config: o.config,
      broker: 'kis',
      appKey: 'live-app-key-under-test',
      clientId: `c${i}`,
      onGrant: (g) => grants.push({ ...g, client: i }),
    });
    let last = gatekeeperState(client.actor.getSnapshot());
    client.actor.subscribe((snap) => {
      const state = gatekeeperState(snap);
      if (state === last) return;
      last = state;
      states.push({ client: i, at: Date.now(), state, reason: snap.context.reason });
    });
    return client;
  });
  await Promise.all(stores.map((s) => s.ping().catch(() => undefined)));

  let running = false;
  const chains: Promise<void>[] = [];
  return {
    clients,
    grants,
    calls,
    states,
    heartbeatsKind: hb.kind,
    startDemand(depth) {
      running = true;
      for (const client of clients) {
        for (let d = 0; d < depth; d++) {
          chains.push(
            (async () => {
              while (running) await client.acquire().catch(() => undefined);
            })(),
          );
        }
      }
    },
    async stop() {
      running = false;
      for (const c of clients) c.stop();
      await Promise.all(chains);
      for (const s of stores) await s.close();
      await hb.close();
    },
  };
}

/** Most grants inside any half-open window [t, t + windowMs). */
export function maxInWindow(times: number[], windowMs = 1000): number {
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  let lo = 0;
  for (let hi = 0; hi < sorted.length; hi++) {
    while (sorted[hi] - sorted[lo] >= windowMs) lo++;
    best = Math.max(best, hi - lo + 1);
  }
  return best;
}
