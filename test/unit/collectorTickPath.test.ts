// The collector's data path on its own: buffer while it accepts, spool (in order) while it fails,
// replay before anything newer, resume after a replay that broke half-way without duplicating.
import { describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { TickPath } from '../../actors/collectorTickPath.ts';
import { TgError } from '../../machines/errors.ts';
import type { TickBatch } from '../../machines/types.ts';
import { MemorySpool, MemoryTickBuffer } from '../../ports/memory/index.ts';
import type { TickBuffer } from '../../ports/tickBuffer.ts';
import { endCum, flush, tickRun } from './collectorHarness.ts';

/** A tick buffer that refuses appends while `down`, or after `okAppends` more successes. */
class FlakyBuffer {
  down = false;
  okAppends = Infinity;
  constructor(readonly inner: MemoryTickBuffer) {}
  asPort(): TickBuffer {
    return {
      append: (c, b) => {
        if (this.down || this.okAppends <= 0)
          return Promise.reject(new TgError('TG_ERR_DEP_DOWN', 'refused'));
        this.okAppends -= 1;
        return this.inner.append(c, b);
      },
      read: (c, n) => this.inner.read(c, n),
      claim: (c, i, n) => this.inner.claim(c, i, n),
      ack: (e) => this.inner.ack(e),
      backlog: () => this.inner.backlog(),
    };
  }
}

function setup(maxBatchesPerEntry = 2) {
  const clock = new SimulatedClock();
  const inner = new MemoryTickBuffer({ clock });
  const flaky = new FlakyBuffer(inner);
  const spool = new MemorySpool();
  const failures: string[] = [];
  const path = new TickPath({
    collector: 'c',
    tickBuffer: flaky.asPort(),
    spool,
    onBufferFailed: (r) => failures.push(r),
    maxBatchesPerEntry,
  });
  let cum = 0;
  const made: TickBatch[] = [];
  const next = (): TickBatch => {
    const b = tickRun('A', cum, 2, cum);
    cum = endCum(b);
    made.push(b);
    return b;
  };
  const streamCums = async () => {
    const entries = await inner.read('check', 10_000);
    return entries.flatMap((e) => e.batches.flatMap((b) => b.cumVolume));
  };
  return {
    inner,
    flaky,
    spool,
    failures,
    path,
    next,
    streamCums,
    expected: () => made.flatMap((b) => b.cumVolume),
  };
}

describe('TickPath', () => {
  it('appends to the buffer in bounded entries while it accepts', async () => {
    const t = setup(2);
    t.path.push([t.next(), t.next(), t.next()]);
    await t.path.idle();
    expect(t.path.stats()).toMatchObject({ entriesAppended: 2, batchesAppended: 3, batchesSpooled: 0 });
    expect(await t.streamCums()).toEqual(t.expected());
  });

  it('spools everything in order once the buffer fails and replays it before newer data', async () => {
    const t = setup(2);
    t.path.push([t.next()]);
    await t.path.idle();
    t.flaky.down = true;
    t.path.push([t.next()]);
    t.path.push([t.next(), t.next()]);
    await t.path.idle();
    expect(t.failures).toHaveLength(1);
    expect(t.path.isSpooling()).toBe(true);
    expect(await t.spool.size()).toBe(3);
    await expect(t.path.resume()).rejects.toThrow(/refused/);
    t.path.push([t.next()]);
    await t.path.idle();
    expect(await t.spool.size()).toBe(4);
    t.flaky.down = false;
    const resumed = t.path.resume();
    t.path.push([t.next()]); // arrives during the replay: must land after it
    await resumed;
    await t.path.idle();
    expect(t.path.isSpooling()).toBe(false);
    expect(await t.spool.size()).toBe(0);
    expect(await t.streamCums()).toEqual(t.expected());
  });

  it('resumes a replay that broke half-way without appending any batch twice', async () => {
    const t = setup(1);
    t.flaky.down = true;
    for (let i = 0; i < 5; i++) t.path.push([t.next()]);
    await t.path.idle();
    t.flaky.down = false;
    t.flaky.okAppends = 2;
    await expect(t.path.resume()).rejects.toThrow();
    t.flaky.okAppends = Infinity;
    await t.path.resume();
    expect(t.path.stats().batchesReplayed).toBe(5);
    expect(await t.streamCums()).toEqual(t.expected());
  });

  it('replays a spool left by a previous run before its first new batch', async () => {
    const t = setup(4);
    const old = [t.next(), t.next()];
    const spool = new MemorySpool();
    await spool.append(old);
    const path = new TickPath({
      collector: 'c',
      tickBuffer: t.flaky.asPort(),
      spool,
      onBufferFailed: () => {},
    });
    path.push([t.next()]);
    await path.idle();
    await flush();
    expect(await spool.size()).toBe(0);
    expect(await t.streamCums()).toEqual(t.expected());
  });

  it('drops nothing it was handed before stop, and everything after', async () => {
    const t = setup(2);
    t.path.push([t.next()]);
    await t.path.idle();
    t.path.stop();
    t.path.push([t.next()]);
    await t.path.idle();
    expect(t.path.stats().batchesAppended).toBe(1);
  });
});
