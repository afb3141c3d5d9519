// The connection lifecycle both live WebSocket clients share: a generation per connect (so close() or
// a newer connect cancels an older one), the reconnect count, the held subscriptions and reply slot,
// and an end of the connection that fails the pending reply and reaches the owner exactly once.
import { TgError } from '../../machines/errors.ts';
import type { BrokerName, TickBatch } from '../../machines/types.ts';
import type { BrokerWsHandlers } from '../../ports/broker.ts';
import type { Clock } from '../../ports/clock.ts';
import type { Logger } from '../log.ts';
import { guard, notConnected, ReplySlot, reportBadFrame, Serial, type WsCounters } from './wsCommon.ts';
import { WsSession } from './wsSession.ts';

/** The options of either dialect's client (createBrokerPorts builds them once for both). */
export interface WsClientOptions {
  wsUrl: string;
  clock: Clock;
  log: Logger;
  counters: WsCounters;
  connectTimeoutMs: number;
  /** Deadline of each control reply. */
  replyTimeoutMs: number;
  idleTimeoutMs?: number;
}

export interface WsConnectionOptions extends Omit<WsClientOptions, 'wsUrl' | 'replyTimeoutMs'> {
  broker: BrokerName;
  /** The reason reported for a close the socket gave as `reason` (Kiwoom: a SYSTEM notice before it). */
  closeReason?(reason: string): string;
}

export class WsConnection<R> {
  readonly subs = new Set<string>();
  readonly serial = new Serial();
  readonly reply: ReplySlot<R>;
  private readonly o: WsConnectionOptions;
  private session: WsSession | undefined;
  private handlers: BrokerWsHandlers | undefined;
  private generation = 0;
  private connects = 0;

  constructor(o: WsConnectionOptions) {
    this.o = o;
    this.reply = new ReplySlot(o.clock);
  }

  /**
   * Ends the previous connection, counts a reconnect and fetches the credential of the new one; a
   * close() meanwhile cancels. Returns the generation the caller passes to open() and isCurrent().
   */
  async begin(handlers: BrokerWsHandlers, credential: () => Promise<string>) {
    await this.close();
    const gen = ++this.generation;
    if (this.connects++ > 0) this.o.counters.reconnects += 1;
    this.handlers = handlers;
    const value = await credential();
    if (gen !== this.generation) throw notConnected(this.o.broker, 'connect cancelled by close');
    return { gen, credential: value };
  }

  /** A session whose text frames go to `onText` and whose end is reported as generation `gen`'s. */
  open(
    gen: number,
    url: string,
    handlers: BrokerWsHandlers,
    onText: (text: string, session: WsSession) => void,
  ): Promise<WsSession> {
    return WsSession.open({
      broker: this.o.broker,
      url,
      clock: this.o.clock,
      connectTimeoutMs: this.o.connectTimeoutMs,
      idleTimeoutMs: this.o.idleTimeoutMs,
      onText,
      onBadFrame: (reason) => reportBadFrame(this.o.broker, this.o.counters, handlers, this.o.log, reason),
      onClose: (reason) => this.closed(gen, reason),
    });
  }

  /** No close() and no newer connect since generation `gen` began. */
  isCurrent(gen: number): boolean {
    return gen === this.generation;
  }

  /** The opened session is the one requests go out on. */
  adopt(session: WsSession): void {
    this.session = session;
  }

  /** The session to send on, or the not-connected error naming `op`. */
  live(op: string): WsSession {
    const session = this.session;
    if (!session?.isOpen) throw notConnected(this.o.broker, op);
    return session;
  }

  /** The part of a dialect's frame sink that is the same for both: ticks out, bad frames counted. */
  frameSink(handlers: BrokerWsHandlers): { batches(b: TickBatch[]): void; bad(reason: string): void } {
    const { broker, counters, log } = this.o;
    return {
      batches: (b) => guard(log, broker, () => handlers.onBatches(b)),
      bad: (reason) => reportBadFrame(broker, counters, handlers, log, reason),
    };
  }

  /** Our own close: not reported to the handlers. */
  async close(): Promise<void> {
    this.generation += 1;
    const session = this.session;
    this.session = undefined;
    this.subs.clear();
    this.reply.fail(notConnected(this.o.broker, 'closed'));
    if (session) await session.close();
  }

  private closed(gen: number, reason: string): void {
    if (gen !== this.generation) return;
    const { broker, log } = this.o;
    this.session = undefined;
    this.subs.clear();
    const why = this.o.closeReason?.(reason) ?? reason;
    this.reply.fail(new TgError('TG_ERR_BROKER_DOWN', `${broker} WebSocket closed: ${why}`, { reason: why }));
    log.warn('broker ws closed', { broker, reason: why });
    const handlers = this.handlers;
    guard(log, broker, () => handlers?.onClose(why));
  }
}
