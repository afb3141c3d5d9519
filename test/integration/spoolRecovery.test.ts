// The collector's disk spool after crashes (fast-check): a file cut at any byte or ending in garbage
// reopens with exactly the complete records, in order, and keeps working; a damaged record in the
// middle costs only itself; concurrent appends keep call order and share fsyncs.
import {
  appendFileSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  truncateSync,
  writeFileSync,
  existsSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import type { TickBatch } from '../../machines/types.ts';
import { FileOutboxStore, FileSpool } from '../../runtime/disk/index.ts';

const root = mkdtempSync(join(tmpdir(), 'tg-spool-'));
let fileNo = 0;
const freshPath = () => join(root, `spool-${++fileNo}`, 'collector.spool');
afterAll(() => rmSync(root, { recursive: true, force: true }));

const batchArb: fc.Arbitrary<TickBatch> = fc.integer({ min: 1, max: 6 }).chain((n) =>
  fc.record({
    symbol: fc.constantFrom('005930', '000660', '035420', '한글종목'),
    day: fc.constant('20250102'),
    ts: fc.array(fc.integer({ min: 1_735_776_000_000, max: 1_735_800_000_000 }), {
      minLength: n,
      maxLength: n,
    }),
    cumVolume: fc.array(fc.integer({ min: 0, max: 1e9 }), { minLength: n, maxLength: n }),
    price: fc.array(fc.integer({ min: 1, max: 3e6 }), { minLength: n, maxLength: n }),
    volume: fc.array(fc.integer({ min: 1, max: 1e5 }), { minLength: n, maxLength: n }),
  }),
);
const appendsArb = fc.array(fc.array(batchArb, { minLength: 1, maxLength: 3 }), {
  minLength: 1,
  maxLength: 8,
});

/** Byte offset where each record ends, from the file written by the appends (one line each). */
function recordEnds(path: string): number[] {
  const data = readFileSync(path);
  const ends: number[] = [];
  for (let i = 0; i < data.length; i++) if (data[i] === 0x0a) ends.push(i + 1);
  return ends;
}

describe('FileSpool crash recovery', () => {
  it('reopens a file cut at any byte with exactly the complete records, and appends after them', async () => {
    await fc.assert(
      fc.asyncProperty(
        appendsArb,
        fc.double({ min: 0, max: 1, noNaN: true }),
        batchArb,
        async (appends, cutAt, extra) => {
          const path = freshPath();
          const before = new FileSpool(path, { fsyncEveryMs: 0 });
          for (const a of appends) await before.append(a);
          await before.close();
          const ends = recordEnds(path);
          expect(ends).toHaveLength(appends.length);
          const cut = Math.floor(cutAt * ends[ends.length - 1]);
          truncateSync(path, cut); // the crash: everything after `cut` never reached the disk
          const complete = ends.filter((end) => end <= cut).length;
          const after = new FileSpool(path, { fsyncEveryMs: 0 });
          const expected = appends.slice(0, complete).flat();
          expect(await after.readAll()).toEqual(expected);
          expect(await after.size()).toBe(expected.length);
          expect(after.stats().tornRecords).toBe(ends.includes(cut) || cut === 0 ? 0 : 1);
          await after.append([extra]);
          await after.close();
          expect(await new FileSpool(path).readAll()).toEqual([...expected, extra]);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('drops garbage a crash left after the last record (zero-filled or random bytes)', async () => {
    await fc.assert(
      fc.asyncProperty(
        appendsArb,
        fc.oneof(
          fc.uint8Array({ minLength: 1, maxLength: 300 }),
          fc.integer({ min: 1, max: 4096 }).map((n) => new Uint8Array(n)),
        ),
        async (appends, garbage) => {
          const path = freshPath();
          const before = new FileSpool(path, { fsyncEveryMs: 0 });
          for (const a of appends) await before.append(a);
          await before.close();
          appendFileSync(path, garbage);
          const after = new FileSpool(path, { fsyncEveryMs: 0 });
          expect(await after.readAll()).toEqual(appends.flat());
          await after.append(appends[0]);
          expect(await after.size()).toBe(appends.flat().length + appends[0].length);
          await after.close();
          expect((await new FileSpool(path).readAll()).slice(-appends[0].length)).toEqual(appends[0]);
        },
      ),
      { numRuns: 30 },
    );
  });

  it('skips only a damaged record in the middle of the file, and counts it', async () => {
    const path = freshPath();
    const spool = new FileSpool(path);
    const records = [1, 2, 3].map((i) => [
      { symbol: 'A', day: '20250102', ts: [i], cumVolume: [i], price: [i], volume: [1] },
    ]);
    for (const r of records) await spool.append(r);
    await spool.close();
    const data = readFileSync(path);
    const secondStart = data.indexOf(0x0a) + 1;
    data[secondStart + 20] ^= 0x01; // one flipped bit inside record 2
    writeFileSync(path, data);
    const reopened = new FileSpool(path);
    expect(await reopened.readAll()).toEqual([...records[0], ...records[2]]);
    expect(reopened.stats()).toMatchObject({ corruptRecords: 1, tornRecords: 0 });
  });

  it('keeps the order of concurrent appends, makes each durable before it resolves, and shares fsyncs', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(batchArb, { minLength: 20, maxLength: 60 }), async (batches) => {
        const path = freshPath();
        const spool = new FileSpool(path, { fsyncEveryMs: 5 });
        await Promise.all(batches.map((b) => spool.append([b])));
        await spool.close();
        expect(await new FileSpool(path).readAll()).toEqual(batches);
        expect(spool.stats().fsyncs).toBeGreaterThan(0);
        expect(spool.stats().fsyncs).toBeLessThan(batches.length / 4);
      }),
      { numRuns: 10 },
    );
  });

  it('survives a restart without clear and forgets everything after clear', async () => {
    const path = freshPath();
    const batch = { symbol: 'A', day: '20250102', ts: [1], cumVolume: [1], price: [1], volume: [1] };
    const first = new FileSpool(path);
    await first.append([batch, batch]);
    await first.close(); // a restart: the process is gone, the file stays
    const second = new FileSpool(path);
    expect(await second.size()).toBe(2);
    await second.clear();
    expect(existsSync(path)).toBe(false);
    expect(await new FileSpool(path).readAll()).toEqual([]);
    await new FileSpool(join(root, 'never-written', 'x.spool')).clear(); // nothing to remove: fine
  });
});

describe('FileSpool throughput', () => {
  it('appends and reads back a spool of realistic batches (figures logged)', async () => {
    const path = freshPath();
    const spool = new FileSpool(path, { fsyncEveryMs: 0 });
    const batch = (i: number): TickBatch => ({
      symbol: '005930',
      day: '20250102',
      ts: Array.from({ length: 100 }, (_, j) => 1_735_776_000_000 + (i * 100 + j) * 5),
      cumVolume: Array.from({ length: 100 }, (_, j) => 1_000_000 + (i * 100 + j) * 3),
      price: Array.from({ length: 100 }, (_, j) => 70_000 + (j % 20) * 100),
      volume: Array.from({ length: 100 }, () => 3),
    });
    const appends = 200;
    const t0 = performance.now();
    for (let i = 0; i < appends; i++) await spool.append([batch(i)]);
    const appendMs = performance.now() - t0;
    const t1 = performance.now();
    const all = await new FileSpool(path).readAll();
    const readMs = performance.now() - t1;
    await spool.close();
    expect(all).toHaveLength(appends);
    expect(all[appends - 1]).toEqual(batch(appends - 1));
    const ticks = appends * 100;
    console.log(
      `file spool: ${appends} sequential appends of 100 ticks, each fsynced, in ${appendMs.toFixed(0)} ms ` +
        `(${Math.round((ticks / appendMs) * 1000)} ticks/s); readAll ${ticks} ticks in ${readMs.toFixed(0)} ms`,
    );
  });
});

describe('FileOutboxStore', () => {
  const event = (n: number) => ({
    type: 'COLLECTOR_UP' as const,
    id: `up-${n}`,
    collector: 'c',
    gapEnd: n,
    closed: [],
  });

  it('ends with the newest queue when saves overlap, and leaves no temporary file', async () => {
    const path = join(root, 'outbox', 'supervisor.json');
    const store = new FileOutboxStore(path);
    const queues = Array.from({ length: 20 }, (_, i) => Array.from({ length: i + 1 }, (_, j) => event(j)));
    await Promise.all(queues.map((q) => store.save(q)));
    expect(await new FileOutboxStore(path).load()).toEqual(queues[queues.length - 1]);
    expect(existsSync(`${path}.tmp`)).toBe(false);
  });

  it('ignores a temporary file left by a crash mid-save and reports a damaged file with a coded error', async () => {
    const path = join(root, 'outbox2', 'supervisor.json');
    await new FileOutboxStore(path).save([event(1)]);
    writeFileSync(`${path}.tmp`, '[{"type":"COLLECTOR_UP","id":"up-');
    expect(await new FileOutboxStore(path).load()).toEqual([event(1)]);
    writeFileSync(path, '[{"type":"COLLECTOR_UP"');
    await expect(new FileOutboxStore(path).load()).rejects.toMatchObject({ code: 'TG_ERR_STORE' });
  });
});
