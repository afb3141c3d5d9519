// The gap ledger in PostgreSQL: open is idempotent by id, the first close wins, updates of unknown ids
// match nothing, lists come sorted by id (byte order, like the memory ledger's string sort). Batch
// open/close take a constant number of statements whatever their size (recovery must start in 1 s).
import type pg from 'pg';
import { TgError } from '../../machines/errors.ts';
import type { Gap, GapStatus } from '../../machines/types.ts';
import type { GapClose, Store } from '../../ports/store.ts';
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

  /**
   * `open` for a batch on one connection in two statements, whatever its size: one INSERT from
   * column arrays (`ON CONFLICT (id) DO NOTHING`), then one SELECT of the ids. The SELECT is its own
   * statement so that it sees a row another worker inserted while ours waited on the conflict; a
   * CTE's outer SELECT would still read the snapshot from before. One INSERT means a row the table
   * refuses fails the whole batch.
   */
  async openMany(gaps: Gap[]): Promise<Gap[]> {
    const fresh = firstPerId(gaps);
    return this.pool.withClient('store.openGaps', async (client) => {
      await client.query(
        `INSERT INTO ${this.table} (id, collector, symbol, start, "end", status, priority, recovered_until, attempts, reason)
         SELECT g.id, g.collector, g.symbol, ${tsFromMs('g.start')}, ${tsFromMs('g."end"')}, g.status, g.priority,
                ${tsFromMs('g.recovered_until')}, g.attempts, g.reason
         FROM unnest($1::text[], $2::text[], $3::text[], $4::float8[], $5::float8[], $6::text[], $7::float8[],
                     $8::float8[], $9::int4[], $10::text[])
           AS g(id, collector, symbol, start, "end", status, priority, recovered_until, attempts, reason)
         ON CONFLICT (id) DO NOTHING`,
        [
          fresh.map((g) => g.id),
          fresh.map((g) => g.collector),
          fresh.map((g) => g.symbol),
          fresh.map((g) => g.start),
          fresh.map((g) => g.end),
          fresh.map((g) => g.status),
          fresh.map((g) => g.priority),
          fresh.map((g) => g.recoveredUntil),
          fresh.map((g) => g.attempts),
          fresh.map((g) => g.reason),
        ],
      );
      const stored = await this.rowsById(client, fresh);
      return gaps.map((g) => {
        const row = stored.get(g.id);
        // Rows are never deleted, so a gap just inserted or found on conflict must be there.
        if (!row)
          throw new TgError(
            'TG_ERR_STORE',
            `store.openGaps: gap ${g.id} is missing right after its insert; were ledger rows deleted by hand?`,
          );
        return row;
      });
    });
  }

  async close(id: string, end: number): Promise<void> {
    await this.pool.query(
      'store.closeGap',
      `UPDATE ${this.table} SET "end" = ${tsFromMs('$2')} WHERE id = $1 AND "end" IS NULL`,
      [id, end],
    );
  }

  /**
   * `close` for a batch: one UPDATE joined to the (id, end) arrays (`WHERE "end" IS NULL`, so the
   * first close wins), then one SELECT, on one connection. Repeated ids are cut to their first close
   * here: an UPDATE joined to several source rows would apply an unpredictable one of them.
   */
  async closeMany(closes: GapClose[]): Promise<Gap[]> {
    const first = firstPerId(closes);
    return this.pool.withClient('store.closeGaps', async (client) => {
      await client.query(
        `UPDATE ${this.table} AS g SET "end" = ${tsFromMs('c."end"')}
         FROM unnest($1::text[], $2::float8[]) AS c(id, "end")
         WHERE g.id = c.id AND g."end" IS NULL`,
        [first.map((c) => c.id), first.map((c) => c.end)],
      );
      const stored = await this.rowsById(client, first);
      return closes.flatMap((c) => stored.get(c.id) ?? []);
    });
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

  private async rowsById(client: pg.PoolClient, items: { id: string }[]): Promise<Map<string, Gap>> {
    const { rows } = await client.query<GapRow>(`${this.select} WHERE id = ANY($1::text[])`, [
      items.map((i) => i.id),
    ]);
    return new Map(rows.map((r) => [r.id, toGap(r)]));
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

/** The first item of each id, in input order (a batch applies an id once, like its first single call). */
function firstPerId<T extends { id: string }>(items: T[]): T[] {
  const seen = new Set<string>();
  return items.filter((i) => {
    if (seen.has(i.id)) return false;
    seen.add(i.id);
    return true;
  });
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
