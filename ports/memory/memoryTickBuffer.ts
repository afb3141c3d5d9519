// In-memory TickBuffer: one stream per collector read by the single consumer group `writer`, fairly
// across streams; delivered entries stay pending until acked and can be claimed after idling.
import type { TickBatch } from '../../machines/types.ts';
import type { Clock } from '../clock.ts';
import type { BufferedEntry, TickBuffer } from '../tickBuffer.ts';
import { throughGate, type DependencyGate, type MemoryAdapterOptions } from './dependencyGate.ts';
import { StreamIds } from './streamIds.ts';

interface PendingTickEntry {
  entry: BufferedEntry;
  consumer: string;
  deliveredAt: number;
  deliveries: number;
}

interface TickStream {
  collector: string;
  ids: StreamIds;
  /** Entries never delivered; `head` is the first unread one (a queue without O(n) shifts). */
  unread: BufferedEntry[];
  head: number;
  /** Keyed by entry id; insertion order is entry-id order (claims mutate, never re-insert). */
  pending: Map<string, PendingTickEntry>;
}

export interface TickBufferStats {
  appendedEntries: number;
  appendedTicks: number;
  ackedEntries: number;
  redeliveries: number;
}

const COMPACT_AFTER = 1024;

/**
 * Entries keep the appended batch objects by reference (no copy: ~10 million ticks a day pass
 * through here); callers must treat batches as immutable once appended.
 */
export class MemoryTickBuffer implements TickBuffer {
  private readonly clock: Clock;
  private readonly gate: DependencyGate | undefined;
  private readonly streams: TickStream[] = [];
  private readonly byCollector = new Map<string, TickStream>();
  private readCursor = 0;
  private claimCursor = 0;
  private readonly counters: TickBufferStats = {
    appendedEntries: 0,
    appendedTicks: 0,
    ackedEntries: 0,
    redeliveries: 0,
  };

  constructor(options: MemoryAdapterOptions) {
    this.clock = options.clock;
    this.gate = options.gate;
  }

  append(collector: string, batches: TickBatch[]): Promise<void> {
    return throughGate(this.gate, 'ticks.append', () => {
      const stream = this.stream(collector);
      stream.unread.push({ collector, entryId: stream.ids.next(this.clock.now()), batches });
      this.counters.appendedEntries += 1;
      for (const b of batches) this.counters.appendedTicks += b.cumVolume.length;
    });
  }

  /** Round-robin, one entry per stream per turn, resuming after the stream served last. */
  read(consumer: string, count: number): Promise<BufferedEntry[]> {
    return throughGate(this.gate, 'ticks.read', () => {
      const out: BufferedEntry[] = [];
      const n = this.streams.length;
      const now = this.clock.now();
      let emptyInARow = 0;
      while (out.length < count && emptyInARow < n) {
        const stream = this.streams[this.readCursor];
        this.readCursor = (this.readCursor + 1) % n;
        if (stream.head >= stream.unread.length) {
          emptyInARow += 1;
          continue;
        }
        emptyInARow = 0;
        const entry = stream.unread[stream.head++];
        stream.pending.set(entry.entryId, { entry, consumer, deliveredAt: now, deliveries: 1 });
        out.push(entry);
        this.compact(stream);
      }
      return out.map(copyEntry);
    });
  }

  claim(consumer: string, minIdleMs: number, count: number): Promise<BufferedEntry[]> {
    return throughGate(this.gate, 'ticks.claim', () => {
      const out: BufferedEntry[] = [];
      const n = this.streams.length;
      const now = this.clock.now();
      for (let i = 0; i < n && out.length < count; i++) {
        const stream = this.streams[(this.claimCursor + i) % n];
        for (const p of stream.pending.values()) {
          if (out.length >= count) break;
          if (now - p.deliveredAt < minIdleMs) continue;
          p.consumer = consumer;
          p.deliveredAt = now;
          p.deliveries += 1;
          this.counters.redeliveries += 1;
          out.push(p.entry);
        }
      }
      if (n > 0) this.claimCursor = (this.claimCursor + 1) % n;
      return out.map(copyEntry);
    });
  }

  ack(entries: { collector: string; entryId: string }[]): Promise<void> {
    return throughGate(this.gate, 'ticks.ack', () => {
      for (const { collector, entryId } of entries) {
        if (this.byCollector.get(collector)?.pending.delete(entryId)) this.counters.ackedEntries += 1;
      }
    });
  }

  backlog(): Promise<number> {
    return throughGate(this.gate, 'ticks.backlog', () => this.backlogNow());
  }

  // ---- inspection without the gate (tests, simulator report) ----

  backlogNow(): number {
    let total = 0;
    for (const s of this.streams) total += s.unread.length - s.head + s.pending.size;
    return total;
  }

  pendingCount(collector?: string): number {
    let total = 0;
    for (const s of this.streams)
      if (collector === undefined || s.collector === collector) total += s.pending.size;
    return total;
  }

  stats(): TickBufferStats {
    return { ...this.counters };
  }

  private stream(collector: string): TickStream {
    let s = this.byCollector.get(collector);
    if (!s) {
      s = { collector, ids: new StreamIds(), unread: [], head: 0, pending: new Map() };
      this.byCollector.set(collector, s);
      this.streams.push(s);
    }
    return s;
  }

  private compact(stream: TickStream): void {
    if (stream.head >= COMPACT_AFTER && stream.head * 2 >= stream.unread.length) {
      stream.unread.splice(0, stream.head);
      stream.head = 0;
    }
  }
}

/** A fresh envelope per delivery (the batches inside are shared, see the class comment). */
function copyEntry(e: BufferedEntry): BufferedEntry {
  return { collector: e.collector, entryId: e.entryId, batches: e.batches };
}
