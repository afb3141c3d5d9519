// Tick ingest on real PostgreSQL: re-delivered and concurrently written batches leave exactly the
// tables one clean write leaves (ticks and bar volume never doubled), a failing write leaves nothing
// behind, and the binary and text COPY paths store the same rows.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { isTgError } from '../../machines/errors.ts';
import { kstTime, MINUTE_MS } from '../../machines/marketHours.ts';
import type { TickBatch } from '../../machines/types.ts';
import { MemoryStore } from '../../ports/memory/memoryStore.ts';
import { createPgStore, type PgStore } from '../../runtime/postgres/index.ts';
import type { CopyFormat } from '../../runtime/postgres/copyRows.ts';
import { realClock } from '../../runtime/clock.ts';

const databaseUrl = inject('databaseUrl');
const DAY = '20250102';
const OPEN = kstTime(DAY, '09:00');

let admin: pg.Client;
const schemas: string[] = [];
const stores: PgStore[] = [];

beforeAll(async () => {
  admin = new pg.Client({ connectionString: databaseUrl });
  await admin.connect();
});

afterAll(async () => {
  for (const s of stores) await s.close();
  for (const schema of schemas) await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await admin.end();
});

async function newStore(schema?: string, copyFormat: CopyFormat = 'binary'): Promise<[PgStore, string]> {
  const name = schema ?? `tg_test_${randomBytes(6).toString('hex')}`;
  if (!schema) schemas.push(name);
  const store = await createPgStore({ url: databaseUrl, schema: name, poolSize: 2, copyFormat });
  stores.push(store);
  await store.migrate();
  return [store, name];
}

