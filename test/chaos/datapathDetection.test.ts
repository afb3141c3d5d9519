// Issue 4 chaos test: a collector process SIGKILLed under a standalone supervisor (1 s heartbeats) is
// detected from its silence within 3 s; COLLECTOR_DOWN goes out on Pub/Sub and on the durable event
// stream, and the recovery worker turns its gaps into ledger rows. Real clock everywhere (the
// emulator included), so gap starts are the collector's real last ticks.
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, inject, it } from 'vitest';
import type { CollectorDownEvent, TgEvent } from '../../machines/types.ts';
import { startEmulator, type EmulatorHandle } from '../../runtime/emulator/index.ts';
import {
  COLLECTOR,
  Pipeline,
  eventOf,
  isReady,
  sleep,
  timeOf,
  until,
  viewChanges,
  waitState,
} from './datapathHarness.ts';

let emu: EmulatorHandle;
let db: pg.Pool;
let p: Pipeline;
let listener: Redis;

beforeAll(async () => {
  emu = await startEmulator({ symbols: 10, marketOpen: 'always' });
  db = new pg.Pool({ connectionString: inject('databaseUrl'), max: 2 });
});

afterAll(async () => {
  listener?.disconnect();
  await p?.dispose(db);
  await emu?.close();
  await db?.end();
});

const isDownOf = (e: TgEvent | undefined): e is CollectorDownEvent =>
  e?.type === 'COLLECTOR_DOWN' && e.collector === COLLECTOR;

describe('collector SIGKILL under a standalone supervisor', () => {
  it('is marked down within 3 s of the kill, COLLECTOR_DOWN is on Pub/Sub and the durable stream, and every symbol gets one gap in the ledger', async ({
    expect,
    onTestFailed,
  }) => {
    const redisUrl = inject('redisUrl');
    p = new Pipeline({
      tag: 'kill',
      redisUrl,
      gatekeeperUrl: redisUrl,
      databaseUrl: inject('databaseUrl'),
      emu,
      symbols: emu.symbols.slice(0, 3),
    });
    onTestFailed(() => console.log(`[datapath kill] process logs: ${p.dump()}`));
    listener = new Redis(redisUrl);
    const heard: TgEvent[] = [];
    listener.on('message', (_channel: string, text: string) => heard.push(JSON.parse(text) as TgEvent));
    await listener.subscribe(`${p.prefix}events`);

    // Every beat the collector's process sends (its starting beats, then its assembly's), as the
    // supervisor's detector sees them: their regularity is what makes detection fast.
    const beatKey = `${p.prefix}hb:${COLLECTOR}`;
    const reader = new Redis(redisUrl);
    const beatAt = async () => (JSON.parse((await reader.get(beatKey)) ?? '{}') as { at?: number }).at;
    const beats: number[] = [];
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const at = await beatAt();
        if (at !== undefined && at !== beats.at(-1)) beats.push(at);
        await sleep(5);
      }
    })();

    const sup = p.start('supervisor');
    const worker = p.start('recovery-worker');
    const col = p.start('collector');
    await Promise.all([sup, worker, col].map((x) => x.waitFor(isReady, 40_000)));
    await waitState(col, (s) => s === 'healthy', 0, 40_000);
    await until('the supervisor sees the collector healthy', async () =>
      viewChanges(sup, COLLECTOR).at(-1)?.to === 'healthy' ? true : undefined,
    );
    await sleep(3000); // a few regular beats, as in steady operation

    // Kill right after a beat lands: the longest silence before the deadline, the worst case.
    const before = beats.length;
    for (const deadline = Date.now() + 5000; beats.length === before && Date.now() < deadline;)
      await sleep(1);
    const killAt = Date.now();
    await col.kill('SIGKILL');
    sampling = false;
    await sampler;
    // No early beat (say, at the hand-over from starting beats to the assembly's): the phi detector
    // would read it as jitter and wait longer before it calls the silence a death.
    const intervals = beats.slice(1).map((at, i) => at - beats[i]);
    expect(intervals.length).toBeGreaterThanOrEqual(4);
    expect(Math.min(...intervals)).toBeGreaterThanOrEqual(800);
    const down = await until('COLLECTOR_DOWN on Pub/Sub', async () => heard.find(isDownOf), 10_000);
    const detectionMs = down.detectedAt - killAt;
    expect(detectionMs).toBeGreaterThanOrEqual(0);
    expect(detectionMs).toBeLessThanOrEqual(3000);
    expect(down.reason).toBe('heartbeat-timeout');
    const logged = sup.lines.find((l) => eventOf(l)?.id === down.id);
    expect(logged).toBeDefined();
    expect(timeOf(logged!) - killAt).toBeLessThanOrEqual(3000);
    const view = viewChanges(sup, COLLECTOR).find((c) => c.to === 'down' && c.at >= killAt);
    expect(view, JSON.stringify(viewChanges(sup, COLLECTOR))).toBeDefined();
    expect(view!.at - killAt).toBeLessThanOrEqual(3000);

    // A gap per symbol, each from the collector's last tick before the kill.
    expect(down.gaps.map((g) => g.symbol).sort()).toEqual([...p.o.symbols].sort());
    for (const g of down.gaps) {
      expect(g.start).toBeLessThanOrEqual(killAt);
      expect(g.start).toBeGreaterThan(killAt - 15_000);
      expect(g.gapId).toBe(`gap:${g.symbol}:${g.start}`);
    }

    const rows = await until(
      'gap rows in the ledger',
      async () => {
        const r = await db.query(
          `SELECT id, symbol, extract(epoch from start) * 1000 AS start, "end", status, collector
             FROM ${p.schema}.gaps WHERE collector = $1`,
          [COLLECTOR],
        );
        return r.rows.length >= down.gaps.length ? r.rows : undefined;
      },
      15_000,
    );
    expect(
      rows
        .map((r) => ({ id: r.id, symbol: r.symbol, start: Math.round(Number(r.start)), end: r.end }))
        .sort((a, b) => a.symbol.localeCompare(b.symbol)),
    ).toEqual(
      down.gaps
        .map((g) => ({ id: g.gapId, symbol: g.symbol, start: g.start, end: null }))
        .sort((a, b) => a.symbol.localeCompare(b.symbol)),
    );

    // The durable stream holds the same event, exactly once for this death.
    const log = await reader.xrange(`${p.prefix}events:log`, '-', '+').finally(() => reader.disconnect());
    const durable = log
      .map(([, fields]) => JSON.parse(fields[fields.indexOf('e') + 1]) as TgEvent)
      .filter(isDownOf);
    expect(durable).toEqual([down]);
    console.log(
      `[datapath kill] detection ${detectionMs} ms after the SIGKILL (logged +${timeOf(logged!) - killAt} ms), ` +
        `beat intervals ${Math.min(...intervals)}..${Math.max(...intervals)} ms, ` +
        `${down.gaps.length} gaps, ledger statuses ${rows.map((r) => r.status).join(',')}`,
    );
    await p.stop();
  });
});
