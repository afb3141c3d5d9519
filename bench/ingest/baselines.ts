// The two yardsticks of the ingest benchmark, loading the same rows into a table shaped like `ticks`
// (same columns and key): `psql \copy` from a file (the ceiling) and batched multi-row INSERT ...
// ON CONFLICT DO NOTHING (what a straightforward writer would do). Each returns elapsed seconds.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { tickRows, type SyntheticMarket } from './synthetic.ts';

const run = promisify(execFile);
const COLUMNS = 'symbol, day, cum_volume, ts, price, volume, collector';

/** Seconds `psql \copy` takes to load the market's rows into `table` (file written beforehand). */
export async function psqlCopySeconds(url: string, table: string, market: SyntheticMarket): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'tg-bench-'));
  const file = join(dir, 'ticks.tsv');
  try {
    const lines: string[] = [];
    for (const [symbol, day, cum, ts, price, volume, collector] of tickRows(market))
      lines.push(
        `${symbol}\t${day}\t${cum}\t${new Date(ts).toISOString()}\t${price}\t${volume}\t${collector}\n`,
      );
    writeFileSync(file, lines.join(''));
    const psql = process.env.PSQL ?? '/usr/bin/psql';
    const started = performance.now();
    await run(psql, [url, '-v', 'ON_ERROR_STOP=1', '-qc', `\\copy ${table} (${COLUMNS}) FROM '${file}'`], {
      maxBuffer: 1 << 20,
    });
    return (performance.now() - started) / 1000;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Seconds for multi-row INSERTs of `rowsPerStatement` rows each, one statement at a time. */
export async function multiRowInsertSeconds(
  url: string,
  table: string,
  market: SyntheticMarket,
  rowsPerStatement = 500,
): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const statement = (rows: number) => {
      const values: string[] = [];
      for (let r = 0; r < rows; r++) {
        const p = r * 7;
        values.push(`($${p + 1}, $${p + 2}, $${p + 3}, $${p + 4}, $${p + 5}, $${p + 6}, $${p + 7})`);
      }
      return `INSERT INTO ${table} (${COLUMNS}) VALUES ${values.join(', ')} ON CONFLICT DO NOTHING`;
    };
    const full = statement(rowsPerStatement);
    const started = performance.now();
    let params: unknown[] = [];
    const flush = async () => {
      const rows = params.length / 7;
      if (rows === rowsPerStatement)
        await client.query({ name: 'bench_insert_full', text: full, values: params });
      else if (rows > 0) await client.query(statement(rows), params);
      params = [];
    };
    for (const [symbol, day, cum, ts, price, volume, collector] of tickRows(market)) {
      params.push(symbol, day, cum, new Date(ts).toISOString(), price, volume, collector);
      if (params.length === rowsPerStatement * 7) await flush();
    }
    await flush();
    return (performance.now() - started) / 1000;
  } finally {
    await client.end();
  }
}
