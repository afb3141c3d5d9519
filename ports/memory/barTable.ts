// The simulator's `bars_1m`: one cell per (symbol, minute). Tick-built cells remember the cumulative
// volume of their open and close so the bar comes out the same whatever order ticks arrive in.
import type { Bar, BarSource } from '../../machines/types.ts';
import type { StoredBar } from '../store.ts';

export interface BarCell {
  minute: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  /** Cumulative volume of the ticks that set open and close (ticks source only). */
  openCum: number;
  closeCum: number;
  source: BarSource;
}

export function newTickCell(minute: number, cumVolume: number, price: number, volume: number): BarCell {
  return {
    minute,
    open: price,
    high: price,
    low: price,
    close: price,
    volume,
    openCum: cumVolume,
    closeCum: cumVolume,
    source: 'ticks',
  };
}

/** Fold one newly inserted tick into a tick-built cell; back-filled cells are the broker's word and stay. */
export function applyTick(cell: BarCell, cumVolume: number, price: number, volume: number): void {
  if (cell.source === 'backfill') return;
  if (cumVolume < cell.openCum) {
    cell.open = price;
    cell.openCum = cumVolume;
  }
  if (cumVolume > cell.closeCum) {
    cell.close = price;
    cell.closeCum = cumVolume;
  }
  if (price > cell.high) cell.high = price;
  if (price < cell.low) cell.low = price;
  cell.volume += volume;
}

export class BarTable {
  private readonly bySymbol = new Map<string, Map<number, BarCell>>();

  /** The live cell map of a symbol (created on first use); the hot tick loop writes into it directly. */
  cellsOf(symbol: string): Map<number, BarCell> {
    let cells = this.bySymbol.get(symbol);
    if (!cells) {
      cells = new Map();
      this.bySymbol.set(symbol, cells);
    }
    return cells;
  }

  /** A back-filled bar replaces whatever the minute had, entirely. */
  upsertBackfill(bar: Bar): void {
    this.cellsOf(bar.symbol).set(bar.minute, {
      minute: bar.minute,
      open: bar.open,
      high: bar.high,
      low: bar.low,
      close: bar.close,
      volume: bar.volume,
      openCum: Number.NaN,
      closeCum: Number.NaN,
      source: 'backfill',
    });
  }

  /**
   * A tick-built bar from outside (no cumulative volumes): replaces a tick-built cell, never a
   * back-filled one, like `ON CONFLICT DO UPDATE ... WHERE source = 'ticks'`. Replacing (not
   * summing) keeps the upsert idempotent. Its open/close are pinned (cum -inf/+inf), so ticks
   * written into the same minute later only widen high/low and add volume.
   */
  upsertTicks(bar: Bar): void {
    const cells = this.cellsOf(bar.symbol);
    if (cells.get(bar.minute)?.source === 'backfill') return;
    cells.set(bar.minute, {
      minute: bar.minute,
      open: bar.open,
      high: bar.high,
      low: bar.low,
      close: bar.close,
      volume: bar.volume,
      openCum: Number.NEGATIVE_INFINITY,
      closeCum: Number.POSITIVE_INFINITY,
      source: 'ticks',
    });
  }

  has(symbol: string, minute: number): boolean {
    return this.bySymbol.get(symbol)?.has(minute) ?? false;
  }

  /** Bars with minute in [fromMinute, toMinute), sorted by minute. */
  range(symbol: string, fromMinute: number, toMinute: number): StoredBar[] {
    const cells = this.bySymbol.get(symbol);
    if (!cells) return [];
    const out: StoredBar[] = [];
    for (const cell of cells.values()) {
      if (cell.minute >= fromMinute && cell.minute < toMinute) out.push(toStoredBar(symbol, cell));
    }
    return out.sort((a, b) => a.minute - b.minute);
  }

  /** Every bar, per symbol (symbols in sorted order), each list sorted by minute. */
  all(): Map<string, StoredBar[]> {
    const out = new Map<string, StoredBar[]>();
    for (const symbol of [...this.bySymbol.keys()].sort()) {
      const bars = [...this.bySymbol.get(symbol)!.values()].map((c) => toStoredBar(symbol, c));
      if (bars.length > 0)
        out.set(
          symbol,
          bars.sort((a, b) => a.minute - b.minute),
        );
    }
    return out;
  }

  count(): number {
    let n = 0;
    for (const cells of this.bySymbol.values()) n += cells.size;
    return n;
  }
}

function toStoredBar(symbol: string, c: BarCell): StoredBar {
  return {
    symbol,
    minute: c.minute,
    open: c.open,
    high: c.high,
    low: c.low,
    close: c.close,
    volume: c.volume,
    source: c.source,
  };
}
