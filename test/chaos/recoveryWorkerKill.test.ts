// Issue 5, recovery worker: SIGKILLed mid-back-fill it resumes from the PostgreSQL gap ledger with no
// duplicate rows and every gap minute equal to the broker's truth; and the dispatch order puts the
// busiest symbol's gap first. Real `tickguard recovery-worker` processes, the broker emulator at a KIS
// paper account's 2 requests/s, gaps in the ledger over past minutes of the emulator's day.
import { afterAll, describe, it, inject } from 'vitest';
import { MINUTE_MS } from '../../machines/marketHours.ts';
import type { Gap } from '../../machines/types.ts';
import {
  backfillRequests,
  compareWithTruth,
  createChaosWorld,
  emulatorVolumes,
  historyGap,
  isLine,
  iso,
  kstDayTooShort,
  minuteOf,
  until,
  type ChaosWorld,
  type RequestLine,
} from './recoveryHarness.ts';

const PAPER_RATE = 2;
/** Gap length: three requests of 30 bars (30 + 30 + 2). */
const GAP_MINUTES = 62;
const tooShort = kstDayTooShort(GAP_MINUTES + 3, 3);
const KILL_AFTER_REQUESTS = 7;
const worlds: ChaosWorld[] = [];

afterAll(async () => {
  await Promise.all(worlds.map((w) => w.close()));
});

async function paperWorld(symbols: number | string[]): Promise<ChaosWorld> {
  const world = await createChaosWorld({
    redisUrl: inject('redisUrl'),
    databaseUrl: inject('databaseUrl'),
    emulator: { symbols, rateLimitPerSec: PAPER_RATE, historyMinutes: 90 },
    rateLimitPerSec: PAPER_RATE,
  });
  worlds.push(world);
  return world;
}

/** A gap from `fromMinute` + 15 s (a partial boundary minute) to `toMinute` + 20 s. */
function pastGap(symbol: string, fromMinute: number, toMinute: number, priority: number): Gap {
  return historyGap(symbol, fromMinute + 15_000, toMinute + 20_000, priority);
}

if (tooShort) console.warn(`[chaos] recovery worker tests skipped: ${tooShort}`);

