// Every WebSocket of the emulator: upgrades routed by path (KIS on /, /tryitout, /tryitout/H0STCNT0;
// Kiwoom on /api/dostk/websocket), one-session-per-app-key claims, the tick pump that hands each
// interval's trades to the listening sessions, the keep-alive pings and the drop-ws fault.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Clock } from '../../ports/clock.ts';
import { KIS_MAX_RECORDS_PER_FRAME } from '../brokers/kis/h0stcnt0Fields.ts';
import { encodeKisPingpong } from '../brokers/kis/wsControl.ts';
import { encodeKiwoomPing } from '../brokers/kiwoom/ws.ts';
import type { Logger } from '../log.ts';
import type { EmulatorAuth } from './auth.ts';
import type { Faults } from './faults.ts';
import { FeedEncoder } from './feed.ts';
import { KisWsSession } from './kisWs.ts';
import { KiwoomWsSession } from './kiwoomWs.ts';
import type { Market } from './market.ts';
import { Subscribers, type EmuWsSession } from './wsSessionBase.ts';

const KIS_PATHS = new Set(['/', '/tryitout', '/tryitout/H0STCNT0']);
const KIWOOM_PATH = '/api/dostk/websocket';

export interface WsHubDeps {
  market: Market;
  auth: EmulatorAuth;
  faults: () => Faults;
  clock: Clock;
  log: Logger;
  tickIntervalMs: number;
  pingIntervalMs: number;
}

export class WsHub {
  private readonly d: WsHubDeps;
  private readonly wss = new WebSocketServer({
    noServer: true,
    maxPayload: 64 * 1024,
    perMessageDeflate: false,
  });
  private readonly feed: FeedEncoder;
  private readonly kisSubs = new Subscribers<KisWsSession>();
  private readonly kiwoomSubs = new Subscribers<KiwoomWsSession>();
  private readonly kisClaims = new Map<string, KisWsSession>();
  private readonly kiwoomClaims = new Map<string, KiwoomWsSession>();
  private readonly sessions = new Set<EmuWsSession>();
  private timers: unknown[] = [];
  private running = false;
  ticksSent = 0;

  constructor(d: WsHubDeps) {
    this.d = d;
    this.feed = new FeedEncoder(d.market);
  }

  start(): void {
    this.running = true;
    this.every(this.d.tickIntervalMs, () => this.pump());
    this.every(this.d.pingIntervalMs, () => this.ping());
  }

  /** HTTP upgrade: route by path; refused while a drop-ws fault runs (the broker is unreachable). */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    const path = new URL(req.url ?? '/', 'http://emulator.invalid').pathname.replace(/(.)\/$/, '$1');
    const kind = KIS_PATHS.has(path) ? 'kis' : path === KIWOOM_PATH ? 'kiwoom' : undefined;
    const refuse = (status: string) => {
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    if (!this.running || kind === undefined) return refuse('404 Not Found');
    if (this.d.faults().wsDown()) return refuse('503 Service Unavailable');
    this.wss.handleUpgrade(req, socket, head, (ws: WebSocket) => this.open(kind, ws));
  }

  /** Every session ends abruptly (a broker-side network drop). */
  dropAll(): void {
    for (const session of [...this.sessions]) session.terminate();
  }

  sessionCount(): number {
    return this.sessions.size;
  }

  close(): void {
    this.running = false;
    for (const t of this.timers) this.d.clock.clearTimeout(t);
    this.timers = [];
    this.dropAll();
    this.wss.close();
  }

  private open(kind: 'kis' | 'kiwoom', ws: WebSocket): void {
    const base = { auth: this.d.auth, clock: this.d.clock, log: this.d.log };
    const session =
      kind === 'kis'
        ? new KisWsSession(ws, {
            ...base,
            knows: (s) => this.d.market.info(s) !== undefined,
            subscribers: this.kisSubs,
            claim: (key, s) => {
              const holder = this.kisClaims.get(key);
              if (holder && holder !== s && holder.isOpen()) return false;
              this.kisClaims.set(key, s);
              return true;
            },
            unclaim: (key, s) => {
              if (this.kisClaims.get(key) === s) this.kisClaims.delete(key);
            },
          })
        : new KiwoomWsSession(ws, {
            ...base,
            subscribers: this.kiwoomSubs,
            claim: (key, s) => {
              const holder = this.kiwoomClaims.get(key);
              this.kiwoomClaims.set(key, s);
              return holder && holder !== s ? holder : undefined;
            },
            unclaim: (key, s) => {
              if (this.kiwoomClaims.get(key) === s) this.kiwoomClaims.delete(key);
            },
          });
    this.sessions.add(session);
    ws.on('close', () => this.sessions.delete(session));
  }

  /** One interval: the exchange's new trades, encoded once per symbol, to each listening session. */
  private pump(): void {
    const batches = this.d.market.advance(this.d.clock.now());
    for (const batch of batches) {
      const kis = this.kisSubs.of(batch.symbol);
      const kiwoom = this.kiwoomSubs.of(batch.symbol);
      const encoded = this.feed.encode(batch, { kis: kis !== undefined, kiwoom: kiwoom !== undefined });
      const ticks = batch.ts.length;
      if (kis && encoded.kisFrames) {
        const frames = encoded.kisFrames;
        for (const session of kis) {
          for (let i = 0; i < frames.length; i++) {
            const n = Math.min(KIS_MAX_RECORDS_PER_FRAME, ticks - i * KIS_MAX_RECORDS_PER_FRAME);
            this.ticksSent += session.sendTicks(frames[i], n);
          }
        }
      }
      if (kiwoom && encoded.kiwoomMessage) {
        for (const session of kiwoom) this.ticksSent += session.sendTicks(encoded.kiwoomMessage, ticks);
      }
    }
  }

  private ping(): void {
    const now = this.d.clock.now();
    const kis = encodeKisPingpong(now);
    const kiwoom = encodeKiwoomPing();
    for (const s of this.sessions) s.send(s instanceof KisWsSession ? kis : kiwoom);
  }

  /** A repeating timer on the emulator's clock (the Clock port has no setInterval). */
  private every(ms: number, fn: () => void): void {
    const slot = this.timers.length;
    const tick = () => {
      if (!this.running) return;
      try {
        fn();
      } catch (e) {
        this.d.log.error('emulator timer failed', { error: e });
      }
      this.timers[slot] = this.d.clock.setTimeout(tick, ms);
    };
    this.timers[slot] = this.d.clock.setTimeout(tick, ms);
  }
}
