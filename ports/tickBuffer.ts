// TickBuffer port: per-collector durable tick stream (Redis stream tg:ticks:{collector}, consumer
// group `writer`). Entries are acked only after the store has them, so a writer crash re-reads them.
import type { TickBatch } from '../machines/types.ts';

export interface BufferedEntry {
  collector: string;
  entryId: string;
  batches: TickBatch[];
}

export interface TickBuffer {
  /** Append one entry; rejects (TG_ERR_DEP_DOWN) when the buffer's server is unreachable. */
  append(collector: string, batches: TickBatch[]): Promise<void>;
  /** Read up to `count` new entries across all collectors' streams for this consumer. */
  read(consumer: string, count: number): Promise<BufferedEntry[]>;
  /** Entries delivered to any consumer but never acked, idle for at least minIdleMs (re-delivery). */
  claim(consumer: string, minIdleMs: number, count: number): Promise<BufferedEntry[]>;
  ack(entries: { collector: string; entryId: string }[]): Promise<void>;
  /** Unacked + unread entries, for back-pressure and tests. */
  backlog(): Promise<number>;
}

/** The collector's local disk spool while redis-main is down: append-only, replayed in order. */
export interface Spool {
  append(batches: TickBatch[]): Promise<void>;
  /** All spooled batches in append order. */
  readAll(): Promise<TickBatch[]>;
  /** Remove what was replayed (after the buffer accepted it). */
  clear(): Promise<void>;
  size(): Promise<number>;
}
