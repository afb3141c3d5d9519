// Live Kiwoom real-time client (BrokerWs): REST token, LOGIN first, REG type 0B for the symbols in
// batches, REAL pushes to TickBatch[] dated by the KST day of the clock, PING echoed unchanged, and
// a SYSTEM notice kept as the reason of the close that follows it.
import { TgError } from '../../../machines/errors.ts';
import { kstDay } from '../../../machines/marketHours.ts';
import type { TickBatch } from '../../../machines/types.ts';
import type { BrokerWs, BrokerWsHandlers, SubscribeResult } from '../../../ports/broker.ts';
import type { TokenCache } from '../tokenCache.ts';
import { WsConnection, type WsClientOptions } from '../wsConnection.ts';
import { notConnected } from '../wsCommon.ts';
import type { WsSession } from '../wsSession.ts';
import { KIWOOM_TRADE_TYPE } from './real0b.ts';
import { decodeKiwoomServerMessage, encodeKiwoomLogin, encodeKiwoomRegister } from './ws.ts';

/** Items per REG message (Kiwoom's documented batch limit is 100). */
export const KIWOOM_REG_BATCH = 100;
export const KIWOOM_WS_PATH = '/api/dostk/websocket';

type Reply = { kind: 'login' | 'reg' | 'remove'; ok: boolean; returnCode: number; message: string };

export interface KiwoomWsClientOptions extends WsClientOptions {
  token: TokenCache;
}

export interface KiwoomFrameSink {
  batches(batches: TickBatch[]): void;
  bad(reason: string): void;
  ping(raw: string): void;
  reply(reply: Reply): void;
  system(code: string, message: string): void;
}

/** Pure routing of one text frame; `day` dates REAL ticks, which carry only a time of day. */
export function routeKiwoomFrame(text: string, day: string, sink: KiwoomFrameSink): void {
  const m = decodeKiwoomServerMessage(text, { day });
  switch (m.kind) {
    case 'ticks':
      if (m.batches.length > 0) sink.batches(m.batches);
      return;
    case 'ping':
      return sink.ping(m.raw);
    case 'login':
    case 'reg':
    case 'remove':
      return sink.reply(m);
    case 'system':
      return sink.system(m.code, m.message);
    case 'error':
      return sink.bad(`${m.error.kind}: ${m.error.reason}`);
  }
}

/** The configured URL, with Kiwoom's WebSocket path added when only an origin was given. */
export function kiwoomWsUrl(url: string): string {
  const u = new URL(url);
  if (u.pathname === '' || u.pathname === '/') u.pathname = KIWOOM_WS_PATH;
  return u.toString();
}

export class KiwoomWsClient implements BrokerWs {
  readonly broker = 'kiwoom' as const;
  private readonly o: KiwoomWsClientOptions;
  private readonly conn: WsConnection<Reply>;
  private systemNotice: string | undefined;

  constructor(o: KiwoomWsClientOptions) {
    this.o = o;
    this.conn = new WsConnection({
      ...o,
      broker: 'kiwoom',
      // The socket's own "closed (1000)" says less than the SYSTEM notice that announced it.
      closeReason: (reason) => (this.systemNotice && /^closed \(/.test(reason) ? this.systemNotice : reason),
    });
  }

  async connect(handlers: BrokerWsHandlers): Promise<void> {
    const { gen, credential: token } = await this.conn.begin(handlers, () => {
      // A notice of an earlier connection is not this one's close reason.
      this.systemNotice = undefined;
      return this.o.token.get();
    });
    let sink: KiwoomFrameSink | undefined;
    const opened = await this.conn.open(gen, kiwoomWsUrl(this.o.wsUrl), handlers, (text, session) =>
      routeKiwoomFrame(text, kstDay(this.o.clock.now()), (sink ??= this.sinkFor(session, handlers))),
    );
    if (!this.conn.isCurrent(gen) || !opened.isOpen) {
      await opened.close();
      throw notConnected('kiwoom', 'connect cancelled');
    }
    this.conn.adopt(opened);
    const login = this.conn.reply.ask(
      () => opened.send(encodeKiwoomLogin(token)),
      (r) => r.kind === 'login',
      this.o.replyTimeoutMs,
      'kiwoom LOGIN',
    );
    let r: Reply;
    try {
      r = await login;
    } catch (e) {
      if (this.conn.isCurrent(gen)) await this.close();
      throw e;
    }
    if (!r.ok) {
      if (String(r.returnCode) === '8005' || /8005/.test(r.message)) this.o.token.invalidate(token);
      await this.close();
      throw new TgError(
        'TG_ERR_BROKER_HTTP',
        `kiwoom LOGIN refused (return_code ${r.returnCode}): ${r.message}`,
        {
          broker: 'kiwoom',
          returnCode: r.returnCode,
        },
      );
    }
    this.o.log.info('broker ws connected', { broker: 'kiwoom' });
  }

  subscribe(symbols: string[]): Promise<SubscribeResult> {
    const subs = this.conn.subs;
    return this.conn.serial.run(async () => {
      const accepted: string[] = [];
      const rejected: Record<string, string> = {};
      const wanted = [...new Set(symbols)];
      const fresh = wanted.filter((s) => !subs.has(s));
      accepted.push(...wanted.filter((s) => subs.has(s)));
      for (let i = 0; i < fresh.length; i += KIWOOM_REG_BATCH) {
        const items = fresh.slice(i, i + KIWOOM_REG_BATCH);
        const r = await this.request('reg', items);
        if (r.ok) {
          for (const s of items) subs.add(s);
          accepted.push(...items);
        } else {
          for (const s of items) rejected[s] = `${r.returnCode} ${r.message}`.trim();
        }
      }
      return { accepted, rejected };
    });
  }

  unsubscribe(symbols: string[]): Promise<void> {
    const subs = this.conn.subs;
    return this.conn.serial.run(async () => {
      const held = [...new Set(symbols)].filter((s) => subs.has(s));
      for (let i = 0; i < held.length; i += KIWOOM_REG_BATCH) {
        const items = held.slice(i, i + KIWOOM_REG_BATCH);
        await this.request('remove', items);
        for (const s of items) subs.delete(s);
      }
    });
  }

  close(): Promise<void> {
    return this.conn.close();
  }

  private request(kind: 'reg' | 'remove', items: string[]): Promise<Reply> {
    const session = this.conn.live(kind === 'reg' ? 'subscribe' : 'unsubscribe');
    return this.conn.reply.ask(
      () =>
        session.send(encodeKiwoomRegister({ items, types: [KIWOOM_TRADE_TYPE], remove: kind === 'remove' })),
      (r) => r.kind === kind,
      this.o.replyTimeoutMs,
      `kiwoom ${kind.toUpperCase()}`,
    );
  }

  private sinkFor(session: WsSession, handlers: BrokerWsHandlers): KiwoomFrameSink {
    const log = this.o.log;
    return {
      ...this.conn.frameSink(handlers),
      // "수신값 그대로 송신": the identical text goes back.
      ping: (raw) => session.isOpen && session.send(raw),
      reply: (r) => {
        if (!this.conn.reply.offer(r))
          log.info('broker ws unsolicited reply', { broker: 'kiwoom', kind: r.kind });
      },
      system: (code, message) => {
        this.systemNotice = `SYSTEM ${code}`.trim();
        log.warn('broker ws system notice', { broker: 'kiwoom', code, message });
      },
    };
  }
}
