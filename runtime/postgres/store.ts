// The Store port on PostgreSQL (TimescaleDB when the extension exists): ticks via COPY + idempotent
// insert, bars_1m, the gap ledger and symbol volumes, each in its own module over one pool.
import type { Bar, BarSource, Gap, GapStatus, TickBatch } from '../../machines/types.ts';
import type { GapClose, Store, StoredBar, WriteResult } from '../../ports/store.ts';
import type { Logger } from '../log.ts';
import { BarStore } from './bars.ts';
import type { CopyFormat } from './copyRows.ts';
import { GapStore } from './gaps.ts';
import { runMigrations } from './migrate.ts';
import type { PgPool } from './pool.ts';
import { quoteIdent } from './sql.ts';
import { SymbolStore } from './symbols.ts';
import { TickWriter } from './ticks.ts';

const MIGRATE_DEADLINE_MS = 30 * 60_000;

export interface PgStore extends Store {
  close(): Promise<void>;
  /** Whether the schema runs on TimescaleDB (hypertable + continuous aggregate); known after migrate(). */
  readonly timescale: boolean;
}

export class PostgresStore implements PgStore {
  private readonly pool: PgPool;
  private readonly schema: string;
  private readonly log: Logger;
  private readonly tickWriter: TickWriter;
  private readonly barStore: BarStore;
  private readonly gapStore: GapStore;
  private readonly symbolStore: SymbolStore;
  private usesTimescale = false;
  private closed: Promise<void> | undefined;

  constructor(o: { pool: PgPool; schema: string; log: Logger; copyFormat: CopyFormat }) {
    this.pool = o.pool;
    this.schema = o.schema;
    this.log = o.log;
    const s = quoteIdent(o.schema);
    this.tickWriter = new TickWriter(o.pool, s, o.copyFormat);
    this.barStore = new BarStore(o.pool, s);
    this.gapStore = new GapStore(o.pool, s);
    this.symbolStore = new SymbolStore(o.pool, s);
  }

  get timescale(): boolean {
    return this.usesTimescale;
  }

  async migrate(): Promise<void> {
    // Turning a big existing ticks table into a hypertable, or waiting for another process's
    // migration, may take long: no statement timeout, only a generous deadline for a dead network.
    const outcome = await this.pool.withClient(
      'store.migrate',
      async (client) => {
        await client.query('SET statement_timeout = 0');
        try {
          return await runMigrations(client, this.schema, this.log);
        } finally {
          await client.query('RESET statement_timeout');
        }
      },
      MIGRATE_DEADLINE_MS,
    );
    this.usesTimescale = outcome.timescale;
  }

  writeTicks(collector: string, batches: TickBatch[]): Promise<WriteResult> {
    return this.tickWriter.write(collector, batches);
  }

  upsertBars(bars: Bar[], source: BarSource): Promise<void> {
    return this.barStore.upsert(bars, source);
  }

  bars(symbol: string, fromMinute: number, toMinute: number): Promise<StoredBar[]> {
    return this.barStore.range(symbol, fromMinute, toMinute);
  }

  missingMinutes(symbol: string, fromMinute: number, toMinute: number): Promise<number[]> {
    return this.barStore.missingMinutes(symbol, fromMinute, toMinute);
  }

  openGap(gap: Gap): Promise<void> {
    return this.gapStore.open(gap);
  }

  openGaps(gaps: Gap[]): Promise<Gap[]> {
    return this.gapStore.openMany(gaps);
  }

  closeGap(id: string, end: number): Promise<void> {
    return this.gapStore.close(id, end);
  }

  closeGaps(closes: GapClose[]): Promise<Gap[]> {
    return this.gapStore.closeMany(closes);
  }

  updateGap(
    id: string,
    patch: Partial<Pick<Gap, 'status' | 'recoveredUntil' | 'attempts' | 'reason' | 'priority'>>,
  ): Promise<void> {
    return this.gapStore.update(id, patch);
  }

  getGap(id: string): Promise<Gap | undefined> {
    return this.gapStore.get(id);
  }

  listGaps(statuses?: GapStatus[]): Promise<Gap[]> {
    return this.gapStore.list(statuses);
  }

  symbolVolumes(): Promise<Map<string, number>> {
    return this.symbolStore.volumes();
  }

  setSymbolVolumes(volumes: Map<string, number>): Promise<void> {
    return this.symbolStore.setVolumes(volumes);
  }

  async ping(): Promise<void> {
    await this.pool.query('store.ping', 'SELECT 1');
  }

  close(): Promise<void> {
    this.closed ??= this.pool.end();
    return this.closed;
  }
}
