// One drain pass of the writer: take entries (claimed or new) from the tick buffer, write them to the
// store, then ack. What was taken but not stored, or stored but not acked, is kept and retried first,
// so a failure anywhere neither drops an entry nor acks one the store does not have.
import type { DrainLoopInput, DrainOutcome, DrainRequest } from '../machines/writer.ts';
import type { TickBatch } from '../machines/types.ts';
import type { Clock } from '../ports/clock.ts';
import type { Store } from '../ports/store.ts';
import type { BufferedEntry, TickBuffer } from '../ports/tickBuffer.ts';

export interface WriterDrainDeps {
  tickBuffer: TickBuffer;
  store: Store;
  consumer: string;
  /** Entries per read (and per claim). */
  batchSize: number;
  /**
   * Called after the store has a pass's ticks and before they are acked: the window a crash must
   * survive without duplicates. Chaos tests crash the process here; otherwise absent.
   */
  afterStore?: () => Promise<void>;
}

export interface WriterDrainStats {
  entriesStored: number;
  ticksStored: number;
  ticksInserted: number;
  ticksDuplicate: number;
  entriesClaimed: number;
}

type EntryKey = { collector: string; entryId: string };

export class WriterDrain {
  private readonly deps: WriterDrainDeps;
  /** Taken from the buffer, not yet stored (pending in the group under our consumer name). */
  private inHand: BufferedEntry[] = [];
  /** Stored, not yet acked. */
  private unacked: EntryKey[] = [];
  private readonly counts: WriterDrainStats = {
    entriesStored: 0,
    ticksStored: 0,
    ticksInserted: 0,
    ticksDuplicate: 0,
    entriesClaimed: 0,
  };

  /** Passes never overlap: a stale loop's pass finishes before the next caller's starts. */
  private tail: Promise<unknown> = Promise.resolve();

  constructor(deps: WriterDrainDeps) {
    this.deps = deps;
  }

  drainOnce(request: DrainRequest): Promise<DrainOutcome> {
    const run = this.tail.then(() => this.pass(request));
    this.tail = run.catch(() => {});
    return run;
  }

  private async pass(request: DrainRequest): Promise<DrainOutcome> {
    const { tickBuffer, consumer, batchSize } = this.deps;
    await this.ackStored();
    let claimedAll = request.claimMinIdleMs === null;
    // Leftovers of a failed pass go first; a backlog is likely behind them, so ask for another pass.
    let more = this.inHand.length > 0;
    if (this.inHand.length === 0) {
      if (request.claimMinIdleMs !== null) {
        const claimed = await tickBuffer.claim(consumer, request.claimMinIdleMs, batchSize);
        this.inHand = claimed;
        this.counts.entriesClaimed += claimed.length;
        claimedAll = claimed.length < batchSize;
      }
      if (this.inHand.length < batchSize) {
        const fresh = await tickBuffer.read(consumer, batchSize - this.inHand.length);
        for (const e of fresh) this.inHand.push(e);
      }
      more = this.inHand.length >= batchSize;
    }
    const { entries, ticks } = await this.storeInHand();
    if (entries > 0 && this.deps.afterStore) await this.deps.afterStore();
    await this.ackStored();
    return { entries, ticks, more, claimedAll };
  }

  /** Entries held in memory (taken or stored but not acked). */
  held(): number {
    return this.inHand.length + this.unacked.length;
  }

  stats(): WriterDrainStats {
    return { ...this.counts };
  }

  /** Write what is in hand, one store call per collector; entries move to `unacked` as each call succeeds. */
  private async storeInHand(): Promise<{ entries: number; ticks: number }> {
    let entries = 0;
    let ticks = 0;
    while (this.inHand.length > 0) {
      const collector = this.inHand[0].collector;
      const group: BufferedEntry[] = [];
      const rest: BufferedEntry[] = [];
      for (const e of this.inHand) (e.collector === collector ? group : rest).push(e);
      const batches: TickBatch[] = [];
      for (const e of group) for (const b of e.batches) batches.push(b);
      const result = await this.deps.store.writeTicks(collector, batches);
      this.inHand = rest;
      for (const e of group) this.unacked.push({ collector: e.collector, entryId: e.entryId });
      let n = 0;
      for (const b of batches) n += b.cumVolume.length;
      entries += group.length;
      ticks += n;
      this.counts.entriesStored += group.length;
      this.counts.ticksStored += n;
      this.counts.ticksInserted += result.inserted;
      this.counts.ticksDuplicate += result.duplicates;
    }
    return { entries, ticks };
  }

  private async ackStored(): Promise<void> {
    if (this.unacked.length === 0) return;
    await this.deps.tickBuffer.ack(this.unacked);
    this.unacked = [];
  }
}

/**
 * The healthy writer's poll loop on the clock: drain at once while there is more, else wait
 * `pollIntervalMs`; claim idle entries every `claimIntervalMs`. On the first failed pass it stops
 * and reports; the machine decides what comes next. Returns the stop function.
 */
export function startDrainLoop(
  drain: WriterDrain,
  clock: Clock,
  options: DrainLoopInput,
  onFailed: (error: unknown) => void,
): () => void {
  let stopped = false;
  let timer: unknown;
  let nextClaimAt = clock.now() + options.claimIntervalMs;
  const pass = (): void => {
    timer = undefined;
    if (stopped) return;
    const claiming = clock.now() >= nextClaimAt;
    drain.drainOnce({ claimMinIdleMs: claiming ? options.claimIntervalMs : null }).then(
      (outcome) => {
        if (stopped) return;
        if (claiming && outcome.claimedAll) nextClaimAt = clock.now() + options.claimIntervalMs;
        if (outcome.more) pass();
        else timer = clock.setTimeout(pass, options.pollIntervalMs);
      },
      (error) => {
        if (!stopped) onFailed(error);
      },
    );
  };
  pass();
  return () => {
    stopped = true;
    if (timer !== undefined) clock.clearTimeout(timer);
  };
}