describe.skipIf(tooShort !== undefined)('recovery worker chaos', { concurrent: true }, () => {
  it('SIGKILLed mid-back-fill, a restarted worker resumes from the ledger: no duplicates, completeness 1.0', async ({
    expect,
  }) => {
    const world = await paperWorld(8);
    const volumes = await emulatorVolumes(world.emu);
    const symbols = world.emu.symbols.slice(0, 6);
    const lastMinute = minuteOf(Date.now()) - 2 * MINUTE_MS;
    const gaps: Gap[] = [];
    for (const symbol of symbols) {
      const first = (await world.truth(symbol))[0].minute;
      // Three requests per gap, 18 at 2/s.
      const from = Math.max(first, lastMinute - (GAP_MINUTES - 1) * MINUTE_MS);
      gaps.push(pastGap(symbol, from, lastMinute, volumes.get(symbol) ?? 0));
    }
    for (const gap of gaps) await world.store.openGap(gap);

    const first = world.start('worker-1', ['recovery-worker']);
    await first.waitFor(isLine('ready', 'recovery-worker'), 30_000);
    // Mid-back-fill, the moment a request goes out (it is in flight, its chunk not yet in the ledger).
    let sent = 0;
    await first.waitFor((l) => l.msg === 'backfill request' && ++sent >= KILL_AFTER_REQUESTS, 30_000);
    await first.kill('SIGKILL');
    const atKill = new Map((await world.gaps()).map((g) => [g.id, g]));
    const unfinished = [...atKill.values()].filter((g) => g.status !== 'recovered');
    expect(unfinished.length, 'gaps left when the worker died').toBeGreaterThanOrEqual(3);
    expect(
      unfinished.filter((g) => g.recoveredUntil > minuteOf(g.start)).length + gaps.length - unfinished.length,
      'gaps with ledger progress when the worker died',
    ).toBeGreaterThanOrEqual(1);

    const second = world.start('worker-2', ['recovery-worker']);
    const done = await until(
      'every gap recovered',
      async () => {
        const rows = await world.gaps();
        return rows.every((g) => g.status === 'recovered') ? rows : undefined;
      },
      60_000,
    );
    expect(done.map((g) => g.status)).toEqual(gaps.map(() => 'recovered'));

    // Resumed from the ledger: each unfinished gap's first request after the restart starts exactly
    // where the ledger said; finished gaps are not asked for again.
    const before = backfillRequests(first);
    const after = backfillRequests(second);
    for (const gap of atKill.values()) {
      const firstAfter = after.find((r) => r.gapId === gap.id);
      const finished = gap.status === 'recovered' || gap.recoveredUntil > minuteOf(gap.end!);
      if (finished) expect(firstAfter, gap.id).toBeUndefined();
      else expect(iso(firstAfter!.from), gap.id).toBe(iso(gap.recoveredUntil));
    }
    const refetched = overlapMinutes(before, after);

    // No duplicates and every minute of every gap equal to the broker's truth.
    const dup = await world.db.query(
      `SELECT symbol, minute, count(*) FROM ${world.schema}.bars_1m GROUP BY 1, 2 HAVING count(*) > 1`,
    );
    expect(dup.rows).toEqual([]);
    let expected = 0;
    let equal = 0;
    for (const gap of gaps) {
      const c = await compareWithTruth(world, gap.symbol, minuteOf(gap.start), minuteOf(gap.end!));
      expect(c.mismatches, gap.symbol).toEqual([]);
      expected += c.expected;
      equal += c.equal;
    }
    const stats = await world.stats();
    console.info(
      `[chaos] worker SIGKILL: ${gaps.length} gaps, ${expected} truth minutes, completeness ${equal / expected}, ` +
        `requests ${before.length} before the kill + ${after.length} after, ${refetched} minutes fetched twice, ` +
        `broker requests ${stats.requests}, rejections ${stats.rejections}, maxRequestsInAnySecond ${stats.maxRequestsInAnySecond}/${PAPER_RATE}`,
    );
    expect(equal / expected).toBe(1);
    expect(stats.rejections).toBe(0);
    expect(stats.maxRequestsInAnySecond).toBeLessThanOrEqual(PAPER_RATE);
  });

  it('dispatches the busiest symbol’s gap (005930) before 000020’s when both are pending', async ({
    expect,
  }) => {
    const world = await paperWorld(['005930', '000020']);
    const volumes = await emulatorVolumes(world.emu);
    expect(volumes.get('005930')!).toBeGreaterThan(volumes.get('000020')!);
    const lastMinute = minuteOf(Date.now()) - 2 * MINUTE_MS;
    // Three requests each. 000020's gap is older and written first (and its id sorts first): only
    // volume puts 005930 ahead.
    const low = pastGap(
      '000020',
      lastMinute - (GAP_MINUTES - 1) * MINUTE_MS,
      lastMinute,
      volumes.get('000020')!,
    );
    const high = pastGap(
      '005930',
      lastMinute - (GAP_MINUTES - 2) * MINUTE_MS,
      lastMinute,
      volumes.get('005930')!,
    );
    await world.store.openGap(low);
    await world.store.openGap(high);
    const worker = world.start('worker', ['recovery-worker']);
    await until(
      'both gaps recovered',
      async () => ((await world.gaps()).every((g) => g.status === 'recovered') ? true : undefined),
      40_000,
    );
    // A gap's first request (its recovery start) is marked *.
    const starts = new Map([low, high].map((g) => [g.id, minuteOf(g.start)]));
    const order = backfillRequests(worker).map(
      (r) => `${r.symbol}${r.from === starts.get(r.gapId) ? '*' : ''}`,
    );
    console.info(`[chaos] dispatch order: ${order.join(' ')}`);
    // Starts go first (recovery starts at once), busiest first; then continuations, busiest first.
    expect(order).toEqual(['005930*', '000020*', '005930', '005930', '000020', '000020']);
    expect((await world.stats()).requests).toBe(order.length);
  });
});

/** Minutes asked for both before and after the restart (the chunk in flight at the kill). */
function overlapMinutes(before: RequestLine[], after: RequestLine[]): number {
  let n = 0;
  for (const a of after)
    for (const b of before)
      if (a.gapId === b.gapId)
        n += Math.max(0, (Math.min(a.to, b.to) - Math.max(a.from, b.from)) / MINUTE_MS + 1);
  return n;
}
