// Runs the Store contract against the PostgreSQL adapter on the shared test server: each test on
// its own schema (dropped afterwards), reached through a fault proxy so "refused" is a real refusal;
// and counts the statements a gap batch sends (constant, not one per gap).
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import type { Gap } from '../../machines/types.ts';
import { silentLogger } from '../../runtime/log.ts';
import { createPgStore, type PgStore } from '../../runtime/postgres/index.ts';
import { PgPool } from '../../runtime/postgres/pool.ts';
import { PostgresStore } from '../../runtime/postgres/store.ts';
import type { Harness } from './harness.ts';
import { storeContract } from './store.contract.ts';
import { startFaultProxy } from './tcpFaultProxy.ts';

const databaseUrl = inject('databaseUrl');

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function dropSchema(schema: string): Promise<void> {
  const admin = new pg.Client({ connectionString: databaseUrl });
  await admin.connect();
  try {
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await admin.end();
  }
}

async function postgresHarness(): Promise<Harness<PgStore>> {
  const target = new URL(databaseUrl);
  const proxy = await startFaultProxy(Number(target.port));
  const url = new URL(databaseUrl);
  url.port = String(proxy.port);
  const schema = `tg_test_${randomBytes(6).toString('hex')}`;
  const store = await createPgStore({ url: url.toString(), schema, poolSize: 2, connectTimeoutMs: 2000 });
  // The fault suite calls without migrating first; the tables must exist for "serves calls again".
  await store.migrate();
  return {
    port: store,
    advance: sleep,
    settle: () => sleep(5),
    now: () => Date.now(),
    cleanup: async () => {
      await store.close();
      await proxy.close();
      await dropSchema(schema);
    },
    faults: {
      down: () => proxy.refuse(),
      slow: () => {
        throw new Error('slow is a virtual-time fault; not injected on a live server');
      },
      up: () => proxy.accept(),
      timeoutMs: 1000,
    },
  };
}

storeContract('postgres', postgresHarness, { virtualTime: false, faults: true });

/** A store whose pool counts the statements its clients send (each one a round trip to the server). */
function countingStore(schema: string): { store: PostgresStore; statements: () => number; reset(): void } {
  const pool = new PgPool({
    url: databaseUrl,
    poolSize: 1,
    statementTimeoutMs: 15_000,
    connectTimeoutMs: 2_000,
    log: silentLogger,
  });
  let count = 0;
  const withClient = pool.withClient.bind(pool);
  pool.withClient = (op, fn, deadlineMs) =>
    withClient(
      op,
      (client) => {
        const query = client.query.bind(client) as (...a: unknown[]) => unknown;
        const counted = Object.create(client) as typeof client;
        counted.query = ((...args: unknown[]) => {
          count += 1;
          return query(...args);
        }) as typeof client.query;
        return fn(counted);
      },
      deadlineMs,
    );
  const store = new PostgresStore({ pool, schema, log: silentLogger, copyFormat: 'binary' });
  return { store, statements: () => count, reset: () => (count = 0) };
}

describe('postgres: gap batch round trips', () => {
  let schema: string;
  let counting: ReturnType<typeof countingStore>;
  beforeEach(() => {
    schema = `tg_test_${randomBytes(6).toString('hex')}`;
    counting = countingStore(schema);
  });
  afterEach(async () => {
    await counting.store.close();
    await dropSchema(schema);
  });

  it('opens 500 gaps and closes them in two statements per batch', async () => {
    const { store } = counting;
    await store.migrate();
    const gaps: Gap[] = Array.from({ length: 500 }, (_, i) => ({
      id: `gap:${i}:1`,
      collector: 'collector:kis-1',
      symbol: String(i).padStart(6, '0'),
      start: 1_735_776_000_000 + i,
      end: null,
      status: 'open',
      priority: 500 - i,
      recoveredUntil: 1_735_776_000_000,
      attempts: 0,
      reason: null,
    }));
    counting.reset();
    expect(await store.openGaps(gaps)).toHaveLength(500);
    expect(counting.statements()).toBe(2);
    counting.reset();
    expect(await store.closeGaps(gaps.map((g) => ({ id: g.id, end: g.start + 60_000 })))).toHaveLength(500);
    expect(counting.statements()).toBe(2);
  });
});
