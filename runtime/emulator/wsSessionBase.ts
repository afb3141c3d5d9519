// What KIS and Kiwoom WebSocket sessions share: the socket with a guarded send (a client that cannot
// keep up is cut off instead of growing the server's memory), the tick counter, and the registry of
// which sessions listen to which symbol.
import type WebSocket from 'ws';
import type { Logger } from '../log.ts';

/** A client this far behind is cut off, as a real broker drops a slow consumer. */
const MAX_BUFFERED_BYTES = 64 * 1024 * 1024;

export abstract class EmuWsSession {
  readonly socket: WebSocket;
  protected readonly log: Logger;
  ticksSent = 0;
  private ended = false;

  constructor(socket: WebSocket, log: Logger) {
    this.socket = socket;
    this.log = log;
  }

  isOpen(): boolean {
    return !this.ended && this.socket.readyState === this.socket.OPEN;
  }

  /** Send a text frame; false when the socket is gone or was cut off for lagging. */
  send(text: string): boolean {
    if (!this.isOpen()) return false;
    if (this.socket.bufferedAmount > MAX_BUFFERED_BYTES) {
      this.log.warn('emulator cut off a WebSocket client that does not read', {
        lagBytes: this.socket.bufferedAmount,
      });
      this.terminate();
      return false;
    }
    this.socket.send(text);
    return true;
  }

  /** Data for subscribed symbols; counted as sent once handed to the socket. */
  sendTicks(text: string, ticks: number): number {
    if (!this.send(text)) return 0;
    this.ticksSent += ticks;
    return ticks;
  }

  /** Orderly close after the last message (a refusal the client should read). */
  closeAfter(text: string, code = 1000): void {
    if (this.send(text)) this.socket.close(code);
    this.markEnded();
  }

  /** Abrupt end, as a network drop (the client sees 1006). */
  terminate(): void {
    this.socket.terminate();
    this.markEnded();
  }

  /** Called once when the session is over, whoever ended it: drop its subscriptions and claims. */
  protected abstract release(): void;

  markEnded(): void {
    if (this.ended) return;
    this.ended = true;
    this.release();
  }
}

/** symbol -> listening sessions. */
export class Subscribers<S> {
  private readonly bySymbol = new Map<string, Set<S>>();

  add(symbol: string, session: S): void {
    let set = this.bySymbol.get(symbol);
    if (!set) this.bySymbol.set(symbol, (set = new Set()));
    set.add(session);
  }

  remove(symbol: string, session: S): void {
    const set = this.bySymbol.get(symbol);
    if (!set) return;
    set.delete(session);
    if (set.size === 0) this.bySymbol.delete(symbol);
  }

  of(symbol: string): Set<S> | undefined {
    return this.bySymbol.get(symbol);
  }
}
