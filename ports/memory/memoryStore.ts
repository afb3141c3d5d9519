// In-memory Store, the simulator's PostgreSQL: compact idempotent `ticks` (covered cumulative-volume
// intervals per symbol and day), order-independent `bars_1m` built from new ticks, the gap ledger.
import type { Bar, BarSource, Gap, GapStatus, TickBatch } from '../../machines/types.ts';
import { MINUTE_MS } from '../../machines/marketHours.ts';
import type { Clock } from '../clock.ts';
import type { GapClose, Store, StoredBar, WriteResult } from '../store.ts';
import { applyTick, BarTable, newTickCell, type BarCell } from './barTable.ts';
import { throughGate, type DependencyGate, type MemoryAdapterOptions } from './dependencyGate.ts';
import { GapLedger, type GapPatch } from './gapLedger.ts';
import { CoveredIntervals, TICK_DUPLICATE, TICK_INSERTED } from './tickCoverage.ts';

export interface TickStats {
  inserted: number;
  duplicatesSkipped: number;
  /** Ticks without a positive, finite volume/cumVolume/price/ts: neither stored nor duplicates. */
  invalidSkipped: number;
  /** Inserted ticks per writing collector. */
  insertedBy: Record<string, number>;
}

export class MemoryStore implements Store {
  readonly clock: Clock;
  private readonly gate: DependencyGate | undefined;
  /** symbol -> day -> covered intervals. */
  private readonly ticks = new Map<string, Map<string, CoveredIntervals>>();
  private readonly barTable = new BarTable();
  private readonly ledger = new GapLedger();
  private volumes = new Map<string, number>();
  private migrated = false;
  private inserted = 0;
  private duplicatesSkipped = 0;
  private invalidSkipped = 0;
  private readonly insertedBy = new Map<string, number>();

  constructor(options: MemoryAdapterOptions) {
    this.clock = options.clock;
    this.gate = options.gate;
  }

  migrate(): Promise<void> {
    return throughGate(this.gate, 'store.migrate', () => {
      this.migrated = true;
    });
  }

  writeTicks(collector: string, batches: TickBatch[]): Promise<WriteResult> {
    return throughGate(this.gate, 'store.writeTicks', () => this.writeTicksNow(collector, batches));
  }

  upsertBars(bars: Bar[], source: BarSource): Promise<void> {
    return throughGate(this.gate, 'store.upsertBars', () => {
      for (const bar of bars) {
        if (source === 'backfill') this.barTable.upsertBackfill(bar);
        else this.barTable.upsertTicks(bar);
      }
    });
  }

  /** Bars with minute in [fromMinute, toMinute), sorted by minute. */
  bars(symbol: string, fromMinute: number, toMinute: number): Promise<StoredBar[]> {
    return throughGate(this.gate, 'store.bars', () => this.barTable.range(symbol, fromMinute, toMinute));
  }

  missingMinutes(symbol: string, fromMinute: number, toMinute: number): Promise<number[]> {
    return throughGate(this.gate, 'store.missingMinutes', () => {
      const out: number[] = [];
      const first = Math.ceil(fromMinute / MINUTE_MS) * MINUTE_MS;
      for (let m = first; m < toMinute; m += MINUTE_MS) if (!this.barTable.has(symbol, m)) out.push(m);
      return out;
    });
  }

  openGap(gap: Gap): Promise<void> {
    return throughGate(this.gate, 'store.openGap', () => {
      this.ledger.open(gap);
    });
  }

  /** One gated call for the whole batch, like the adapter's constant round trips. */
  openGaps(gaps: Gap[]): Promise<Gap[]> {
    return throughGate(this.gate, 'store.openGaps', () =>
      gaps.map((gap) => {
        this.ledger.open(gap);
        return this.ledger.get(gap.id)!;
      }),
    );
  }

  closeGap(id: string, end: number): Promise<void> {
    return throughGate(this.gate, 'store.closeGap', () => this.ledger.close(id, end));
  }

  closeGaps(closes: GapClose[]): Promise<Gap[]> {
    return throughGate(this.gate, 'store.closeGaps', () => {
      for (const c of closes) this.ledger.close(c.id, c.end);
      return closes.flatMap((c) => this.ledger.get(c.id) ?? []);
    });
  }

  updateGap(id: string, patch: GapPatch): Promise<void> {
    return throughGate(this.gate, 'store.updateGap', () => this.ledger.update(id, patch));
  }

