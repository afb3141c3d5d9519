// Data-path chaos tests' plumbing: private servers that can be SIGKILLed without losing what they
// acknowledged (as deployed), and a Pipeline = one config + real `tickguard` processes on its own
// Redis prefix and PostgreSQL schema, with the few Redis/CLI reads the tests assert on.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import pg from 'pg';
import type { EmulatorHandle } from '../../runtime/emulator/index.ts';
import { startPostgres, startRedis, type ServerHandle } from '../infra/servers.ts';
import { startTickguard, until, type LogLine, type TgProcess } from './processes.ts';

export { until };

const BIN = fileURLToPath(new URL('../../bin/tickguard.js', import.meta.url));

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** redis-server with an append-only file, like redis-main in docker-compose.yml (servers.ts). */
export const startDurableRedis = (): Promise<ServerHandle> => startRedis({ durable: true });

/**
 * Private PostgreSQL whose commits survive a SIGKILL of the postmaster, as on a deployed server. The
 * test cluster runs with synchronous_commit=off for speed (a crash may then drop transactions the
 * writer already acked); a role setting overrides the command line for every new session.
 */
export async function startDurablePostgres(): Promise<ServerHandle> {
  const server = await startPostgres();
  // The port opens before the server accepts sessions ("the database system is starting up").
  await until('PostgreSQL accepts sessions', async () => {
    const c = new pg.Client({ connectionString: server.url });
    try {
      await c.connect();
      await c.query('ALTER ROLE postgres SET synchronous_commit = on');
      return true;
    } finally {
      await c.end().catch(() => {});
    }
  }).catch(async (e: unknown) => {
    await server.destroy(); // nobody else holds the handle yet
    throw e;
  });
  return server;
}

export interface PipelineOptions {
  /** Short tag: part of the Redis prefix, the schema and the app key. */
  tag: string;
  redisUrl: string;
  /** redis-gatekeeper; a separate server when redis-main is killed. */
  gatekeeperUrl: string;
  databaseUrl: string;
  emu: EmulatorHandle;
  symbols: string[];
  /** YAML map of tuning overrides, e.g. `{ stallTimeoutMs: 600000 }`. */
  tuning?: string;
}

export type Role = 'collector' | 'writer' | 'supervisor' | 'recovery-worker';

export const COLLECTOR = 'collector:kis-1';

export class Pipeline {
  readonly prefix: string;
  readonly schema: string;
  readonly dir: string;
  readonly configFile: string;
  readonly spoolFile: string;
  readonly env: Record<string, string | undefined>;
  readonly procs: TgProcess[] = [];
  private redisClient: Redis | undefined;

  constructor(readonly o: PipelineOptions) {
    const run = Math.random().toString(36).slice(2, 8);
    this.prefix = `tg:test:dp:${o.tag}:${run}:`;
    this.schema = `tg_dp_${o.tag}_${run}`;
    this.dir = mkdtempSync(join(tmpdir(), `tg-dp-${o.tag}-`));
    this.configFile = join(this.dir, 'tickguard.yaml');
    this.spoolFile = join(this.dir, 'spool', 'kis-1.spool');
    const appKey = `dp-${o.tag}-${run}`;
    writeFileSync(
      this.configFile,
      `brokers:
  kis: { restUrl: "${o.emu.url}", wsUrl: "${o.emu.wsUrl}", appKey: ${appKey}, appSecret: dp-secret }
collectors:
  - { name: kis-1, broker: kis, symbols: [${o.symbols.map((s) => `"${s}"`).join(', ')}] }
marketOpen: always
${o.tuning ? `tuning: ${o.tuning}\n` : ''}`,
    );
    // Everything else through the environment, which also overrides whatever the test runner inherited.
    this.env = {
      TG_CONFIG: undefined,
      REDIS_URL: o.redisUrl,
      GATEKEEPER_REDIS_URL: o.gatekeeperUrl,
      DATABASE_URL: o.databaseUrl,
      TG_REDIS_PREFIX: this.prefix,
      TG_DATABASE_SCHEMA: this.schema,
      TG_SPOOL_DIR: join(this.dir, 'spool'),
      KIS_REST_URL: o.emu.url,
      KIS_WS_URL: o.emu.wsUrl,
      KIS_APP_KEY: appKey,
      KIS_APP_SECRET: 'dp-secret',
      TG_MARKET_OPEN: 'always',
      TG_HEARTBEAT_INTERVAL_MS: '1000',
      TG_HEARTBEAT_TIMEOUT_MS: undefined,
      TG_START_TIMEOUT_MS: undefined,
      TG_CHAOS_WRITER_KILL_AFTER_STORE: undefined,
    };
  }

