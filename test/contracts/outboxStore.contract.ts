// OutboxStore contract: the supervisor's saved outbox returns exactly the last saved queue, in
// order, and saving a shorter queue forgets the published events.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TgEvent } from '../../machines/types.ts';
import type { OutboxStore } from '../../ports/outboxStore.ts';
import type { Harness, MakeHarness } from './harness.ts';

const up = (n: number): TgEvent => ({
  type: 'COLLECTOR_UP',
  id: `up-${n}`,
  collector: 'collector:kis-1',
  gapEnd: n,
  closed: [],
});

export function outboxStoreContract(name: string, make: MakeHarness<OutboxStore>): void {
  describe(`${name}: OutboxStore contract`, () => {
    let h: Harness<OutboxStore>;
    beforeEach(async () => {
      h = await make();
    });
    afterEach(() => h.cleanup());

    it('starts empty', async () => {
      expect(await h.port.load()).toEqual([]);
    });

    it('returns the last saved queue in order', async () => {
      await h.port.save([up(1), up(2)]);
      await h.port.save([up(1), up(2), up(3)]);
      expect(await h.port.load()).toEqual([up(1), up(2), up(3)]);
    });

    it('forgets what a shorter save dropped, and is not changed by mutating what was saved', async () => {
      const queue = [up(1), up(2)];
      await h.port.save(queue);
      queue.push(up(3));
      expect(await h.port.load()).toEqual([up(1), up(2)]);
      await h.port.save([up(2)]);
      expect(await h.port.load()).toEqual([up(2)]);
    });
  });
}
