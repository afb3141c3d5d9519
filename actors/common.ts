// Shared helpers of the process assemblies: the handle they return, heartbeat sending and state
// mirroring that survive a redis-main outage, an in-order event outbox, deterministic ids and jitter.
import type { AnyActorRef } from 'xstate';
import type { HealthState, HeartbeatPayload, TgEvent } from '../machines/types.ts';
import type { EventBus } from '../ports/eventBus.ts';
import type { Heartbeats } from '../ports/heartbeats.ts';
import type { StateMirror } from '../ports/stateMirror.ts';

/** What every assembly returns (docs/INTERNALS.md; same shape as sim/kernel's ComponentHandle). */
export interface ComponentHandle {
  id: string;
  actor: AnyActorRef;
  stop(): void;
  /** Dotted state path, e.g. 'degraded.spooling.waiting'; the first segment is the health state. */
  state(): string;
}

/** The part of TgConfig every component assembly reads (TgConfig is assignable to it). */
export interface ComponentConfigSlice {
  heartbeatIntervalMs: number;
  heartbeatTimeoutMs: number;
  restart?: { backoffBaseMs: number; backoffMaxMs: number; jitter: number };
}

/** Call a port without letting a synchronous throw escape (an action that throws errors the machine). */
export function attempt<T>(call: () => Promise<T>): Promise<T> {
  try {
    return call();
  } catch (error) {
    return Promise.reject(error);
  }
}

/** Dotted path of an XState state value: { degraded: { spooling: 'waiting' } } -> 'degraded.spooling.waiting'. */
export function statePath(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object') {
    const [key, inner] = Object.entries(value)[0] ?? [];
    if (key === undefined) return '';
    const rest = statePath(inner);
    return rest ? `${key}.${rest}` : key;
  }
  return String(value);
}

export interface HeartbeatSender {
  send(payload: HeartbeatPayload): void;
  stats(): { sent: number; failed: number; skipped: number };
}

/**
 * Fire-and-forget beats with the key TTL `ttlMs`. One beat in flight at a time: while redis-main
 * hangs, beats are skipped rather than piling up; a failure is counted, never thrown.
 */
export function createHeartbeatSender(heartbeats: Heartbeats, ttlMs: number): HeartbeatSender {
  let inFlight = false;
  const counts = { sent: 0, failed: 0, skipped: 0 };
  return {
    send(payload) {
      if (inFlight) {
        counts.skipped += 1;
        return;
      }
      inFlight = true;
      attempt(() => heartbeats.beat(payload, ttlMs)).then(
        () => {
          inFlight = false;
          counts.sent += 1;
        },
        () => {
          inFlight = false;
          counts.failed += 1;
        },
      );
    },
    stats: () => ({ ...counts }),
  };
}

export interface StateReporter {
  report(state: HealthState, detail: string, reason: string): void;
  /** Re-send the latest state if the last write failed (call it from the heartbeat tick). */
  retry(): void;
  /** The latest reported state, written or not. */
  latest(): { state: HealthState; detail: string; reason: string } | undefined;
}

/**
 * Mirrors an actor's state to StateMirror, latest wins: writes are serialised (so an older state
 * can never overwrite a newer one) and a failed write is retried until the mirror equals the actor.
 */
export function createStateReporter(mirror: StateMirror, actor: string, now: () => number): StateReporter {
  let wanted: { state: HealthState; detail: string; reason: string; at: number } | undefined;
  let written: typeof wanted;
  let writing = false;
  const write = (): void => {
    if (writing || !wanted || wanted === written) return;
    writing = true;
    const target = wanted;
    mirror
      .set({ actor, state: target.state, detail: target.detail, at: target.at, reason: target.reason })
      .then(
        () => {
          writing = false;
          written = target;
          write();
        },
        () => {
          writing = false;
        },
      );
  };
  return {
    report(state, detail, reason) {
      wanted = { state, detail, reason, at: now() };
      write();
    },
    retry: write,
    latest: () =>
      wanted ? { state: wanted.state, detail: wanted.detail, reason: wanted.reason } : undefined,
  };
}

export interface Outbox {
  /** Queue an event; it is published in order, retried on `flush()` while the bus is unreachable. */
  publish(event: TgEvent): void;
  flush(): void;
  size(): number;
}

export function createOutbox(eventBus: EventBus): Outbox {
  const queue: TgEvent[] = [];
  let sending = false;
  const flush = (): void => {
    if (sending || queue.length === 0) return;
    sending = true;
    attempt(() => eventBus.publish(queue[0])).then(
      () => {
        queue.shift();
        sending = false;
        flush();
      },
      () => {
        sending = false;
      },
    );
  };
  return {
    publish(event) {
      queue.push(event);
      flush();
    },
    flush,
    size: () => queue.length,
  };
}

/**
 * Deterministic event ids `${type}:${publisher}:${epoch}:${n}`. `epoch` (the process start time)
 * keeps a restarted publisher from reusing ids its previous run already published.
 */
export function createEventIds(publisher: string, epoch: number): (type: string) => string {
  let n = 0;
  return (type) => `${type}:${publisher}:${epoch}:${++n}`;
}

/** A small deterministic PRNG (mulberry32) seeded from a string, for jitter when none is injected. */
export function seededRandom(seed: string): () => number {
  let h = 1779033703 ^ seed.length;
  for (let i = 0; i < seed.length; i++) h = Math.imul(h ^ seed.charCodeAt(i), 3432918353);
  let a = h >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