/** A small seeded market: symbols with cumulative volumes over a few minutes, cut into batches. */
function market(seed: number, symbols = 12, tradesPerSymbol = 150): TickBatch[] {
  let x = seed;
  const rnd = () => (x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const out: TickBatch[] = [];
  for (let s = 0; s < symbols; s++) {
    let cum = 0;
    let ts = OPEN;
    let price = 1000 + s * 10;
    const batch: TickBatch = { symbol: `S${s}`, day: DAY, ts: [], cumVolume: [], price: [], volume: [] };
    for (let i = 0; i < tradesPerSymbol; i++) {
      const volume = 1 + Math.floor(rnd() * 40);
      cum += volume;
      ts += Math.floor(rnd() * 3000);
      price += Math.floor(rnd() * 5) - 2;
      batch.ts.push(ts);
      batch.cumVolume.push(cum);
      batch.price.push(price);
      batch.volume.push(volume);
      if (batch.ts.length >= 1 + Math.floor(rnd() * 20) || i === tradesPerSymbol - 1) {
        out.push({
          ...batch,
          ts: [...batch.ts],
          cumVolume: [...batch.cumVolume],
          price: [...batch.price],
          volume: [...batch.volume],
        });
        batch.ts = [];
        batch.cumVolume = [];
        batch.price = [];
        batch.volume = [];
      }
    }
  }
  return out;
}

const tickCount = (batches: TickBatch[]) => batches.reduce((n, b) => n + b.cumVolume.length, 0);

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Every stored row of both tables, hidden bar columns included, in a canonical order. */
async function dump(schema: string): Promise<{ ticks: unknown[]; bars: unknown[] }> {
  const ticks = await admin.query(
    `SELECT symbol, day::text, cum_volume::text, ts, price, volume::text FROM "${schema}".ticks t ORDER BY t.symbol, t.day, t.cum_volume`,
  );
  const bars = await admin.query(
    `SELECT symbol, minute, open, high, low, close, volume::text, source, open_cum::text, close_cum::text
     FROM "${schema}".bars_1m ORDER BY 1, 2`,
  );
  return { ticks: ticks.rows, bars: bars.rows };
}

describe('postgres tick ingest', () => {
  it('stores re-delivered batches once: the tables equal those of a single write', async () => {
    const batches = market(1);
    const [once, onceSchema] = await newStore();
    const [twice, twiceSchema] = await newStore();
    await once.writeTicks('collector:kis-1', batches);
    const first = await twice.writeTicks('collector:kis-1', batches);
    const again = await twice.writeTicks('collector:kis-1', batches);
    expect(first).toEqual({ inserted: tickCount(batches), duplicates: 0 });
    expect(again).toEqual({ inserted: 0, duplicates: tickCount(batches) });
    expect(await dump(twiceSchema)).toEqual(await dump(onceSchema));
  });

  it('two writers racing over the same batches in different orders leave the single-writer tables', async () => {
    const batches = market(2, 16, 200);
    const [, referenceSchema] = await newStore();
    const reference = stores[stores.length - 1];
    await reference.writeTicks('k', batches);
    const [a, schema] = await newStore();
    const [b] = await newStore(schema);
    const forward = chunks(batches, 7);
    const backward = chunks([...batches].reverse(), 5);
    const run = async (store: PgStore, calls: TickBatch[][]) => {
      let inserted = 0;
      let duplicates = 0;
      for (const c of calls) {
        const r = await store.writeTicks('k', c);
        inserted += r.inserted;
        duplicates += r.duplicates;
      }
      return { inserted, duplicates };
    };
    const [ra, rb] = await Promise.all([run(a, forward), run(b, backward)]);
    expect(ra.inserted + rb.inserted).toBe(tickCount(batches));
    expect(ra.duplicates + rb.duplicates).toBe(tickCount(batches));
    expect(await dump(schema)).toEqual(await dump(referenceSchema));
  });

  it('rolls back the ticks when the bar update of the same write fails, so the retry stores everything', async () => {
    const [store, schema] = await newStore();
    const good = market(3, 2, 20);
    const poison: TickBatch = {
      symbol: 'POISON',
      day: DAY,
      ts: [OPEN],
      cumVolume: [5],
      price: [1],
      volume: [5],
    };
    await admin.query(`ALTER TABLE "${schema}".bars_1m ADD CONSTRAINT no_poison CHECK (symbol <> 'POISON')`);
    const failure = await store.writeTicks('k', [...good, poison]).catch((e: unknown) => e);
    expect(isTgError(failure, 'TG_ERR_STORE')).toBe(true);
    expect((failure as { details: Record<string, unknown> }).details.sqlstate).toBe('23514');
    expect((await dump(schema)).ticks).toEqual([]);
    await admin.query(`ALTER TABLE "${schema}".bars_1m DROP CONSTRAINT no_poison`);
    expect(await store.writeTicks('k', [...good, poison])).toEqual({
      inserted: tickCount(good) + 1,
      duplicates: 0,
    });
  });

  it('stores the same rows through binary and text COPY, odd symbol characters included', async () => {
    const batches = [
      ...market(4, 3, 40),
      { symbol: 'A\tB\\C\nD', day: DAY, ts: [OPEN + 1], cumVolume: [3], price: [10.25], volume: [3] },
      // Beyond 32 bits, below zero and fractional: the binary int8/float8 encoding must be exact.
      {
        symbol: 'BIG',
        day: DAY,
        ts: [OPEN + 2, OPEN + 3, OPEN + 4],
        cumVolume: [-3, 2 ** 33 + 7, 2 ** 45 + 1],
        price: [0.1, 1e6 + 0.25, 3],
        volume: [1, 5, 2 ** 40],
      },
    ];
    const [binary, binarySchema] = await newStore(undefined, 'binary');
    const [text, textSchema] = await newStore(undefined, 'text');
    await binary.writeTicks('k', batches);
    await text.writeTicks('k', batches);
    const rows = await dump(textSchema);
    expect(rows).toEqual(await dump(binarySchema));
    expect(rows.ticks).toContainEqual(expect.objectContaining({ symbol: 'A\tB\\C\nD', price: 10.25 }));
    expect(rows.ticks.filter((t) => (t as { symbol: string }).symbol === 'BIG')).toEqual([
      expect.objectContaining({ cum_volume: '-3', price: 0.1, volume: '1' }),
      expect.objectContaining({ cum_volume: String(2 ** 33 + 7), price: 1e6 + 0.25, volume: '5' }),
      expect.objectContaining({ cum_volume: String(2 ** 45 + 1), price: 3, volume: String(2 ** 40) }),
    ]);
  });

  it('skips the ticks the memory store counts as invalid, counting them neither inserted nor duplicate', async () => {
    const [store] = await newStore();
    const memory = new MemoryStore({ clock: realClock });
    const batch: TickBatch = {
      symbol: 'S',
      day: DAY,
      ts: [OPEN, OPEN + 1, Number.NaN, OPEN + 3, OPEN + 4],
      cumVolume: [1, 1, 3, 7, 9],
      price: [100, 100, 100, Number.NaN, 101],
      volume: [1, 0, 2, 4, 2],
    };
    const expected = await memory.writeTicks('k', [batch]);
    expect(expected).toEqual({ inserted: 2, duplicates: 0 });
    expect(await store.writeTicks('k', [batch])).toEqual(expected);
    expect(await store.bars('S', OPEN, OPEN + MINUTE_MS)).toEqual(
      await memory.bars('S', OPEN, OPEN + MINUTE_MS),
    );
  });
});
