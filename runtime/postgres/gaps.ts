// The gap ledger in PostgreSQL: open is idempotent by id, the first close wins, updates of unknown ids
// match nothing, lists come sorted by id (byte order, like the memory ledger's string sort).
import type { Gap, GapStatus } from '../../machines/types.ts';
import type { Store } from '../../ports/store.ts';
import type { PgPool } from './pool.ts';
import { msFromTs, tsFromMs } from './sql.ts';

type GapPatch = Parameters<Store['updateGap']>[1];

interface GapRow {
  id: string;
  collector: string;
  symbol: string;
  start: number;
  end: number | null;
  status: GapStatus;
  priority: number;
  recovered_until: number;
  attempts: number;
  reason: string | null;
}

/** Patch fields -> column and how the parameter becomes a value. */
const PATCH_COLUMNS: Record<keyof GapPatch, (param: string) => string> = {
  status: (p) => `status = ${p}`,
  recoveredUntil: (p) => `recovered_until = ${tsFromMs(p)}`,
  attempts: (p) => `attempts = ${p}`,
  reason: (p) => `reason = ${p}`,
  priority: (p) => `priority = ${p}`,
};

export class GapStore {
  private readonly pool: PgPool;
  private readonly table: string;
  private readonly select: string;

  constructor(pool: PgPool, schema: string) {
    this.pool = pool;
    this.table = `${schema}.gaps`;
    this.select = `SELECT id, collector, symbol, ${msFromTs('start')} AS start, ${msFromTs('"end"')} AS "end",
      status, priority, ${msFromTs('recovered_until')} AS recovered_until, attempts, reason FROM ${this.table}`;
  }

  async open(gap: Gap): Promise<void> {
    await this.pool.query(
      'store.openGap',
      `INSERT INTO ${this.table} (id, collector, symbol, start, "end", status, priority, recovered_until, attempts, reason)
       VALUES ($1, $2, $3, ${tsFromMs('$4')}, ${tsFromMs('$5')}, $6, $7, ${tsFromMs('$8')}, $9, $10)
       ON CONFLICT (id) DO NOTHING`,
      [
        gap.id,
        gap.collector,
        gap.symbol,
        gap.start,
        gap.end,
        gap.status,
        gap.priority,
        gap.recoveredUntil,
        gap.attempts,
        gap.reason,
      ],
    );
  }

  async close(id: string, end: number): Promise<void> {
    await this.pool.query(
      'store.closeGap',
      `UPDATE ${this.table} SET "end" = ${tsFromMs('$2')} WHERE id = $1 AND "end" IS NULL`,
      [id, end],
    );
  }

  async update(id: string, patch: GapPatch): Promise<void> {
    const sets: string[] = [];
    const params: unknown[] = [id];
    for (const [field, column] of Object.entries(PATCH_COLUMNS) as [
      keyof GapPatch,
      (p: string) => string,
    ][]) {
      if (patch[field] === undefined) continue;
      params.push(patch[field]);
      sets.push(column(`$${params.length}`));
    }
    if (sets.length === 0) {
      // Nothing to change, but the call still needs the ledger to be reachable, like any other.
      await this.pool.query('store.updateGap', 'SELECT 1');
      return;
    }
    await this.pool.query(
      'store.updateGap',
      `UPDATE ${this.table} SET ${sets.join(', ')} WHERE id = $1`,
      params,
    );
  }

  async get(id: string): Promise<Gap | undefined> {
    const rows = await this.pool.query<GapRow>('store.getGap', `${this.select} WHERE id = $1`, [id]);
    return rows.length > 0 ? toGap(rows[0]) : undefined;
  }

  async list(statuses?: GapStatus[]): Promise<Gap[]> {
    const rows = statuses
      ? await this.pool.query<GapRow>(
          'store.listGaps',
          `${this.select} WHERE status = ANY($1::text[]) ORDER BY id`,
          [statuses],
        )
      : await this.pool.query<GapRow>('store.listGaps', `${this.select} ORDER BY id`);
    return rows.map(toGap);
  }
}

function toGap(r: GapRow): Gap {
  return {
    id: r.id,
    collector: r.collector,
    symbol: r.symbol,
    start: r.start,
    end: r.end,
    status: r.status,
    priority: r.priority,
    recoveredUntil: r.recovered_until,
    attempts: r.attempts,
    reason: r.reason,
  };
}
