// Versioned schema migrations (migrations/NNN_name.sql) applied once each, recorded in the schema's
// `schema_migrations`, under a per-schema advisory lock so processes starting together migrate once.
// Files marked `-- tg:requires timescaledb` wait (unrecorded) until the extension is available.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import type { Logger } from '../log.ts';
import { quoteIdent } from './sql.ts';

export interface Migration {
  version: number;
  name: string;
  sql: string;
  requiresTimescale: boolean;
  /** Statements that refuse to run in a transaction block (continuous aggregates): run one by one. */
  noTransaction: boolean;
}

export interface MigrateOutcome {
  timescale: boolean;
  applied: number[];
  skipped: number[];
}

/** Advisory-lock class for tickguard migrations ('tg' in ASCII); the key is the schema's hash. */
const LOCK_CLASS = 0x7467;
/** Separate database-wide key: CREATE EXTENSION is not schema-scoped. */
const EXTENSION_LOCK_KEY = 0;

const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url));

export function loadMigrations(dir = MIGRATIONS_DIR): Migration[] {
  const out: Migration[] = [];
  for (const file of readdirSync(dir).sort()) {
    const m = /^(\d+)_([\w-]+)\.sql$/.exec(file);
    if (!m) continue;
    const sql = readFileSync(`${dir}/${file}`, 'utf8');
    out.push({
      version: Number(m[1]),
      name: m[2],
      sql,
      requiresTimescale: /^--\s*tg:requires timescaledb\s*$/m.test(sql),
      noTransaction: /^--\s*tg:no-transaction\s*$/m.test(sql),
    });
  }
  const versions = out.map((m) => m.version);
  if (new Set(versions).size !== versions.length) throw new Error(`duplicate migration versions in ${dir}`);
  return out;
}

/** Apply what is missing. The caller owns `client` (one session: advisory locks are per session). */
export async function runMigrations(
  client: pg.ClientBase,
  schema: string,
  log: Logger,
  migrations: Migration[] = loadMigrations(),
): Promise<MigrateOutcome> {
  const s = quoteIdent(schema);
  await client.query('SELECT pg_advisory_lock($1, hashtext($2))', [LOCK_CLASS, schema]);
  try {
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${s}.schema_migrations (
         version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    const extensionSchema = await ensureTimescale(client, log);
    const timescale = extensionSchema !== undefined;
    const done = new Set(
      (await client.query<{ version: number }>(`SELECT version FROM ${s}.schema_migrations`)).rows.map(
        (r) => r.version,
      ),
    );
    const searchPath = [s, ...(extensionSchema ? [quoteIdent(extensionSchema)] : [])].join(', ');
    const applied: number[] = [];
    const skipped: number[] = [];
    for (const m of migrations) {
      if (done.has(m.version)) continue;
      if (m.requiresTimescale && !timescale) {
        skipped.push(m.version);
        continue;
      }
      const record = {
        sql: `INSERT INTO ${s}.schema_migrations (version, name) VALUES ($1, $2)`,
        params: [m.version, m.name],
      };
      if (m.noTransaction) {
        // Each statement must be idempotent on its own (IF NOT EXISTS): a crash may stop halfway.
        await client.query(`SET search_path TO ${searchPath}`);
        try {
          for (const statement of splitStatements(m.sql)) await client.query(statement);
        } finally {
          await client.query('RESET search_path');
        }
        await client.query(record.sql, record.params);
      } else {
        await client.query('BEGIN');
        try {
          await client.query(`SET LOCAL search_path TO ${searchPath}`);
          await client.query(m.sql);
          await client.query(record.sql, record.params);
          await client.query('COMMIT');
        } catch (error) {
          await client.query('ROLLBACK').catch(() => undefined);
          throw error;
        }
      }
      applied.push(m.version);
    }
    if (skipped.length > 0)
      log.info('timescaledb not available: plain PostgreSQL tables, no hypertable or continuous aggregate', {
        schema,
        skippedMigrations: skipped,
      });
    if (applied.length > 0) log.info('postgres migrations applied', { schema, applied });
    return { timescale, applied, skipped };
  } finally {
    await client.query('SELECT pg_advisory_unlock($1, hashtext($2))', [LOCK_CLASS, schema]);
  }
}

/**
 * Create the timescaledb extension when the server has it; returns the schema it lives in, or
 * undefined on plain PostgreSQL (not installed, or installed but not preloaded).
 */
async function ensureTimescale(client: pg.ClientBase, log: Logger): Promise<string | undefined> {
  const available = await client.query(`SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb'`);
  if (available.rowCount === 0) return undefined;
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1, $2)', [LOCK_CLASS, EXTENSION_LOCK_KEY]);
    await client.query('CREATE EXTENSION IF NOT EXISTS timescaledb');
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    log.warn('timescaledb is installed but could not be created; using plain PostgreSQL', {
      error: (error as Error).message,
    });
    return undefined;
  }
  const r = await client.query<{ nspname: string }>(
    `SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'timescaledb'`,
  );
  return r.rows[0]?.nspname;
}

/** Our no-transaction files hold plain statements ending in `;` at a line end (no function bodies). */
export function splitStatements(sql: string): string[] {
  return sql
    .split(/;\s*$/m)
    .map((part) =>
      part
        .split('\n')
        .filter((line) => !/^\s*--/.test(line))
        .join('\n')
        .trim(),
    )
    .filter((part) => part.length > 0);
}
