// Chaos on a private redis-server: killed while a collector appends, frozen by CLIENT PAUSE, and
// restarted empty. Calls must fail fast with coded errors, never hang, and work again afterwards;
// Pub/Sub subscriptions must survive the restart.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isTgError } from '../../machines/errors.ts';
import type { TgEvent } from '../../machines/types.ts';
import { createRedisPorts, type RedisAdapters } from '../../runtime/redis/index.ts';
import { startRedis, type ServerHandle } from '../infra/servers.ts';
import { sleep, testPrefix, waitUntil } from '../contracts/redisHarness.ts';

const batch = (cum: number) => ({
  symbol: '005930',
  day: '20250102',
  ts: [1_735_776_000_000 + cum],
  cumVolume: [cum],
  price: [70_000],
  volume: [1],
});

const up = (n: number): TgEvent => ({
  type: 'COLLECTOR_UP',
  id: `COLLECTOR_UP:test:${n}`,
  collector: 'collector:kis-1',
  gapEnd: n,
  closed: [],
});

async function outcome(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (e) {
    return isTgError(e) ? e.code : `untyped: ${String(e)}`;
  }
}

/** Retry until the call succeeds (the client reconnects in the background). */
async function eventually<T>(call: () => Promise<T>, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await call();
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await sleep(50);
    }
  }
}

