// Runs the Store contract against the PostgreSQL adapter on the shared test server: each test on
// its own schema (dropped afterwards), reached through a fault proxy so "refused" is a real refusal.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { createPgStore, type PgStore } from '../../runtime/postgres/index.ts';
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