  start(role: Role, extraEnv: Record<string, string> = {}): TgProcess {
    const args = role === 'collector' ? ['collector', '--name', 'kis-1'] : [role];
    const p = startTickguard(`${this.o.tag}/${role}`, [...args, '--config', this.configFile], {
      ...this.env,
      ...extraEnv,
    });
    this.procs.push(p);
    return p;
  }

  /** A Redis client on this pipeline's redis-main (lazy; survives server restarts by reconnecting). */
  redis(): Redis {
    this.redisClient ??= new Redis(this.o.redisUrl, { lazyConnect: false, maxRetriesPerRequest: 1 });
    this.redisClient.on('error', () => {});
    return this.redisClient;
  }

  ticksKey(): string {
    return `${this.prefix}ticks:${COLLECTOR}`;
  }

  /** Bytes in the collector's disk spool right now (0 when absent). */
  spoolBytes(): number {
    try {
      return statSync(this.spoolFile).size;
    } catch {
      return 0;
    }
  }

  /** `tickguard status --json` rows by actor. */
  async status(): Promise<Map<string, { state: string; detail: string }>> {
    const out = await new Promise<string>((resolve, reject) =>
      execFile(
        process.execPath,
        [BIN, 'status', '--json', '--config', this.configFile],
        { env: envOf(this.env) },
        (error, stdout, stderr) =>
          error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout),
      ),
    );
    const rows = JSON.parse(out).actors as { actor: string; state: string; detail: string }[];
    return new Map(rows.map((r) => [r.actor, r]));
  }

  /** SIGTERM every running process (graceful: they log their stats), SIGKILL what hangs. */
  async stop(): Promise<void> {
    await Promise.all(
      this.procs.map(async (p) => {
        if (!p.running()) return;
        const timer = setTimeout(() => void p.kill('SIGKILL'), 15_000);
        await p.kill('SIGTERM');
        clearTimeout(timer);
      }),
    );
    this.redisClient?.disconnect();
  }

  /** Writes every process's log to a file (for a failed test) and returns its path. */
  dump(): string {
    const file = join(tmpdir(), `tg-datapath-${this.o.tag}-${Date.now()}.log`);
    const text = this.procs.map((p) => [
      `==== ${p.name}`,
      ...p.lines.map((l) => JSON.stringify(l)),
      ...p.raw,
    ]);
    writeFileSync(file, text.flat().join('\n') + '\n');
    return file;
  }

  async dispose(db: pg.Client | pg.Pool): Promise<void> {
    for (const p of this.procs) if (p.running()) await p.kill('SIGKILL');
    this.redisClient?.disconnect();
    await db.query(`DROP SCHEMA IF EXISTS ${this.schema} CASCADE`).catch(() => {});
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function envOf(extra: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

// ---- log lines ----

export const isReady = (l: LogLine) => l.msg === 'ready';
export const stateLine = (l: LogLine): string | undefined =>
  l.msg === 'state' && typeof l.state === 'string' ? l.state : undefined;
export const eventOf = (l: LogLine): { type?: string; [k: string]: unknown } | undefined =>
  l.msg === 'event' && l.event && typeof l.event === 'object'
    ? (l.event as { type?: string; [k: string]: unknown })
    : undefined;
export const timeOf = (l: LogLine): number => Date.parse(String(l.t));

/** The supervisor's published view changes of one component, in log order. */
export function viewChanges(
  supervisor: TgProcess,
  component: string,
): { from: string; to: string; at: number }[] {
  return supervisor.lines
    .map(eventOf)
    .filter((e) => e?.type === 'COMPONENT_STATE' && e.actor === component)
    .map((e) => ({ from: String(e!.from), to: String(e!.to), at: Number(e!.at) }));
}

/** Waits for a `state` line matching `state` logged after `afterIndex` lines. */
export function waitState(
  p: TgProcess,
  match: (state: string) => boolean,
  afterIndex = 0,
  timeoutMs = 30_000,
) {
  return p.waitFor((l) => {
    const s = stateLine(l);
    return s !== undefined && match(s) && p.lines.indexOf(l) >= afterIndex;
  }, timeoutMs);
}
