// Tiny local HTTP and WebSocket servers for the broker client tests (each test scripts the replies,
// malformed ones included, and reads back what the client sent), handler recorders, clean-ups and
// the app key and secret that must never leak.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { kstDay, kstTime } from '../../machines/marketHours.ts';
import type { TickBatch } from '../../machines/types.ts';
import type { BrokerWsHandlers } from '../../ports/broker.ts';
import type { Clock } from '../../ports/clock.ts';
import { createLogger, type Logger } from '../../runtime/log.ts';

export const APP_KEY = 'PSkeyABCDEFGHIJKLMNOPQRSTUVWX0123';
export const SECRET = 'SeCrEt+vAlUe/ThatMustNeverLeak0123456789abcdefXYZ=';

export const realClockForTests: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

export interface SeenRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: string;
}

export type HttpScript = (
  req: SeenRequest,
  res: ServerResponse,
) => { status: number; headers?: Record<string, string>; body: string } | 'handled';

export interface TestHttpServer {
  url: string;
  requests: SeenRequest[];
  close(): Promise<void>;
}

export async function startHttp(script: HttpScript): Promise<TestHttpServer> {
  const requests: SeenRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const u = new URL(req.url ?? '/', 'http://x');
      const seen = {
        method: req.method ?? '',
        path: u.pathname,
        query: u.searchParams,
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(seen);
      const out = script(seen, res);
      if (out === 'handled') return;
      res.writeHead(out.status, { 'content-type': 'application/json; charset=utf-8', ...out.headers });
      res.end(out.body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

export interface TestWsServer {
  url: string;
  /** Every connection so far, newest last. */
  sockets: WebSocket[];
  /** Text messages received per connection index. */
  received: string[][];
  pongs: string[];
  close(): Promise<void>;
}

export async function startWs(
  onMessage: (socket: WebSocket, text: string, index: number) => void,
  onConnection?: (socket: WebSocket, index: number) => void,
  options: { autoPong?: boolean } = {},
): Promise<TestWsServer> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', autoPong: options.autoPong ?? true });
  await new Promise<void>((r) => wss.once('listening', () => r()));
  const sockets: WebSocket[] = [];
  const received: string[][] = [];
  const pongs: string[] = [];
  wss.on('connection', (socket) => {
    const index = sockets.length;
    sockets.push(socket);
    received.push([]);
    socket.on('pong', (data) => pongs.push(data.toString('utf8')));
    socket.on('message', (data) => {
      const text = data.toString();
      received[index].push(text);
      onMessage(socket, text, index);
    });
    onConnection?.(socket, index);
  });
  const port = (wss.address() as AddressInfo).port;
  return {
    url: `ws://127.0.0.1:${port}`,
    sockets,
    received,
    pongs,
    close: () =>
      new Promise<void>((r) => {
        for (const s of wss.clients) s.terminate();
        wss.close(() => r());
      }),
  };
}

/** A logger that keeps every line, to check that nothing secret is written. */
export function capturingLogger(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  return { log: createLogger({}, { write: (l) => lines.push(l), level: 'info' }), lines };
}

export function until(cond: () => boolean, timeoutMs = 3000): Promise<void> {
  const start = Date.now();
  return new Promise((resolve, reject) => {
    const tick = () => {
      if (cond()) return resolve();
      if (Date.now() - start > timeoutMs) return reject(new Error('condition not met in time'));
      setTimeout(tick, 5);
    };
    tick();
  });
}

/** Registers an afterEach that runs the collected clean-ups, newest first. */
export function useCleanups(): (...fns: (() => Promise<void>)[]) => void {
  let cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.reverse()) await c();
    cleanups = [];
  });
  return (...fns) => cleanups.push(...fns);
}

/** BrokerWsHandlers that record everything they are told. */
export function recorder() {
  const batches: TickBatch[] = [];
  const closes: string[] = [];
  const bad: string[] = [];
  const handlers: BrokerWsHandlers = {
    onBatches: (b) => batches.push(...b),
    onClose: (r) => closes.push(r),
    onBadFrame: (r) => bad.push(r),
  };
  return { batches, closes, bad, handlers, ticks: () => batches.reduce((n, b) => n + b.ts.length, 0) };
}

/** `n` trades of today from 10:00 KST, 10 shares each, cumulative volume continuing from `cum0`. */
export function tickBatch(symbol: string, n: number, cum0 = 1000): TickBatch {
  const t0 = kstTime(kstDay(Date.now()), '10:00:00');
  return {
    symbol,
    day: kstDay(t0),
    ts: Array.from({ length: n }, (_, i) => t0 + i * 1000),
    cumVolume: Array.from({ length: n }, (_, i) => cum0 + (i + 1) * 10),
    price: Array.from({ length: n }, (_, i) => 70_000 + i * 100),
    volume: Array.from({ length: n }, () => 10),
  };
}
