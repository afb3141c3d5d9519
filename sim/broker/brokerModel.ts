// The simulated broker (one per broker name): the BrokerRest and BrokerWs ports on top of the
// exchange model and the Clock. REST enforces the per-app-key limit like the real broker (KIS HTTP
// 500 EGW00201 or HTTP 429), optionally bans; WebSocket sessions get each step's batches through
// deliver(). Faults (rest-down, slow, drop-ws, drop) are switched by the world wiring.
import { TgError } from '../../machines/errors.ts';
import type { BrokerName, TickBatch } from '../../machines/types.ts';
import type { BrokerRest, MinuteBarPage } from '../../ports/broker.ts';
import type { Clock } from '../../ports/clock.ts';
import type { ExchangeModel } from '../exchange/exchange.ts';
import type { Rng } from '../kernel/rng.ts';
import { AppKeyLimiter, rejectionError } from './appKeyLimiter.ts';
import type {
  AppKeyStats,
  BrokerFault,
  BrokerFaultKind,
  RejectStyle,
  RequestOutcome,
  SimBrokerOptions,
  SimBrokerStats,
} from './types.ts';
import { SimWsSession, type WsHost } from './wsSession.ts';

const DEFAULTS: Record<BrokerName, { rate: number; cap: number; reject: RejectStyle; capCode: string }> = {
  kis: { rate: 20, cap: 41, reject: 'kis', capCode: 'OPSP0008 MAX SUBSCRIBE OVER' },
  kiwoom: { rate: 5, cap: 100, reject: 'http429', capCode: 'MAX REGISTRATION OVER' },
};

export class SimBroker implements WsHost {
  readonly broker: BrokerName;
  readonly rateLimitPerSec: number;
  readonly barsPerRequest: number;
  readonly rejectStyle: RejectStyle;
  readonly sessionCap: number;
  private readonly options: SimBrokerOptions;
  private readonly exchange: ExchangeModel;
  private readonly clock: Clock;
  private readonly rng: Rng;
  private readonly keys = new Map<string, AppKeyLimiter>();
  private readonly sessions: SimWsSession[] = [];
  private readonly openByKey = new Map<string, SimWsSession>();
  private readonly subscribers = new Map<string, SimWsSession[]>();
  private sessionSeq = 0;
  private restDown = false;
  private slowByMs = 0;
  private wsDown = false;
  private ratio = 0;
  private ticksSent = 0;
  private ticksDropped = 0;
  private unreachable = 0;
  private requestListener: SimBrokerOptions['onRequest'];

  constructor(options: SimBrokerOptions) {
    const d = DEFAULTS[options.broker];
    this.options = options;
    this.broker = options.broker;
    this.exchange = options.exchange;
    this.clock = options.clock;
    this.rng = options.rng.fork(`broker:${options.broker}`);
    this.rateLimitPerSec = options.rateLimitPerSec ?? d.rate;
    this.barsPerRequest = options.barsPerRequest ?? 30;
    this.rejectStyle = options.reject ?? d.reject;
    this.sessionCap = options.sessionCap ?? d.cap;
    this.requestListener = options.onRequest;
  }

  // ---------------------------------------------------------------- REST

  /** The BrokerRest port for one app key. */
  rest(appKey: string): BrokerRest {
    return {
      broker: this.broker,
      appKey,
      minuteBars: (symbol, beforeOrAt) => this.minuteBars(appKey, symbol, beforeOrAt),
    };
  }

  /** Per-request log hook (replaces the one given in the options). */
  onRequest(listener: SimBrokerOptions['onRequest']): void {
    this.requestListener = listener;
  }

  /** Reachability probe for the supervisor: not a request, never rate limited. */
  pingRest(): Promise<void> {
    if (!this.restDown) return Promise.resolve();
    return this.later(this.connectTimeoutMs(), () => {
      throw this.unreachableError('REST');
    });
  }

  private minuteBars(appKey: string, symbol: string, beforeOrAt: number): Promise<MinuteBarPage> {
    const at = this.clock.now();
    if (this.restDown) {
      this.unreachable += 1;
      return this.later(this.connectTimeoutMs(), () => {
        throw this.unreachableError('REST');
      });
    }
    const admission = this.limiter(appKey).admit(at);
    let outcome: RequestOutcome = admission.outcome;
    let failure: TgError | undefined;
    let page: MinuteBarPage | undefined;
    if (admission.outcome !== 'ok') {
      failure = rejectionError(
        this.broker,
        this.rejectStyle,
        admission.retryAfterMs,
        admission.outcome === 'banned',
      );
    } else if (!this.exchange.info(symbol)) {
      outcome = 'error';
      failure = new TgError('TG_ERR_BROKER_HTTP', `${this.broker}: no such symbol ${symbol}`, {
        status: 400,
        symbol,
      });
    } else {
      page = this.exchange.page(symbol, at, beforeOrAt, this.barsPerRequest);
    }
    this.requestListener?.(at, appKey, symbol, outcome);
    return this.later(this.latency(), () => {
      if (failure) throw failure;
      return page as MinuteBarPage;
    });
  }

  private unreachableError(what: string): TgError {
    return new TgError(
      'TG_ERR_BROKER_DOWN',
      `${this.broker} ${what} did not answer within ${this.connectTimeoutMs()} ms`,
      {
        broker: this.broker,
      },
    );
  }

  private limiter(appKey: string): AppKeyLimiter {
    let limiter = this.keys.get(appKey);
    if (!limiter) {
      limiter = new AppKeyLimiter(this.rateLimitPerSec, this.options.sanctions);
      this.keys.set(appKey, limiter);
    }
    return limiter;
  }

