// Shared fault-injection contract: whatever the port, a call to a dependency that is down rejects
// with the coded error (refused at once or timed out on the clock), a slow one answers late.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isTgError } from '../../machines/errors.ts';
import type { ContractOptions, Harness, MakeHarness } from './harness.ts';

export interface FaultCalls<P> {
  /** Runs while the dependency is up, before any fault (create groups, seed data). */
  prepare?: (port: P) => Promise<void>;
  /** Calls that succeed while the dependency is up, by name. */
  calls: (port: P) => Record<string, () => Promise<unknown>>;
}

/** Start a call and observe whether it has settled yet, without awaiting it. */
function observe(p: Promise<unknown>): { settled: () => boolean; result: Promise<unknown> } {
  let done = false;
  const result = p.then(
    (v) => {
      done = true;
      return v;
    },
    (e) => {
      done = true;
      throw e;
    },
  );
  result.catch(() => undefined);
  return { settled: () => done, result };
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected the call to reject, it resolved');
}

export function faultsContract<P>(
  name: string,
  make: MakeHarness<P>,
  spec: FaultCalls<P>,
  options: ContractOptions,
): void {
  describe.skipIf(!options.faults)(`${name}: dependency faults`, () => {
    let h: Harness<P>;
    beforeEach(async () => {
      h = await make();
      await spec.prepare?.(h.port);
    });
    afterEach(async () => {
      h.faults?.up();
      await h.cleanup();
    });

    it('rejects every call at once with TG_ERR_DEP_DOWN while the dependency refuses connections', async () => {
      h.faults!.down('refuse');
      for (const [op, call] of Object.entries(spec.calls(h.port))) {
        const e = await rejection(call());
        expect(isTgError(e, 'TG_ERR_DEP_DOWN'), `${op}: ${String(e)}`).toBe(true);
      }
    });

    it.skipIf(!options.virtualTime)(
      'rejects with TG_ERR_TIMEOUT only after the timeout while the host is unreachable',
      async () => {
        h.faults!.down('timeout');
        for (const [op, call] of Object.entries(spec.calls(h.port))) {
          const pending = observe(call());
          await h.advance(h.faults!.timeoutMs - 1);
          expect(pending.settled(), `${op} settled before the timeout`).toBe(false);
          await h.advance(1);
          const e = await rejection(pending.result);
          expect(isTgError(e, 'TG_ERR_TIMEOUT'), `${op}: ${String(e)}`).toBe(true);
        }
      },
    );

    it.skipIf(!options.virtualTime)('answers a slow dependency only after the added delay', async () => {
      h.faults!.slow(250);
      for (const [op, call] of Object.entries(spec.calls(h.port))) {
        const pending = observe(call());
        await h.advance(249);
        expect(pending.settled(), `${op} answered before the delay`).toBe(false);
        await h.advance(1);
        expect(pending.settled(), `${op} did not answer after the delay`).toBe(true);
        await pending.result;
      }
    });

    it('serves calls again once the dependency is back up', async () => {
      h.faults!.down('refuse');
      const [first] = Object.values(spec.calls(h.port));
      await rejection(first());
      h.faults!.up();
      for (const call of Object.values(spec.calls(h.port))) await call();
    });
  });
}
