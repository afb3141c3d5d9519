// The Redis RateLimitStore on real redis-server: the Lua script decides exactly like machines/gcra.ts
// on the server's clock, many concurrent clients never exceed the limit in any second of server
// time, buckets expire when idle, and a dead or stalled server turns into coded errors at once.
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { isTgError } from '../../machines/errors.ts';
import { gcraCharge, gcraDecide } from '../../machines/gcra.ts';
import {
  createRedisRateLimitStore,
  gatekeeperRedisOptions,
  redisRateLimitStoreOn,
  type RedisRateLimitStore,
  type ServerAcquireResult,
} from '../../runtime/gatekeeper/index.ts';
import { startRedis, type ServerHandle } from '../infra/servers.ts';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const url = () => inject('redisUrl');
const newPrefix = () => `tg:test:${randomUUID()}:`;

/** Most grants in any half-open window [t, t + 1000) of sorted times. */
function maxInAnySecond(sorted: number[]): number {
  let best = 0;
  let lo = 0;
  for (let hi = 0; hi < sorted.length; hi++) {
    while (sorted[hi] - sorted[lo] >= 1000) lo++;
    best = Math.max(best, hi - lo + 1);
  }
  return best;
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

describe('redis RateLimitStore on the shared server', () => {
  const stores: RedisRateLimitStore[] = [];
  let admin: Redis;
  beforeAll(() => {
    admin = new Redis(url());
  });
  afterAll(async () => {
    for (const s of stores) await s.close();
    admin.disconnect();
  });
  function store(prefix = newPrefix(), commandTimeoutMs = 1000): RedisRateLimitStore {
    const s = createRedisRateLimitStore({ url: url(), prefix, commandTimeoutMs });
    stores.push(s);
    return s;
  }

  it('answers a call made right after creation, before the connection is up', async () => {
    const s = createRedisRateLimitStore({ url: url(), prefix: newPrefix() });
    stores.push(s);
    expect((await s.acquire('tg:rl:kis:first', { ratePerSec: 5, burst: 1 })).granted).toBe(true);
  });

  it('decides every acquire and charge as the pure GCRA would at the server time', async () => {
    const prefix = newPrefix();
    const s = store(prefix);
    /** The stored TAT in ms (the script keeps integer µs); an absent key is an idle bucket. */
    const storedTat = async (key: string) => Number((await admin.get(prefix + key)) ?? 0) / 1000;
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 1, max: 4 }),
        fc.array(
          fc.record({
            pause: fc.integer({ min: 0, max: 30 }),
            op: fc.constantFrom('acquire', 'acquire', 'acquire', 'charge'),
            amount: fc.integer({ min: 1, max: 3 }),
          }),
          { minLength: 1, maxLength: 25 },
        ),
        async (ratePerSec, burst, steps) => {
          const key = `tg:rl:kis:prop${run++}`;
          const limit = { ratePerSec, burst };
          const interval = 1000 / ratePerSec;
          for (const step of steps) {
            if (step.pause) await sleep(step.pause);
            const before = await storedTat(key);
            if (step.op === 'charge') {
              await s.charge(key, limit, step.amount);
              // The charge's server time is not returned; it lies between the two reads.
              const after = await storedTat(key);
              expect(after).toBeGreaterThanOrEqual(gcraCharge(before, 0, limit, step.amount) - 0.001);
              expect(after).toBeLessThanOrEqual(
                gcraCharge(before, Date.now() + 50, limit, step.amount) + 0.001,
              );
              continue;
            }
            const r = await s.acquire(key, limit, step.amount);
            // The key may have expired between the read and the call: same as a past TAT.
            const d = gcraDecide(before, r.at, limit, step.amount);
            // The script decides relative to now, exactly; the model in absolute ms can miss the
            // boundary by a rounding error, so a model denial of under 1 µs counts as a grant.
            const modelGrants = d.granted || d.waitMs < 0.001;
            expect(r.granted).toBe(modelGrants);
            if (r.granted) {
              const after = await storedTat(key);
              const expected = Math.max(before, r.at) + interval * step.amount;
              expect(after).toBeGreaterThanOrEqual(expected - 0.0005);
              expect(after).toBeLessThanOrEqual(expected + 0.0015); // rounded up to the µs
              // remaining is informational; it may differ by one where a rounding error hits an integer.
              expect(Math.abs(r.remaining - d.remaining)).toBeLessThanOrEqual(1);
            } else {
              expect(r.waitMs).toBeGreaterThanOrEqual(d.waitMs - 0.0005);
              expect(r.waitMs).toBeLessThanOrEqual(d.waitMs + 0.0015); // rounded up to the µs
            }
          }
        },
      ),
      { numRuns: 25 },
    );
  });

  it('never grants more than the limit in any second of server time to 4 clients x 64 concurrent callers', async () => {
    const prefix = newPrefix();
    const clients = Array.from({ length: 4 }, () => store(prefix));
    const limit = { ratePerSec: 50, burst: 1 };
    const grants: number[] = [];
    const until = Date.now() + 2200;
    const caller = async (s: RedisRateLimitStore) => {
      while (Date.now() < until) {
        const r: ServerAcquireResult = await s.acquire('tg:rl:kis:hot', limit);
        if (r.granted) grants.push(r.at);
        else await sleep(Math.min(r.waitMs, 20) * Math.random());
      }
    };
    await Promise.all(clients.flatMap((s) => Array.from({ length: 64 }, () => caller(s))));
    grants.sort((a, b) => a - b);
    expect(maxInAnySecond(grants)).toBeLessThanOrEqual(50);
    expect(grants.length).toBeGreaterThanOrEqual(75); // the rate is used (110 at most), not just capped
  });

  it('decides acquires that arrive while a call of their bucket is in flight in one shared call', async () => {
    const client = new Redis(url(), gatekeeperRedisOptions({ commandTimeoutMs: 1000, name: 'share' }));
    let calls = 0;
    const evalsha = client.evalsha.bind(client);
    client.evalsha = ((...args: Parameters<typeof evalsha>) => {
      calls++;
      return evalsha(...args);
    }) as typeof client.evalsha;
    const s = redisRateLimitStoreOn(client, { prefix: newPrefix(), ownsClient: true });
    stores.push(s);
    const limit = { ratePerSec: 10, burst: 40 };
    const results = await Promise.all(Array.from({ length: 64 }, () => s.acquire('tg:rl:kis:share', limit)));
    // The first goes alone, the 63 behind it share the next call; each is decided in order.
    expect(calls).toBe(2);
    expect(results.map((r) => r.granted)).toEqual(Array.from({ length: 64 }, (_, i) => i < 40));
    expect(results[1].at).toBe(results[63].at);
    // A different bucket (another limit) is never held up by this one's call.
    const other = { ratePerSec: 5, burst: 1 };
    const [a, b] = await Promise.all([s.acquire('tg:rl:kis:share', limit), s.acquire('tg:rl:kis:x', other)]);
    expect(calls).toBe(4);
    expect(b.granted).toBe(true);
    expect(a.granted).toBe(false);
  });

  it('lets a burst through back to back but still caps any second at rate + burst - 1', async () => {
    const prefix = newPrefix();
    const clients = Array.from({ length: 2 }, () => store(prefix));
    const limit = { ratePerSec: 20, burst: 5 };
    const grants: number[] = [];
    const until = Date.now() + 1500;
    const caller = async (s: RedisRateLimitStore) => {
      while (Date.now() < until) {
        const r = await s.acquire('tg:rl:kis:burst', limit);
        if (r.granted) grants.push(r.at);
        else await sleep(Math.random() * 10);
      }
    };
    await Promise.all(clients.flatMap((s) => Array.from({ length: 16 }, () => caller(s))));
    grants.sort((a, b) => a - b);
    expect(grants.slice(0, 5).at(-1)! - grants[0]).toBeLessThan(50); // the burst came at once
    expect(maxInAnySecond(grants)).toBeLessThanOrEqual(20 + 5 - 1);
  });

  it('stores the bucket under the prefix and lets it expire once the TAT has passed', async () => {
    const prefix = newPrefix();
    const s = store(prefix);
    await s.acquire('tg:rl:kis:idle', { ratePerSec: 10, burst: 1 });
    const ttl = await admin.pttl(`${prefix}tg:rl:kis:idle`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(101);
    await s.charge('tg:rl:kis:idle', { ratePerSec: 10, burst: 1 }, 3);
    expect(await admin.pttl(`${prefix}tg:rl:kis:idle`)).toBeGreaterThan(300);
    await sleep(450);
    expect(await admin.exists(`${prefix}tg:rl:kis:idle`)).toBe(0);
  });

  it('rejects a bad limit with TG_ERR_CONFIG before calling Redis', async () => {
    const s = store();
    const e = await rejection(s.acquire('tg:rl:kis:bad', { ratePerSec: 0, burst: 1 }));
    expect(isTgError(e, 'TG_ERR_CONFIG')).toBe(true);
  });
});

