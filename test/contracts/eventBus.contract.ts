// EventBus contract: Pub/Sub is at-most-once to present subscribers only; the durable stream keeps
// every event for consumer groups (new entries once per group, pending until ack, claim after idle).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ComponentStateEvent, TgEvent } from '../../machines/types.ts';
import type { EventBus } from '../../ports/eventBus.ts';
import { faultsContract } from './faults.contract.ts';
import type { ContractOptions, Harness, MakeHarness } from './harness.ts';

function stateEvent(n: number): ComponentStateEvent {
  return {
    type: 'COMPONENT_STATE',
    id: `COMPONENT_STATE:test:${n}`,
    actor: 'writer',
    from: 'healthy',
    to: 'down',
    at: n,
    reason: 'test',
  };
}

const ids = (events: { id: string }[]) => events.map((e) => e.id);
const entryIds = (entries: { event: TgEvent }[]) => entries.map((e) => e.event.id);

/** Numeric order of Redis-style '<ms>-<seq>' ids. */
function streamIdLess(a: string, b: string): boolean {
  const [am, as] = a.split('-').map(Number);
  const [bm, bs] = b.split('-').map(Number);
  return am < bm || (am === bm && as < bs);
}

export function eventBusContract(name: string, make: MakeHarness<EventBus>, options: ContractOptions): void {
  describe(`${name}: EventBus contract`, () => {
    let h: Harness<EventBus>;
    let bus: EventBus;
    beforeEach(async () => {
      h = await make();
      bus = h.port;
    });
    afterEach(() => h.cleanup());

    it('delivers a published event to a present subscriber, asynchronously', async () => {
      const got: TgEvent[] = [];
      await bus.subscribe((e) => got.push(e));
      await bus.publish(stateEvent(1));
      await h.settle();
      expect(got).toEqual([stateEvent(1)]);
    });

    it('loses Pub/Sub messages for absent subscribers while the durable stream keeps them', async () => {
      await bus.publish(stateEvent(1));
      const got: TgEvent[] = [];
      await bus.subscribe((e) => got.push(e));
      await bus.publish(stateEvent(2));
      await h.settle();
      expect(ids(got)).toEqual([stateEvent(2).id]);
      await bus.ensureGroup('g');
      expect(entryIds(await bus.readGroup('g', 'c1', 10))).toEqual([stateEvent(1).id, stateEvent(2).id]);
    });

    it('never delivers an event to a subscriber added after it was published', async () => {
      const early: TgEvent[] = [];
      const late: TgEvent[] = [];
      await bus.subscribe((e) => early.push(e));
      const published = bus.publish(stateEvent(1));
      await published;
      await bus.subscribe((e) => late.push(e));
      await h.settle();
      expect(ids(early)).toEqual([stateEvent(1).id]);
      expect(late).toEqual([]);
    });

    it('stops delivering after unsubscribe', async () => {
      const got: TgEvent[] = [];
      const unsubscribe = await bus.subscribe((e) => got.push(e));
      await unsubscribe();
      await bus.publish(stateEvent(1));
      await h.settle();
      expect(got).toEqual([]);
    });

    it('gives a consumer that was down the event from its group, once', async () => {
      await bus.ensureGroup('recovery-worker');
      await bus.publish(stateEvent(1)); // nobody listening: Pub/Sub drops it
      const first = await bus.readGroup('recovery-worker', 'worker-1', 10);
      expect(entryIds(first)).toEqual([stateEvent(1).id]);
      await bus.ack(
        'recovery-worker',
        first.map((e) => e.entryId),
      );
      expect(await bus.pending('recovery-worker')).toBe(0);
      expect(await bus.readGroup('recovery-worker', 'worker-1', 10)).toEqual([]);
    });

    it('starts a new group at the beginning of the stream and keeps groups independent', async () => {
      await bus.ensureGroup('a');
      await bus.publish(stateEvent(1));
      await bus.publish(stateEvent(2));
      expect(entryIds(await bus.readGroup('a', 'x', 10))).toHaveLength(2);
      await bus.ensureGroup('b');
      await bus.ensureGroup('b'); // idempotent: must not rewind or reset
      expect(entryIds(await bus.readGroup('b', 'y', 1))).toEqual([stateEvent(1).id]);
      await bus.ensureGroup('b');
      expect(entryIds(await bus.readGroup('b', 'y', 10))).toEqual([stateEvent(2).id]);
      expect(await bus.pending('a')).toBe(2);
      expect(await bus.pending('b')).toBe(2);
    });

    it('hands each entry to only one consumer of a group and keeps it pending until acked', async () => {
      await bus.ensureGroup('g');
      for (let i = 1; i <= 3; i++) await bus.publish(stateEvent(i));
      const c1 = await bus.readGroup('g', 'c1', 2);
      const c2 = await bus.readGroup('g', 'c2', 10);
      expect([...entryIds(c1), ...entryIds(c2)]).toEqual([1, 2, 3].map((i) => stateEvent(i).id));
      expect(await bus.pending('g')).toBe(3);
      await bus.ack('g', [c1[0].entryId]);
      await bus.ack('g', [c1[0].entryId]); // acking twice is harmless
      expect(await bus.pending('g')).toBe(2);
    });

    it('assigns strictly increasing entry ids, even within one millisecond', async () => {
      await bus.ensureGroup('g');
      for (let i = 1; i <= 5; i++) await bus.publish(stateEvent(i));
      const entries = await bus.readGroup('g', 'c', 10);
      for (let i = 1; i < entries.length; i++) {
        expect(streamIdLess(entries[i - 1].entryId, entries[i].entryId)).toBe(true);
      }
    });

    it('lets another consumer claim a dead consumer’s entries only once they idled minIdleMs', async () => {
      await bus.ensureGroup('g');
      await bus.publish(stateEvent(1));
      await bus.publish(stateEvent(2));
      await bus.readGroup('g', 'dead', 10);
      expect(await bus.claim('g', 'alive', 200, 10)).toEqual([]);
      await h.advance(210);
      const claimed = await bus.claim('g', 'alive', 200, 1);
      expect(entryIds(claimed)).toEqual([stateEvent(1).id]);
      const rest = await bus.claim('g', 'alive', 200, 10);
      expect(entryIds(rest)).toEqual([stateEvent(2).id]);
      // A claim restarts the idle time: a third consumer cannot steal them straight away.
      expect(await bus.claim('g', 'third', 200, 10)).toEqual([]);
      expect(await bus.pending('g')).toBe(2);
      await bus.ack(
        'g',
        [...claimed, ...rest].map((e) => e.entryId),
      );
      expect(await bus.pending('g')).toBe(0);
      await h.advance(210);
      expect(await bus.claim('g', 'third', 200, 10)).toEqual([]);
    });

    it('rejects reading a group that was never created', async () => {
      await expect(bus.readGroup('missing', 'c', 1)).rejects.toThrow();
    });
  });

  faultsContract(
    `${name}: EventBus`,
    make,
    {
      prepare: async (bus) => {
        await bus.ensureGroup('g');
      },
      calls: (bus) => ({
        publish: () => bus.publish(stateEvent(9)),
        subscribe: () => bus.subscribe(() => undefined),
        ensureGroup: () => bus.ensureGroup('g2'),
        readGroup: () => bus.readGroup('g', 'c', 1),
        ack: () => bus.ack('g', []),
        claim: () => bus.claim('g', 'c', 0, 1),
        pending: () => bus.pending('g'),
      }),
    },
    options,
  );
}
