// StateMirror contract: the last state written per actor is what every reader sees, in actor order.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MirroredState, StateMirror } from '../../ports/stateMirror.ts';
import { faultsContract } from './faults.contract.ts';
import type { ContractOptions, Harness, MakeHarness } from './harness.ts';

const state = (actor: string, s: MirroredState['state'], at: number): MirroredState => ({
  actor,
  state: s,
  detail: s,
  at,
});

export function stateMirrorContract(
  name: string,
  make: MakeHarness<StateMirror>,
  options: ContractOptions,
): void {
  describe(`${name}: StateMirror contract`, () => {
    let h: Harness<StateMirror>;
    beforeEach(async () => {
      h = await make();
    });
    afterEach(() => h.cleanup());

    it('returns the last state written for an actor and nothing for an unknown one', async () => {
      await h.port.set(state('writer', 'healthy', 1));
      await h.port.set({
        ...state('writer', 'degraded', 2),
        detail: 'degraded.storeDown',
        reason: 'timescaledb down',
      });
      expect(await h.port.get('writer')).toEqual({
        actor: 'writer',
        state: 'degraded',
        detail: 'degraded.storeDown',
        at: 2,
        reason: 'timescaledb down',
      });
      expect(await h.port.get('nobody')).toBeUndefined();
    });

    it('lists every actor once, sorted by actor id', async () => {
      await h.port.set(state('writer', 'healthy', 1));
      await h.port.set(state('collector:kis-1', 'down', 1));
      await h.port.set(state('collector:kis-1', 'recovering', 2));
      const all = await h.port.all();
      expect(all.map((s) => [s.actor, s.state])).toEqual([
        ['collector:kis-1', 'recovering'],
        ['writer', 'healthy'],
      ]);
    });

    it('keeps its own copy: mutating a written or read object changes nothing stored', async () => {
      const written = state('writer', 'healthy', 1);
      await h.port.set(written);
      written.state = 'down';
      const read = (await h.port.get('writer'))!;
      read.state = 'failed';
      expect((await h.port.get('writer'))!.state).toBe('healthy');
    });
  });

  faultsContract(
    `${name}: StateMirror`,
    make,
    {
      calls: (m) => ({
        set: () => m.set(state('writer', 'healthy', 1)),
        get: () => m.get('writer'),
        all: () => m.all(),
      }),
    },
    options,
  );
}