  /** The fastest REST response this broker gives (the recovery lower bound counts it). */
  minLatencyMs(): number {
    return (this.options.latencyMs ?? { min: 30, max: 80 }).min;
  }

  private latency(): number {
    const { min, max } = this.options.latencyMs ?? { min: 30, max: 80 };
    return Math.round(min + this.rng.next() * (max - min)) + this.slowByMs;
  }

  private connectTimeoutMs(): number {
    return this.options.connectTimeoutMs ?? 3000;
  }

  private later<T>(ms: number, settle: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.clock.setTimeout(() => {
        try {
          resolve(settle());
        } catch (e) {
          reject(e);
        }
      }, ms);
    });
  }

  // ---------------------------------------------------------------- WebSocket

  /** A BrokerWs session object for one app key (connect it to open the session). */
  ws(appKey: string): SimWsSession {
    const session = new SimWsSession(this, appKey, this.rng.fork(`ws:${appKey}:${++this.sessionSeq}`));
    this.sessions.push(session);
    return session;
  }

  /** Fan one step's batches out to the sessions subscribed to each symbol (read-only, shared). */
  deliver(batches: TickBatch[]): void {
    const touched = new Set<SimWsSession>();
    for (const batch of batches) {
      const subs = this.subscribers.get(batch.symbol);
      if (!subs) continue;
      for (const session of subs) {
        session.enqueue(batch);
        touched.add(session);
      }
    }
    for (const session of this.sessions) if (touched.has(session)) session.flush();
  }

  /** Server side: the open session of an app key, if any (for the wiring's hold/terminate). */
  sessionOf(appKey: string): SimWsSession | undefined {
    return this.openByKey.get(appKey);
  }

  admit(session: SimWsSession): Promise<void> {
    if (this.wsDown) {
      return this.later(this.connectTimeoutMs(), () => {
        throw this.unreachableError('WebSocket');
      });
    }
    if (this.openByKey.has(session.appKey)) {
      return Promise.reject(
        new TgError('TG_ERR_BROKER_REJECTED', `${this.broker}: OPSP8996 ALREADY IN USE appkey`, {
          msgCd: 'OPSP8996',
          broker: this.broker,
        }),
      );
    }
    this.openByKey.set(session.appKey, session);
    return Promise.resolve();
  }

  capacity(): number {
    return this.sessionCap;
  }

  capRejection(): string {
    return DEFAULTS[this.broker].capCode;
  }

  knows(symbol: string): boolean {
    return this.exchange.info(symbol) !== undefined;
  }

  resubscribed(session: SimWsSession, added: string[], removed: string[]): void {
    for (const symbol of added) {
      const list = this.subscribers.get(symbol) ?? [];
      list.push(session);
      this.subscribers.set(symbol, list);
    }
    for (const symbol of removed) {
      const list = this.subscribers.get(symbol);
      if (!list) continue;
      const rest = list.filter((s) => s !== session);
      if (rest.length > 0) this.subscribers.set(symbol, rest);
      else this.subscribers.delete(symbol);
    }
  }

  released(session: SimWsSession): void {
    if (this.openByKey.get(session.appKey) === session) this.openByKey.delete(session.appKey);
  }

  dropRatio(): number {
    return this.ratio;
  }

  countSent(ticks: number, dropped: number): void {
    this.ticksSent += ticks;
    this.ticksDropped += dropped;
  }

  // ---------------------------------------------------------------- faults and stats

  startFault(fault: BrokerFault): void {
    switch (fault.kind) {
      case 'rest-down':
        this.restDown = true;
        break;
      case 'slow':
        this.slowByMs = fault.byMs;
        break;
      case 'drop':
        this.ratio = fault.ratio;
        break;
      case 'drop-ws':
        this.wsDown = true;
        for (const session of [...this.openByKey.values()]) session.kick(fault.reason ?? 'ECONNRESET');
        break;
    }
  }

  endFault(kind: BrokerFaultKind): void {
    if (kind === 'rest-down') this.restDown = false;
    else if (kind === 'slow') this.slowByMs = 0;
    else if (kind === 'drop') this.ratio = 0;
    else this.wsDown = false;
  }

  /**
   * Follow a dependency condition (the kernel's SimDependency listener for `broker-rest`): down ->
   * rest-down, slowByMs -> slow. Structural type, so the kernel needs no import of this module.
   */
  applyRestCondition(condition: { up: boolean; slowByMs: number }): void {
    if (!condition.up) this.startFault({ kind: 'rest-down' });
    else this.endFault('rest-down');
    this.slowByMs = condition.up ? condition.slowByMs : 0;
  }

  /** Same for `broker-ws`: down -> drop-ws (sessions closed once, connects fail), dropRatio -> drop. */
  applyWsCondition(condition: { up: boolean; dropRatio: number }): void {
    if (!condition.up && !this.wsDown) this.startFault({ kind: 'drop-ws' });
    else if (condition.up) this.endFault('drop-ws');
    this.ratio = condition.up ? condition.dropRatio : 0;
  }

  /** Start a fault and end it `forMs` later on the Clock (the emulator's POST /_emulator/faults). */
  fault(fault: BrokerFault, forMs: number): void {
    this.startFault(fault);
    this.clock.setTimeout(() => this.endFault(fault.kind), forMs);
  }

  stats(): SimBrokerStats {
    const appKeys: Record<string, AppKeyStats> = {};
    for (const key of [...this.keys.keys()].sort()) appKeys[key] = this.keys.get(key)!.stats();
    return {
      broker: this.broker,
      ticksSent: this.ticksSent,
      ticksDropped: this.ticksDropped,
      appKeys,
      unreachable: this.unreachable,
      sessions: this.sessions.filter((s) => s.isOpen() || s.stats().ticksDelivered > 0).map((s) => s.stats()),
    };
  }
}
