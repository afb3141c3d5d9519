// How the PostgreSQL store fails and heals: refused, silent and stalled servers give coded errors
// instead of hangs, errors name the SQLSTATE but never the password, and the pool serves again by
// itself after the server is killed and started on the same data.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { isTgError, type TgError } from '../../machines/errors.ts';
import { kstTime } from '../../machines/marketHours.ts';
import type { TickBatch } from '../../machines/types.ts';
import { createPgStore, type PgStore } from '../../runtime/postgres/index.ts';
import { startFaultProxy, type FaultProxy } from '../contracts/tcpFaultProxy.ts';
import { freePort, startPostgres, type ServerHandle } from '../infra/servers.ts';

const databaseUrl = inject('databaseUrl');
const DAY = '20250102';
const OPEN = kstTime(DAY, '09:00');

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function failure(p: Promise<unknown>): Promise<TgError> {
  try {
    await p;
  } catch (e) {
    return e as TgError;
  }
  throw new Error('expected the call to reject, it resolved');
}

function ticks(symbol: string, from: number, n: number): TickBatch {
  const idx = Array.from({ length: n }, (_, i) => from + i);
  return {
    symbol,
    day: DAY,
    ts: idx.map((i) => OPEN + i * 1000),
    cumVolume: idx.map((i) => (i + 1) * 10),
    price: idx.map((i) => 100 + (i % 7)),
    volume: idx.map(() => 10),
  };
}

/** Every port call once; each must reject the same way while the server is unusable. */
function allCalls(store: PgStore): Record<string, () => Promise<unknown>> {
  return {
    writeTicks: () => store.writeTicks('k', [ticks('S', 0, 3)]),
    upsertBars: () =>
      store.upsertBars(
        [{ symbol: 'S', minute: OPEN, open: 1, high: 1, low: 1, close: 1, volume: 1 }],
        'backfill',
      ),
    bars: () => store.bars('S', OPEN, OPEN + 60_000),
    missingMinutes: () => store.missingMinutes('S', OPEN, OPEN + 60_000),
    listGaps: () => store.listGaps(),
    setSymbolVolumes: () => store.setSymbolVolumes(new Map([['S', 1]])),
    ping: () => store.ping(),
    migrate: () => store.migrate(),
  };
}

