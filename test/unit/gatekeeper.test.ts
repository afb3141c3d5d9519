// Gatekeeper client behaviour in virtual time: global pacing, local fallback on a failed or slow store,
// half-open return with charge-back, the supervisor's mode switch, broker rejections (pause + AIMD).
import { afterEach, describe, expect, it } from 'vitest';
import { createGatekeeperWorld, maxInWindow, type GatekeeperWorld } from './gatekeeperHarness.ts';
import { isTgError } from '../../machines/errors.ts';

let world: GatekeeperWorld | undefined;
afterEach(() => {
  world?.dispose();
  world = undefined;
});

async function setup(clients: number, ratePerSec: number) {
  world = await createGatekeeperWorld({ clients, ratePerSec });
  return world;
}

describe('gatekeeper client', () => {
  it('paces global grants at the limit, first one immediately', async () => {
    const w = await setup(1, 20);
    w.request(0, 40);
    await w.run(3000);
    expect(w.grants).toHaveLength(40);
    expect(w.grants[0].at).toBe(0);
    expect(w.grants.every((g) => g.mode === 'global')).toBe(true);
    expect(maxInWindow(w.grants.map((g) => g.at))).toBe(20);
    expect(w.grants[1].at - w.grants[0].at).toBe(50);
  });

  it('serves waiters first come, first served', async () => {
    const w = await setup(1, 10);
    const order: number[] = [];
    for (let i = 0; i < 5; i++) void w.clients[0].acquire().then(() => order.push(i));
    await w.run(1000);
    expect(order).toEqual([0, 1, 2, 3, 4]);
  });

  it('switches to the local share at once when the store refuses', async () => {
    const w = await setup(2, 20);
    w.gate.down('refuse');
    w.request(0, 10);
    await w.run(2000);
    expect(w.clients[0].mode()).toBe('local');
    expect(w.clients[0].actor.getSnapshot().value).not.toBe('healthy');
    expect(w.clients[0].localRatePerSec()).toBeCloseTo(8); // 20 * 0.8 / 2
    const local = w.grants.filter((g) => g.mode === 'local');
    expect(local.length).toBeGreaterThan(0);
    expect(local[0].localRatePerSec).toBeCloseTo(8);
    expect(maxInWindow(local.map((g) => g.at))).toBeLessThanOrEqual(8);
  });

  it('treats a call slower than slowCallMs as a failure', async () => {
    const w = await setup(1, 20);
    w.gate.slow(300);
    w.request(0, 1);
    await w.run(100);
    expect(w.clients[0].mode()).toBe('local');
    await w.run(2000);
    expect(w.grants).toHaveLength(1);
    expect(w.grants[0].mode).toBe('local');
  });

  it('waits a slot and a slow call after entering local mode before its first local grant', async () => {
    const w = await setup(1, 20);
    w.request(0, 20);
    await w.run(950);
    expect(w.grants).toHaveLength(20);
    w.gate.down('refuse');
    w.request(0, 20);
    await w.run(3000);
    const local = w.grants.filter((g) => g.mode === 'local');
    expect(local.length).toBeGreaterThan(0);
    // 62.5 ms slot at 20 * 0.8 per second, plus slowCallMs: room for the pre-outage global grants.
    expect(local[0].at - 950).toBeGreaterThanOrEqual(162.5);
    expect(maxInWindow(w.grants.map((g) => g.at))).toBeLessThanOrEqual(20);
  });

  it('returns to global only after the store answers, charging what it spent locally', async () => {
    const w = await setup(1, 20);
    w.gate.down('refuse');
    w.request(0, 40);
    await w.run(2000);
    const localCount = w.grants.filter((g) => g.mode === 'local').length;
    expect(localCount).toBeGreaterThan(0);
    expect(w.clients[0].mode()).toBe('local');
    w.gate.up();
    w.request(0, 3);
    await w.run(3000);
    expect(w.clients[0].mode()).toBe('global');
    expect(w.grants.at(-1)!.mode).toBe('global');
    expect(w.store.stats('tg:rl:kis:' + keySuffix(w)).charged).toBeGreaterThanOrEqual(1);
    expect(maxInWindow(w.grants.map((g) => g.at))).toBeLessThanOrEqual(20);
  });

  it('probes the store while idle and goes back to global on the first successful probe', async () => {
    const w = await setup(1, 20);
    w.gate.down('refuse');
    w.request(0, 1);
    await w.run(200);
    expect(w.clients[0].mode()).toBe('local');
    await w.run(1500);
    expect(w.clients[0].actor.getSnapshot().value).toBe('degraded');
    w.gate.up();
    await w.run(1200);
    expect(w.clients[0].actor.getSnapshot().value).toBe('healthy');
  });

  it('obeys the supervisor: local at once, global only after a probe succeeds', async () => {
    const w = await setup(1, 20);
    w.clients[0].setMode('local');
    expect(w.clients[0].mode()).toBe('local');
    w.gate.down('refuse');
    w.request(0, 2);
    await w.run(2000);
    expect(w.grants.map((g) => g.mode)).toEqual(['local', 'local']);
    w.clients[0].setMode('global');
    expect(w.clients[0].actor.getSnapshot().value).toBe('recovering');
    await w.run(10);
    expect(w.clients[0].mode()).toBe('local');
    w.gate.up();
    w.clients[0].setMode('global');
    await w.run(10);
    expect(w.clients[0].mode()).toBe('global');
  });

  it('does not grant locally on a supervisor hint while the store still answers', async () => {
    const w = await setup(1, 20);
    w.clients[0].setMode('local');
    w.request(0, 5);
    await w.run(2000);
    expect(w.grants).toHaveLength(5);
    expect(w.grants.every((g) => g.mode === 'global')).toBe(true);
  });

  it('pauses after a broker rejection and shrinks the rate, then grows it back per second', async () => {
    const w = await setup(1, 20);
    w.clients[0].reportRejection(1500);
    expect(w.clients[0].actor.getSnapshot().value).toBe('down');
    w.request(0, 30);
    await w.run(1499);
    expect(w.grants).toHaveLength(0);
    await w.run(1);
    expect(w.grants.length).toBe(1);
    expect(w.clients[0].actor.getSnapshot().context.aimd.rate).toBe(10);
    await w.run(3000);
    const rate = w.clients[0].actor.getSnapshot().context.aimd.rate;
    expect(rate).toBeGreaterThan(10);
    expect(rate).toBeLessThanOrEqual(20);
    expect(w.grants.every((g) => g.mode === 'global')).toBe(true);
  });

  it('defaults the pause to one second when the broker gives no window', async () => {
    const w = await setup(1, 20);
    w.clients[0].reportRejection(0);
    w.request(0, 1);
    await w.run(999);
    expect(w.grants).toHaveLength(0);
    await w.run(1);
    expect(w.grants).toHaveLength(1);
  });

  it('rejects a waiter with TG_ERR_RATE_LIMITED once its deadline passes', async () => {
    const w = await setup(1, 1);
    const first = w.clients[0].acquire();
    const late = w.clients[0].acquire(w.kernel.now() + 300);
    let error: unknown;
    late.catch((e) => (error = e));
    await w.run(400);
    await first;
    expect(isTgError(error, 'TG_ERR_RATE_LIMITED')).toBe(true);
    // The waiter that gave up does not consume the next token.
    w.request(0, 1);
    await w.run(1000);
    expect(w.grants).toHaveLength(2);
  });

  it('tryAcquire grants without waiting and reports the wait when the bucket is empty', async () => {
    const w = await setup(1, 5);
    expect(await w.clients[0].tryAcquire()).toEqual({ granted: true, waitMs: 0 });
    const second = await w.clients[0].tryAcquire();
    expect(second.granted).toBe(false);
    expect(second.waitMs).toBe(200);
  });

  it('counts live gatekeeper clients from the heartbeat registry for the local share', async () => {
    const w = await setup(1, 20);
    expect(w.clients[0].localRatePerSec()).toBeCloseTo(16);
    for (const id of ['x', 'y', 'z']) {
      await w.heartbeats.beat(
        { component: `gatekeeper:kis:${id}`, at: 0, state: 'healthy', gatekeeperMode: 'global' },
        5000,
      );
    }
    await w.run(1000);
    expect(w.clients[0].localRatePerSec()).toBeCloseTo(4);
  });
});

function keySuffix(w: GatekeeperWorld): string {
  void w;
  let h = 0x811c9dc5;
  for (const ch of 'app-key-under-test') {
    h ^= ch.charCodeAt(0);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}
