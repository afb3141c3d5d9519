// Store port: PostgreSQL/TimescaleDB in live mode: ticks (idempotent by symbol, day, cum_volume),
// bars_1m (upsert; backfill replaces tick-built bars), the gap ledger (source of truth), symbols.
import type { Bar, BarSource, Gap, GapStatus, TickBatch } from '../machines/types.ts';

export interface StoredBar extends Bar {
  source: BarSource;
}

export interface WriteResult {
  /** Ticks newly inserted (duplicates by unique key are skipped, not counted). */
  inserted: number;
  duplicates: number;
}

/** One close of a batch: the gap's id and the end to record. */
export interface GapClose {
  id: string;
  end: number;
}

export interface Store {
  migrate(): Promise<void>;
  /** Idempotent: re-writing the same ticks (same symbol, day, cumVolume) inserts nothing. */
  writeTicks(collector: string, batches: TickBatch[]): Promise<WriteResult>;
  /** Upsert bars; a 'backfill' bar replaces a 'ticks' bar for the same minute. */
  upsertBars(bars: Bar[], source: BarSource): Promise<void>;
  /** Bars with minute in [fromMinute, toMinute) (half-open, like missingMinutes), sorted by minute. */
  bars(symbol: string, fromMinute: number, toMinute: number): Promise<StoredBar[]>;
  /** Minutes (epoch ms) in [from, to) that have no bar, for the data audit. */
  missingMinutes(symbol: string, fromMinute: number, toMinute: number): Promise<number[]>;

  // gap ledger
  /** Insert a gap unless one with the same id exists (idempotent). */
  openGap(gap: Gap): Promise<void>;
  /**
   * `openGap` for many gaps in one call (a constant number of round trips, whatever their number):
   * each is inserted unless its id exists, an existing row is left as it is (the first of repeated
   * ids in one batch wins). Returns the rows as stored, one per input gap, in input order.
   */
  openGaps(gaps: Gap[]): Promise<Gap[]>;
  /** Set `end` unless the gap already has one (the first close wins); unknown ids match nothing. */
  closeGap(id: string, end: number): Promise<void>;
  /**
   * `closeGap` for many gaps in one call (the first close wins, also among repeated ids of one
   * batch). Returns the stored rows of the ids that exist, one per input close, in input order;
   * closes of unknown ids are left out.
   */
  closeGaps(closes: GapClose[]): Promise<Gap[]>;
  updateGap(
    id: string,
    patch: Partial<Pick<Gap, 'status' | 'recoveredUntil' | 'attempts' | 'reason' | 'priority'>>,
  ): Promise<void>;
  getGap(id: string): Promise<Gap | undefined>;
  listGaps(statuses?: GapStatus[]): Promise<Gap[]>;

  /** Previous session's volume per symbol (dispatch priority). */
  symbolVolumes(): Promise<Map<string, number>>;
  setSymbolVolumes(volumes: Map<string, number>): Promise<void>;
  ping(): Promise<void>;
}
