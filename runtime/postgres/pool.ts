// The connection pool behind the PostgreSQL store: bounded connect and statement timeouts so no call
// hangs, a watchdog that cuts a connection whose call outlives its deadline, and clients that died
// with the server dropped from the pool, so it heals by itself once the server is back.
import pg from 'pg';
import type { Logger } from '../log.ts';
import { isRetryableConflict, toStoreError } from './errors.ts';

export interface PgPoolOptions {
  url: string;
  poolSize: number;
  statementTimeoutMs: number;
  connectTimeoutMs: number;
  log: Logger;
}

/** int8 and numeric come back as numbers (every value we store fits a double exactly). */
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === 20 || oid === 1700) return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format as 'text');
  },
};

export class PgPool {
  private readonly pool: pg.Pool;
  private readonly log: Logger;
  /** A whole call (a few statements) may take this long before we cut its connection. */
  readonly callDeadlineMs: number;
  private idleErrors = 0;

  constructor(o: PgPoolOptions) {
    this.log = o.log;
    this.callDeadlineMs = 2 * o.statementTimeoutMs + o.connectTimeoutMs;
    this.pool = new pg.Pool({
      connectionString: o.url,
      max: o.poolSize,
      connectionTimeoutMillis: o.connectTimeoutMs,
      idleTimeoutMillis: 30_000,
      statement_timeout: o.statementTimeoutMs,
      idle_in_transaction_session_timeout: Math.max(60_000, 2 * o.statementTimeoutMs),
      keepAlive: true,
      application_name: 'tickguard',
      types,
    });
    // An idle client whose server went away errors here; the pool has already dropped it.
    this.pool.on('error', (error) => {
      this.idleErrors += 1;
      if (this.idleErrors === 1 || this.idleErrors % 100 === 0)
        this.log.warn('postgres connection lost while idle', { error, count: this.idleErrors });
    });
  }

  /**
   * Run `fn` on one checked-out client. Errors become TgErrors; a client whose connection failed is
   * destroyed instead of returned. Deadlocks are retried a few times (the callers' work is idempotent).
   */
  async withClient<T>(
    op: string,
    fn: (client: pg.PoolClient) => Promise<T>,
    deadlineMs = this.callDeadlineMs,
  ): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.once(op, fn, deadlineMs);
      } catch (error) {
        if (attempt < 4 && isRetryableConflict((error as { cause?: unknown }).cause)) continue;
        throw error;
      }
    }
  }

  /** `fn` inside BEGIN/COMMIT on one client; rolled back when it throws. */
  transaction<T>(
    op: string,
    fn: (client: pg.PoolClient) => Promise<T>,
    before?: (client: pg.PoolClient) => Promise<void>,
  ): Promise<T> {
    return this.withClient(op, async (client) => {
      await before?.(client);
      await client.query('BEGIN');
      try {
        const result = await fn(client);
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
    });
  }

  query<R extends pg.QueryResultRow = any>(op: string, text: string, params?: unknown[]): Promise<R[]> {
    return this.withClient(op, async (client) => (await client.query<R>(text, params)).rows);
  }

  async end(): Promise<void> {
    await this.pool.end();
  }

  private async once<T>(
    op: string,
    fn: (client: pg.PoolClient) => Promise<T>,
    deadlineMs: number,
  ): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw withCause(toStoreError(error, { op }), error);
    }
    let broken: unknown;
    let timedOut = false;
    // While checked out, the pool does not listen for the client's errors; an unheard one would crash us.
    const onError = (error: unknown) => {
      broken ??= error;
    };
    client.on('error', onError);
    const watchdog = setTimeout(() => {
      timedOut = true;
      broken ??= new Error('call deadline passed');
      destroySocket(client);
    }, deadlineMs);
    try {
      return await fn(client);
    } catch (error) {
      if (isConnectionLevel(error)) broken ??= error;
      throw withCause(toStoreError(error, { op, timedOutAfterMs: timedOut ? deadlineMs : undefined }), error);
    } finally {
      clearTimeout(watchdog);
      client.removeListener('error', onError);
      client.release(broken ? asError(broken) : undefined);
    }
  }
}

/** Errors after which the connection cannot be trusted: no SQLSTATE, or a connection-class one. */
function isConnectionLevel(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return true;
  return code.startsWith('08') || code.startsWith('57P') || code.startsWith('E');
}

function destroySocket(client: pg.PoolClient): void {
  const stream = (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream;
  stream?.destroy();
}

function asError(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e));
}

/** Keep the raw pg error reachable (deadlock retry looks at its SQLSTATE) without printing it. */
function withCause<E extends Error>(error: E, cause: unknown): E {
  Object.defineProperty(error, 'cause', { value: cause, enumerable: false, configurable: true });
  return error;
}
