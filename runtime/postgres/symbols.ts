// The symbols table: previous session's volume per symbol for dispatch priority. Setting volumes
// replaces the whole map (like the memory store); names survive, absent symbols' volumes become NULL.
import type { PgPool } from './pool.ts';

export class SymbolStore {
  private readonly pool: PgPool;
  private readonly table: string;

  constructor(pool: PgPool, schema: string) {
    this.pool = pool;
    this.table = `${schema}.symbols`;
  }

  async volumes(): Promise<Map<string, number>> {
    const rows = await this.pool.query<{ symbol: string; prev_volume: number }>(
      'store.symbolVolumes',
      `SELECT symbol, prev_volume FROM ${this.table} WHERE prev_volume IS NOT NULL ORDER BY symbol`,
    );
    return new Map(rows.map((r) => [r.symbol, r.prev_volume]));
  }

  async setVolumes(volumes: Map<string, number>): Promise<void> {
    const symbols = [...volumes.keys()];
    const values = [...volumes.values()];
    await this.pool.transaction('store.setSymbolVolumes', async (client) => {
      await client.query(
        `UPDATE ${this.table} SET prev_volume = NULL WHERE prev_volume IS NOT NULL AND NOT (symbol = ANY($1::text[]))`,
        [symbols],
      );
      await client.query(
        `INSERT INTO ${this.table} (symbol, prev_volume)
           SELECT * FROM unnest($1::text[], $2::bigint[]) ORDER BY 1
           ON CONFLICT (symbol) DO UPDATE SET prev_volume = EXCLUDED.prev_volume`,
        [symbols, values],
      );
    });
  }
}
