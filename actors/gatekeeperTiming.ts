// Helpers of the gatekeeper client on the Clock port: a store call raced against the slow-call
// threshold, an interruptible sleep, the FIFO of waiters, peer discovery and the shared bucket's key.
import { TgError } from '../machines/errors.ts';
import type { Clock } from '../ports/clock.ts';
import type { Heartbeats } from '../ports/heartbeats.ts';

export type TimedResult<T> = { ok: true; value: T } | { ok: false; reason: 'slow' | 'failed' };

/**
 * Runs `fn` and settles with its value, or with 'failed' when it rejects, or with 'slow' once
 * `slowMs` pass first. A slow call keeps running and its late result is ignored: a token it may
 * still take from the shared bucket is only ever an over-count, never an over-spend.
 */
export function timedCall<T>(clock: Clock, slowMs: number, fn: () => Promise<T>): Promise<TimedResult<T>> {
  return new Promise((resolve) => {
    let settled = false;
    let pending: Promise<T>;
    try {
      pending = fn();
    } catch (e) {
      pending = Promise.reject(e);
    }
    const timer = clock.setTimeout(() => {
      if (settled) return;
      settled = true;
      resolve({ ok: false, reason: 'slow' });
    }, slowMs);
    pending.then(
      (value) => {
        if (settled) return;
        settled = true;
        clock.clearTimeout(timer);
        resolve({ ok: true, value });
      },
      () => {
        if (settled) return;
        settled = true;
        clock.clearTimeout(timer);
        resolve({ ok: false, reason: 'failed' });
      },
    );
  });
}

export interface SerialSleeper {
  /** Sleeps `ms` on the Clock; at most one sleep at a time (the client has one serving loop). */
  sleep(ms: number): Promise<void>;
  /** Ends the current sleep early (a mode change makes the computed wait stale). */
  wake(): void;
}

export function createSerialSleeper(clock: Clock): SerialSleeper {
  let current: { timer: unknown; resolve: () => void } | undefined;
  return {
    sleep(ms) {
      return new Promise<void>((resolve) => {
        const timer = clock.setTimeout(() => {
          current = undefined;
          resolve();
        }, ms);
        current = { timer, resolve };
      });
    },
    wake() {
      if (!current) return;
      const { timer, resolve } = current;
      current = undefined;
      clock.clearTimeout(timer);
      resolve();
    },
  };
}

/**
 * Shared bucket key `tg:rl:{broker}:{fingerprint}`: every process using the same app key meets in
 * one bucket, and the app key itself (a credential) never appears in Redis.
 */
export function rateLimitKey(broker: string, appKey: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < appKey.length; i++) {
    h ^= appKey.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return `tg:rl:${broker}:${h.toString(16).padStart(8, '0')}`;
}

export interface WaiterQueue {
  /** Queue a waiter; it rejects with TG_ERR_RATE_LIMITED at `deadlineAt` or when `signal` aborts. */
  add(deadlineAt?: number, signal?: AbortSignal): Promise<void>;
  /** Resolve the longest-waiting waiter; false when nobody waits. */
  resolveFirst(): boolean;
  size(): number;
  rejectAll(error: Error): void;
}

export function createWaiterQueue(clock: Clock): WaiterQueue {
  type Waiter = { resolve: () => void; reject: (e: Error) => void; cleanup: () => void };
  const waiters: Waiter[] = [];
  return {
    add(deadlineAt, signal) {
      if (signal?.aborted) return Promise.reject(new TgError('TG_ERR_RATE_LIMITED', 'acquire aborted'));
      if (deadlineAt !== undefined && deadlineAt < clock.now()) {
        return Promise.reject(new TgError('TG_ERR_RATE_LIMITED', 'deadline already passed', { deadlineAt }));
      }
      return new Promise<void>((resolve, reject) => {
        let timer: unknown;
        const giveUp = (e: Error) => {
          const i = waiters.indexOf(waiter);
          if (i < 0) return;
          waiters.splice(i, 1);
          waiter.cleanup();
          reject(e);
        };
        const onAbort = () => giveUp(new TgError('TG_ERR_RATE_LIMITED', 'acquire aborted'));
        const waiter: Waiter = {
          resolve,
          reject,
          cleanup: () => {
            if (timer !== undefined) clock.clearTimeout(timer);
            signal?.removeEventListener('abort', onAbort);
          },
        };
        if (deadlineAt !== undefined) {
          const late = new TgError('TG_ERR_RATE_LIMITED', 'no rate-limit token before the deadline', {
            deadlineAt,
          });
          timer = clock.setTimeout(() => giveUp(late), deadlineAt - clock.now());
        }
        signal?.addEventListener('abort', onAbort, { once: true });
        waiters.push(waiter);
      });
    },
    resolveFirst() {
      const w = waiters.shift();
      if (!w) return false;
      w.cleanup();
      w.resolve();
      return true;
    },
    size: () => waiters.length,
    rejectAll(error) {
      for (const w of waiters.splice(0)) {
        w.cleanup();
        w.reject(error);
      }
    },
  };
}

/**
 * Live gatekeeper clients of one broker (beats under `prefix` that carry a mode), this client
 * included, and this client's position among them (sorted ids: every client computes the same).
 */
export async function discoverPeers(
  heartbeats: Heartbeats,
  prefix: string,
  selfId: string,
): Promise<{ count: number; index: number }> {
  const live = await heartbeats.live(prefix);
  const ids = new Set(live.filter((p) => p.gatekeeperMode !== undefined).map((p) => p.component));
  ids.add(selfId);
  const sorted = [...ids].sort();
  return { count: sorted.length, index: sorted.indexOf(selfId) };
}
