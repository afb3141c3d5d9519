// The collector's data path: tick batches -> tick buffer, or -> local spool while the buffer is
// unreachable, with the spool replayed before anything newer so the stream keeps broker order.
// Plain functions and one serial queue; the machine only hears `buffer failed` and `replayed`.
import type { TickBatch } from '../machines/types.ts';
import type { Spool, TickBuffer } from '../ports/tickBuffer.ts';

export interface TickPathDeps {
  collector: string;
  tickBuffer: TickBuffer;
  spool: Spool;
  /** The path switched from the buffer to the spool (called once per switch). */
  onBufferFailed(reason: string): void;
  /** These batches are durable (in the buffer or the spool), in arrival order. */
  onStored?(batches: TickBatch[]): void;
  /** Upper bound of batches in one buffer entry (bounded entries keep the writer's reads cheap). */
  maxBatchesPerEntry?: number;
}

export interface TickPathStats {
  entriesAppended: number;
  batchesAppended: number;
  batchesSpooled: number;
  batchesReplayed: number;
  bufferFailures: number;
  spoolFailures: number;
}

const DEFAULT_MAX_BATCHES_PER_ENTRY = 256;

export class TickPath {
  private readonly deps: TickPathDeps;
  private readonly maxPerEntry: number;
  private mode: 'buffer' | 'spool' = 'buffer';
  private pending: TickBatch[] = [];
  private flushQueued = false;
  /** Every operation runs after the previous one: this is what keeps order across modes. */
  private tail: Promise<void> = Promise.resolve();
  /** The spool may hold batches not yet in the buffer (unknown at start: a previous run may have left some). */
  private spoolDirty = true;
  /** Leading spool batches already appended to the buffer by a replay that failed before clear(). */
  private spoolReplayed = 0;
  private stopped = false;
  private readonly counts: TickPathStats = {
    entriesAppended: 0,
    batchesAppended: 0,
    batchesSpooled: 0,
    batchesReplayed: 0,
    bufferFailures: 0,
    spoolFailures: 0,
  };

  constructor(deps: TickPathDeps) {
    this.deps = deps;
    this.maxPerEntry = deps.maxBatchesPerEntry ?? DEFAULT_MAX_BATCHES_PER_ENTRY;
    // Replay what a previous run left in the spool as soon as the buffer takes it.
    this.scheduleFlush();
  }

  /** Hand over batches in broker order; they are written asynchronously, in order. */
  push(batches: TickBatch[]): void {
    if (this.stopped) return;
    for (const b of batches) this.pending.push(b);
    this.scheduleFlush();
  }

  /**
   * Back to the buffer: replay the spool (then clear it), after which new batches go to the buffer.
   * Rejects, staying on the spool, when the buffer is still unreachable.
   */
  resume(): Promise<void> {
    return this.enqueue(async () => {
      if (this.stopped) return;
      try {
        await this.replaySpool();
      } catch (error) {
        this.counts.bufferFailures += 1;
        throw error;
      }
      this.mode = 'buffer';
      // Batches kept in memory after a spool failure have no flush queued: send them now.
      if (this.pending.length > 0) this.scheduleFlush();
    });
  }

  isSpooling(): boolean {
    return this.mode === 'spool';
  }

  /** Batches received but not yet durable. */
  backlog(): number {
    return this.pending.length;
  }

  stats(): TickPathStats {
    return { ...this.counts };
  }

  /** The process died: whatever was not yet written is gone with its memory. */
  stop(): void {
    this.stopped = true;
    this.pending = [];
  }

  /** Settles when every operation queued so far has run (tests, orderly shutdown). */
  idle(): Promise<void> {
    return this.tail;
  }

  private scheduleFlush(): void {
    if (this.flushQueued) return;
    this.flushQueued = true;
    void this.enqueue(async () => {
      this.flushQueued = false;
      await this.flush();
    }).catch(() => {});
  }

  private enqueue(op: () => Promise<void>): Promise<void> {
    const run = this.tail.then(op);
    this.tail = run.catch(() => {});
    return run;
  }

  private async flush(): Promise<void> {
    if (this.stopped) return;
    let batches = this.pending;
    this.pending = [];
    if (this.mode === 'buffer') {
      try {
        if (this.spoolDirty) await this.replaySpool();
        while (batches.length > 0) {
          const entry = batches.length > this.maxPerEntry ? batches.slice(0, this.maxPerEntry) : batches;
          await this.deps.tickBuffer.append(this.deps.collector, entry);
          this.counts.entriesAppended += 1;
          this.counts.batchesAppended += entry.length;
          this.deps.onStored?.(entry);
          batches = entry === batches ? [] : batches.slice(entry.length);
        }
        return;
      } catch (error) {
        this.mode = 'spool';
        this.counts.bufferFailures += 1;
        this.deps.onBufferFailed(error instanceof Error ? error.message : String(error));
      }
    }
    if (batches.length === 0 || this.stopped) return;
    try {
      await this.deps.spool.append(batches);
      this.spoolDirty = true;
      this.counts.batchesSpooled += batches.length;
      this.deps.onStored?.(batches);
    } catch {
      // Disk failed too: keep them in memory, ahead of anything newer, for the next attempt.
      this.counts.spoolFailures += 1;
      this.pending = batches.concat(this.pending);
    }
  }

  /** Append the spool's unreplayed batches to the buffer in order, then clear it. Throws on failure. */
  private async replaySpool(): Promise<void> {
    if (!this.spoolDirty) return;
    const spooled = await this.deps.spool.readAll();
    for (let i = this.spoolReplayed; i < spooled.length; i += this.maxPerEntry) {
      const entry = spooled.slice(i, i + this.maxPerEntry);
      await this.deps.tickBuffer.append(this.deps.collector, entry);
      this.spoolReplayed = i + entry.length;
      this.counts.entriesAppended += 1;
      this.counts.batchesReplayed += entry.length;
    }
    if (spooled.length > 0) await this.deps.spool.clear();
    this.spoolReplayed = 0;
    this.spoolDirty = false;
  }
}
