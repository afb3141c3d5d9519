// Broker ports: BrokerRest (minute bars for back-fill) and BrokerWs (real-time ticks). Live: the KIS
// and Kiwoom clients; sim: the in-memory broker model. Both surface rejections as coded errors.
import type { Bar, BrokerName, TickBatch } from '../machines/types.ts';

export interface MinuteBarPage {
  /** Newest first, at most the broker's page size (KIS 30), all at or before `beforeOrAt`. */
  bars: Bar[];
  /** True when the broker has nothing older (start of the session or of its history). */
  exhausted: boolean;
}

export interface BrokerRest {
  readonly broker: BrokerName;
  readonly appKey: string;
  /**
   * Minute bars of today at or before the minute containing `beforeOrAt`, newest first.
   * Rejects with TgError TG_ERR_BROKER_REJECTED (details: { retryAfterMs, status, msgCd }) on a
   * rate-limit rejection, TG_ERR_BROKER_DOWN when unreachable, TG_ERR_BROKER_HTTP on other errors.
   * The caller's rate-limit token covers ONE HTTP request: a client that needs more for this call
   * (Kiwoom cont-yn paging) awaits `permit` (the next token) before each further request, and
   * without one fails with TG_ERR_BROKER_HTTP rather than send past the limit.
   */
  minuteBars(symbol: string, beforeOrAt: number, permit?: () => Promise<void>): Promise<MinuteBarPage>;
}

export interface SubscribeResult {
  accepted: string[];
  /** Symbol -> broker code (KIS OPSP0008 MAX SUBSCRIBE OVER, ...). */
  rejected: Record<string, string>;
}

export interface BrokerWsHandlers {
  onBatches(batches: TickBatch[]): void;
  /** The connection closed or was kicked; `reason` is the broker's code or the socket error. */
  onClose(reason: string): void;
  /** A frame that could not be parsed: counted and logged, never fatal. */
  onBadFrame?(reason: string): void;
}

export interface BrokerWs {
  readonly broker: BrokerName;
  connect(handlers: BrokerWsHandlers): Promise<void>;
  subscribe(symbols: string[]): Promise<SubscribeResult>;
  unsubscribe(symbols: string[]): Promise<void>;
  close(): Promise<void>;
}
