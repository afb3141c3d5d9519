// Live KIS real-time client (BrokerWs): approval key, one WebSocket session, H0STCNT0 registrations
// one frame per symbol each awaiting its OPSP control reply, data frames to TickBatch[], PINGPONG
// answered, OPSP8996 (app key in use elsewhere) reported as the close reason.
import { TgError } from '../../../machines/errors.ts';
import type { TickBatch } from '../../../machines/types.ts';
import type { BrokerWs, BrokerWsHandlers, SubscribeResult } from '../../../ports/broker.ts';
import type { Clock } from '../../../ports/clock.ts';
import type { Logger } from '../../log.ts';
import type { TokenCache } from '../tokenCache.ts';
import { guard, notConnected, ReplySlot, reportBadFrame, Serial, type WsCounters } from '../wsCommon.ts';
import { WsSession } from '../wsSession.ts';
import { encodeKisSubscribe, KIS_CONTROL, type KisControlReply } from './wsControl.ts';
import { decodeKisServerMessage } from './wsMessages.ts';

const KICKED = KIS_CONTROL['appkey-in-use'].msgCd;

export interface KisWsClientOptions {
  wsUrl: string;
  approval: TokenCache;
  clock: Clock;
  log: Logger;
  counters: WsCounters;
  connectTimeoutMs: number;
  /** Deadline of each control reply. */
  replyTimeoutMs: number;
  idleTimeoutMs?: number;
}

/** What a text frame means to the connection; pure routing, so it can be fuzzed without a socket. */
export interface KisFrameSink {
  batches(batches: TickBatch[]): void;
  bad(reason: string): void;
  ping(raw: string): void;
  control(reply: KisControlReply): void;
  kicked(code: string): void;
}

export function routeKisFrame(text: string, sink: KisFrameSink): void {
  const m = decodeKisServerMessage(text);
  switch (m.kind) {
    case 'ticks':
      if (m.batches.length > 0) sink.batches(m.batches);
      return;
    case 'pingpong':
      return sink.ping(m.raw);
    case 'control':
      return m.reply.msgCd === KICKED ? sink.kicked(KICKED) : sink.control(m.reply);
    case 'error':
      return sink.bad(`${m.error.kind}: ${m.error.reason}`);
  }
}

/**
 * The approval key itself was refused (OPSP0011 "invalid approval", e.g. after a broker restart): no
 * symbol can be registered on this session, so subscribe fails and the next connect gets a new key.
 */
const APPROVAL_REFUSED = /invalid approval|approval.*(expired|invalid)/i;

export class KisWsClient implements BrokerWs {
  readonly broker = 'kis' as const;
  private readonly o: KisWsClientOptions;
  private session: WsSession | undefined;
  private handlers: BrokerWsHandlers | undefined;
  private approvalKey = '';
  private generation = 0;
  private connects = 0;
  private readonly subs = new Set<string>();
  private readonly serial = new Serial();
  private readonly reply: ReplySlot<KisControlReply>;

  constructor(o: KisWsClientOptions) {
    this.o = o;
    this.reply = new ReplySlot(o.clock);
  }

  async connect(handlers: BrokerWsHandlers): Promise<void> {
    await this.close();
    const gen = ++this.generation;
    if (this.connects++ > 0) this.o.counters.reconnects += 1;
    this.handlers = handlers;
    const approvalKey = await this.o.approval.get();
    if (gen !== this.generation) throw notConnected('kis', 'connect cancelled by close');
    let sink: KisFrameSink | undefined;
    const opened = await WsSession.open({
      broker: 'kis',
      url: this.o.wsUrl,
      clock: this.o.clock,
      connectTimeoutMs: this.o.connectTimeoutMs,
      idleTimeoutMs: this.o.idleTimeoutMs,
      onText: (text, session) => routeKisFrame(text, (sink ??= this.sinkFor(session, handlers))),
      onBadFrame: (reason) => reportBadFrame('kis', this.o.counters, handlers, this.o.log, reason),
      onClose: (reason) => this.closed(gen, reason),
    });
    if (gen !== this.generation) {
      await opened.close();
      throw notConnected('kis', 'connect cancelled by close');
    }
    if (!opened.isOpen) throw notConnected('kis', 'closed while connecting');
    this.session = opened;
    this.approvalKey = approvalKey;
    this.o.log.info('broker ws connected', { broker: 'kis' });
  }

