// Tick ingest benchmark (prints a table, asserts nothing): synthetic ticks through the Redis tick
// buffer and the real writer into PostgreSQL, next to `psql \copy` (ceiling) and multi-row INSERT.
// Run: npx tsx bench/ingest.ts  (env TG_BENCH_TICKS, TG_BENCH_ROUNDS; REDIS_URL/DATABASE_URL to reuse servers)
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import pg from 'pg';
import { createPgStore, type CopyFormat, type PgStore } from '../runtime/postgres/index.ts';
import { startPostgres, startRedis, type ServerHandle } from '../test/infra/servers.ts';
import { connectWhenUp } from './pgConnect.ts';
import { multiRowInsertSeconds, psqlCopySeconds } from './ingest/baselines.ts';
import { pipelineSeconds, storeOnlySeconds } from './ingest/pipeline.ts';
import { syntheticMarket, type SyntheticMarket } from './ingest/synthetic.ts';

interface Row {
  path: string;
  seconds: number;
  note?: string;
}

interface Context {
  redisUrl: string;
  databaseUrl: string;
  admin: pg.Client;
  market: SyntheticMarket;
  /** Sum of every tick's volume: what ticks and bars_1m must each add up to. */
  volume: number;
}

const TICKS = Number(process.env.TG_BENCH_TICKS ?? 200_000);
const ROUNDS = Number(process.env.TG_BENCH_ROUNDS ?? 3);
const COPY_PATH = 'psql \\copy into a ticks-shaped table';
const INSERT_PATH = 'multi-row INSERT, 500 rows/statement';
const runId = randomBytes(4).toString('hex');
const schemas: string[] = [];

async function freshStore(ctx: Context, copyFormat: CopyFormat = 'binary'): Promise<[PgStore, string]> {
  const schema = `bench_${runId}_${schemas.length}`;
  schemas.push(schema);
  const store = await createPgStore({ url: ctx.databaseUrl, schema, copyFormat });
  await store.migrate();
  return [store, schema];
}

