// Shared vocabulary of tickguard: component ids, health states, data units (tick batches, bars, gaps)
// and the lifecycle events of DESIGN section 5. Types only; nothing here does anything.

/** 'collector:kis-1', 'writer', 'recovery-worker', 'supervisor', 'redis-main', 'redis-gatekeeper',
 *  'timescaledb', 'broker-rest', 'broker-ws'. */
export type ComponentId = string;

export const HEALTH_STATES = ['healthy', 'degraded', 'down', 'recovering'] as const;
export type HealthState = (typeof HEALTH_STATES)[number];
/** The supervisor's view adds `failed`: restart intensity exceeded, escalated, never retried silently. */
export type ViewState = HealthState | 'failed';

export type BrokerName = 'kis' | 'kiwoom';

/**
 * Ticks of ONE symbol, consecutive in time, columnar. Data moves in batches through ports and plain
 * functions, never as XState events. `cumVolume` is the exchange's cumulative volume for the day
 * (KIS ACML_VOL, Kiwoom 13): strictly increasing within a day, it identifies a trade across feeds.
 */
export interface TickBatch {
  symbol: string;
  /** Trading day, YYYYMMDD (KST). */
  day: string;
  ts: number[];
  cumVolume: number[];
  price: number[];
  volume: number[];
}

/** A one-minute OHLCV bar; `minute` is epoch ms of the minute's start. */
export interface Bar {
  symbol: string;
  minute: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
}

export type BarSource = 'ticks' | 'backfill';

export type GapStatus = 'open' | 'pending' | 'recovering' | 'recovered' | 'unrecoverable';

/** A time in which no healthy, connected collector covered the symbol (DESIGN section 7). */
export interface Gap {
  id: string;
  collector: string;
  symbol: string;
  /** epoch ms: the covering collector's last tick for the symbol (else its last heartbeat). */
  start: number;
  /** epoch ms, null while open. */
  end: number | null;
  status: GapStatus;
  /** Symbol volume used for dispatch order (higher first). */
  priority: number;
  /** epoch ms of the first minute NOT yet recovered, counting from `start`'s minute. */
  recoveredUntil: number;
  attempts: number;
  reason: string | null;
}

/** What every component reports with each heartbeat. */
export interface HeartbeatPayload {
  component: ComponentId;
  at: number;
  state: HealthState;
  /** Collectors only: symbols whose subscription is live, and the time of their last tick. */
  lastTickAt?: Record<string, number>;
  /** Collectors only: whether the broker WebSocket is connected. */
  brokerConnected?: boolean;
  /**
   * Collectors only: epoch ms from which the current subscriptions were live after the last
   * (re)connect (everything traded since then was captured); absent while not subscribed.
   */
  liveSince?: number;
  /** Collectors only: symbols it was asked to cover but could not subscribe -> reason (cap, broker code). */
  rejected?: Record<string, string>;
  /** Gatekeeper clients: current mode. */
  gatekeeperMode?: 'global' | 'local';
}

// ---- lifecycle events (DESIGN section 5); each has a unique id, consumers dedupe by it ----

/** A gap as announced on the bus; the recovery worker turns it into a ledger row (idempotent by id). */
export interface GapRef {
  gapId: string;
  symbol: string;
  start: number;
  /** Symbol volume for dispatch priority. */
  priority: number;
}

export interface CollectorDownEvent {
  type: 'COLLECTOR_DOWN';
  id: string;
  collector: ComponentId;
  /** Every symbol the collector covered. */
  symbols: string[];
  /** Earliest gap start among `gaps` (else the collector's last heartbeat). */
  gapStart: number;
  detectedAt: number;
  /** 'exited' | 'heartbeat-timeout' | 'broker-ws-lost' | 'stalled' | ... */
  reason: string;
  /** Gaps opened because no other healthy collector covers the symbol (empty under redundancy). */
  gaps: GapRef[];
}
export interface CollectorUpEvent {
  type: 'COLLECTOR_UP';
  id: string;
  collector: ComponentId;
  gapEnd: number;
  /** Gaps closed because this collector covers the symbol again. */
  closed: { gapId: string; symbol: string; end: number }[];
}
export interface ComponentStateEvent {
  type: 'COMPONENT_STATE';
  id: string;
  actor: ComponentId;
  from: ViewState;
  to: ViewState;
  at: number;
  reason: string;
}
export interface GatekeeperModeEvent {
  type: 'GATEKEEPER_MODE';
  id: string;
  mode: 'global' | 'local';
  share: number;
  at: number;
}
export interface GapRecoveredEvent {
  type: 'GAP_RECOVERED';
  id: string;
  gapId: string;
  symbol: string;
  minutes: number;
}
/** Opened/closed by coverage (DESIGN section 7); carried on the bus so the worker learns at once. */
export interface GapOpenedEvent {
  type: 'GAP_OPENED';
  id: string;
  gap: Gap;
}
export interface GapClosedEvent {
  type: 'GAP_CLOSED';
  id: string;
  gapId: string;
  symbol: string;
  end: number;
}

export type TgEvent =
  | CollectorDownEvent
  | CollectorUpEvent
  | ComponentStateEvent
  | GatekeeperModeEvent
  | GapRecoveredEvent
  | GapOpenedEvent
  | GapClosedEvent;