  subscribe(symbols: string[]): Promise<SubscribeResult> {
    return this.serial.run(async () => {
      const accepted: string[] = [];
      const rejected: Record<string, string> = {};
      for (const symbol of new Set(symbols)) {
        if (this.subs.has(symbol)) {
          accepted.push(symbol);
          continue;
        }
        const r = await this.request(symbol, true);
        if (r.msgCd === KIS_CONTROL.subscribed.msgCd || r.kind === 'already-subscribed') {
          this.subs.add(symbol);
          accepted.push(symbol);
        } else if (APPROVAL_REFUSED.test(r.msg1) || r.msgCd === 'OPSP0011') {
          this.o.approval.invalidate(this.approvalKey);
          throw new TgError(
            'TG_ERR_BROKER_HTTP',
            `kis approval key refused (${r.msgCd}); reconnect for a new one`,
            {
              broker: 'kis',
              msgCd: r.msgCd,
            },
          );
        } else {
          rejected[symbol] = `${r.msgCd} ${r.msg1}`.trim();
        }
      }
      return { accepted, rejected };
    });
  }

  unsubscribe(symbols: string[]): Promise<void> {
    return this.serial.run(async () => {
      for (const symbol of new Set(symbols)) {
        if (!this.subs.has(symbol)) continue;
        await this.request(symbol, false);
        this.subs.delete(symbol);
      }
    });
  }

  async close(): Promise<void> {
    this.generation += 1;
    const session = this.session;
    this.session = undefined;
    this.subs.clear();
    this.reply.fail(notConnected('kis', 'closed'));
    if (session) await session.close();
  }

  private async request(symbol: string, subscribe: boolean): Promise<KisControlReply> {
    const session = this.session;
    if (!session?.isOpen) throw notConnected('kis', subscribe ? 'subscribe' : 'unsubscribe');
    return this.reply.ask(
      () => session.send(encodeKisSubscribe({ approvalKey: this.approvalKey, trKey: symbol, subscribe })),
      (r) => r.trKey === symbol || r.trKey === '',
      this.o.replyTimeoutMs,
      `kis ${subscribe ? 'subscribe' : 'unsubscribe'} ${symbol}`,
    );
  }

  private sinkFor(session: WsSession, handlers: BrokerWsHandlers): KisFrameSink {
    const log = this.o.log;
    return {
      batches: (b) => guard(log, 'kis', () => handlers.onBatches(b)),
      bad: (reason) => reportBadFrame('kis', this.o.counters, handlers, log, reason),
      ping: (raw) => {
        if (!session.isOpen) return;
        // The official sample answers with a PONG frame, PYKIS echoes the text: do both.
        session.pong(raw);
        session.send(raw);
      },
      control: (reply) => {
        if (!this.reply.offer(reply))
          log.info('broker ws unsolicited control reply', { broker: 'kis', msgCd: reply.msgCd });
      },
      kicked: (code) => {
        log.warn('broker ws session refused', { broker: 'kis', msgCd: code });
        session.kick(code);
      },
    };
  }

  private closed(gen: number, reason: string): void {
    if (gen !== this.generation) return;
    this.session = undefined;
    this.subs.clear();
    this.reply.fail(new TgError('TG_ERR_BROKER_DOWN', `kis WebSocket closed: ${reason}`, { reason }));
    this.o.log.warn('broker ws closed', { broker: 'kis', reason });
    const handlers = this.handlers;
    guard(this.o.log, 'kis', () => handlers?.onClose(reason));
  }
}
