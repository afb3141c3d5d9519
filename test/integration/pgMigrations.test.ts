// Schema migrations on real PostgreSQL: processes migrating one schema at once apply each version
// once, a restart applies nothing, later versions are applied on top, and TimescaleDB-only files wait
// unrecorded on plain PostgreSQL.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { isTgError } from '../../machines/errors.ts';
import { createLogger, silentLogger } from '../../runtime/log.ts';
import { createPgStore, type PgStore } from '../../runtime/postgres/index.ts';
import {
  loadMigrations,
  runMigrations,
  splitStatements,
  type Migration,
} from '../../runtime/postgres/migrate.ts';

const databaseUrl = inject('databaseUrl');
let admin: pg.Client;
const schemas: string[] = [];

function freshSchema(): string {
  const s = `tg_test_${randomBytes(6).toString('hex')}`;
  schemas.push(s);
  return s;
}

async function versions(schema: string): Promise<number[]> {
  const r = await admin.query(`SELECT version FROM "${schema}".schema_migrations ORDER BY version`);
  return r.rows.map((row) => row.version);
}

beforeAll(async () => {
  admin = new pg.Client({ connectionString: databaseUrl });
  await admin.connect();
});

afterAll(async () => {
  for (const s of schemas) await admin.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
  await admin.end();
});

describe('postgres migrations', () => {
  it('applies each version once when several processes migrate the same schema at once', async () => {
    const schema = freshSchema();
    const stores: PgStore[] = [];
    const lines: string[] = [];
    const log = createLogger({}, { write: (line) => lines.push(line) });
    for (let i = 0; i < 4; i++)
      stores.push(await createPgStore({ url: databaseUrl, schema, poolSize: 1, log }));
    try {
      await Promise.all(stores.map((s) => s.migrate()));
      expect(await versions(schema)).toEqual([1]);
      const tables = await admin.query(
        `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1`,
        [schema],
      );
      expect(tables.rows.map((r) => r.table_name)).toEqual([
        'bars_1m',
        'gaps',
        'schema_migrations',
        'symbols',
        'ticks',
      ]);
      expect(stores.every((s) => s.timescale === false)).toBe(true);
      // Plain PostgreSQL here: the TimescaleDB files are skipped with a note, not an error.
      expect(lines.some((l) => JSON.parse(l).msg.startsWith('timescaledb not available'))).toBe(true);
    } finally {
      for (const s of stores) await s.close();
    }
  });

  it('applies nothing after a restart and only the new version when one is added', async () => {
    const schema = freshSchema();
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      const shipped = loadMigrations();
      const first = await runMigrations(client, schema, silentLogger, shipped);
      expect(first.applied).toEqual([1]);
      expect(first.skipped).toEqual([2, 3]);
      const restart = await runMigrations(client, schema, silentLogger, shipped);
      expect(restart.applied).toEqual([]);
      const later: Migration = {
        version: 900,
        name: 'symbols_market',
        sql: 'ALTER TABLE symbols ADD COLUMN market text',
        requiresTimescale: false,
        noTransaction: false,
      };
      expect((await runMigrations(client, schema, silentLogger, [...shipped, later])).applied).toEqual([900]);
      expect((await runMigrations(client, schema, silentLogger, [...shipped, later])).applied).toEqual([]);
      expect(await versions(schema)).toEqual([1, 900]);
      const column = await admin.query(
        `SELECT 1 FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'symbols' AND column_name = 'market'`,
        [schema],
      );
      expect(column.rowCount).toBe(1);
    } finally {
      await client.end();
    }
  });

  it('rolls a failing migration back entirely and records nothing for it', async () => {
    const schema = freshSchema();
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      const broken: Migration = {
        version: 901,
        name: 'broken',
        sql: 'CREATE TABLE half (x int); SELECT no_such_function()',
        requiresTimescale: false,
        noTransaction: false,
      };
      await expect(
        runMigrations(client, schema, silentLogger, [...loadMigrations(), broken]),
      ).rejects.toThrow();
      expect(await versions(schema)).toEqual([1]);
      const half = await admin.query(`SELECT to_regclass($1) AS t`, [`"${schema}".half`]);
      expect(half.rows[0].t).toBeNull();
    } finally {
      await client.end();
    }
  });

  it('marks the TimescaleDB files and splits the continuous aggregate file into its statements', () => {
    const byVersion = new Map(loadMigrations().map((m) => [m.version, m]));
    expect(byVersion.get(1)).toMatchObject({ requiresTimescale: false, noTransaction: false });
    expect(byVersion.get(2)).toMatchObject({ requiresTimescale: true, noTransaction: false });
    const cagg = byVersion.get(3)!;
    expect(cagg).toMatchObject({ requiresTimescale: true, noTransaction: true });
    const statements = splitStatements(cagg.sql);
    expect(statements.map((s) => s.split(/\s+/, 2).join(' '))).toEqual([
      'CREATE MATERIALIZED',
      'SELECT add_continuous_aggregate_policy(',
    ]);
  });

  it('rejects a schema name that is not a plain identifier with TG_ERR_CONFIG', async () => {
    const e = await createPgStore({ url: databaseUrl, schema: 'x"; DROP TABLE y; --' }).catch(
      (err: unknown) => err,
    );
    expect(isTgError(e, 'TG_ERR_CONFIG')).toBe(true);
  });
});
