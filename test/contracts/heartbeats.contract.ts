// Heartbeats contract: a beat is visible until its TTL runs out on the clock; `live` lists only
// unexpired components matching the prefix, so silence is detectable without a component's help.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { HeartbeatPayload } from '../../machines/types.ts';
import type { Heartbeats } from '../../ports/heartbeats.ts';
import { faultsContract } from './faults.contract.ts';
import type { ContractOptions, Harness, MakeHarness } from './harness.ts';

const beat = (component: string, at: number, extra: Partial<HeartbeatPayload> = {}): HeartbeatPayload => ({
  component,
  at,
  state: 'healthy',
  ...extra,
});

export function heartbeatsContract(
  name: string,
  make: MakeHarness<Heartbeats>,
  options: ContractOptions,
): void {
  describe(`${name}: Heartbeats contract`, () => {
    let h: Harness<Heartbeats>;
    beforeEach(async () => {
      h = await make();
    });
    afterEach(() => h.cleanup());

    it('returns the latest payload of a live component', async () => {
      await h.port.beat(beat('collector:kis-1', 1, { lastTickAt: { '005930': 1 } }), 300);
      await h.port.beat(
        beat('collector:kis-1', 2, { lastTickAt: { '005930': 2 }, brokerConnected: true }),
        300,
      );
      expect(await h.port.last('collector:kis-1')).toEqual(
        beat('collector:kis-1', 2, { lastTickAt: { '005930': 2 }, brokerConnected: true }),
      );
      expect(await h.port.last('writer')).toBeUndefined();
    });

    it('forgets a component once its TTL has passed without a new beat', async () => {
      await h.port.beat(beat('writer', 1), 200);
      await h.advance(100);
      expect(await h.port.last('writer')).toBeDefined();
      await h.advance(150);
      expect(await h.port.last('writer')).toBeUndefined();
      expect(await h.port.live()).toEqual([]);
    });

    it('extends the TTL with every beat', async () => {
      await h.port.beat(beat('writer', 1), 200);
      await h.advance(150);
      await h.port.beat(beat('writer', 2), 200);
      await h.advance(150);
      expect((await h.port.last('writer'))?.at).toBe(2);
    });

    it('lists live components by prefix, sorted, without expired ones', async () => {
      await h.port.beat(beat('collector:kis-2', 1), 500);
      await h.port.beat(beat('collector:kis-1', 1), 500);
      await h.port.beat(beat('collector:kiwoom-1', 1), 100);
      await h.port.beat(beat('writer', 1), 500);
      await h.advance(200);
      expect((await h.port.live('collector:')).map((b) => b.component)).toEqual([
        'collector:kis-1',
        'collector:kis-2',
      ]);
      expect((await h.port.live()).map((b) => b.component)).toEqual([
        'collector:kis-1',
        'collector:kis-2',
        'writer',
      ]);
    });
  });

  faultsContract(
    `${name}: Heartbeats`,
    make,
    {
      calls: (hb) => ({
        beat: () => hb.beat(beat('writer', 1), 1000),
        last: () => hb.last('writer'),
        live: () => hb.live(),
      }),
    },
    options,
  );
}