async function dropSchemas(admin: pg.Client): Promise<void> {
  for (const s of schemas.splice(0))
    await admin.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`).catch(() => undefined);
}

/** Every tick stored once and every bar volume counted once, or what is off. */
async function check(ctx: Context, schema: string): Promise<string> {
  const t = await ctx.admin.query(
    `SELECT count(*)::float8 AS n, sum(volume)::float8 AS v FROM "${schema}".ticks`,
  );
  const b = await ctx.admin.query(`SELECT sum(volume)::float8 AS v FROM "${schema}".bars_1m`);
  const [n, v, bv] = [t.rows[0].n, t.rows[0].v, b.rows[0].v];
  return n === ctx.market.ticks && v === ctx.volume && bv === ctx.volume
    ? 'rows ok'
    : `MISMATCH ticks=${n} vol=${v} barVol=${bv}`;
}

const spentNote = (spent: Record<string, number>) =>
  Object.entries(spent)
    .map(([name, ms]) => `${name} ${(ms / 1000).toFixed(1)}s`)
    .join(', ');

/** One measurement per path; each builds its own schema (dropped after every path). */
function measurements(ctx: Context): (() => Promise<Row[]>)[] {
  const baseline = (path: string, note: string, load: (table: string) => Promise<number>) => async () => {
    const [store, schema] = await freshStore(ctx);
    await store.close();
    return [{ path, seconds: await load(`${schema}.ticks`), note }];
  };
  const storeOnly = (format: CopyFormat, parallel: boolean) => async () => {
    const [store, schema] = await freshStore(ctx, format);
    const seconds = await storeOnlySeconds(store, ctx.market, parallel);
    await store.close();
    const path = `store.writeTicks only (COPY ${format}${parallel ? ', collectors parallel' : ''})`;
    return [{ path, seconds, note: `ticks + bars_1m; ${await check(ctx, schema)}` }];
  };
  const pipeline = (prefilled: boolean) => async () => {
    const [store, schema] = await freshStore(ctx);
    const t = await pipelineSeconds(ctx.redisUrl, `tg:bench:${schema}:`, store, ctx.market, prefilled);
    await store.close();
    const note = `writer ${t.writerState}; ${await check(ctx, schema)}; ${spentNote(t.spentMs)}`;
    if (!prefilled)
      return [{ path: 'END TO END: append + writer -> store, concurrent', seconds: t.storedSeconds, note }];
    return [
      { path: 'redis append only (3 collectors)', seconds: t.appendSeconds, note: 'via the tick buffer' },
      { path: 'writer drain of a filled buffer -> store', seconds: t.storedSeconds, note },
    ];
  };
  return [
    baseline(COPY_PATH, 'ticks only (ceiling)', (table) =>
      psqlCopySeconds(ctx.databaseUrl, table, ctx.market),
    ),
    baseline(INSERT_PATH, 'ticks only, ON CONFLICT DO NOTHING', (table) =>
      multiRowInsertSeconds(ctx.databaseUrl, table, ctx.market),
    ),
    storeOnly('binary', false),
    storeOnly('text', false),
    storeOnly('binary', true),
    pipeline(true),
    pipeline(false),
  ];
}

function print(rows: Row[], ticks: number): void {
  const rate = (r: Row) => ticks / r.seconds;
  const copy = rows.find((r) => r.path === COPY_PATH)!;
  const insert = rows.find((r) => r.path === INSERT_PATH)!;
  const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
  const cols = (...c: string[]) =>
    `${c[0].padEnd(56)} ${c[1].padStart(8)} ${c[2].padStart(9)} ${c[3].padStart(8)} ${c[4].padStart(9)}  ${c[5]}`;
  console.log(`\n${cols('path', 'seconds', 'ticks/s', 'x \\copy', 'x INSERT', 'note')}`);
  for (const r of rows)
    console.log(
      cols(
        r.path,
        r.seconds.toFixed(2),
        fmt(rate(r)),
        (rate(r) / rate(copy)).toFixed(2),
        (rate(r) / rate(insert)).toFixed(2),
        r.note ?? '',
      ),
    );
  const load = loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
  console.log('\ntargets: end to end >= 0.3 x \\copy and >= 10 x multi-row INSERT');
  console.log(
    `best of ${ROUNDS} interleaved rounds; load average at the end ${load} (other work skews wall time)`,
  );
}

async function main(): Promise<void> {
  const started: ServerHandle[] = [];
  const own = async (start: () => Promise<ServerHandle>) => {
    const s = await start();
    started.push(s);
    return s.url;
  };
  try {
    const redisUrl = process.env.REDIS_URL ?? (await own(startRedis));
    const databaseUrl = process.env.DATABASE_URL ?? (await own(startPostgres));
    const admin = await connectWhenUp(databaseUrl);
    const market = syntheticMarket({ ticks: TICKS });
    let volume = 0;
    for (const e of market.entries) for (const b of e.batches) for (const v of b.volume) volume += v;
    const ctx: Context = { redisUrl, databaseUrl, admin, market, volume };
    const batches = market.entries.reduce((n, e) => n + e.batches.length, 0);
    console.log(
      `ingest bench: ${market.ticks.toLocaleString('en-US')} ticks, ${market.symbols} symbols (Zipf), ` +
        `${batches.toLocaleString('en-US')} batches in ${market.entries.length} buffer entries` +
        (started.length > 0 ? '; throwaway servers (PostgreSQL fsync=off, synchronous_commit=off)' : ''),
    );
    try {
      // Rounds interleave the paths so a burst of outside load hits them alike; the best round counts.
      const best = new Map<string, Row>();
      for (let round = 1; round <= ROUNDS; round++) {
        for (const measure of measurements(ctx)) {
          for (const row of await measure()) {
            const previous = best.get(row.path);
            if (!previous || row.seconds < previous.seconds) best.set(row.path, row);
          }
          await dropSchemas(admin);
        }
        console.log(`round ${round}/${ROUNDS} done`);
      }
      print([...best.values()], market.ticks);
    } finally {
      await dropSchemas(admin);
      await admin.end();
    }
  } finally {
    for (const s of started) await s.destroy();
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
