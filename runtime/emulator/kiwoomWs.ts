// One Kiwoom WebSocket session: LOGIN with the REST token first, then REG/REMOVE (grp_no, refresh,
// data[{item[], type[]}]); REAL 0B pushes and PING come from the hub. A LOGIN with an app key that
// already has a session ends the older one with SYSTEM R10001 [COMMUNITY: observed wording].
import type WebSocket from 'ws';
import type { Clock } from '../../ports/clock.ts';
import { KIWOOM_TRADE_TYPE } from '../brokers/kiwoom/real0b.ts';
import {
  decodeKiwoomClientMessage,
  encodeKiwoomLoginReply,
  encodeKiwoomRegReply,
  encodeKiwoomSystem,
  type KiwoomClientMessage,
} from '../brokers/kiwoom/ws.ts';
import type { Logger } from '../log.ts';
import type { EmulatorAuth } from './auth.ts';
import { EmuWsSession, type Subscribers } from './wsSessionBase.ts';

/** Items per session; Kiwoom's real cap is unconfirmed (the simulator uses 100 too). */
export const KIWOOM_SESSION_CAP = 100;

export interface KiwoomWsHost {
  auth: EmulatorAuth;
  clock: Clock;
  log: Logger;
  /** 0B listeners. */
  subscribers: Subscribers<KiwoomWsSession>;
  /** Make this the app key's session; returns the one it replaces, if any. */
  claim(appKey: string, session: KiwoomWsSession): KiwoomWsSession | undefined;
  unclaim(appKey: string, session: KiwoomWsSession): void;
}

type Registration = Extract<KiwoomClientMessage, { kind: 'reg' | 'remove' }>;

export class KiwoomWsSession extends EmuWsSession {
  private readonly host: KiwoomWsHost;
  private appKey: string | undefined;
  /** grp_no -> items registered for 0B. */
  private readonly groups = new Map<string, Set<string>>();

  constructor(socket: WebSocket, host: KiwoomWsHost) {
    super(socket, host.log);
    this.host = host;
    socket.on('message', (data, isBinary) => this.onMessage(isBinary ? undefined : data.toString()));
    socket.on('close', () => this.markEnded());
    socket.on('error', () => this.markEnded());
  }

  /** Kicked by a newer session of the same app key. */
  replaced(): void {
    this.closeAfter(
      encodeKiwoomSystem('R10001', '동일한 App key로 접속이 되었습니다. 기존 세션은 종료가 됩니다'),
    );
  }

  private onMessage(text: string | undefined): void {
    const msg = decodeKiwoomClientMessage(text);
    switch (msg.kind) {
      case 'ping':
        return; // the client's echo of our PING; echoing it again would loop forever
      case 'error':
        // [UNCONFIRMED] code: Kiwoom's SYSTEM notices carry R1000x codes.
        this.send(encodeKiwoomSystem('R10003', `잘못된 요청입니다 (${msg.error.reason})`));
        return;
      case 'login':
        this.login(msg.token);
        return;
      case 'reg':
      case 'remove':
        this.register(msg);
    }
  }

  private login(token: string): void {
    const owner = this.host.auth.tokenOwner('kiwoom', token, this.host.clock.now());
    if (owner === undefined) {
      this.closeAfter(
        encodeKiwoomLoginReply(1, '토큰 인증에 실패했습니다 [CODE=8005, MESSAGE=Token이 유효하지 않습니다]'),
      );
      return;
    }
    if (this.appKey === undefined) {
      this.host.claim(owner, this)?.replaced();
      this.appKey = owner;
    }
    this.send(encodeKiwoomLoginReply(0, ''));
  }

  private register(msg: Registration): void {
    const trnm = msg.kind === 'reg' ? 'REG' : 'REMOVE';
    if (this.appKey === undefined) {
      this.send(encodeKiwoomRegReply(trnm, 1, '로그인 후 사용할 수 있습니다'));
      return;
    }
    const items = msg.items.map((i) => i.replace(/_(NX|AL)$/, ''));
    const trades = msg.types.includes(KIWOOM_TRADE_TYPE);
    if (msg.kind === 'remove') {
      const group = this.groups.get(msg.grpNo);
      for (const item of items)
        if (group?.delete(item) && !this.listens(item)) this.host.subscribers.remove(item, this);
      this.send(encodeKiwoomRegReply(trnm, 0, ''));
      return;
    }
    const replaced = msg.refresh === '0' ? [...(this.groups.get(msg.grpNo) ?? [])] : [];
    const group = new Set(msg.refresh === '0' ? [] : (this.groups.get(msg.grpNo) ?? []));
    if (trades) for (const item of items) group.add(item);
    const others = new Set([...this.groups].filter(([g]) => g !== msg.grpNo).flatMap(([, s]) => [...s]));
    const total = new Set([...others, ...group]).size;
    if (total > KIWOOM_SESSION_CAP) {
      this.send(encodeKiwoomRegReply(trnm, 1, '등록 종목수 초과'));
      return;
    }
    this.groups.set(msg.grpNo, group);
    for (const item of replaced) if (!this.listens(item)) this.host.subscribers.remove(item, this);
    for (const item of group) this.host.subscribers.add(item, this);
    this.send(encodeKiwoomRegReply(trnm, 0, ''));
  }

  private listens(item: string): boolean {
    for (const group of this.groups.values()) if (group.has(item)) return true;
    return false;
  }

  protected release(): void {
    for (const group of this.groups.values())
      for (const item of group) this.host.subscribers.remove(item, this);
    this.groups.clear();
    if (this.appKey !== undefined) this.host.unclaim(this.appKey, this);
  }
}
