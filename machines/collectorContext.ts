// The collector machine's vocabulary: input, context, events, the session caps, the stall rule
// and the heartbeat payload built from the context. Pure.
import type { BackoffPolicy } from './backoff.ts';
import { expectsTicks, silenceMs } from './collectorTiming.ts';
import { KRX_HOURS, type SessionHours } from './marketHours.ts';
import type { BrokerName, HealthState, HeartbeatPayload } from './types.ts';

/** WebSocket registrations per session (KIS: 41 per app key; Kiwoom: not published, 100 assumed). */
export const SESSION_CAPS: Record<BrokerName, number> = { kis: 41, kiwoom: 100 };
/** Rejection reason for symbols beyond the session cap (never sent to the broker). */
export const OVER_SESSION_CAP = 'TG_SESSION_CAP';

export interface CollectorInput {
  name: string;
  broker: BrokerName;
  symbols: string[];
  sessionCap?: number;
  heartbeatIntervalMs: number;
  /** Silence in session: degraded.stalled after half of it, down (reconnect) after all of it. */
  stallTimeoutMs: number;
  reconnect: BackoffPolicy;
  sessionHours?: SessionHours;
  now: () => number;
  /** In [0, 1); the only source of jitter. */
  random: () => number;
  /** When the assembly last received any batch from the broker (undefined: never). */
  lastReceivedAt: () => number | undefined;
}

/** What `subscribeSymbols` resolves with (the BrokerWs SubscribeResult shape). */
export interface SubscribeOutcome {
  accepted: string[];
  rejected: Record<string, string>;
}

export interface CollectorContext {
  name: string;
  broker: BrokerName;
  symbols: string[];
  sessionCap: number;
  heartbeatIntervalMs: number;
  stallTimeoutMs: number;
  reconnect: BackoffPolicy;
  sessionHours: SessionHours;
  now: () => number;
  random: () => number;
  lastReceivedAt: () => number | undefined;
  health: HealthState;
  detail: string;
  reason: string;
  brokerConnected: boolean;
  /** Symbols of the current (or, while down, the last) subscription. */
  subscribed: string[];
  rejected: Record<string, string>;
  /** When the last subscription went live; kept while down (gap starts for never-ticked symbols). */
  subscribedAt: number | undefined;
  /** Same instant, but only while the subscription is live. */
  liveSince: number | undefined;
  /** False from a buffer failure until the spool was replayed. */
  bufferOk: boolean;
  reconnectAttempt: number;
  reconnectDelayMs: number;
  replayAttempt: number;
  replayDelayMs: number;
}

export type CollectorEvent =
  | { type: 'broker.closed'; reason: string }
  | { type: 'buffer.failed'; reason: string }
  | { type: 'stall.check'; at: number; lastReceivedAt: number | undefined }
  | { type: 'heartbeat.tick' };

export interface ReportStateParams {
  state: HealthState;
  detail: string;
}

/** Live subscriptions, ticks expected, and silent for stallTimeoutMs x factor. */
export function isStalled(
  c: CollectorContext,
  e: { at: number; lastReceivedAt: number | undefined },
  factor: number,
) {
  if (c.liveSince === undefined || c.subscribed.length === 0 || !expectsTicks(e.at, c.sessionHours))
    return false;
  return silenceMs(e.at, e.lastReceivedAt, c.liveSince, c.sessionHours) >= c.stallTimeoutMs * factor;
}

/** The machine's starting context. */
export function initialCollectorContext(input: CollectorInput): CollectorContext {
  return {
    name: input.name,
    broker: input.broker,
    symbols: [...input.symbols],
    sessionCap: input.sessionCap ?? SESSION_CAPS[input.broker],
    heartbeatIntervalMs: input.heartbeatIntervalMs,
    stallTimeoutMs: input.stallTimeoutMs,
    reconnect: input.reconnect,
    sessionHours: input.sessionHours ?? KRX_HOURS,
    now: input.now,
    random: input.random,
    lastReceivedAt: input.lastReceivedAt,
    health: 'recovering',
    detail: 'recovering',
    reason: 'started',
    brokerConnected: false,
    subscribed: [],
    rejected: {},
    subscribedAt: undefined,
    liveSince: undefined,
    bufferOk: true,
    reconnectAttempt: 0,
    reconnectDelayMs: 0,
    replayAttempt: 0,
    replayDelayMs: 0,
  };
}

/**
 * The heartbeat of DESIGN section 2: `lastTickAt` covers the symbols of the current (while down: the
 * last) subscription; a symbol without a tick in this process reports when its subscription began.
 */
export function collectorHeartbeat(
  context: CollectorContext,
  at: number,
  lastTickAt: ReadonlyMap<string, number>,
): HeartbeatPayload {
  const ticks: Record<string, number> = {};
  for (const s of context.subscribed) {
    const t = lastTickAt.get(s) ?? context.subscribedAt;
    if (t !== undefined) ticks[s] = t;
  }
  const payload: HeartbeatPayload = {
    component: context.name,
    at,
    state: context.health,
    lastTickAt: ticks,
    brokerConnected: context.brokerConnected,
  };
  if (context.liveSince !== undefined) payload.liveSince = context.liveSince;
  if (Object.keys(context.rejected).length > 0) payload.rejected = { ...context.rejected };
  return payload;
}
