// The full gatekeeper client (createGatekeeperClient on the real clock) against a private
// redis-gatekeeper that is SIGKILLed mid-stream: local mode at once, local grants at
// limit * safety / N, and after the restart a probe brings it back to global and the local grants
// are charged to the (now empty) shared bucket before it grants again.
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { startRedis, type ServerHandle } from '../infra/servers.ts';
import {
  createLiveGatekeeperWorld,
  liveGatekeeperConfig,
  maxInWindow,
  type LiveGatekeeperWorld,
} from './gatekeeperLive.ts';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const LIMIT = 20;
const SAFETY = 0.8;
const CLIENTS = 2;
const LOCAL_SHARE = (LIMIT * SAFETY) / CLIENTS; // 8 per second per client
const INTERVAL_MS = 1000 / LIMIT;
/**
 * Grant times are taken by the clients (Date.now in onGrant), not by the server: a global grant is
 * seen one reply plus any event-loop delay after Redis decided it. The server spaces global grants
 * exactly (see gatekeeperStore.test.ts), so the per-second check allows that much skew.
 */
const OBSERVATION_SLACK_MS = 15;

describe('gatekeeper client through a redis-gatekeeper SIGKILL', () => {
  let server: ServerHandle;
  let world: LiveGatekeeperWorld;
  const marks = { kill: 0, up: 0, end: 0 };

  beforeAll(async () => {
    server = await startRedis();
    world = await createLiveGatekeeperWorld({
      gatekeeperUrl: server.url,
      redisMainUrl: inject('redisUrl'),
      clients: CLIENTS,
      config: liveGatekeeperConfig(LIMIT, { safety: SAFETY, slowCallMs: 100, probeIntervalMs: 300 }),
    });
    world.startDemand(4);
    await sleep(1300);
    marks.kill = Date.now();
    await server.kill();
    await sleep(1500);
    marks.up = Date.now();
    await server.start();
    // Reconnect (<= 200 ms) + probe (<= 300 ms), then the charged local grants hold the bucket for
    // about 1.4 s before global grants resume.
    await sleep(3000);
    marks.end = Date.now();
    await world.stop();
  });
  afterAll(async () => {
    await server?.destroy();
  });

  it('grants globally before the kill', () => {
    const before = world.grants.filter((g) => g.at < marks.kill);
    expect(before.length).toBeGreaterThanOrEqual(5);
    expect(before.every((g) => g.mode === 'global')).toBe(true);
  });

  it('goes local on the first refused call, not after a timeout', () => {
    for (let c = 0; c < CLIENTS; c++) {
      const first = world.states.find((s) => s.client === c && s.at >= marks.kill);
      expect(first?.state).toBe('degraded');
      // 'store call failed' is a rejected call; a timed-out one says 'store slower than ...'.
      expect(first?.reason).toBe('store call failed');
    }
  });

  it('keeps granting locally at limit * safety / N while the store is dead', () => {
    for (let c = 0; c < CLIENTS; c++) {
      const during = world.grants.filter((g) => g.client === c && g.at >= marks.kill && g.at < marks.up);
      // A reply the server sent just before dying may still land after the kill mark.
      expect(during.filter((g) => g.mode === 'global' && g.at > marks.kill + 20)).toEqual([]);
      const local = during.filter((g) => g.mode === 'local');
      expect(local.length, `client ${c} local grants`).toBeGreaterThanOrEqual(6);
      expect(local.every((g) => g.localRatePerSec === LOCAL_SHARE)).toBe(true);
      // Slots are spaced exactly; only a grant made late in its slot can pull one more into a window.
      expect(maxInWindow(local.map((g) => g.at))).toBeLessThanOrEqual(LOCAL_SHARE + 1);
      // Each local grant uses its own slot (one per 125 ms for this client) inside the outage.
      const outageMs = marks.up - marks.kill;
      expect(local.length).toBeLessThanOrEqual(Math.floor((outageMs * LOCAL_SHARE) / 1000) + 1);
    }
  });

  it('returns to global through a successful probe after the restart', () => {
    for (let c = 0; c < CLIENTS; c++) {
      const back = world.states.find((s) => s.client === c && s.at >= marks.up && s.state === 'healthy');
      expect(back, `client ${c} never returned to healthy`).toBeDefined();
      expect(['probe succeeded', 'store answered']).toContain(back!.reason);
      expect(world.clients[c].mode()).toBe('global');
    }
    const late = world.grants.filter((g) => g.at > marks.end - 1000);
    expect(late.length).toBeGreaterThan(0);
    expect(late.every((g) => g.mode === 'global')).toBe(true);
  });

  it('charges the local grants to the fresh bucket before the next global grant', () => {
    const onFreshServer = world.calls
      .filter((c) => c.ok && c.op !== 'ping' && c.startedAt >= marks.up)
      .sort((a, b) => a.endedAt - b.endedAt);
    const charge = onFreshServer[0];
    expect(charge?.op).toBe('charge');
    const ownRecentLocal = world.grants.filter(
      (g) => g.client === charge.client && g.mode === 'local' && g.at > charge.startedAt - 1000,
    ).length;
    expect(ownRecentLocal).toBeGreaterThan(0);
    expect(charge.tokens).toBeGreaterThanOrEqual(ownRecentLocal);
    // The bucket now holds the charged tokens: the next acquire waits for (nearly) all of them.
    const next = onFreshServer.find((c) => c.op === 'acquire' && c.startedAt >= charge.endedAt);
    expect(next?.result?.granted).toBe(false);
    expect(next!.result!.waitMs).toBeGreaterThan((charge.tokens! - 1) * INTERVAL_MS);
  });

  it('never lets more than the limit through in any second, across both transitions', () => {
    const times = world.grants.map((g) => g.at);
    expect(maxInWindow(times, 1000 - OBSERVATION_SLACK_MS)).toBeLessThanOrEqual(LIMIT);
  });
});
