// One live broker WebSocket connection, dialect-free: opens with a deadline, hands text frames to the
// dialect, counts binary frames as bad, watches liveness (pings when quiet, gives up when silent) and
// reports the end of the connection exactly once, unless our own close() ended it.
import WebSocket from 'ws';
import { TgError } from '../../machines/errors.ts';
import type { BrokerName } from '../../machines/types.ts';
import type { Clock } from '../../ports/clock.ts';

export const DEFAULT_IDLE_TIMEOUT_MS = 30_000;
export const DEFAULT_MAX_FRAME_BYTES = 4 * 1024 * 1024;

export interface WsSessionOptions {
  broker: BrokerName;
  url: string;
  clock: Clock;
  connectTimeoutMs: number;
  /** No frame (data, control or pong) for this long: the connection is dead. */
  idleTimeoutMs?: number;
  maxFrameBytes?: number;
  /** `session` is passed because frames can arrive before open() resolves. */
  onText(text: string, session: WsSession): void;
  onBadFrame(reason: string): void;
  /** The server, the network or the liveness check ended the connection. */
  onClose(reason: string): void;
}

export class WsSession {
  private readonly o: WsSessionOptions;
  private readonly socket: WebSocket;
  private readonly idleMs: number;
  private lastFrameAt: number;
  private timer: unknown;
  private ended = false;
  /** Set by the dialect when the broker told us why it is about to close (OPSP8996...). */
  private closeReason: string | undefined;
  private lastError: string | undefined;

  private constructor(o: WsSessionOptions, socket: WebSocket) {
    this.o = o;
    this.socket = socket;
    this.idleMs = o.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
    this.lastFrameAt = o.clock.now();
  }

  /** Resolves once the socket is open; rejects with TG_ERR_BROKER_DOWN otherwise. Never leaks a socket. */
  static open(o: WsSessionOptions): Promise<WsSession> {
    return new Promise((resolve, reject) => {
      let socket: WebSocket;
      try {
        socket = new WebSocket(o.url, {
          handshakeTimeout: o.connectTimeoutMs,
          maxPayload: o.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES,
          // A garbled text frame is one bad frame for the decoder to count, not a reason to drop
          // the connection and every subscription on it (ws would close with 1007).
          skipUTF8Validation: true,
        });
      } catch {
        reject(new TgError('TG_ERR_BROKER_DOWN', `${o.broker} WebSocket: invalid URL`, { broker: o.broker }));
        return;
      }
      const session = new WsSession(o, socket);
      let settled = false;
      const fail = (why: string) => {
        if (settled) return;
        settled = true;
        o.clock.clearTimeout(deadline);
        socket.removeAllListeners();
        socket.on('error', () => {});
        socket.terminate();
        reject(
          new TgError('TG_ERR_BROKER_DOWN', `${o.broker} WebSocket connect failed: ${why}`, {
            broker: o.broker,
          }),
        );
      };
      const deadline = o.clock.setTimeout(
        () => fail(`no answer within ${o.connectTimeoutMs} ms`),
        o.connectTimeoutMs,
      );
      socket.once('open', () => {
        if (settled) return;
        settled = true;
        o.clock.clearTimeout(deadline);
        socket.removeAllListeners();
        session.attach();
        resolve(session);
      });
      socket.on('error', (e) => fail(errorCode(e)));
      socket.on('unexpected-response', (_req, res) => fail(`HTTP ${res.statusCode}`));
      socket.on('close', (code) => fail(`closed (${code})`));
    });
  }

  get isOpen(): boolean {
    return !this.ended && this.socket.readyState === WebSocket.OPEN;
  }

  send(text: string): void {
    if (!this.isOpen) throw new TgError('TG_ERR_BROKER_DOWN', `${this.o.broker} WebSocket is not connected`);
    this.socket.send(text);
  }

  /** A PONG control frame carrying `payload` (KIS's official answer to PINGPONG). */
  pong(payload: string): void {
    if (this.isOpen) this.socket.pong(Buffer.from(payload, 'utf8').subarray(0, 125));
  }

  /** The broker announced the end (a kick): report it with `reason` and drop the socket now. */
  kick(reason: string): void {
    this.closeReason ??= reason;
    this.end(reason);
  }

  /** Our own close: no onClose, the caller knows. */
  close(): Promise<void> {
    if (this.ended) return Promise.resolve();
    this.ended = true;
    this.stopTimer();
    return new Promise((resolve) => {
      const done = () => resolve();
      if (this.socket.readyState === WebSocket.CLOSED) return done();
      this.socket.once('close', done);
      const hard = this.o.clock.setTimeout(() => {
        this.socket.terminate();
        done();
      }, 1000);
      this.socket.once('close', () => this.o.clock.clearTimeout(hard));
      try {
        this.socket.close(1000);
      } catch {
        this.socket.terminate();
      }
    });
  }

  private attach(): void {
    const s = this.socket;
    s.on('message', (data, isBinary) => {
      this.lastFrameAt = this.o.clock.now();
      if (this.ended) return;
      if (isBinary) {
        this.o.onBadFrame(`binary frame of ${byteLength(data)} bytes`);
        return;
      }
      this.o.onText(textOf(data), this);
    });
    s.on('pong', () => (this.lastFrameAt = this.o.clock.now()));
    s.on('ping', () => (this.lastFrameAt = this.o.clock.now()));
    s.on('error', (e) => (this.lastError = errorCode(e)));
    s.on('close', (code) => this.end(this.closeReason ?? this.lastError ?? `closed (${code})`));
    this.schedule();
  }

  private schedule(): void {
    const step = Math.max(10, Math.floor(this.idleMs / 3));
    this.timer = this.o.clock.setTimeout(() => this.checkLiveness(), step);
  }

  private checkLiveness(): void {
    if (this.ended) return;
    const quiet = this.o.clock.now() - this.lastFrameAt;
    if (quiet >= this.idleMs) return this.kick(`idle timeout (no frame for ${quiet} ms)`);
    // A standard server answers a ping with a pong, which counts as a frame.
    if (quiet >= this.idleMs / 3 && this.socket.readyState === WebSocket.OPEN) this.socket.ping();
    this.schedule();
  }

  private stopTimer(): void {
    if (this.timer !== undefined) this.o.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private end(reason: string): void {
    if (this.ended) return;
    this.ended = true;
    this.stopTimer();
    this.socket.removeAllListeners('message');
    this.socket.on('error', () => {});
    this.socket.terminate();
    this.o.onClose(reason);
  }
}

function errorCode(e: unknown): string {
  const code = (e as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && /^[\w.-]{1,40}$/.test(code) ? code : 'socket error';
}

function byteLength(data: WebSocket.RawData): number {
  if (Array.isArray(data)) return data.reduce((n, b) => n + b.length, 0);
  return data instanceof ArrayBuffer ? data.byteLength : data.length;
}

function textOf(data: WebSocket.RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data as ArrayBuffer).toString('utf8');
}