// Faults, script flushes and stalls run on a private server: they would disturb other suites on the shared one.
describe('redis RateLimitStore on a private server', () => {
  let server: ServerHandle;
  beforeAll(async () => {
    server = await startRedis();
  });
  afterAll(async () => {
    await server.destroy();
  });

  it('reloads the script after SCRIPT FLUSH (NOSCRIPT) without failing a call', async () => {
    const s = createRedisRateLimitStore({ url: server.url, commandTimeoutMs: 1000 });
    const admin = new Redis(server.url);
    try {
      await s.acquire('tg:rl:kis:flush', { ratePerSec: 100, burst: 1 });
      await admin.script('FLUSH');
      await sleep(15);
      expect((await s.acquire('tg:rl:kis:flush', { ratePerSec: 100, burst: 1 })).granted).toBe(true);
    } finally {
      admin.disconnect();
      await s.close();
    }
  });

  it('times out with TG_ERR_TIMEOUT while the server is stalled, and answers once it is free', async () => {
    const s = createRedisRateLimitStore({ url: server.url, commandTimeoutMs: 100 });
    const blocker = new Redis(server.url);
    try {
      await s.ping();
      // A busy script stalls the whole single-threaded server for ~400 ms.
      const stall = blocker.eval(
        "local t = redis.call('TIME'); local s = t[1] * 1e6 + t[2]; " +
          "repeat t = redis.call('TIME') until t[1] * 1e6 + t[2] - s > 400000; return 1",
        0,
      );
      await sleep(20);
      const e = await rejection(s.acquire('tg:rl:kis:slow', { ratePerSec: 10, burst: 1 }));
      expect(isTgError(e, 'TG_ERR_TIMEOUT'), String(e)).toBe(true);
      expect((e as { details: Record<string, unknown> }).details.dependency).toBe('redis-gatekeeper');
      await stall;
      await s.ping();
    } finally {
      blocker.disconnect();
      await s.close();
    }
  });

  it('rejects at once with TG_ERR_DEP_DOWN while the server is gone, and serves again after restart', async () => {
    const s = createRedisRateLimitStore({ url: server.url, commandTimeoutMs: 100 });
    const limit = { ratePerSec: 1000, burst: 1000 };
    try {
      expect((await s.acquire('tg:rl:kis:k', limit)).granted).toBe(true);
      await server.kill();
      for (const call of [
        () => s.acquire('tg:rl:kis:k', limit),
        () => s.charge('tg:rl:kis:k', limit, 1),
        () => s.ping(),
      ]) {
        // DEP_DOWN (not TIMEOUT) shows the call did not sit out the command timeout.
        const e = await rejection(call());
        expect(isTgError(e, 'TG_ERR_DEP_DOWN'), String(e)).toBe(true);
        expect((e as { details: Record<string, unknown> }).details.dependency).toBe('redis-gatekeeper');
      }
      await server.start();
      // The client redials in the background (at most 200 ms apart); the fresh server has no script.
      let served = false;
      for (let i = 0; i < 40 && !served; i++) {
        await sleep(50);
        served = await s.acquire('tg:rl:kis:k', limit).then(
          (r) => r.granted,
          () => false,
        );
      }
      expect(served).toBe(true);
    } finally {
      await s.close();
    }
  });
});
