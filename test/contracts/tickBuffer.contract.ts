// TickBuffer contract: each appended entry reaches the `writer` group exactly once (fairly across
// collectors, in order per collector), stays pending until acked, and is re-delivered via claim.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TickBatch } from '../../machines/types.ts';
import type { BufferedEntry, TickBuffer } from '../../ports/tickBuffer.ts';
import { faultsContract } from './faults.contract.ts';
import type { ContractOptions, Harness, MakeHarness } from './harness.ts';

const batch = (symbol: string, cum: number): TickBatch => ({
  symbol,
  day: '20250102',
  ts: [1_735_776_000_000 + cum],
  cumVolume: [cum],
  price: [100 + cum],
  volume: [1],
});

/** 'collector/cum' labels, enough to tell entries apart in assertions. */
const labels = (entries: BufferedEntry[]) =>
  entries.map((e) => `${e.collector}/${e.batches[0].cumVolume[0]}`);

export function tickBufferContract(
  name: string,
  make: MakeHarness<TickBuffer>,
  options: ContractOptions,
): void {
  describe(`${name}: TickBuffer contract`, () => {
    let h: Harness<TickBuffer>;
    let buf: TickBuffer;
    beforeEach(async () => {
      h = await make();
      buf = h.port;
    });
    afterEach(() => h.cleanup());

    it('returns the appended batches unchanged', async () => {
      const b = {
        ...batch('005930', 5),
        ts: [1, 2],
        cumVolume: [4, 5],
        price: [70000, 70100],
        volume: [4, 1],
      };
      await buf.append('collector:kis-1', [b, batch('000660', 1)]);
      const [entry] = await buf.read('writer-1', 10);
      expect(entry.collector).toBe('collector:kis-1');
      expect(entry.batches).toEqual([b, batch('000660', 1)]);
    });

    it('delivers each entry once to the group, whichever consumer reads', async () => {
      for (let i = 1; i <= 3; i++) await buf.append('k', [batch('A', i)]);
      const w1 = await buf.read('writer-1', 2);
      const w2 = await buf.read('writer-2', 10);
      expect([...labels(w1), ...labels(w2)]).toEqual(['k/1', 'k/2', 'k/3']);
      expect(await buf.read('writer-1', 10)).toEqual([]);
    });

    it('keeps each collector’s order and serves collectors fairly', async () => {
      for (let i = 1; i <= 5; i++) await buf.append('busy', [batch('A', i)]);
      await buf.append('quiet', [batch('B', 1)]);
      const first = await buf.read('w', 2);
      expect(labels(first)).toContain('quiet/1');
      const rest = await buf.read('w', 10);
      const busy = [...labels(first), ...labels(rest)].filter((l) => l.startsWith('busy/'));
      expect(busy).toEqual(['busy/1', 'busy/2', 'busy/3', 'busy/4', 'busy/5']);
    });

    it('counts unread plus unacked entries as backlog until they are acked', async () => {
      await buf.append('k', [batch('A', 1)]);
      await buf.append('j', [batch('A', 2)]);
      expect(await buf.backlog()).toBe(2);
      const read = await buf.read('w', 10);
      expect(await buf.backlog()).toBe(2);
      await buf.ack(read.map(({ collector, entryId }) => ({ collector, entryId })));
      expect(await buf.backlog()).toBe(0);
      await buf.ack(read.map(({ collector, entryId }) => ({ collector, entryId }))); // twice: harmless
      expect(await buf.backlog()).toBe(0);
    });

    it('re-delivers unacked entries through claim once idle, and never acked ones', async () => {
      await buf.append('k', [batch('A', 1)]);
      await buf.append('k', [batch('A', 2)]);
      const read = await buf.read('crashed-writer', 10);
      await buf.ack([{ collector: read[1].collector, entryId: read[1].entryId }]);
      expect(await buf.claim('new-writer', 200, 10)).toEqual([]);
      await h.advance(210);
      const claimed = await buf.claim('new-writer', 200, 10);
      expect(labels(claimed)).toEqual(['k/1']);
      expect(claimed[0].entryId).toBe(read[0].entryId);
      expect(await buf.claim('third', 200, 10)).toEqual([]);
      await buf.ack([{ collector: claimed[0].collector, entryId: claimed[0].entryId }]);
      await h.advance(210);
      expect(await buf.claim('third', 200, 10)).toEqual([]);
      expect(await buf.backlog()).toBe(0);
    });

    it('claims at most `count` entries at a time', async () => {
      for (let i = 1; i <= 4; i++) await buf.append('k', [batch('A', i)]);
      await buf.read('dead', 10);
      await h.advance(110);
      expect(await buf.claim('w', 100, 3)).toHaveLength(3);
      expect(await buf.claim('w', 100, 3)).toHaveLength(1);
    });
  });

  faultsContract(
    `${name}: TickBuffer`,
    make,
    {
      calls: (buf) => ({
        append: () => buf.append('k', [batch('A', 1)]),
        read: () => buf.read('w', 1),
        claim: () => buf.claim('w', 0, 1),
        ack: () => buf.ack([]),
        backlog: () => buf.backlog(),
      }),
    },
    options,
  );
}
