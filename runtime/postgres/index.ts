// Entry point of the PostgreSQL Store adapter: `createPgStore` builds the pool and the store without
// connecting (a process may start while the database is down); `migrate()` creates or upgrades the schema.
import { silentLogger, type Logger } from '../log.ts';
import type { CopyFormat } from './copyRows.ts';
import { PgPool } from './pool.ts';
import { validateSchema } from './sql.ts';
import { PostgresStore, type PgStore } from './store.ts';

export type { PgStore } from './store.ts';
export type { CopyFormat } from './copyRows.ts';

export interface PgStoreOptions {
  url: string;
  /** Schema holding every table and the migration record; default 'public'. */
  schema?: string;
  /** Connections; default 4 (the writer and the recovery worker each need one at a time). */
  poolSize?: number;
  /** Server-side statement_timeout; default 15000 ms. A whole call is cut after twice this. */
  statementTimeoutMs?: number;
  /** How long a new connection may take before the server counts as down; default 3000 ms. */
  connectTimeoutMs?: number;
  /** COPY format of the tick ingest; default 'binary' (measured faster, see bench/ingest.ts). */
  copyFormat?: CopyFormat;
  log?: Logger;
}

export async function createPgStore(o: PgStoreOptions): Promise<PgStore> {
  const schema = validateSchema(o.schema ?? 'public');
  const log = o.log ?? silentLogger;
  const pool = new PgPool({
    url: o.url,
    poolSize: o.poolSize ?? 4,
    statementTimeoutMs: o.statementTimeoutMs ?? 15_000,
    connectTimeoutMs: o.connectTimeoutMs ?? 3_000,
    log,
  });
  return new PostgresStore({ pool, schema, log, copyFormat: o.copyFormat ?? 'binary' });
}
