// Configuration, faults and statistics of the simulated broker (KIS or Kiwoom) that the world wiring
// builds from a scenario's `broker` block and drives from its fault timeline.
import type { BrokerName } from '../../machines/types.ts';
import type { Clock } from '../../ports/clock.ts';
import type { ExchangeModel } from '../exchange/exchange.ts';
import type { Rng } from '../kernel/rng.ts';

/** How a rate-limit rejection looks: KIS HTTP 500 + msg_cd EGW00201, or a plain HTTP 429 (Kiwoom). */
export type RejectStyle = 'kis' | 'http429';

export interface Sanctions {
  /** After this many rate-limit rejections of one app key, the key is banned... */
  banAfterRejections: number;
  /** ...for this long (every request rejected). */
  banForMs: number;
}

export type RequestOutcome = 'ok' | 'rejected' | 'banned' | 'error';

export interface SimBrokerOptions {
  broker: BrokerName;
  exchange: ExchangeModel;
  clock: Clock;
  /** Latencies and WebSocket drops draw from forks of this stream. */
  rng: Rng;
  /** Per app key, counted at arrival in a sliding 1000 ms window. Default: kis 20, kiwoom 5. */
  rateLimitPerSec?: number;
  /** Bars per REST page. Default 30. */
  barsPerRequest?: number;
  /** Default: 'kis' for kis, 'http429' for kiwoom. */
  reject?: RejectStyle;
  sanctions?: Sanctions;
  /** REST response latency, uniform in [min, max] virtual ms. Default 30-80. */
  latencyMs?: { min: number; max: number };
  /** How long a call to an unreachable broker (`rest-down`, `drop-ws`) takes to fail. Default 3000. */
  connectTimeoutMs?: number;
  /** WebSocket registrations per session. Default: kis 41, kiwoom 100. */
  sessionCap?: number;
  /** Called at the arrival of every REST request that reached the broker. */
  onRequest?: (at: number, appKey: string, symbol: string, outcome: RequestOutcome) => void;
}

/**
 * Faults of DESIGN section 9 for the broker targets:
 * `rest-down` (broker-rest down): requests fail with TG_ERR_BROKER_DOWN after the connect timeout;
 * `slow` (broker-rest slow): extra REST latency;
 * `drop-ws` (broker-ws down/kill): every session is closed, connects fail until the fault ends;
 * `drop` (broker-ws drop): each message (one symbol's batch of one step) is lost with `ratio`.
 */
export type BrokerFault =
  | { kind: 'rest-down' }
  | { kind: 'slow'; byMs: number }
  | { kind: 'drop-ws'; reason?: string }
  | { kind: 'drop'; ratio: number };

export type BrokerFaultKind = BrokerFault['kind'];

export interface AppKeyStats {
  /** Requests that reached the broker (rejected ones included). */
  requests: number;
  rejections: number;
  /** Most arrivals in any sliding 1000 ms window (rejected ones included). */
  maxRequestsInAnySecond: number;
}

export interface SessionStats {
  appKey: string;
  open: boolean;
  held: boolean;
  subscribed: number;
  /** Ticks handed to the session's onBatches. */
  ticksDelivered: number;
  /** Ticks lost by a `drop` fault. */
  ticksDropped: number;
}

export interface SimBrokerStats {
  broker: BrokerName;
  /** Ticks pushed to sessions (per session; dropped ones included). */
  ticksSent: number;
  ticksDropped: number;
  appKeys: Record<string, AppKeyStats>;
  /** REST calls that failed because the broker was unreachable. */
  unreachable: number;
  sessions: SessionStats[];
}
