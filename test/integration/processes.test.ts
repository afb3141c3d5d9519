// The live processes end to end, as real `node bin/tickguard.js` processes against the shared test
// Redis and PostgreSQL and the broker emulator: `up` runs the writer, recovery worker and a collector
// under an in-process supervisor; ticks and minute bars land equal to the emulator's truth; `status
// --json` shows every actor; `health` answers 0 for a live component and 1 once it is SIGKILLed;
// a killed collector is detected and restarted.
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { startEmulator, type EmulatorHandle } from '../../runtime/emulator/index.ts';
import { startTickguard, until, type LogLine, type TgProcess } from '../chaos/processes.ts';
import { testClock } from './emulatorHarness.ts';
import { emulatorTruthBars } from '../infra/emulatorTruth.ts';

const BIN = fileURLToPath(new URL('../../bin/tickguard.js', import.meta.url));
const SPEED = 10; // emulator minutes pass in 6 s, so completed minutes exist within the test
const run = Math.random().toString(36).slice(2, 8);

let emu: EmulatorHandle;
let db: pg.Client;
let configFile: string;
let symbols: string[];
const schema = `tg_proc_${run}`;
const procs: TgProcess[] = [];
const SOLO_ENV = { TG_REDIS_PREFIX: `tg:test:${run}:solo:`, TG_DATABASE_SCHEMA: `${schema}_solo` };

function tickguard(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env: { ...process.env, ...env } }, (error, out, err) =>
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, out, err }),
    );
  });
}

const isLine = (msg: string, component?: string) => (l: LogLine) =>
  l.msg === msg && (component === undefined || l.component === component);

beforeAll(async () => {
  emu = await startEmulator({
    clock: testClock(SPEED),
    symbols: 10,
    marketOpen: 'always',
    tickIntervalMs: 1000,
  });
  symbols = emu.symbols.slice(0, 4);
  db = new pg.Client({ connectionString: inject('databaseUrl') });
  await db.connect();
  const dir = mkdtempSync(join(tmpdir(), 'tg-proc-'));
  configFile = join(dir, 'tickguard.yaml');
  writeFileSync(
    configFile,
    `redis: { url: "${inject('redisUrl')}", prefix: "tg:test:${run}:" }
database: { url: "${inject('databaseUrl')}", schema: ${schema} }
brokers:
  kis: { restUrl: "${emu.url}", wsUrl: "${emu.wsUrl}", appKey: proc-key-${run}, appSecret: proc-secret }
collectors:
  - { name: kis-1, broker: kis, symbols: [${symbols.map((s) => `"${s}"`).join(', ')}] }
spoolDir: ${join(dir, 'spool')}
marketOpen: always
tuning: { heartbeatIntervalMs: 500, heartbeatTimeoutMs: 2500 }
`,
  );
  procs.push(startTickguard('up', ['up', '--config', configFile], {}));
  // A standalone writer on its own prefix and schema, started now so it is up by its test.
  procs.push(startTickguard('writer', ['writer', '--config', configFile], SOLO_ENV));
});

afterAll(async () => {
  for (const p of procs) if (p.running()) await p.kill('SIGTERM');
  await db?.end();
  await emu?.close();
});

