// Real tickguard processes for chaos tests: spawn `node bin/tickguard.js <command>` with its own
// environment, collect its JSON log lines, wait for a line that matches, and kill it like an
// operator (SIGTERM) or a crash (SIGKILL).
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/tickguard.js', import.meta.url));

export interface LogLine {
  msg?: string;
  level?: string;
  [field: string]: unknown;
}

export interface TgProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly lines: LogLine[];
  /** Raw stderr/stdout text that was not JSON (crash traces, usage errors). */
  readonly raw: string[];
  /** Resolves with the first line (already seen or future) that matches, or rejects after timeoutMs. */
  waitFor(match: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  kill(signal?: NodeJS.Signals): Promise<number | null>;
  exited(): Promise<number | null>;
  running(): boolean;
}

export function startTickguard(
  name: string,
  args: string[],
  env: Record<string, string | undefined>,
): TgProcess {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, TG_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: LogLine[] = [];
  const raw: string[] = [];
  const waiters: { match: (l: LogLine) => boolean; resolve: (l: LogLine) => void }[] = [];
  const onText = (chunk: Buffer, buffer: { rest: string }) => {
    buffer.rest += chunk.toString('utf8');
    let nl: number;
    while ((nl = buffer.rest.indexOf('\n')) >= 0) {
      const text = buffer.rest.slice(0, nl);
      buffer.rest = buffer.rest.slice(nl + 1);
      let line: LogLine | undefined;
      try {
        const parsed: unknown = JSON.parse(text);
        if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) line = parsed as LogLine;
      } catch {
        /* not a log line */
      }
      if (!line) {
        raw.push(text);
        continue;
      }
      lines.push(line);
      for (let i = waiters.length - 1; i >= 0; i--) {
        if (waiters[i]!.match(line)) {
          waiters[i]!.resolve(line);
          waiters.splice(i, 1);
        }
      }
    }
  };
  const errBuf = { rest: '' };
  const outBuf = { rest: '' };
  child.stderr!.on('data', (c: Buffer) => onText(c, errBuf));
  child.stdout!.on('data', (c: Buffer) => onText(c, outBuf));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const running = () => child.exitCode === null && child.signalCode === null;
  return {
    name,
    child,
    lines,
    raw,
    running,
    exited: () => exit,
    waitFor(match, timeoutMs = 20_000) {
      const seen = lines.find(match);
      if (seen) return Promise.resolve(seen);
      return new Promise<LogLine>((resolve, reject) => {
        const timer = setTimeout(() => {
          const i = waiters.findIndex((w) => w.resolve === done);
          if (i >= 0) waiters.splice(i, 1);
          reject(
            new Error(
              `${name}: no matching log line within ${timeoutMs} ms; last lines:\n` +
                [...lines.slice(-8).map((l) => JSON.stringify(l)), ...raw.slice(-8)].join('\n'),
            ),
          );
        }, timeoutMs);
        const done = (l: LogLine) => {
          clearTimeout(timer);
          resolve(l);
        };
        waiters.push({ match, resolve: done });
        void exit.then(() => {
          if (waiters.some((w) => w.resolve === done)) {
            clearTimeout(timer);
            reject(new Error(`${name} exited before the line appeared:\n${raw.slice(-20).join('\n')}`));
          }
        });
      });
    },
    async kill(signal = 'SIGKILL') {
      if (running()) child.kill(signal);
      return exit;
    },
  };
}

/** Polls `probe` until it returns a value; fails naming `what` (and the last error) after `timeoutMs`. */
export async function until<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 30_000,
  everyMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline)
      throw new Error(`${what} did not happen within ${timeoutMs} ms (${String(last)})`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
