// Live KIS real-time client (BrokerWs): approval key, one WebSocket session, H0STCNT0 registrations
// one frame per symbol each awaiting its OPSP control reply, data frames to TickBatch[], PINGPONG
// answered, OPSP8996 (app key in use elsewhere) reported as the close reason.
import { TgError } from '../../../machines/errors.ts';
import type { TickBatch } from '../../../machines/types.ts';
import type { BrokerWs, BrokerWsHandlers, SubscribeResult } from '../../../ports/broker.ts';
import type { TokenCache } from '../tokenCache.ts';
import { WsConnection, type WsClientOptions } from '../wsConnection.ts';
import { notConnected } from '../wsCommon.ts';
import type { WsSession } from '../wsSession.ts';
import { encodeKisSubscribe, KIS_CONTROL, type KisControlReply } from './wsControl.ts';
import { decodeKisServerMessage } from './wsMessages.ts';

const KICKED = KIS_CONTROL['appkey-in-use'].msgCd;

export interface KisWsClientOptions extends WsClientOptions {
  approval: TokenCache;
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
  private readonly conn: WsConnection<KisControlReply>;
  private approvalKey = '';

  constructor(o: KisWsClientOptions) {
    this.o = o;
    this.conn = new WsConnection({ ...o, broker: 'kis' });
  }

  async connect(handlers: BrokerWsHandlers): Promise<void> {
    const { gen, credential: approvalKey } = await this.conn.begin(handlers, () => this.o.approval.get());
    let sink: KisFrameSink | undefined;
    const opened = await this.conn.open(gen, this.o.wsUrl, handlers, (text, session) =>
      routeKisFrame(text, (sink ??= this.sinkFor(session, handlers))),
    );
    if (!this.conn.isCurrent(gen)) {
      await opened.close();
      throw notConnected('kis', 'connect cancelled by close');
    }
    if (!opened.isOpen) throw notConnected('kis', 'closed while connecting');
    this.conn.adopt(opened);
    this.approvalKey = approvalKey;
    this.o.log.info('broker ws connected', { broker: 'kis' });
  }

  subscribe(symbols: string[]): Promise<SubscribeResult> {
    const subs = this.conn.subs;
    return this.conn.serial.run(async () => {
      const accepted: string[] = [];
      const rejected: Record<string, string> = {};
      for (const symbol of new Set(symbols)) {
        if (subs.has(symbol)) {
          accepted.push(symbol);
          continue;
        }
        const r = await this.request(symbol, true);
        if (r.msgCd === KIS_CONTROL.subscribed.msgCd || r.kind === 'already-subscribed') {
          subs.add(symbol);
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
    const subs = this.conn.subs;
    return this.conn.serial.run(async () => {
      for (const symbol of new Set(symbols)) {
        if (!subs.has(symbol)) continue;
        await this.request(symbol, false);
        subs.delete(symbol);
      }
    });
  }

  close(): Promise<void> {
    return this.conn.close();
  }

  private async request(symbol: string, subscribe: boolean): Promise<KisControlReply> {
    const session = this.conn.live(subscribe ? 'subscribe' : 'unsubscribe');
    return this.conn.reply.ask(
      () => session.send(encodeKisSubscribe({ approvalKey: this.approvalKey, trKey: symbol, subscribe })),
      (r) => r.trKey === symbol || r.trKey === '',
      this.o.replyTimeoutMs,
      `kis ${subscribe ? 'subscribe' : 'unsubscribe'} ${symbol}`,
    );
  }

  private sinkFor(session: WsSession, handlers: BrokerWsHandlers): KisFrameSink {
    const log = this.o.log;
    return {
      ...this.conn.frameSink(handlers),
      ping: (raw) => {
        if (!session.isOpen) return;
        // The official sample answers with a PONG frame, PYKIS echoes the text: do both.
        session.pong(raw);
        session.send(raw);
      },
      control: (reply) => {
        if (!this.conn.reply.offer(reply))
          log.info('broker ws unsolicited control reply', { broker: 'kis', msgCd: reply.msgCd });
      },
      kicked: (code) => {
        log.warn('broker ws session refused', { broker: 'kis', msgCd: code });
        session.kick(code);
      },
    };
  }
}
