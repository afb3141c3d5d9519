// Issue 5, redis-gatekeeper: a private redis-gatekeeper is SIGKILLed while the recovery worker is
// back-filling. The worker keeps back-filling on its local share of the limit (no wait for the
// supervisor), the broker sees zero rejections and never more than the limit in a second, and once
// redis-gatekeeper is back the worker (and the supervisor's GATEKEEPER_MODE) returns to global.
import { afterAll, describe, expect, it, inject } from 'vitest';
import { MINUTE_MS } from '../../machines/marketHours.ts';
import type { Gap } from '../../machines/types.ts';
import { startRedis, type ServerHandle } from '../infra/servers.ts';
import {
  backfillRequests,
  compareWithTruth,
  createChaosWorld,
  emulatorVolumes,
  historyGap,
  isLine,
  kstDayTooShort,
  minuteOf,
  sleep,
  supervisorEvents,
  until,
  type ChaosWorld,
} from './recoveryHarness.ts';

const LIMIT = 5;
const SYMBOLS = 20;
const DOWN_MS = 6000;
/** Gap length: three requests of 30 bars (30 + 30 + 2), 60 requests in all. */
const GAP_MINUTES = 62;
const tooShort = kstDayTooShort(GAP_MINUTES + 3, 2);
if (tooShort) console.warn(`[chaos] redis-gatekeeper test skipped: ${tooShort}`);

describe.skipIf(tooShort !== undefined)('redis-gatekeeper SIGKILLed mid-back-fill', () => {
  let gatekeeper: ServerHandle | undefined;
  let world: ChaosWorld | undefined;
  afterAll(async () => {
    await world?.close();
    await gatekeeper?.destroy();
  });

  it('back-fill goes on in local mode with zero rejections and returns to global when it is back', async () => {
    gatekeeper = await startRedis();
    world = await createChaosWorld({
      redisUrl: inject('redisUrl'),
      gatekeeperUrl: gatekeeper.url,
      databaseUrl: inject('databaseUrl'),
      emulator: { symbols: SYMBOLS, rateLimitPerSec: LIMIT, historyMinutes: 90 },
      rateLimitPerSec: LIMIT,
      tuning: 'gatekeeper: { probeIntervalMs: 500 }',
    });
    const w = world;
    const volumes = await emulatorVolumes(w.emu);
    const lastMinute = minuteOf(Date.now()) - 2 * MINUTE_MS;
    const gaps: Gap[] = [];
    for (const symbol of w.emu.symbols) {
      const first = (await w.truth(symbol))[0]?.minute;
      if (first === undefined) continue;
      const from = Math.max(first, lastMinute - (GAP_MINUTES - 1) * MINUTE_MS);
      gaps.push(historyGap(symbol, from + 10_000, lastMinute + 30_000, volumes.get(symbol) ?? 0));
    }
    for (const gap of gaps) await w.store.openGap(gap);

    const supervisor = w.start('supervisor', ['supervisor']);
    await supervisor.waitFor(isLine('ready', 'supervisor'), 30_000);
    const worker = w.start('recovery-worker', ['recovery-worker']);
    let sent = 0;
    await worker.waitFor((l) => l.msg === 'backfill request' && ++sent >= 8, 30_000);
    const killedAt = Date.now();
    await gatekeeper.kill();
    await sleep(DOWN_MS);
    const backAt = Date.now();
    await gatekeeper.start();
    await until(
      'every gap recovered',
      async () => ((await w.gaps()).every((g) => g.status === 'recovered') ? true : undefined),
      60_000,
    );
    const ended = Date.now();

    const requests = backfillRequests(worker);
    const down = requests.filter((r) => r.at > killedAt && r.at < backAt);
    const after = requests.filter((r) => r.at > backAt);
    const modes = worker.lines.filter((l) => l.msg === 'gatekeeper mode');
    const toLocal = modes.find((l) => l.mode === 'local' && Date.parse(String(l.t)) >= killedAt);
    const toGlobal = modes.find((l) => l.mode === 'global' && Date.parse(String(l.t)) > backAt);
    const gkEvents = supervisorEvents<{ mode: string; at: number }>(supervisor, 'GATEKEEPER_MODE');
    const stats = await w.stats();
    console.info(
      `[chaos] gatekeeper down ${DOWN_MS} ms: ${requests.length} requests (${down.length} while down, ` +
        `${down.filter((r) => r.gatekeeperMode === 'local').length} local), local after ` +
        `${toLocal ? Date.parse(String(toLocal.t)) - killedAt : '-'} ms, global again ` +
        `${toGlobal ? Date.parse(String(toGlobal.t)) - backAt : '-'} ms after restart; supervisor ` +
        `${gkEvents.map((e) => e.mode).join(',')}; broker requests ${stats.requests}, rejections ` +
        `${stats.rejections}, maxRequestsInAnySecond ${stats.maxRequestsInAnySecond}/${LIMIT}; back-fill took ` +
        `${ended - killedAt} ms after the kill`,
    );

    // Back-fill never stopped: requests kept going out on the local share while the store was dead.
    expect(down.length).toBeGreaterThanOrEqual(5);
    expect(down.filter((r) => r.gatekeeperMode === 'global')).toEqual([]);
    expect(toLocal).toBeDefined();
    expect(Number(toLocal!.localRatePerSec)).toBeLessThanOrEqual(LIMIT * 0.8);
    // And back to the shared bucket once redis-gatekeeper answers again.
    expect(toGlobal).toBeDefined();
    expect(after.some((r) => r.gatekeeperMode === 'global')).toBe(true);
    // The supervisor saw it too: local after the kill, global (last word) after the restart.
    expect(gkEvents.find((e) => e.at >= killedAt)?.mode).toBe('local');
    expect(gkEvents.at(-1)?.mode).toBe('global');
    expect(gkEvents.at(-1)!.at).toBeGreaterThan(backAt);
    // The broker never saw more than it allows.
    expect(stats.rejections).toBe(0);
    expect(stats.maxRequestsInAnySecond).toBeLessThanOrEqual(LIMIT);
    expect(stats.requests).toBe(requests.length);
    for (const gap of gaps) {
      const c = await compareWithTruth(w, gap.symbol, minuteOf(gap.start), minuteOf(gap.end!));
      expect(c.mismatches, gap.symbol).toEqual([]);
    }
  });
});