describe('postgres store failures', () => {
  const schema = `tg_test_${randomBytes(6).toString('hex')}`;
  let admin: pg.Client;

  beforeAll(async () => {
    admin = new pg.Client({ connectionString: databaseUrl });
    await admin.connect();
  });

  afterAll(async () => {
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
  });

  it(
    'rejects every call with TG_ERR_DEP_DOWN (dependency timescaledb) when nothing listens',
    { timeout: 10_000 },
    async () => {
      const port = await freePort();
      // A long connect timeout: only a prompt refusal lets this finish inside the test timeout.
      const store = await createPgStore({
        url: `postgres://postgres@127.0.0.1:${port}/postgres`,
        connectTimeoutMs: 60_000,
      });
      try {
        for (const [op, call] of Object.entries(allCalls(store))) {
          const e = await failure(call());
          expect(isTgError(e, 'TG_ERR_DEP_DOWN'), `${op}: ${String(e)}`).toBe(true);
          expect(e.details.dependency).toBe('timescaledb');
        }
      } finally {
        await store.close();
      }
    },
  );

  it('names the SQLSTATE but neither the password nor the URL in errors', async () => {
    const url = new URL(databaseUrl);
    url.username = 'ghost_user';
    url.password = 'hunter2-s3cret';
    const store = await createPgStore({ url: url.toString() });
    try {
      const e = await failure(store.ping());
      expect(isTgError(e, 'TG_ERR_STORE'), String(e)).toBe(true);
      expect(e.details.sqlstate).toBe('28000');
      const visible = `${e.message} ${JSON.stringify(e.details)}`;
      expect(visible).not.toContain('hunter2');
      expect(visible).not.toContain(url.host);
    } finally {
      await store.close();
    }
  });

  it('turns a statement stuck behind a lock into TG_ERR_TIMEOUT and serves the next call', async () => {
    const store = await createPgStore({ url: databaseUrl, schema, statementTimeoutMs: 300 });
    try {
      await store.migrate();
      await admin.query('BEGIN');
      await admin.query(`LOCK TABLE "${schema}".gaps IN ACCESS EXCLUSIVE MODE`);
      const e = await failure(store.listGaps());
      await admin.query('ROLLBACK');
      expect(isTgError(e, 'TG_ERR_TIMEOUT'), String(e)).toBe(true);
      expect(e.details.sqlstate).toBe('57014');
      expect(await store.listGaps()).toEqual([]);
    } finally {
      await store.close();
    }
  });

  describe('behind a proxy that stops answering', () => {
    let proxy: FaultProxy;
    let store: PgStore;

    beforeAll(async () => {
      proxy = await startFaultProxy(Number(new URL(databaseUrl).port));
      const url = new URL(databaseUrl);
      url.port = String(proxy.port);
      store = await createPgStore({
        url: url.toString(),
        schema,
        statementTimeoutMs: 200,
        connectTimeoutMs: 300,
      });
      await store.migrate();
    });

    afterAll(async () => {
      await store.close();
      await proxy.close();
    });

    it('cuts a connection that stalls mid-call (TG_ERR_TIMEOUT) and reconnects once the network is back', async () => {
      await store.ping();
      proxy.stall();
      const e = await failure(store.ping());
      expect(isTgError(e, 'TG_ERR_TIMEOUT'), String(e)).toBe(true);
      proxy.accept();
      await store.ping();
    });

    it('gives up connecting to a host that accepts but never answers (TG_ERR_DEP_DOWN)', async () => {
      proxy.refuse(); // drop the pooled connections, so the next call must connect
      proxy.accept();
      proxy.stall();
      const e = await failure(store.listGaps());
      expect(isTgError(e, 'TG_ERR_DEP_DOWN'), String(e)).toBe(true);
      proxy.accept();
      expect(await store.listGaps()).toEqual([]);
    });
  });
});

/**
 * A started server accepts TCP before it accepts sessions (57P03, starting up); until then every
 * call must be a clean TG_ERR_DEP_DOWN.
 */
async function untilUp(store: PgStore): Promise<void> {
  for (let i = 0; ; i++) {
    const e = await store.ping().then(
      () => undefined,
      (err: unknown) => err,
    );
    if (e === undefined) return;
    expect(isTgError(e, 'TG_ERR_DEP_DOWN'), String(e)).toBe(true);
    if (i > 100) throw new Error(`still down after start: ${String(e)}`);
    await sleep(100);
  }
}

describe('postgres store across a server restart', () => {
  let server: ServerHandle;
  let store: PgStore;

  beforeAll(async () => {
    server = await startPostgres();
    store = await createPgStore({
      url: server.url,
      schema: 'tg_restart',
      poolSize: 3,
      connectTimeoutMs: 1000,
    });
    await untilUp(store);
    await store.migrate();
  });

  afterAll(async () => {
    await store.close();
    await server.destroy();
  });

  it('rejects calls while the server is down and serves them again after it restarts, data intact', async () => {
    expect(await store.writeTicks('k', [ticks('S', 0, 50)])).toEqual({ inserted: 50, duplicates: 0 });
    await Promise.all([store.ping(), store.ping(), store.ping()]); // fill the pool with idle clients
    // The throwaway server runs with synchronous_commit=off (speed); make the commits durable first.
    const admin = new pg.Client({ connectionString: server.url });
    await admin.connect();
    await admin.query('CHECKPOINT');
    await admin.end();
    await server.kill();
    for (const [op, call] of Object.entries(allCalls(store))) {
      const e = await failure(call());
      expect(isTgError(e, 'TG_ERR_DEP_DOWN'), `${op}: ${String(e)}`).toBe(true);
    }
    await server.start();
    await untilUp(store);
    for (const call of Object.values(allCalls(store))) await call();
    expect(await store.writeTicks('k', [ticks('S', 0, 60)])).toEqual({ inserted: 10, duplicates: 50 });
  });
});
