// Token caching of the live broker clients: one issue shared by concurrent callers and by every client
// of the process, reuse until near expiry, the KIS 1-per-minute throttle (HTTP 403 EGW00133) honoured
// without hammering, and a 0600 token file that a restarted process reuses.
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isTgError, TgError } from '../../machines/errors.ts';
import { kstTime, MINUTE_MS } from '../../machines/marketHours.ts';
import type { Clock } from '../../ports/clock.ts';
import { createBrokerPorts, TokenRegistry } from '../../runtime/brokers/index.ts';
import { encodeKisApprovalResponse, encodeKisTokenResponse } from '../../runtime/brokers/kis/auth.ts';
import { encodeKisMinuteBarsResponse } from '../../runtime/brokers/kis/minuteBars.ts';
import { kisTokenThrottledResponse } from '../../runtime/brokers/kis/restRejections.ts';
import { encodeKiwoomTokenResponse } from '../../runtime/brokers/kiwoom/auth.ts';
import { encodeKiwoomMinuteChartResponse } from '../../runtime/brokers/kiwoom/minuteChart.ts';
import { TokenCache } from '../../runtime/brokers/tokenCache.ts';
import { APP_KEY, SECRET, startHttp, type HttpScript, type TestHttpServer } from './brokerClientHarness.ts';

const DAY = '20260302';

function manualClock(start: number): Clock & { set(t: number): void } {
  let t = start;
  return {
    now: () => t,
    set: (v) => (t = v),
    setTimeout: (fn, ms) => setTimeout(fn, ms),
    clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
  };
}

let cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

async function server(script: HttpScript): Promise<TestHttpServer> {
  const s = await startHttp(script);
  cleanups.push(() => s.close());
  return s;
}

/** A KIS that issues `tok-N` valid for a day, throttles re-issue within a minute, and serves bars. */
function kisServer(clock: Clock) {
  let issued = 0;
  let lastIssue = -Infinity;
  const script: HttpScript = (req) => {
    if (req.path === '/oauth2/tokenP') {
      if (clock.now() - lastIssue < 60_000) {
        const r = kisTokenThrottledResponse();
        return { status: r.status, body: r.body };
      }
      lastIssue = clock.now();
      issued++;
      return {
        status: 200,
        body: encodeKisTokenResponse({ accessToken: `tok-${issued}`, expiresAt: clock.now() + 86_400_000 }),
      };
    }
    if (req.path === '/oauth2/Approval') return { status: 200, body: encodeKisApprovalResponse('approval') };
    return { status: 200, body: encodeKisMinuteBarsResponse([]) };
  };
  return { script, issued: () => issued };
}

function kisPorts(url: string, clock: Clock, tokens: TokenRegistry, tokenFile?: string) {
  return createBrokerPorts({
    broker: 'kis',
    restUrl: url,
    wsUrl: 'ws://127.0.0.1:1',
    appKey: APP_KEY,
    appSecret: SECRET,
    clock,
    tokens,
    tokenFile,
  });
}

async function tgError(p: Promise<unknown>): Promise<TgError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  if (!isTgError(e)) throw new Error(`expected a TgError, got ${String(e)}`);
  return e;
}

describe('KIS access token', () => {
  it('concurrent requests share one issue, and a second client of the process reuses it', async () => {
    const clock = manualClock(kstTime(DAY, '10:00'));
    const kis = kisServer(clock);
    const s = await server(kis.script);
    const tokens = new TokenRegistry();
    const a = kisPorts(s.url, clock, tokens);
    await Promise.all(Array.from({ length: 6 }, () => a.rest.minuteBars('005930', clock.now())));
    const b = kisPorts(s.url, clock, tokens);
    await b.rest.minuteBars('000660', clock.now());
    expect(kis.issued()).toBe(1);
    expect(s.requests.filter((r) => r.path === '/oauth2/tokenP')).toHaveLength(1);
    expect(a.stats().tokenIssues).toBe(1);
  });

  it('is reused until near expiry, then issued anew', async () => {
    const clock = manualClock(kstTime(DAY, '08:00'));
    const kis = kisServer(clock);
    const s = await server(kis.script);
    const ports = kisPorts(s.url, clock, new TokenRegistry());
    await ports.rest.minuteBars('005930', clock.now());
    clock.set(clock.now() + 23 * 3600_000);
    await ports.rest.minuteBars('005930', clock.now());
    expect(kis.issued()).toBe(1);
    clock.set(clock.now() + 55 * MINUTE_MS);
    await ports.rest.minuteBars('005930', clock.now());
    expect(kis.issued()).toBe(2);
    const auths = s.requests.filter((r) => r.path.startsWith('/uapi/')).map((r) => r.headers.authorization);
    expect(auths).toEqual(['Bearer tok-1', 'Bearer tok-1', 'Bearer tok-2']);
  });

  it('HTTP 403 EGW00133 is a rejection with retryAfterMs, and nothing is asked again during the cool-down', async () => {
    const clock = manualClock(kstTime(DAY, '10:00'));
    const s = await server((req) => {
      if (req.path === '/oauth2/tokenP') {
        const r = kisTokenThrottledResponse();
        return { status: r.status, body: r.body };
      }
      return { status: 500, body: '{}' };
    });
    const ports = kisPorts(s.url, clock, new TokenRegistry());
    const first = await tgError(ports.rest.minuteBars('005930', clock.now()));
    expect(first.code).toBe('TG_ERR_BROKER_REJECTED');
    expect(first.details).toMatchObject({ status: 403, msgCd: 'EGW00133', retryAfterMs: 60_000 });
    clock.set(clock.now() + 20_000);
    const again = await Promise.all(
      [1, 2, 3].map(() => tgError(ports.rest.minuteBars('005930', clock.now()))),
    );
    for (const e of again) {
      expect(e.code).toBe('TG_ERR_BROKER_REJECTED');
      expect(e.details.retryAfterMs).toBe(40_000);
    }
    expect(s.requests.filter((r) => r.path === '/oauth2/tokenP')).toHaveLength(1);
    clock.set(clock.now() + 40_000);
    await tgError(ports.rest.minuteBars('005930', clock.now()));
    expect(s.requests.filter((r) => r.path === '/oauth2/tokenP')).toHaveLength(2);
  });
});

