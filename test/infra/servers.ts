// Throwaway real servers for integration and chaos tests: redis-server and PostgreSQL on free ports
// in temporary directories (PostgreSQL runs as the postgres user when we are root). Each handle
// can be killed and started again on the same port and data, which is what chaos tests need.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, chownSync, existsSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A port nobody listens on right now (the kernel picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Resolves once something accepts TCP connections on the port (or rejects after timeoutMs). */
export async function waitForPort(port: number, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on 127.0.0.1:${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function which(cmd: string, fallbacks: string[] = []): string {
  for (const candidate of fallbacks) if (existsSync(candidate)) return candidate;
  try {
    return execFileSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).trim() || cmd;
  } catch {
    return cmd;
  }
}

export interface ServerHandle {
  url: string;
  port: number;
  /** SIGKILL the server (no clean shutdown). */
  kill(): Promise<void>;
  /** Start it again on the same port (and data directory). */
  start(): Promise<void>;
  /** Stop for good and remove its files. */
  destroy(): Promise<void>;
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** redis-server without persistence on a free port. */
/**
 * A throwaway redis-server. `durable`: with an append-only file like redis-main in
 * docker-compose.yml, so a SIGKILL loses nothing it acknowledged; `appendfsync always` because with
 * everysec Redis may postpone the write of the AOF buffer by up to 2 s while an fsync is in
 * progress, which would make a kill lose data.
 */
export async function startRedis(o: { durable?: boolean } = {}): Promise<ServerHandle> {
  const port = await freePort();
  const bin = which('redis-server', ['/usr/bin/redis-server']);
  const dir = o.durable ? mkdtempSync(join(tmpdir(), 'tg-redis-aof-')) : undefined;
  const persistence = dir
    ? ['--dir', dir, '--appendonly', 'yes', '--appendfsync', 'always']
    : ['--appendonly', 'no'];
  let child: ChildProcess | undefined;
  const kill = async () => {
    if (!child) return;
    const c = child;
    child = undefined;
    c.kill('SIGKILL');
    await exited(c);
  };
  const start = async () => {
    child = spawn(bin, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', ...persistence], {
      stdio: 'ignore',
    });
    await waitForPort(port).catch(async (e: unknown) => {
      await kill();
      throw e;
    });
  };
  await start();
  const destroy = async () => {
    await kill();
    if (dir) rmSync(dir, { recursive: true, force: true });
  };
  return { url: `redis://127.0.0.1:${port}`, port, kill, start, destroy };
}

const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;

function pgBin(name: string): string {
  for (const dir of ['/usr/lib/postgresql/15/bin', '/usr/local/bin', '/usr/bin']) {
    if (existsSync(join(dir, name))) return join(dir, name);
  }
  return name;
}

function asPostgres(bin: string, args: string[]): [string, string[]] {
  return asRoot ? ['runuser', ['-u', 'postgres', '--', bin, ...args]] : [bin, args];
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A fresh PostgreSQL cluster (trust auth) on a free port; database `postgres`, user `postgres`. */
export async function startPostgres(): Promise<ServerHandle> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'tg-pg-'));
  if (asRoot) chownSync(dir, 101, 104);
  const data = join(dir, 'data');
  const [initCmd, initArgs] = asPostgres(pgBin('initdb'), [
    '-D',
    data,
    '-A',
    'trust',
    '-U',
    'postgres',
    '--no-sync',
  ]);
  execFileSync(initCmd, initArgs, { stdio: 'ignore' });
  let child: ChildProcess | undefined;
  const start = async () => {
    const [cmd, args] = asPostgres(pgBin('postgres'), [
      '-D',
      data,
      '-p',
      String(port),
      '-k',
      dir,
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'fsync=off',
      '-c',
      'synchronous_commit=off',
      '-c',
      'full_page_writes=off',
      '-c',
      'max_connections=200',
    ]);
    child = spawn(cmd, args, { stdio: 'ignore', detached: false });
    await waitForPort(port, 30_000);
  };
  const kill = async () => {
    if (!child) return;
    const c = child;
    child = undefined;
    // runuser forwards signals poorly: kill the postmaster by its pid file, then the wrapper.
    let pid = 0;
    try {
      pid = Number(execFileSync('head', ['-1', join(data, 'postmaster.pid')], { encoding: 'utf8' }).trim());
      if (pid > 0) process.kill(pid, 'SIGKILL');
    } catch {
      /* not running */
    }
    // Let runuser reap the postmaster before it goes: an orphaned zombie postmaster keeps its pid
    // alive, and a new postmaster then refuses the data directory ("lock file already exists").
    await Promise.race([exited(c), new Promise((r) => setTimeout(r, 2000))]);
    c.kill('SIGKILL');
    await exited(c);
    for (let i = 0; pid > 0 && i < 100 && isAlive(pid); i++) await new Promise((r) => setTimeout(r, 50));
    // Orphaned backends keep the shared memory; wait until the port is free again.
    for (let i = 0; i < 100; i++) {
      const busy = await new Promise<boolean>((resolve) => {
        const s = connect(port, '127.0.0.1');
        s.once('connect', () => {
          s.destroy();
          resolve(true);
        });
        s.once('error', () => resolve(false));
      });
      if (!busy) break;
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  await start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    kill,
    start,
    destroy: async () => {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
