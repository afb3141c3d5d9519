// The tick stream encoding on a real server: batches round-trip exactly (fast-check), a corrupt
// entry is reported and moved to the dead-letter stream instead of stopping the writer, an entry of
// a newer format is left pending, and a throughput figure for the log (no timed assertion).
import fc from 'fast-check';
import { afterEach, describe, expect, inject, it } from 'vitest';
import type { TickBatch } from '../../machines/types.ts';
import {
  createRedisPorts,
  decodeTickBatches,
  encodeTickBatches,
  type RedisAdapters,
} from '../../runtime/redis/index.ts';
import { dropPrefix, testPrefix } from '../contracts/redisHarness.ts';

const url = inject('redisUrl');

const column = (n: number, value: fc.Arbitrary<number>) => fc.array(value, { minLength: n, maxLength: n });
const batchArb: fc.Arbitrary<TickBatch> = fc.integer({ min: 0, max: 40 }).chain((n) =>
  fc.record({
    symbol: fc.string({ maxLength: 8 }),
    day: fc.constantFrom('20250102', '20251231'),
    ts: column(
      n,
      fc.oneof(fc.integer({ min: 0, max: 2 ** 45 }), fc.double({ noNaN: true, noDefaultInfinity: true })),
    ),
    cumVolume: column(n, fc.oneof(fc.maxSafeInteger(), fc.integer({ min: 0, max: 1e9 }))),
    price: column(
      n,
      fc.oneof(fc.integer({ min: 1, max: 3_000_000 }), fc.double({ min: 0, max: 1e7, noNaN: true })),
    ),
    volume: column(n, fc.integer({ min: 0, max: 1e6 })),
  }),
);

/** A realistic batch: `n` consecutive trades of one symbol. */
function trades(symbol: string, start: number, n: number): TickBatch {
  const b: TickBatch = { symbol, day: '20250102', ts: [], cumVolume: [], price: [], volume: [] };
  for (let i = 0; i < n; i++) {
    b.ts.push(1_735_776_000_000 + (start + i) * 7);
    b.cumVolume.push(1_000_000 + (start + i) * 3);
    b.price.push(70_000 + ((start + i) % 40) * 100);
    b.volume.push(3);
  }
  return b;
}

describe('tick batch codec', () => {
  it('decodes exactly what was encoded, including floats and huge integers', () => {
    fc.assert(
      fc.property(fc.array(batchArb, { maxLength: 5 }), (batches) => {
        const decoded = decodeTickBatches(encodeTickBatches(batches));
        expect(decoded).toEqual({ ok: true, batches: JSON.parse(JSON.stringify(batches)) });
      }),
    );
  });

  it('reports, never throws, on any text that is not an encoding', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json()), (text) => {
        const decoded = decodeTickBatches(text);
        if (decoded.ok) expect(encodeTickBatches(decoded.batches)).toBeTypeOf('string');
      }),
    );
    expect(decodeTickBatches('[{"s":"A","d":"1","t":[1],"c":[1,2],"p":[1],"v":[1]}]').ok).toBe(false);
  });
});

describe('redis tick stream', () => {
  let ports: RedisAdapters;
  let prefix = '';
  afterEach(async () => {
    await ports?.close();
    await dropPrefix(url, prefix);
  });
  function open(): RedisAdapters {
    prefix = testPrefix();
    ports = createRedisPorts({ url, prefix, name: 'writer' });
    return ports;
  }

  it('moves an undecodable entry to the dead-letter stream and leaves a newer format pending', async () => {
    const p = open();
    await p.tickBuffer.append('collector:kis-1', [trades('005930', 0, 2)]);
    const stream = `${prefix}ticks:collector:kis-1`;
    await p.connection.client.xadd(stream, '*', 'v', '1', 'b', '[{"s":"005930","d":"2025');
    await p.connection.client.xadd(stream, '*', 'v', '2', 'b', 'whatever a newer collector writes');
    await p.connection.client.xadd(stream, '*', 'junk', 'x');
    await p.tickBuffer.append('collector:kis-1', [trades('005930', 2, 2)]);
    const read = await p.tickBuffer.read('writer-1', 10);
    expect(read.map((e) => e.batches[0].cumVolume[0])).toEqual([1_000_000, 1_000_006]);
    expect(p.tickBuffer.stats()).toMatchObject({ corrupt: 2, unsupported: 1 });
    const dead = await p.connection.client.xrange(`${prefix}deadletter:ticks`, '-', '+');
    expect(dead).toHaveLength(2);
    expect(dead[0][1]).toContain('collector:kis-1');
    await p.tickBuffer.ack(read);
    expect(await p.tickBuffer.backlog()).toBe(1); // the newer-format entry waits for a newer writer
  });

  it('moves ticks from appenders to a reader (throughput logged)', async () => {
    const p = open();
    const collectors = ['collector:kis-1', 'collector:kis-2', 'collector:kiwoom-1'];
    const entriesPerCollector = 400;
    const ticksPerEntry = 50; // e.g. 50 trades of one symbol gathered in a flush window
    const appendStart = performance.now();
    await Promise.all(
      collectors.map(async (c, ci) => {
        for (let i = 0; i < entriesPerCollector; i++) {
          await p.tickBuffer.append(c, [trades(`00${ci}930`, i * ticksPerEntry, ticksPerEntry)]);
        }
      }),
    );
    const appendMs = performance.now() - appendStart;
    const readStart = performance.now();
    let ticks = 0;
    for (;;) {
      const entries = await p.tickBuffer.read('writer-1', 500);
      if (entries.length === 0) break;
      for (const e of entries) for (const b of e.batches) ticks += b.cumVolume.length;
      await p.tickBuffer.ack(entries);
    }
    const readMs = performance.now() - readStart;
    const total = collectors.length * entriesPerCollector * ticksPerEntry;
    expect(ticks).toBe(total);
    expect(await p.tickBuffer.backlog()).toBe(0);
    console.log(
      `tick buffer: appended ${total} ticks in ${appendMs.toFixed(0)} ms (${Math.round((total / appendMs) * 1000)} ticks/s, ` +
        `${collectors.length} sequential appenders), read+acked in ${readMs.toFixed(0)} ms ` +
        `(${Math.round((total / readMs) * 1000)} ticks/s)`,
    );
  });
});