describe('token file', () => {
  async function tempFile() {
    const dir = await mkdtemp(join(tmpdir(), 'tg-token-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    return join(dir, 'sub', 'tokens.json');
  }

  it('a restarted process reuses the token from a 0600 file that holds no app key or secret', async () => {
    const clock = manualClock(kstTime(DAY, '10:00'));
    const kis = kisServer(clock);
    const s = await server(kis.script);
    const file = await tempFile();
    await kisPorts(s.url, clock, new TokenRegistry(), file).rest.minuteBars('005930', clock.now());
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const text = await readFile(file, 'utf8');
    expect(text).not.toContain(APP_KEY);
    expect(text).not.toContain(SECRET);
    clock.set(clock.now() + 5 * 60_000);
    await kisPorts(s.url, clock, new TokenRegistry(), file).rest.minuteBars('005930', clock.now());
    expect(kis.issued()).toBe(1);
  });

  it('a throttled issue takes the token another process just wrote', async () => {
    const clock = manualClock(kstTime(DAY, '10:00'));
    const file = await tempFile();
    const common = { name: 'kis access token', clock, file, fingerprint: 'same-credentials' };
    let bIssues = 0;
    const throttled = new TgError('TG_ERR_BROKER_REJECTED', 'throttled', {
      status: 403,
      retryAfterMs: 60_000,
    });
    // Process B looked at the (empty) file and failed to issue; meanwhile process A issued and saved.
    const b = new TokenCache({
      ...common,
      issue: async () => {
        bIssues++;
        throw bIssues === 1 ? new TgError('TG_ERR_BROKER_DOWN', 'down') : throttled;
      },
    });
    await expect(b.get()).rejects.toThrow('down');
    const a = new TokenCache({
      ...common,
      issue: async () => ({ value: 'from-a', expiresAt: clock.now() + 86_400_000 }),
    });
    expect(await a.get()).toBe('from-a');
    expect(await b.get()).toBe('from-a');
    expect(bIssues).toBe(2);
  });

  it('a token file with garbage is ignored, not fatal', async () => {
    const clock = manualClock(kstTime(DAY, '10:00'));
    const kis = kisServer(clock);
    const s = await server(kis.script);
    const file = await tempFile();
    await kisPorts(s.url, clock, new TokenRegistry(), file).rest.minuteBars('005930', clock.now());
    await writeFile(file, '{"entries": [truncated');
    clock.set(clock.now() + 2 * 60_000);
    await kisPorts(s.url, clock, new TokenRegistry(), file).rest.minuteBars('005930', clock.now());
    expect(kis.issued()).toBe(2);
  });
});

describe('Kiwoom token', () => {
  it('is issued once for REST pages of many requests, and refreshed once on 8005', async () => {
    const clock = manualClock(kstTime(DAY, '10:00'));
    let issued = 0;
    let refused = false;
    const s = await server((req) => {
      if (req.path === '/oauth2/token') {
        issued++;
        return {
          status: 200,
          body: encodeKiwoomTokenResponse({ token: `kw-${issued}`, expiresAt: clock.now() + 86_400_000 }),
        };
      }
      if (issued === 1 && s.requests.length > 4 && !refused) {
        refused = true;
        return {
          status: 200,
          body: JSON.stringify({
            return_code: 3,
            return_msg: '인증에 실패했습니다[8005:Token이 유효하지 않습니다]',
          }),
        };
      }
      const r = encodeKiwoomMinuteChartResponse([], { symbol: '005930' });
      return { status: 200, headers: r.headers, body: r.body };
    });
    const ports = createBrokerPorts({
      broker: 'kiwoom',
      restUrl: s.url,
      wsUrl: 'ws://127.0.0.1:1',
      appKey: APP_KEY,
      appSecret: SECRET,
      clock,
      tokens: new TokenRegistry(),
    });
    for (let i = 0; i < 6; i++) await ports.rest.minuteBars('005930', clock.now());
    expect(refused).toBe(true);
    expect(issued).toBe(2);
  });
});

describe('TokenCache', () => {
  it('an issue failure is shared by the callers that waited on it and the next get() tries again', async () => {
    const clock = manualClock(0);
    let calls = 0;
    const cache = new TokenCache({
      name: 'test token',
      clock,
      issue: async () => {
        calls++;
        if (calls === 1) throw new TgError('TG_ERR_BROKER_DOWN', 'down');
        return { value: 'v', expiresAt: 86_400_000 };
      },
    });
    const results = await Promise.allSettled([cache.get(), cache.get(), cache.get()]);
    expect(results.every((r) => r.status === 'rejected')).toBe(true);
    expect(await cache.get()).toBe('v');
    expect(calls).toBe(2);
  });
});
