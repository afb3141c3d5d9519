// A port call bounded by the Clock (virtual in the simulator, wall time live): the timeout helpers
// of the assemblies. No answer from a broker means it is unreachable, so broker calls
// choose TG_ERR_BROKER_DOWN; everything else times out with TG_ERR_TIMEOUT.
import { TgError, type TgErrorCode } from '../machines/errors.ts';
import type { Clock } from '../ports/clock.ts';

/** `fn()`, or a rejection with `code` once `ms` pass on the clock first. */
export function withTimeout<T>(
  clock: Clock,
  ms: number,
  fn: () => Promise<T>,
  what: string,
  code: TgErrorCode = 'TG_ERR_TIMEOUT',
): Promise<T> {
  return withTimeoutExcept(clock, ms, () => fn(), what, code);
}

/** Runs `wait` with the clock of a `withTimeoutExcept` call stopped. */
export type Paused = <U>(wait: () => Promise<U>) => Promise<U>;

/**
 * Like withTimeout, but the time `fn` spends inside `paused(...)` does not count: a broker call that
 * waits for a rate-limit token between its HTTP requests is given `ms` of answering time, not of
 * queueing. Without any pause it behaves exactly like withTimeout.
 */
export function withTimeoutExcept<T>(
  clock: Clock,
  ms: number,
  fn: (paused: Paused) => Promise<T>,
  what: string,
  code: TgErrorCode = 'TG_ERR_TIMEOUT',
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const start = clock.now();
    let pausedMs = 0;
    let pausedSince: number | undefined;
    let timer: unknown;
    let done = false;
    const fire = () => {
      timer = undefined;
      if (done || pausedSince !== undefined) return; // a pause re-arms when it ends
      const left = ms - (clock.now() - start - pausedMs);
      if (left > 0) {
        timer = clock.setTimeout(fire, left);
        return;
      }
      done = true;
      reject(new TgError(code, `${what} did not answer within ${ms} ms`, { timeoutMs: ms }));
    };
    const paused: Paused = async (wait) => {
      pausedSince = clock.now();
      try {
        return await wait();
      } finally {
        pausedMs += clock.now() - pausedSince;
        pausedSince = undefined;
        if (timer === undefined) fire();
      }
    };
    timer = clock.setTimeout(fire, ms);
    let pending: Promise<T>;
    try {
      pending = fn(paused);
    } catch (e) {
      pending = Promise.reject(e);
    }
    const settle = (ok: boolean, v: unknown) => {
      if (done) return;
      done = true;
      if (timer !== undefined) clock.clearTimeout(timer);
      if (ok) resolve(v as T);
      else reject(v);
    };
    pending.then(
      (v) => settle(true, v),
      (e) => settle(false, e),
    );
  });
}