describe('redis adapters when the server dies', () => {
  let server: ServerHandle;
  beforeAll(async () => {
    server = await startRedis();
  });
  afterAll(async () => {
    await server.destroy();
  });

  function ports(name: string, commandTimeoutMs = 1000): RedisAdapters {
    return createRedisPorts({
      url: server.url,
      prefix: testPrefix(),
      name,
      commandTimeoutMs,
      maxReconnectDelayMs: 200,
    });
  }

  it('fails appends fast with TG_ERR_DEP_DOWN while the server is dead, then appends again', async () => {
    const collector = ports('collector:kis-1');
    try {
      await collector.ping();
      const outcomes: string[] = [];
      let cum = 0;
      let stop = false;
      const loop = (async () => {
        while (!stop) {
          outcomes.push(await outcome(collector.tickBuffer.append('collector:kis-1', [batch(++cum)])));
          await sleep(2);
        }
      })();
      await waitUntil(() => outcomes.length >= 20, 5000);
      const beforeKill = outcomes.length;
      await server.kill();
      const killedAt = outcomes.length;
      await waitUntil(() => outcomes.slice(killedAt).filter((o) => o !== 'ok').length >= 20, 5000);
      const duringOutage = outcomes.slice(killedAt).filter((o) => o !== 'ok');
      // Refused connections are DEP_DOWN, never a wait for the command timeout, never untyped.
      expect(new Set(duringOutage)).toEqual(new Set(['TG_ERR_DEP_DOWN']));
      await server.start();
      const restartedAt = outcomes.length;
      await waitUntil(() => outcomes.slice(restartedAt).includes('ok'), 5000);
      stop = true;
      await loop;
      expect(outcomes.slice(0, beforeKill).every((o) => o === 'ok')).toBe(true);
      // An append in flight at the moment of death is rejected, not left hanging.
      expect(
        outcomes.slice(beforeKill, killedAt).filter((o) => o !== 'ok' && o !== 'TG_ERR_DEP_DOWN'),
      ).toEqual([]);
      // The restarted server is empty; what was appended after recovery is readable in order.
      const entries = await collector.tickBuffer.read('writer-1', 1000);
      // Every success after the first failure went to the new server (those before, to the old one).
      const firstFailure = outcomes.findIndex((o) => o !== 'ok');
      const okAfter = outcomes.slice(firstFailure).filter((o) => o === 'ok').length;
      expect(entries.length).toBe(okAfter);
      const cums = entries.map((e) => e.batches[0].cumVolume[0]);
      expect(cums).toEqual([...cums].sort((a, b) => a - b));
    } finally {
      await collector.close();
    }
  });

  it('rejects every port call with TG_ERR_DEP_DOWN while the server is dead', async () => {
    const p = ports('supervisor');
    try {
      await p.eventBus.ensureGroup('g');
      await server.kill();
      const calls: Record<string, () => Promise<unknown>> = {
        ping: () => p.ping(),
        publish: () => p.eventBus.publish(up(1)),
        subscribe: () => p.eventBus.subscribe(() => undefined),
        readGroup: () => p.eventBus.readGroup('g', 'c', 1),
        mirrorSet: () => p.mirror.set({ actor: 'writer', state: 'healthy', detail: 'healthy', at: 1 }),
        mirrorAll: () => p.mirror.all(),
        beat: () => p.heartbeats.beat({ component: 'writer', at: 1, state: 'healthy' }, 1000),
        live: () => p.heartbeats.live(),
        append: () => p.tickBuffer.append('k', [batch(1)]),
        read: () => p.tickBuffer.read('w', 10),
        backlog: () => p.tickBuffer.backlog(),
      };
      for (const [name, call] of Object.entries(calls))
        expect(`${name}: ${await outcome(call())}`).toBe(`${name}: TG_ERR_DEP_DOWN`);
      const e = await p.ping().catch((error: unknown) => error);
      expect(isTgError(e) && e.details.dependency).toBe('redis-main');
    } finally {
      await server.start();
      await p.close();
    }
  });

  it('times out with TG_ERR_TIMEOUT while the server is frozen, and serves again after', async () => {
    const p = ports('writer', 300);
    const admin = new Redis(server.url, { maxRetriesPerRequest: 1 });
    try {
      await p.tickBuffer.append('k', [batch(1)]);
      await admin.call('CLIENT', ['PAUSE', '900', 'ALL']); // ends by itself: no UNPAUSE can pass it
      expect(await outcome(p.tickBuffer.append('k', [batch(2)]))).toBe('TG_ERR_TIMEOUT');
      expect(await outcome(p.heartbeats.live())).toBe('TG_ERR_TIMEOUT');
      await eventually(() => p.tickBuffer.append('k', [batch(3)]));
      // The timed-out append may still land once the server wakes up: at-least-once, never lost
      // when the caller spools it; duplicates are removed by the writer's unique key.
      const cums = (await p.tickBuffer.read('w', 10)).map((e) => e.batches[0].cumVolume[0]);
      expect(cums[0]).toBe(1);
      expect(cums).toContain(3);
    } finally {
      admin.disconnect();
      await p.close();
    }
  });

  it('treats a server out of memory as down (the collector spools) and recovers when memory frees', async () => {
    const p = ports('collector:kis-1');
    const admin = new Redis(server.url, { maxRetriesPerRequest: 1 });
    try {
      await p.ping();
      await admin.config('SET', 'maxmemory-policy', 'noeviction');
      await admin.config('SET', 'maxmemory', '1');
      expect(await outcome(p.tickBuffer.append('k', [batch(1)]))).toBe('TG_ERR_DEP_DOWN');
      expect(await outcome(p.eventBus.publish(up(1)))).toBe('TG_ERR_DEP_DOWN'); // a refused MULTI
      await admin.config('SET', 'maxmemory', '0');
      expect(await outcome(p.tickBuffer.append('k', [batch(2)]))).toBe('ok');
    } finally {
      await admin.config('SET', 'maxmemory', '0').catch(() => undefined);
      admin.disconnect();
      await p.close();
    }
  });

  it('keeps a Pub/Sub subscription across a server restart', async () => {
    const prefix = testPrefix();
    const sub = createRedisPorts({ url: server.url, prefix, name: 'recovery-worker' });
    const pub = createRedisPorts({ url: server.url, prefix, name: 'supervisor' });
    try {
      const got: string[] = [];
      await sub.eventBus.subscribe((e) => got.push(e.id));
      await pub.eventBus.publish(up(1));
      await waitUntil(() => got.length === 1, 2000);
      await server.kill();
      await server.start();
      // Publish until one arrives: messages sent before the resubscription are lost (at-most-once).
      let n = 1;
      await eventually(async () => {
        await pub.eventBus.publish(up(++n));
        await sleep(50);
        if (got.length < 2) throw new Error('not delivered yet');
      });
      expect(got[0]).toBe(up(1).id);
      expect(got.length).toBeGreaterThanOrEqual(2);
    } finally {
      await sub.close();
      await pub.close();
    }
  });

  it('recreates consumer groups it created when the server restarted empty', async () => {
    const p = ports('recovery-worker');
    try {
      await p.eventBus.ensureGroup('recovery-worker');
      await p.tickBuffer.append('collector:kis-1', [batch(1)]);
      expect(await p.tickBuffer.read('writer-1', 10)).toHaveLength(1);
      await server.kill();
      await server.start();
      await eventually(() => p.ping());
      expect(await p.eventBus.readGroup('recovery-worker', 'w', 10)).toEqual([]);
      await p.eventBus.publish(up(7));
      expect((await p.eventBus.readGroup('recovery-worker', 'w', 10)).map((e) => e.event.id)).toEqual([
        up(7).id,
      ]);
      // The writer's cached collector list outlives the server's index: reading must not fail.
      expect(await p.tickBuffer.read('writer-1', 10)).toEqual([]);
      await p.tickBuffer.append('collector:kis-1', [batch(2)]);
      expect((await p.tickBuffer.read('writer-1', 10)).map((e) => e.batches[0].cumVolume[0])).toEqual([2]);
    } finally {
      await p.close();
    }
  });
});