describe('tickguard up against Redis, PostgreSQL and the broker emulator', () => {
  it('starts every process and the supervisor; health says 0 for a live component', async () => {
    const up = procs[0];
    for (const c of ['writer', 'recovery-worker', 'collector:kis-1', 'up'])
      await up.waitFor(isLine('ready', c), 40_000);
    const health = await until('health writer = 0', async () => {
      const r = await tickguard(['health', 'writer', '--config', configFile]);
      return r.code === 0 ? r : undefined;
    });
    expect(health.out).toMatch(/^writer: ok \(healthy/);
    const collector = await tickguard(['health', 'kis-1', '--config', configFile]);
    expect(collector.out).toMatch(/^collector:kis-1: ok/);
  });

  it('`status --json` shows every actor and the supervisor’s view of every component', async () => {
    const views = [
      'writer',
      'recovery-worker',
      'collector:kis-1',
      'redis-main',
      'redis-gatekeeper',
      'timescaledb',
      'broker-rest',
      'broker-ws',
    ];
    const wanted = [
      'supervisor',
      'writer',
      'recovery-worker',
      'collector:kis-1',
      ...views.map((v) => `view:${v}`),
    ];
    const actors = await until('every actor in status', async () => {
      const r = await tickguard(['status', '--json', '--config', configFile]);
      expect(r.code).toBe(0);
      const rows = JSON.parse(r.out).actors as { actor: string; state: string; lastBeatAt: number | null }[];
      return wanted.every((a) => rows.some((row) => row.actor === a)) ? rows : undefined;
    });
    const byActor = new Map(actors.map((a) => [a.actor, a]));
    expect(byActor.get('collector:kis-1')?.lastBeatAt).toEqual(expect.any(Number));
    expect(byActor.get('view:redis-main')?.state).toBe('healthy');
  });

  it('collector + writer deliver ticks and minute bars equal to the emulator’s truth for completed minutes', async () => {
    const symbol = symbols[0];
    // Two whole minutes inside the live window: after the first tick's minute, before the newest.
    const window = await until(
      'two complete minutes of ticks',
      async () => {
        const r = await db.query(
          `select extract(epoch from min(ts)) * 1000 as first, extract(epoch from max(ts)) * 1000 as last from ${schema}.ticks where symbol = $1`,
          [symbol],
        );
        const first = Number(r.rows[0]?.first);
        const last = Number(r.rows[0]?.last);
        const from = Math.floor(first / 60_000) * 60_000 + 60_000;
        const to = Math.floor(last / 60_000) * 60_000;
        return to - from >= 120_000 ? { from, to } : undefined;
      },
      45_000,
    );
    const expected = (await emulatorTruthBars(emu.url, symbol)).filter(
      (b) => b.minute >= window.from && b.minute < window.to,
    );
    expect(expected.length).toBeGreaterThanOrEqual(2);
    const stored = await db.query(
      `select extract(epoch from minute) * 1000 as minute, open, high, low, close, volume from ${schema}.bars_1m where symbol = $1 and minute >= to_timestamp($2 / 1000.0) and minute < to_timestamp($3 / 1000.0) order by minute`,
      [symbol, window.from, window.to],
    );
    const bars = stored.rows.map((r) => ({
      minute: Number(r.minute),
      open: Number(r.open),
      high: Number(r.high),
      low: Number(r.low),
      close: Number(r.close),
      volume: Number(r.volume),
    }));
    expect(bars).toEqual(expected);
    const ticks = await db.query(
      `select coalesce(sum(volume), 0) as v from ${schema}.ticks where symbol = $1 and ts >= to_timestamp($2 / 1000.0) and ts < to_timestamp($3 / 1000.0)`,
      [symbol, window.from, window.to],
    );
    expect(Number(ticks.rows[0].v)).toBe(expected.reduce((sum, b) => sum + b.volume, 0));
  });

  it('a SIGKILLed collector is detected (COLLECTOR_DOWN) and restarted by the supervisor', async () => {
    const up = procs[0];
    const ready = await up.waitFor(isLine('ready', 'collector:kis-1'));
    const seen = up.lines.length;
    process.kill(Number(ready.pid), 'SIGKILL');
    await up.waitFor(
      (l) => l.msg === 'event' && (l.event as { type?: string })?.type === 'COLLECTOR_DOWN',
      15_000,
    );
    await up.waitFor(
      (l) => isLine('restarting child', 'collector:kis-1')(l) && up.lines.indexOf(l) >= seen,
      20_000,
    );
    const again = await up.waitFor(
      (l) => isLine('ready', 'collector:kis-1')(l) && l.pid !== ready.pid,
      30_000,
    );
    expect(again.pid).not.toBe(ready.pid);
  });
});

describe('tickguard health after a SIGKILL', () => {
  it('exits 0 for a live writer and 1 once it is SIGKILLed (its heartbeat expires)', async () => {
    const env = SOLO_ENV;
    const writer = procs[1];
    await writer.waitFor(isLine('ready', 'writer'), 30_000);
    await until('health writer = 0', async () =>
      (await tickguard(['health', 'writer', '--config', configFile], env)).code === 0 ? true : undefined,
    );
    await writer.kill('SIGKILL');
    const dead = await until('health writer = 1', async () => {
      const r = await tickguard(['health', 'writer', '--config', configFile], env);
      return r.code === 1 ? r : undefined;
    });
    expect(dead.out).toMatch(/^writer: unhealthy \(no live heartbeat\)/);
    const usage = await tickguard(['health', '--config', configFile], env);
    expect(usage.code).toBe(2);
    expect(usage.err).toContain('TG_ERR_USAGE');
  });
});
