// One simulated broker WebSocket session (one per app key): connect, subscribe under the session
// cap, receive the step's tick batches. The wiring can `hold()` a session for a hung collector
// (data queues in the socket and arrives late on `release()`) and `terminate()` it when the
// collector's process dies (the socket goes away, nobody is told).
import { TgError } from '../../machines/errors.ts';
import type { BrokerName, TickBatch } from '../../machines/types.ts';
import type { BrokerWs, BrokerWsHandlers, SubscribeResult } from '../../ports/broker.ts';
import type { Rng } from '../kernel/rng.ts';
import type { SessionStats } from './types.ts';

/** What a session needs from its broker. */
export interface WsHost {
  readonly broker: BrokerName;
  /** Rejects the connect (unreachable, app key in use) or registers the session as open. */
  admit(session: SimWsSession): Promise<void>;
  capacity(): number;
  capRejection(): string;
  knows(symbol: string): boolean;
  /** The session's subscriptions changed. */
  resubscribed(session: SimWsSession, added: string[], removed: string[]): void;
  /** The session is gone (closed by client, kicked or terminated). */
  released(session: SimWsSession): void;
  dropRatio(): number;
  countSent(ticks: number, dropped: number): void;
}

export class SimWsSession implements BrokerWs {
  readonly broker: BrokerName;
  readonly appKey: string;
  private readonly host: WsHost;
  private readonly rng: Rng;
  private handlers: BrokerWsHandlers | undefined;
  private open = false;
  private held = false;
  private readonly subs = new Set<string>();
  private outbox: TickBatch[] = [];
  private heldBatches: TickBatch[] = [];
  private heldClose: string | undefined;
  private delivered = 0;
  private dropped = 0;

  constructor(host: WsHost, appKey: string, rng: Rng) {
    this.host = host;
    this.broker = host.broker;
    this.appKey = appKey;
    this.rng = rng;
  }

  async connect(handlers: BrokerWsHandlers): Promise<void> {
    if (this.open) throw new TgError('TG_ERR_BROKER_FRAME', `${this.broker} session is already connected`);
    await this.host.admit(this);
    this.handlers = handlers;
    this.open = true;
    this.heldClose = undefined;
  }

  async subscribe(symbols: string[]): Promise<SubscribeResult> {
    this.requireOpen('subscribe');
    const accepted: string[] = [];
    const rejected: Record<string, string> = {};
    const added: string[] = [];
    for (const symbol of symbols) {
      if (this.subs.has(symbol)) accepted.push(symbol);
      else if (!this.host.knows(symbol)) rejected[symbol] = 'OPSP0007 INVALID tr_key';
      else if (this.subs.size >= this.host.capacity()) rejected[symbol] = this.host.capRejection();
      else {
        this.subs.add(symbol);
        accepted.push(symbol);
        added.push(symbol);
      }
    }
    if (added.length > 0) this.host.resubscribed(this, added, []);
    return { accepted, rejected };
  }

  async unsubscribe(symbols: string[]): Promise<void> {
    this.requireOpen('unsubscribe');
    const removed = symbols.filter((s) => this.subs.delete(s));
    if (removed.length > 0) this.host.resubscribed(this, [], removed);
  }

  /** Client-side close: no onClose callback (the client knows). */
  async close(): Promise<void> {
    if (!this.open) return;
    this.shutdown();
  }

  /** The collector is hung (SIGSTOP): queue deliveries and closes until release(). */
  hold(): void {
    this.held = true;
  }

  /** The collector resumed: hand it everything that queued meanwhile, then any close, in order. */
  release(): void {
    if (!this.held) return;
    this.held = false;
    const batches = this.heldBatches;
    this.heldBatches = [];
    const close = this.heldClose;
    this.heldClose = undefined;
    if (batches.length > 0 && this.handlers) this.hand(batches);
    if (close !== undefined) this.handlers?.onClose(close);
  }

  /** The collector's process died: the socket is gone, queued data is lost, nobody is notified. */
  terminate(): void {
    this.heldBatches = [];
    this.heldClose = undefined;
    this.held = false;
    if (this.open) this.shutdown();
    this.handlers = undefined;
  }

  /** The broker closed the session (fault); the client hears `onClose(reason)` (late if held). */
  kick(reason: string): void {
    if (!this.open) return;
    const batches = this.outbox;
    this.outbox = [];
    this.shutdown();
    if (this.held) {
      this.heldBatches.push(...batches);
      this.heldClose = reason;
      return;
    }
    this.handlers?.onClose(reason);
  }

  isOpen(): boolean {
    return this.open;
  }

  subscriptions(): string[] {
    return [...this.subs];
  }

  /** Broker side, during deliver(): one message for this session, maybe lost on the way. */
  enqueue(batch: TickBatch): void {
    const ratio = this.host.dropRatio();
    if (ratio > 0 && this.rng.next() < ratio) {
      this.dropped += batch.ts.length;
      this.host.countSent(batch.ts.length, batch.ts.length);
      return;
    }
    this.host.countSent(batch.ts.length, 0);
    this.outbox.push(batch);
  }

  /** Broker side, end of deliver(): hand the step's messages over in one call. */
  flush(): void {
    if (this.outbox.length === 0) return;
    const batches = this.outbox;
    this.outbox = [];
    if (this.held) this.heldBatches.push(...batches);
    else this.hand(batches);
  }

  stats(): SessionStats {
    return {
      appKey: this.appKey,
      open: this.open,
      held: this.held,
      subscribed: this.subs.size,
      ticksDelivered: this.delivered,
      ticksDropped: this.dropped,
    };
  }

  private hand(batches: TickBatch[]): void {
    if (!this.handlers) return;
    for (const b of batches) this.delivered += b.ts.length;
    this.handlers.onBatches(batches);
  }

  private shutdown(): void {
    this.open = false;
    const removed = [...this.subs];
    this.subs.clear();
    this.outbox = [];
    if (removed.length > 0) this.host.resubscribed(this, [], removed);
    this.host.released(this);
  }

  private requireOpen(op: string): void {
    if (!this.open)
      throw new TgError('TG_ERR_BROKER_DOWN', `${this.broker} WebSocket is not connected (${op})`);
  }
}
