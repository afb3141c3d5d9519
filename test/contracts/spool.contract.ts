// Spool contract: the collector's disk spool keeps batches in append order until cleared.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TickBatch } from '../../machines/types.ts';
import type { Spool } from '../../ports/tickBuffer.ts';
import type { Harness, MakeHarness } from './harness.ts';

const batch = (symbol: string, cum: number): TickBatch => ({
  symbol,
  day: '20250102',
  ts: [cum],
  cumVolume: [cum],
  price: [100],
  volume: [1],
});

export function spoolContract(name: string, make: MakeHarness<Spool>): void {
  describe(`${name}: Spool contract`, () => {
    let h: Harness<Spool>;
    beforeEach(async () => {
      h = await make();
    });
    afterEach(() => h.cleanup());

    it('returns every spooled batch in append order', async () => {
      await h.port.append([batch('A', 1), batch('B', 1)]);
      await h.port.append([batch('A', 2)]);
      expect(await h.port.readAll()).toEqual([batch('A', 1), batch('B', 1), batch('A', 2)]);
      expect(await h.port.size()).toBe(3);
    });

    it('is empty after clear and keeps accepting batches', async () => {
      await h.port.append([batch('A', 1)]);
      await h.port.clear();
      expect(await h.port.readAll()).toEqual([]);
      expect(await h.port.size()).toBe(0);
      await h.port.append([batch('A', 2)]);
      expect(await h.port.readAll()).toEqual([batch('A', 2)]);
    });

    it('gives a snapshot: batches appended after readAll are not in the earlier result', async () => {
      await h.port.append([batch('A', 1)]);
      const before = await h.port.readAll();
      await h.port.append([batch('A', 2)]);
      expect(before).toEqual([batch('A', 1)]);
    });
  });
}
