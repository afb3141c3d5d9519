// A port call bounded by the Clock (virtual in the simulator, wall time live): the one timeout
// helper of the assemblies. No answer from a broker means it is unreachable, so broker calls
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
  return new Promise<T>((resolve, reject) => {
    let done = false;
    const timer = clock.setTimeout(() => {
      if (done) return;
      done = true;
      reject(new TgError(code, `${what} did not answer within ${ms} ms`, { timeoutMs: ms }));
    }, ms);
    let pending: Promise<T>;
    try {
      pending = fn();
    } catch (e) {
      pending = Promise.reject(e);
    }
    pending.then(
      (v) => {
        if (done) return;
        done = true;
        clock.clearTimeout(timer);
        resolve(v);
      },
      (e) => {
        if (done) return;
        done = true;
        clock.clearTimeout(timer);
        reject(e);
      },
    );
  });
}
