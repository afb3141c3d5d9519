// Live harness for the Redis adapters: a fresh RedisPorts per test under a random key prefix on the
// shared test server, real sleeps for time, and a Pub/Sub barrier (PING on the subscriber socket).
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { createRedisPorts, type RedisAdapters } from '../../runtime/redis/index.ts';
import type { ServerHandle } from '../infra/servers.ts';
import type { Harness } from './harness.ts';

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function testPrefix(): string {
  return `tg:test:${randomUUID().slice(0, 8)}:`;
}

/** Delete every key under a prefix (tests only: SCAN is fine here, never in the adapters). */
export async function dropPrefix(url: string, prefix: string): Promise<void> {
  const admin = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await admin.connect();
    let cursor = '0';
    do {
      const [next, keys] = await admin.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      if (keys.length > 0) await admin.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } catch {
    // the server may be gone in chaos tests
  } finally {
    admin.disconnect();
  }
}

export function redisHarness<P>(url: string, pick: (ports: RedisAdapters) => P): () => Promise<Harness<P>> {
  return async () => {
    const prefix = testPrefix();
    const ports = createRedisPorts({ url, prefix, name: 'contract-test' });
    await ports.ping();
    return {
      port: pick(ports),
      advance: (ms) => sleep(ms),
      // Messages from earlier publishes are on the subscriber socket before the PING reply.
      settle: async () => {
        await ports.connection.subscriber().ping();
      },
      now: () => Date.now(),
      cleanup: async () => {
        await ports.close();
        await dropPrefix(url, prefix);
      },
    };
  };
}

/**
 * Real fault injection on a private redis-server: `down('refuse')` SIGKILLs it, `down('timeout')`
 * freezes it with CLIENT PAUSE, `up()` restarts it or waits the pause out. `down`/`up` are synchronous in the
 * contract, so the port is wrapped: each call first waits for the last fault change to be applied
 * and, after `up()`, for the adapter's reconnect (real clients need a moment the memory gate does not).
 */
const PAUSE_MS = 1500;

export function faultyRedisHarness<P extends object>(
  server: ServerHandle,
  pick: (ports: RedisAdapters) => P,
): () => Promise<Harness<P>> {
  return async () => {
    const prefix = testPrefix();
    const ports = createRedisPorts({
      url: server.url,
      prefix,
      name: 'fault-test',
      commandTimeoutMs: 500,
      maxReconnectDelayMs: 100, // a restarted server is noticed quickly: keeps the suite short
    });
    await ports.ping();
    let transition: Promise<unknown> = Promise.resolve();
    let killed = false;
    const change = (step: () => Promise<unknown>) => {
      transition = transition.then(step, step);
    };
    const port = new Proxy(pick(ports), {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver);
        if (typeof value !== 'function') return value;
        return async (...args: unknown[]) => {
          await transition;
          return value.apply(target, args);
        };
      },
    });
    return {
      port,
      advance: (ms) => sleep(ms),
      settle: async () => {
        await transition;
        await ports.connection.subscriber().ping();
      },
      now: () => Date.now(),
      cleanup: async () => {
        await transition;
        await ports.close();
        await dropPrefix(server.url, prefix);
      },
      faults: {
        timeoutMs: 500,
        down: (mode) =>
          change(async () => {
            if (mode === 'refuse') {
              killed = true;
              await server.kill();
            } else {
              await adminCall(server.url, ['CLIENT', 'PAUSE', String(PAUSE_MS), 'ALL']);
            }
          }),
        slow: () => {
          throw new Error('slow is not injectable on a real server');
        },
        up: () =>
          change(async () => {
            if (killed) {
              killed = false;
              await server.start();
            } else {
              // No command (not even CLIENT UNPAUSE) passes a PAUSE ALL: wait for it to run out.
              await sleep(PAUSE_MS);
            }
            await waitUntil(() => ports.connection.isReady(), 5000);
          }),
      },
    };
  };
}

async function adminCall(url: string, args: string[]): Promise<unknown> {
  const admin = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await admin.connect();
    return await admin.call(args[0], args.slice(1));
  } finally {
    admin.disconnect();
  }
}

export async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(10);
  }
}
