// The shell of every long-running process: start the assembly, log `ready`, stop gracefully on
// SIGTERM/SIGINT, and on a fatal error (uncaught exception, unhandled rejection, a start that
// fails) log a coded error and exit non-zero. A process never exits silently.
import { isTgError, TgError } from '../../machines/errors.ts';
import type { Logger } from '../log.ts';

export interface Service {
  /** Fields for the `ready` log line. */
  readyFields?: Record<string, unknown>;
  stop(): Promise<void>;
}

export interface ServiceOptions {
  component: string;
  log: Logger;
  start(fatal: (error: unknown) => void): Promise<Service>;
  /** How long a graceful stop may take before the process exits anyway; default 10 s. */
  stopTimeoutMs?: number;
}

/** Exit code of a failure: 2 for configuration and usage, 1 for everything else. */
export function exitCodeOf(error: unknown): number {
  return isTgError(error, 'TG_ERR_CONFIG') || isTgError(error, 'TG_ERR_USAGE') ? 2 : 1;
}

export function errorFields(error: unknown): Record<string, unknown> {
  if (error instanceof TgError) return { code: error.code, error: error.message };
  if (error instanceof Error) return { code: 'TG_ERR_INTERNAL', error: error.message, stack: error.stack };
  return { code: 'TG_ERR_INTERNAL', error: String(error) };
}

/** Runs until a signal or a fatal error; resolves with the exit code. */
export function runService(o: ServiceOptions): Promise<number> {
  const { log } = o;
  const stopTimeoutMs = o.stopTimeoutMs ?? 10_000;
  return new Promise<number>((resolve) => {
    let service: Service | undefined;
    let finishing = false;
    // The process lives until finish(): it never ends silently because its loop ran dry.
    const keepAlive = setInterval(() => {}, 1 << 30);
    const finish = async (code: number) => {
      if (finishing) return;
      finishing = true;
      if (service) {
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<void>((r) => {
          timer = setTimeout(() => {
            log.warn('stop timed out', { afterMs: stopTimeoutMs });
            r();
          }, stopTimeoutMs);
        });
        await Promise.race([service.stop().catch((e) => log.error('stop failed', errorFields(e))), timeout]);
        clearTimeout(timer);
      }
      for (const [event, handler] of handlers) process.off(event, handler);
      clearInterval(keepAlive);
      log.info('stopped', { exitCode: code });
      // Whatever a library left open (a socket mid-reconnect) must not keep a stopped process alive.
      setTimeout(() => process.exit(code), 2000).unref();
      resolve(code);
    };
    const fatal = (error: unknown) => {
      if (finishing) return;
      log.error('fatal', errorFields(error));
      void finish(exitCodeOf(error) === 2 ? 2 : 1);
    };
    const onSignal = (signal: NodeJS.Signals) => {
      log.info('signal', { signal });
      void finish(0);
    };
    const handlers: [string, (...args: any[]) => void][] = [
      ['SIGTERM', onSignal],
      ['SIGINT', onSignal],
      ['uncaughtException', fatal],
      ['unhandledRejection', fatal],
    ];
    for (const [event, handler] of handlers) process.on(event, handler);
    // A child of `tickguard up` stops when its parent is gone (the IPC channel closes).
    const onOrphaned = () => {
      log.warn('parent process gone; stopping');
      void finish(0);
    };
    if (process.channel) {
      process.channel.unref();
      process.once('disconnect', onOrphaned);
      handlers.push(['disconnect', onOrphaned]);
    }
    o.start(fatal).then(
      (s) => {
        service = s;
        if (finishing) {
          // A signal arrived during start: stop what started.
          void s.stop().catch(() => {});
          return;
        }
        log.info('ready', { component: o.component, pid: process.pid, ...s.readyFields });
      },
      (error) => fatal(error),
    );
  });
}