  getGap(id: string): Promise<Gap | undefined> {
    return throughGate(this.gate, 'store.getGap', () => this.ledger.get(id));
  }

  listGaps(statuses?: GapStatus[]): Promise<Gap[]> {
    return throughGate(this.gate, 'store.listGaps', () => this.ledger.list(statuses));
  }

  symbolVolumes(): Promise<Map<string, number>> {
    return throughGate(this.gate, 'store.symbolVolumes', () => new Map(this.volumes));
  }

  setSymbolVolumes(volumes: Map<string, number>): Promise<void> {
    return throughGate(this.gate, 'store.setSymbolVolumes', () => {
      this.volumes = new Map(volumes);
    });
  }

  ping(): Promise<void> {
    return throughGate(this.gate, 'store.ping', () => undefined);
  }

  // ---- inspection for the simulator report and tests (not part of the port; no gate) ----

  /** Every bar per symbol, symbols and minutes sorted. */
  allBars(): Map<string, StoredBar[]> {
    return this.barTable.all();
  }

  tickStats(): TickStats {
    return {
      inserted: this.inserted,
      duplicatesSkipped: this.duplicatesSkipped,
      invalidSkipped: this.invalidSkipped,
      insertedBy: Object.fromEntries([...this.insertedBy.entries()].sort(([a], [b]) => (a < b ? -1 : 1))),
    };
  }

  /** Cumulative volume covered by stored ticks of the symbol on the day (the true day's is its last cumVolume). */
  coveredVolume(symbol: string, day: string): number {
    return this.ticks.get(symbol)?.get(day)?.coveredVolume() ?? 0;
  }

  /** Covered (lo, hi] intervals of cumulative volume, in order: the holes between them are lost trades. */
  coveredIntervals(symbol: string, day: string): [number, number][] {
    return this.ticks.get(symbol)?.get(day)?.intervals() ?? [];
  }

  /** Stored ticks of the symbol over all days. */
  tickCount(symbol: string): number {
    let n = 0;
    for (const cov of this.ticks.get(symbol)?.values() ?? []) n += cov.count();
    return n;
  }

  isMigrated(): boolean {
    return this.migrated;
  }

  /** The gap ledger without the gate (the report reads it while timescaledb may be down). */
  gapsNow(statuses?: GapStatus[]): Gap[] {
    return this.ledger.list(statuses);
  }

  private writeTicksNow(collector: string, batches: TickBatch[]): WriteResult {
    let inserted = 0;
    let duplicates = 0;
    let invalid = 0;
    for (const batch of batches) {
      const coverage = this.coverageOf(batch.symbol, batch.day);
      const cells = this.barTable.cellsOf(batch.symbol);
      const { ts, cumVolume, price, volume } = batch;
      let cellMinute = Number.NaN;
      let cell: BarCell | undefined;
      for (let i = 0; i < cumVolume.length; i++) {
        const t = ts[i];
        const p = price[i];
        if (!Number.isFinite(t) || !Number.isFinite(p)) {
          invalid++;
          continue;
        }
        const outcome = coverage.add(cumVolume[i], volume[i]);
        if (outcome !== TICK_INSERTED) {
          if (outcome === TICK_DUPLICATE) duplicates++;
          else invalid++;
          continue;
        }
        inserted++;
        const minute = Math.floor(t / MINUTE_MS) * MINUTE_MS;
        if (minute !== cellMinute) {
          cellMinute = minute;
          cell = cells.get(minute);
          if (!cell) {
            cells.set(minute, (cell = newTickCell(minute, cumVolume[i], p, volume[i])));
            continue;
          }
        }
        applyTick(cell!, cumVolume[i], p, volume[i]);
      }
    }
    this.inserted += inserted;
    this.duplicatesSkipped += duplicates;
    this.invalidSkipped += invalid;
    if (inserted > 0) this.insertedBy.set(collector, (this.insertedBy.get(collector) ?? 0) + inserted);
    return { inserted, duplicates };
  }

  private coverageOf(symbol: string, day: string): CoveredIntervals {
    let days = this.ticks.get(symbol);
    if (!days) {
      days = new Map();
      this.ticks.set(symbol, days);
    }
    let cov = days.get(day);
    if (!cov) {
      cov = new CoveredIntervals();
      days.set(day, cov);
    }
    return cov;
  }
}
