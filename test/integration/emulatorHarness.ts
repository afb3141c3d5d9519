// Helpers for the broker emulator's integration tests: a steerable clock (fixed start on today's KST
// noon, any speed, frozen at 0, jumps), raw REST calls with fetch, and a raw `ws` client that queues
// text frames so a test can await the next one matching a predicate.
import WebSocket from 'ws';
import { kstDay, kstTime } from '../../machines/marketHours.ts';
import type { Clock } from '../../ports/clock.ts';
import { startEmulator, type EmulatorHandle, type EmulatorOptions } from '../../runtime/emulator/index.ts';

export interface TestClock extends Clock {
  /** Move time forward (virtual ms). */
  jump(ms: number): void;
}

/** Virtual time = today's KST 12:00 (away from midnight roll-over) + elapsed wall time * speed. */
export function testClock(speed: number, startHms = '12:00:00', day = kstDay(Date.now())): TestClock {
  let base = kstTime(day, startHms);
  const t0 = Date.now();
  return {
    now: () => base + (Date.now() - t0) * speed,
    setTimeout: (fn, ms) => setTimeout(fn, speed > 0 ? ms / speed : ms),
    clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
    jump: (ms) => {
      base += ms;
    },
  };
}

export async function withEmulator<T>(
  options: EmulatorOptions,
  body: (emu: EmulatorHandle) => Promise<T>,
): Promise<T> {
  const emu = await startEmulator(options);
  try {
    return await body(emu);
  } finally {
    await emu.close();
  }
}

export async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

export async function kisToken(emu: EmulatorHandle, appKey: string, appSecret: string): Promise<string> {
  const r = await post(`${emu.url}/oauth2/tokenP`, {
    grant_type: 'client_credentials',
    appkey: appKey,
    appsecret: appSecret,
  });
  if (r.status !== 200) throw new Error(`token: HTTP ${r.status} ${r.text}`);
  return JSON.parse(r.text).access_token as string;
}

export async function kisApproval(emu: EmulatorHandle, appKey: string, appSecret: string): Promise<string> {
  const r = await post(`${emu.url}/oauth2/Approval`, {
    grant_type: 'client_credentials',
    appkey: appKey,
    secretkey: appSecret,
  });
  if (r.status !== 200) throw new Error(`approval: HTTP ${r.status} ${r.text}`);
  return JSON.parse(r.text).approval_key as string;
}

export async function kiwoomToken(emu: EmulatorHandle, appKey: string, secretKey: string): Promise<string> {
  const r = await post(`${emu.url}/oauth2/token`, {
    grant_type: 'client_credentials',
    appkey: appKey,
    secretkey: secretKey,
  });
  return JSON.parse(r.text).token as string;
}

export async function getJson(url: string): Promise<{ status: number; body: any }> {
  const res = await fetch(url);
  return { status: res.status, body: await res.json() };
}

/** A raw WebSocket client that keeps every text frame until a test takes it. */
export class RawWs {
  readonly socket: WebSocket;
  readonly frames: string[] = [];
  closed: Promise<number>;
  private waiters: (() => void)[] = [];

  private constructor(socket: WebSocket) {
    this.socket = socket;
    socket.on('message', (data) => {
      this.frames.push(data.toString());
      for (const w of this.waiters.splice(0)) w();
    });
    this.closed = new Promise((resolve) => socket.on('close', (code) => resolve(code)));
  }

  static open(url: string): Promise<RawWs> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url);
      const client = new RawWs(socket);
      socket.once('open', () => resolve(client));
      socket.once('error', reject);
      socket.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    });
  }

  send(value: unknown): void {
    this.socket.send(typeof value === 'string' ? value : JSON.stringify(value));
  }

  /** Removes and returns the first frame (already received or coming) that matches. */
  async next(match: (text: string) => boolean, timeoutMs = 10_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.frames.findIndex(match);
      if (i >= 0) return this.frames.splice(i, 1)[0];
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no matching frame within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Waits until some frame matches, leaving every frame in place. */
  async waitFor(match: (text: string) => boolean, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.frames.some(match)) {
      if (Date.now() > deadline) throw new Error(`no matching frame within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Removes and returns every frame received so far that matches. */
  take(match: (text: string) => boolean): string[] {
    const out: string[] = [];
    for (let i = 0; i < this.frames.length;) {
      if (match(this.frames[i])) out.push(...this.frames.splice(i, 1));
      else i++;
    }
    return out;
  }

  close(): void {
    this.socket.close();
  }
}

export const isDataFrame = (t: string) => t.startsWith('0|');
export const kisSubscribe = (
  approvalKey: string,
  symbol: string,
  trType: '1' | '2' = '1',
  trId = 'H0STCNT0',
) => ({
  header: { approval_key: approvalKey, custtype: 'P', tr_type: trType, 'content-type': 'utf-8' },
  body: { input: { tr_id: trId, tr_key: symbol } },
});
export const controlFor = (symbol: string) => (t: string) =>
  t.startsWith('{') && t.includes('"msg_cd"') && JSON.parse(t).header?.tr_key === symbol;
