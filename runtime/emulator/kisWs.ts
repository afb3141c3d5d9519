// One KIS real-time WebSocket session: subscribe/unsubscribe JSON (tr_type "1"/"2") carrying the
// approval key, OPSP control replies, the 41-registration cap, one session per app key (a second one
// gets OPSP8996 and is closed). Data frames and PINGPONG come from the hub.
import { randomBytes } from 'node:crypto';
import type WebSocket from 'ws';
import type { Clock } from '../../ports/clock.ts';
import { H0STCNT0 } from '../brokers/kis/h0stcnt0Fields.ts';
import {
  encodeKisControlReply,
  type KisControlKind,
  type KisSubscribeRequest,
} from '../brokers/kis/wsControl.ts';
import { decodeKisClientMessage } from '../brokers/kis/wsMessages.ts';
import type { Logger } from '../log.ts';
import type { EmulatorAuth } from './auth.ts';
import { EmuWsSession, type Subscribers } from './wsSessionBase.ts';

/** Registrations per app key across every tr_id (official: "1개 appkey당 최대 41건"). */
export const KIS_SESSION_CAP = 41;

export interface KisWsHost {
  auth: EmulatorAuth;
  clock: Clock;
  log: Logger;
  knows(symbol: string): boolean;
  /** H0STCNT0 listeners. */
  subscribers: Subscribers<KisWsSession>;
  /** One session per app key: false when another open session holds the key. */
  claim(appKey: string, session: KisWsSession): boolean;
  unclaim(appKey: string, session: KisWsSession): void;
}

function controlJson(trId: string, trKey: string, rtCd: string, msgCd: string, msg1: string): string {
  return JSON.stringify({
    header: { tr_id: trId, tr_key: trKey, encrypt: 'N' },
    body: { rt_cd: rtCd, msg_cd: msgCd, msg1 },
  });
}

export class KisWsSession extends EmuWsSession {
  private readonly host: KisWsHost;
  private appKey: string | undefined;
  /** `${tr_id}|${tr_key}`: every registration counts toward the cap, only H0STCNT0 carries data. */
  private readonly registrations = new Set<string>();
  private readonly iv = randomBytes(8).toString('hex');
  private readonly key = randomBytes(16).toString('hex');

  constructor(socket: WebSocket, host: KisWsHost) {
    super(socket, host.log);
    this.host = host;
    socket.on('message', (data, isBinary) => this.onMessage(isBinary ? undefined : data.toString()));
    socket.on('close', () => this.markEnded());
    socket.on('error', () => this.markEnded());
  }

  private onMessage(text: string | undefined): void {
    const msg = decodeKisClientMessage(text);
    switch (msg.kind) {
      case 'pingpong':
        return; // the client's echo of our PINGPONG
      case 'error':
        // [UNCONFIRMED] wording; the code is KIS's generic OPSP0007.
        this.send(controlJson('', '', '1', 'OPSP0007', 'JSON PARSING ERROR : invalid request'));
        return;
      case 'subscribe':
      case 'unsubscribe':
        this.register(msg.request);
    }
  }

  private register(req: KisSubscribeRequest): void {
    const owner = this.host.auth.approvalOwner(req.approvalKey, this.host.clock.now());
    if (owner === undefined || (this.appKey !== undefined && owner !== this.appKey)) {
      // KIS answers OPSP0011 and echoes the key; the emulator does not repeat credentials.
      this.send(controlJson(req.trId, req.trKey, '1', 'OPSP0011', 'invalid approval : NOT FOUND'));
      return;
    }
    if (this.appKey === undefined) {
      if (!this.host.claim(owner, this)) {
        this.host.log.info('KIS WebSocket refused: app key already has a session');
        this.closeAfter(encodeKisControlReply('appkey-in-use'));
        return;
      }
      this.appKey = owner;
    }
    this.reply(req, req.subscribe ? this.subscribe(req) : this.unsubscribe(req));
  }

  private subscribe(req: KisSubscribeRequest): KisControlKind {
    const id = `${req.trId}|${req.trKey}`;
    if (this.registrations.has(id)) return 'already-subscribed';
    if (this.registrations.size >= KIS_SESSION_CAP) return 'max-subscribe-over';
    if (req.trId === H0STCNT0 && !this.host.knows(req.trKey)) return 'internal-error';
    this.registrations.add(id);
    if (req.trId === H0STCNT0) this.host.subscribers.add(req.trKey, this);
    return 'subscribed';
  }

  private unsubscribe(req: KisSubscribeRequest): KisControlKind {
    const id = `${req.trId}|${req.trKey}`;
    if (!this.registrations.delete(id)) return 'not-subscribed';
    if (req.trId === H0STCNT0) this.host.subscribers.remove(req.trKey, this);
    return 'unsubscribed';
  }

  private reply(req: KisSubscribeRequest, kind: KisControlKind): void {
    this.send(encodeKisControlReply(kind, { trId: req.trId, trKey: req.trKey, iv: this.iv, key: this.key }));
  }

  protected release(): void {
    for (const id of this.registrations) {
      const [trId, trKey] = id.split('|');
      if (trId === H0STCNT0) this.host.subscribers.remove(trKey, this);
    }
    this.registrations.clear();
    if (this.appKey !== undefined) this.host.unclaim(this.appKey, this);
  }
}
