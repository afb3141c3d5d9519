// Live Kiwoom real-time client (BrokerWs): REST token, LOGIN first, REG type 0B for the symbols in
// batches, REAL pushes to TickBatch[] dated by the KST day of the clock, PING echoed unchanged, and
// a SYSTEM notice kept as the reason of the close that follows it.
import { TgError } from '../../../machines/errors.ts';
import { kstDay } from '../../../machines/marketHours.ts';
import type { TickBatch } from '../../../machines/types.ts';
import type { BrokerWs, BrokerWsHandlers, SubscribeResult } from '../../../ports/broker.ts';
import type { Clock } from '../../../ports/clock.ts';
import type { Logger } from '../../log.ts';
import type { TokenCache } from '../tokenCache.ts';
import { guard, notConnected, ReplySlot, reportBadFrame, Serial, type WsCounters } from '../wsCommon.ts';
import { WsSession } from '../wsSession.ts';
import { KIWOOM_TRADE_TYPE } from './real0b.ts';
import { decodeKiwoomServerMessage, encodeKiwoomLogin, encodeKiwoomRegister } from './ws.ts';

/** Items per REG message (Kiwoom's documented batch limit is 100). */
export const KIWOOM_REG_BATCH = 100;
export const KIWOOM_WS_PATH = '/api/dostk/websocket';

type Reply = { kind: 'login' | 'reg' | 'remove'; ok: boolean; returnCode: number; message: string };

export interface KiwoomWsClientOptions {
  wsUrl: string;
  token: TokenCache;
  clock: Clock;
  log: Logger;
  counters: WsCounters;
  connectTimeoutMs: number;
  replyTimeoutMs: number;
  idleTimeoutMs?: number;
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
  private session: WsSession | undefined;
  private handlers: BrokerWsHandlers | undefined;
  private generation = 0;
  private connects = 0;
  private systemNotice: string | undefined;
  private readonly subs = new Set<string>();
  private readonly serial = new Serial();
  private readonly reply: ReplySlot<Reply>;

  constructor(o: KiwoomWsClientOptions) {
    this.o = o;
    this.reply = new ReplySlot(o.clock);
  }

  async connect(handlers: BrokerWsHandlers): Promise<void> {
    await this.close();
    const gen = ++this.generation;
    if (this.connects++ > 0) this.o.counters.reconnects += 1;
    this.handlers = handlers;
    this.systemNotice = undefined;
    const token = await this.o.token.get();
    if (gen !== this.generation) throw notConnected('kiwoom', 'connect cancelled by close');
    let sink: KiwoomFrameSink | undefined;
    const opened = await WsSession.open({
      broker: 'kiwoom',
      url: kiwoomWsUrl(this.o.wsUrl),
      clock: this.o.clock,
      connectTimeoutMs: this.o.connectTimeoutMs,
      idleTimeoutMs: this.o.idleTimeoutMs,
      onText: (text, session) =>
        routeKiwoomFrame(text, kstDay(this.o.clock.now()), (sink ??= this.sinkFor(session, handlers))),
      onBadFrame: (reason) => reportBadFrame('kiwoom', this.o.counters, handlers, this.o.log, reason),
      onClose: (reason) => this.closed(gen, reason),
    });
    if (gen !== this.generation || !opened.isOpen) {
      await opened.close();
      throw notConnected('kiwoom', 'connect cancelled');
    }
    this.session = opened;
    const login = this.reply.ask(
      () => opened.send(encodeKiwoomLogin(token)),
      (r) => r.kind === 'login',
      this.o.replyTimeoutMs,
      'kiwoom LOGIN',
    );
    let r: Reply;
    try {
      r = await login;
    } catch (e) {
      if (gen === this.generation) await this.close();
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
    return this.serial.run(async () => {
      const accepted: string[] = [];
      const rejected: Record<string, string> = {};
      const wanted = [...new Set(symbols)];
      const fresh = wanted.filter((s) => !this.subs.has(s));
      accepted.push(...wanted.filter((s) => this.subs.has(s)));
      for (let i = 0; i < fresh.length; i += KIWOOM_REG_BATCH) {
        const items = fresh.slice(i, i + KIWOOM_REG_BATCH);
        const r = await this.request('reg', items);
        if (r.ok) {
          for (const s of items) this.subs.add(s);
          accepted.push(...items);
        } else {
          for (const s of items) rejected[s] = `${r.returnCode} ${r.message}`.trim();
        }
      }
      return { accepted, rejected };
    });
  }

  unsubscribe(symbols: string[]): Promise<void> {
    return this.serial.run(async () => {
      const held = [...new Set(symbols)].filter((s) => this.subs.has(s));
      for (let i = 0; i < held.length; i += KIWOOM_REG_BATCH) {
        const items = held.slice(i, i + KIWOOM_REG_BATCH);
        await this.request('remove', items);
        for (const s of items) this.subs.delete(s);
      }
    });
  }

  async close(): Promise<void> {
    this.generation += 1;
    const session = this.session;
    this.session = undefined;
    this.subs.clear();
    this.reply.fail(notConnected('kiwoom', 'closed'));
    if (session) await session.close();
  }

  private request(kind: 'reg' | 'remove', items: string[]): Promise<Reply> {
    const session = this.session;
    if (!session?.isOpen) throw notConnected('kiwoom', kind === 'reg' ? 'subscribe' : 'unsubscribe');
    return this.reply.ask(
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
      batches: (b) => guard(log, 'kiwoom', () => handlers.onBatches(b)),
      bad: (reason) => reportBadFrame('kiwoom', this.o.counters, handlers, log, reason),
      // "수신값 그대로 송신": the identical text goes back.
      ping: (raw) => session.isOpen && session.send(raw),
      reply: (r) => {
        if (!this.reply.offer(r)) log.info('broker ws unsolicited reply', { broker: 'kiwoom', kind: r.kind });
      },
      system: (code, message) => {
        this.systemNotice = `SYSTEM ${code}`.trim();
        log.warn('broker ws system notice', { broker: 'kiwoom', code, message });
      },
    };
  }

  private closed(gen: number, reason: string): void {
    if (gen !== this.generation) return;
    this.session = undefined;
    this.subs.clear();
    const why = this.systemNotice && /^closed \(/.test(reason) ? this.systemNotice : reason;
    this.reply.fail(new TgError('TG_ERR_BROKER_DOWN', `kiwoom WebSocket closed: ${why}`, { reason: why }));
    this.o.log.warn('broker ws closed', { broker: 'kiwoom', reason: why });
    const handlers = this.handlers;
    guard(this.o.log, 'kiwoom', () => handlers?.onClose(why));
  }
}
