// The RateLimitStore contract against the real Redis adapter (GCRA Lua on the shared test
// redis-server), in real time. Faults are exercised with real server kills in
// test/integration/gatekeeperStore.test.ts, because the contract's fault switches are synchronous.
import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { Redis } from 'ioredis';
import { createRedisRateLimitStore } from '../../runtime/gatekeeper/index.ts';
import type { RateLimitStore } from '../../ports/rateLimitStore.ts';
import type { Harness } from './harness.ts';
import { rateLimitStoreContract } from './rateLimitStore.contract.ts';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Lets `ms` of real time pass without the timer's usual overshoot (a millisecond or more per call):
 * the contract's steady hammer counts grants, and every late acquire delays all later grants.
 */
async function advanceReal(ms: number): Promise<void> {
  const end = performance.now() + ms;
  if (ms > 2) await sleep(ms - 2);
  while (performance.now() < end) await new Promise<void>((r) => setImmediate(r));
}

async function redisHarness(): Promise<Harness<RateLimitStore>> {
  const url = inject('redisUrl');
  const prefix = `tg:test:${randomUUID()}:`;
  // A generous timeout: the contract is about bucket semantics, not about a loaded CI machine.
  const store = createRedisRateLimitStore({ url, prefix, commandTimeoutMs: 2000 });
  await store.ping();
  return {
    port: store,
    advance: advanceReal,
    settle: () => sleep(5),
    now: () => Date.now(),
    cleanup: async () => {
      await store.close();
      const admin = new Redis(url);
      const keys = await admin.keys(`${prefix}*`);
      if (keys.length) await admin.del(...keys);
      admin.disconnect();
    },
  };
}

rateLimitStoreContract('redis', redisHarness, { virtualTime: false, faults: false });
