// Shared fixtures of the broker REST client tests: credentials that must never leak, a clock pinned to
// a trading morning, synthetic bars, a scripted KIS auth server and a KIS client built on them.
import { afterEach } from 'vitest';
import { isTgError, type TgError } from '../../machines/errors.ts';
import { kstTime, MINUTE_MS } from '../../machines/marketHours.ts';
import type { Bar } from '../../machines/types.ts';
import type { Clock } from '../../ports/clock.ts';
import { createBrokerPorts, TokenRegistry } from '../../runtime/brokers/index.ts';
import { encodeKisApprovalResponse, encodeKisTokenResponse } from '../../runtime/brokers/kis/auth.ts';
import {
  APP_KEY,
  capturingLogger,
  SECRET,
  startHttp,
  type HttpScript,
  type TestHttpServer,
} from './brokerClientHarness.ts';

export { APP_KEY, SECRET };
export const DAY = '20260302';
export const NOW = kstTime(DAY, '11:00:30');

/** Real timers, but "now" pinned to a trading morning. */
export const fixedClock: Clock = {
  now: () => NOW,
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

export function barsEndingAt(symbol: string, last: number, n: number): Bar[] {
  return Array.from({ length: n }, (_, i) => {
    const minute = last - i * MINUTE_MS;
    const p = 70_000 + ((minute / MINUTE_MS) % 50) * 100;
    return { symbol, minute, open: p, high: p + 200, low: p - 100, close: p + 100, volume: 1000 + i };
  });
}

/** Servers started through the returned function are closed after each test. */
export function useServers(): (script: HttpScript) => Promise<TestHttpServer> {
  let servers: TestHttpServer[] = [];
  afterEach(async () => {
    await Promise.all(servers.map((s) => s.close()));
    servers = [];
  });
  return async (script) => {
    const s = await startHttp(script);
    servers.push(s);
    return s;
  };
}

export const kisAuthRoutes: HttpScript = (req) => {
  if (req.path === '/oauth2/tokenP')
    return {
      status: 200,
      body: encodeKisTokenResponse({ accessToken: 'tok-1', expiresAt: NOW + 86_400_000 }),
    };
  if (req.path === '/oauth2/Approval') return { status: 200, body: encodeKisApprovalResponse('approval-1') };
  return { status: 404, body: '{}' };
};

export function kis(
  url: string,
  extra: { requestTimeoutMs?: number; log?: ReturnType<typeof capturingLogger>['log'] } = {},
) {
  return createBrokerPorts({
    broker: 'kis',
    restUrl: url,
    wsUrl: 'ws://127.0.0.1:1',
    appKey: APP_KEY,
    appSecret: SECRET,
    clock: fixedClock,
    tokens: new TokenRegistry(),
    ...extra,
  });
}

export async function rejection(p: Promise<unknown>): Promise<TgError> {
  try {
    await p;
  } catch (e) {
    if (isTgError(e)) return e;
    throw new Error(`not a TgError: ${String(e)}`, { cause: e });
  }
  throw new Error('resolved');
}
