// What the KIS and Kiwoom WebSocket clients share: counters, bad-frame reporting (counted, logged
// sparingly, never thrown), guarded calls into the owner's handlers, one-at-a-time request
// serialisation and a single awaited reply with a deadline.
import { TgError } from '../../machines/errors.ts';
import type { BrokerName } from '../../machines/types.ts';
import type { BrokerWsHandlers } from '../../ports/broker.ts';
import type { Clock } from '../../ports/clock.ts';
import type { Logger } from '../log.ts';

export interface WsCounters {
  badFrames: number;
  reconnects: number;
}

/** Every bad frame is counted; only the first few and then every 1000th are logged. */
export function reportBadFrame(
  broker: BrokerName,
  counters: WsCounters,
  handlers: BrokerWsHandlers | undefined,
  log: Logger,
  reason: string,
): void {
  counters.badFrames += 1;
  const n = counters.badFrames;
  if (n <= 10 || n % 1000 === 0) log.warn('broker bad frame', { broker, reason, badFrames: n });
  guard(log, broker, () => handlers?.onBadFrame?.(reason));
}

/** A handler that throws must not take the socket's event loop down with it. */
export function guard(log: Logger, broker: BrokerName, fn: () => void): void {
  try {
    fn();
  } catch (e) {
    log.error('broker handler threw', { broker, error: e instanceof Error ? e.message : String(e) });
  }
}

/** Runs tasks one after another (subscribe and unsubscribe share one reply slot). */
export class Serial {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const next = this.tail.then(task, task);
    this.tail = next.catch(() => {});
    return next;
  }
}

/** One awaited reply: resolved by the router, rejected by a deadline or by the connection ending. */
export class ReplySlot<T> {
  private pending:
    | { match: (r: T) => boolean; resolve: (r: T) => void; reject: (e: TgError) => void; timer: unknown }
    | undefined;
  private readonly clock: Clock;

  constructor(clock: Clock) {
    this.clock = clock;
  }

  get waiting(): boolean {
    return this.pending !== undefined;
  }

  wait(match: (r: T) => boolean, timeoutMs: number, what: string): Promise<T> {
    this.fail(new TgError('TG_ERR_INTERNAL', 'reply slot reused while waiting'));
    return new Promise<T>((resolve, reject) => {
      const timer = this.clock.setTimeout(() => {
        this.pending = undefined;
        reject(new TgError('TG_ERR_BROKER_DOWN', `${what}: no reply within ${timeoutMs} ms`, { timeoutMs }));
      }, timeoutMs);
      this.pending = { match, resolve, reject, timer };
    });
  }

  /** Sends and awaits the reply; a send that throws settles the wait instead of leaving it dangling. */
  ask(send: () => void, match: (r: T) => boolean, timeoutMs: number, what: string): Promise<T> {
    const waiting = this.wait(match, timeoutMs, what);
    try {
      send();
    } catch (e) {
      this.fail(e instanceof TgError ? e : new TgError('TG_ERR_BROKER_DOWN', `${what}: send failed`));
    }
    return waiting;
  }

  /** True when the reply was the one awaited. */
  offer(reply: T): boolean {
    const p = this.pending;
    if (!p || !p.match(reply)) return false;
    this.pending = undefined;
    this.clock.clearTimeout(p.timer);
    p.resolve(reply);
    return true;
  }

  fail(error: TgError): void {
    const p = this.pending;
    if (!p) return;
    this.pending = undefined;
    this.clock.clearTimeout(p.timer);
    p.reject(error);
  }
}

export function notConnected(broker: BrokerName, op: string): TgError {
  return new TgError('TG_ERR_BROKER_DOWN', `${broker} WebSocket is not connected (${op})`, { broker });
}
