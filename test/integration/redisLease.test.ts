// The supervisor lease on real redis-server (runtime/redis/lease.lua): one holder at a time, renewals
// keep the token, a lapsed or released lease goes to the next claimant with a larger fencing token,
// and only the holder can release it.
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { isTgError } from '../../machines/errors.ts';
import { RedisConnection, RedisLease } from '../../runtime/redis/index.ts';
import { startRedis } from '../infra/servers.ts';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const connections: RedisConnection[] = [];
function connect(url = inject('redisUrl')): RedisConnection {
  const c = new RedisConnection({ url, commandTimeoutMs: 1000 });
  connections.push(c);
  return c;
}
afterAll(async () => {
  for (const c of connections) await c.close();
});

describe('RedisLease', () => {
  const key = () => `tg:test:${randomUUID()}:lease:supervisor`;

  it('has one holder; the holder renews with the same token, the other is told who holds it', async () => {
    const k = key();
    const a = new RedisLease(connect(), k, 'host-a:1:aa', 2000);
    const b = new RedisLease(connect(), k, 'host-b:2:bb', 2000);
    const first = await a.claim();
    expect(first).toMatchObject({ held: true, ttlMs: 2000 });
    const other = await b.claim();
    expect(other).toMatchObject({ held: false, holder: 'host-a:1:aa' });
    expect(other.ttlMs).toBeGreaterThan(1000);
    expect(other.ttlMs).toBeLessThanOrEqual(2000);
    const again = await a.claim();
    expect(again).toEqual(first);
  });

  it('goes to the next claimant with a larger fencing token once released, and only the holder releases', async () => {
    const k = key();
    const a = new RedisLease(connect(), k, 'a', 5000);
    const b = new RedisLease(connect(), k, 'b', 5000);
    const held = await a.claim();
    expect(await b.release()).toBe(false);
    expect((await b.claim()).held).toBe(false);
    expect(await a.release()).toBe(true);
    const taken = await b.claim();
    expect(taken.held).toBe(true);
    if (held.held && taken.held) expect(taken.token).toBeGreaterThan(held.token);
    expect((await a.claim()).held).toBe(false);
  });

  it('lapses when its holder stops renewing (a dead supervisor), so a standby takes over', async () => {
    const k = key();
    const a = new RedisLease(connect(), k, 'a', 150);
    const b = new RedisLease(connect(), k, 'b', 150);
    const held = await a.claim();
    expect((await b.claim()).held).toBe(false);
    await sleep(250);
    const taken = await b.claim();
    expect(taken.held).toBe(true);
    if (held.held && taken.held) expect(taken.token).toBe(held.token + 1);
  });

  it('rejects an owner id that would be ambiguous in the stored value', () => {
    expect(() => new RedisLease(connect(), key(), 'a|b', 1000)).toThrow(/must not contain/);
  });

  it('fails with TG_ERR_DEP_DOWN while redis-main is gone, then works again', async () => {
    const server = await startRedis();
    try {
      const lease = new RedisLease(connect(server.url), key(), 'a', 1000);
      expect((await lease.claim()).held).toBe(true);
      await server.kill();
      const error = await lease.claim().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isTgError(error, 'TG_ERR_DEP_DOWN') || isTgError(error, 'TG_ERR_TIMEOUT')).toBe(true);
      await server.start();
      let again = await lease.claim().catch(() => undefined);
      for (let i = 0; !again && i < 50; i++) {
        await sleep(100);
        again = await lease.claim().catch(() => undefined);
      }
      expect(again?.held).toBe(true); // the empty restarted server has no lease: claimed afresh
    } finally {
      await server.destroy();
    }
  });
});
