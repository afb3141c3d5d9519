// Live broker REST clients against a scripted local HTTP server: the KIS minute-bar query, decoding,
// exhaustion and token refresh; Kiwoom ka10080 cont-yn/next-key paging and its rejections.
import { describe, expect, it } from 'vitest';
import { kstTime, MINUTE_MS } from '../../machines/marketHours.ts';
import { createBrokerPorts, TokenRegistry } from '../../runtime/brokers/index.ts';
import { encodeKisTokenResponse } from '../../runtime/brokers/kis/auth.ts';
import { encodeKisMinuteBarsResponse } from '../../runtime/brokers/kis/minuteBars.ts';
import { KIS_EXPIRED_TOKEN_BODY, KIS_RATE_LIMIT_BODY } from '../../runtime/brokers/kis/restRejections.ts';
import { encodeKiwoomTokenResponse } from '../../runtime/brokers/kiwoom/auth.ts';
import { encodeKiwoomMinuteChartResponse } from '../../runtime/brokers/kiwoom/minuteChart.ts';
import { kiwoomRateLimitBody } from '../../runtime/brokers/kiwoom/restRejections.ts';
import type { HttpScript } from './brokerClientHarness.ts';
import {
  APP_KEY,
  barsEndingAt,
  DAY,
  fixedClock,
  kis,
  kisAuthRoutes,
  NOW,
  rejection,
  SECRET,
  useServers,
} from './brokerClientRestFixtures.ts';

const server = useServers();

describe('KIS minuteBars', () => {
  it('asks for the KST minute containing beforeOrAt and decodes the bars newest first', async () => {
    const target = kstTime(DAY, '10:29:45');
    const truth = barsEndingAt('005930', kstTime(DAY, '10:29'), 30);
    const s = await server((req) =>
      req.path.startsWith('/uapi/')
        ? { status: 200, body: encodeKisMinuteBarsResponse(truth) }
        : kisAuthRoutes(req, undefined as never),
    );
    const page = await kis(s.url).rest.minuteBars('005930', target);
    const q = s.requests.find((r) => r.path.startsWith('/uapi/'))!;
    expect(q.query.get('FID_INPUT_HOUR_1')).toBe('102900');
    expect(q.query.get('FID_INPUT_ISCD')).toBe('005930');
    expect(q.headers.tr_id).toBe('FHKST03010200');
    expect(q.headers.authorization).toBe('Bearer tok-1');
    expect(page.bars).toEqual(truth);
    expect(page.exhausted).toBe(false);
  });

  it('is exhausted with fewer than 30 bars, or when the page reaches the 09:00 session start', async () => {
    const short = barsEndingAt('005930', kstTime(DAY, '10:29'), 12);
    const fromOpen = barsEndingAt('005930', kstTime(DAY, '09:29'), 30);
    let reply = short;
    const s = await server((req) =>
      req.path.startsWith('/uapi/')
        ? { status: 200, body: encodeKisMinuteBarsResponse(reply) }
        : kisAuthRoutes(req, undefined as never),
    );
    const ports = kis(s.url);
    expect((await ports.rest.minuteBars('005930', kstTime(DAY, '10:29'))).exhausted).toBe(true);
    reply = fromOpen;
    const page = await ports.rest.minuteBars('005930', kstTime(DAY, '09:29'));
    expect(page.bars).toHaveLength(30);
    expect(page.exhausted).toBe(true);
  });

  it('a minute of an earlier day is exhausted without a request (the endpoint serves today only)', async () => {
    const s = await server(kisAuthRoutes);
    const page = await kis(s.url).rest.minuteBars('005930', kstTime('20260227', '14:00'));
    expect(page).toEqual({ bars: [], exhausted: true });
    expect(s.requests).toHaveLength(0);
  });

  it.each([500, 200])(
    'EGW00201 with HTTP %i is TG_ERR_BROKER_REJECTED with retryAfterMs, status and msgCd',
    async (status) => {
      const s = await server((req) =>
        req.path.startsWith('/uapi/')
          ? { status, body: KIS_RATE_LIMIT_BODY }
          : kisAuthRoutes(req, undefined as never),
      );
      const e = await rejection(kis(s.url).rest.minuteBars('005930', NOW));
      expect(e.code).toBe('TG_ERR_BROKER_REJECTED');
      expect(e.details).toMatchObject({ retryAfterMs: 1000, status, msgCd: 'EGW00201' });
    },
  );

  it('an expired token (EGW00123) is refreshed once and the request retried', async () => {
    let tokens = 0;
    let expiredOnce = false;
    const s = await server((req) => {
      if (req.path === '/oauth2/tokenP') {
        tokens++;
        return {
          status: 200,
          body: encodeKisTokenResponse({ accessToken: `tok-${tokens}`, expiresAt: NOW + 86_400_000 }),
        };
      }
      if (!expiredOnce) {
        expiredOnce = true;
        return { status: 500, body: KIS_EXPIRED_TOKEN_BODY };
      }
      return {
        status: 200,
        body: encodeKisMinuteBarsResponse(barsEndingAt('005930', kstTime(DAY, '10:59'), 30)),
      };
    });
    const page = await kis(s.url).rest.minuteBars('005930', NOW);
    expect(page.bars).toHaveLength(30);
    expect(tokens).toBe(2);
    const bars = s.requests.filter((r) => r.path.startsWith('/uapi/'));
    expect(bars.map((r) => r.headers.authorization)).toEqual(['Bearer tok-1', 'Bearer tok-2']);
  });

  it('a token that stays expired fails after one refresh instead of looping', async () => {
    const s = await server((req) =>
      req.path === '/oauth2/tokenP'
        ? {
            status: 200,
            body: encodeKisTokenResponse({
              accessToken: `tok-${req.body.length}`,
              expiresAt: NOW + 86_400_000,
            }),
          }
        : { status: 500, body: KIS_EXPIRED_TOKEN_BODY },
    );
    const e = await rejection(kis(s.url).rest.minuteBars('005930', NOW));
    expect(e.code).toBe('TG_ERR_BROKER_HTTP');
    expect(s.requests.filter((r) => r.path.startsWith('/uapi/'))).toHaveLength(2);
  });
});

describe('Kiwoom minuteBars (ka10080)', () => {
  const kiwoomToken = () => ({
    status: 200,
    body: encodeKiwoomTokenResponse({ token: 'kw-tok', expiresAt: NOW + 86_400_000 }),
  });

  /** Pages of `size` bars newest first from 10:59 back to 09:00; next-key is the page index. */
  function pagedChart(size: number): HttpScript {
    const all = barsEndingAt('005930', kstTime(DAY, '10:59'), 120);
    return (req) => {
      if (req.path === '/oauth2/token') return kiwoomToken();
      const index = req.headers['cont-yn'] === 'Y' ? Number(req.headers['next-key']) : 0;
      const rows = all.slice(index * size, (index + 1) * size);
      const more = (index + 1) * size < all.length;
      const r = encodeKiwoomMinuteChartResponse(rows, { symbol: '005930', more, nextKey: String(index + 1) });
      return { status: r.status, headers: r.headers, body: r.body };
    };
  }

  const kiwoom = (url: string) =>
    createBrokerPorts({
      broker: 'kiwoom',
      restUrl: url,
      wsUrl: 'ws://127.0.0.1:1',
      appKey: APP_KEY,
      appSecret: SECRET,
      clock: fixedClock,
      tokens: new TokenRegistry(),
    });

  it('follows cont-yn/next-key until it holds 30 bars at or before the asked minute', async () => {
    const s = await server(pagedChart(25));
    const target = kstTime(DAY, '09:45');
    let permits = 0;
    const permit = async () => {
      permits++;
    };
    const page = await kiwoom(s.url).rest.minuteBars('005930', target + 20_000, permit);
    expect(permits).toBe(4); // one rate-limit token per request after the first
    expect(page.bars).toHaveLength(30);
    expect(page.bars[0].minute).toBe(target);
    expect(page.bars[29].minute).toBe(target - 29 * MINUTE_MS);
    expect(page.exhausted).toBe(false);
    const chart = s.requests.filter((r) => r.path === '/api/dostk/chart');
    expect(chart.map((r) => [r.headers['cont-yn'], r.headers['next-key']])).toEqual([
      ['N', ''],
      ['Y', '1'],
      ['Y', '2'],
      ['Y', '3'],
      ['Y', '4'],
    ]);
    expect(chart[0].headers['api-id']).toBe('ka10080');
    expect(JSON.parse(chart[0].body)).toMatchObject({ stk_cd: '005930', tic_scope: '1' });
  });

  it('never sends a further page request without a permit (one token, one request)', async () => {
    const s = await server(pagedChart(25));
    const e = await rejection(kiwoom(s.url).rest.minuteBars('005930', kstTime(DAY, '09:45')));
    expect(e.code).toBe('TG_ERR_BROKER_HTTP');
    expect(e.message).toMatch(/no rate-limit permit/);
    expect(s.requests.filter((r) => r.path === '/api/dostk/chart')).toHaveLength(1);
  });

  it('waits for the permit before each further page and sends nothing while it waits', async () => {
    const s = await server(pagedChart(50));
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const pending = kiwoom(s.url).rest.minuteBars('005930', kstTime(DAY, '09:30'), () => gate);
    await new Promise((r) => setTimeout(r, 50));
    expect(s.requests.filter((r) => r.path === '/api/dostk/chart')).toHaveLength(1);
    release();
    const page = await pending;
    expect(page.bars[0].minute).toBe(kstTime(DAY, '09:30'));
    expect(s.requests.filter((r) => r.path === '/api/dostk/chart')).toHaveLength(3);
  });

  it('is exhausted when the last page is reached', async () => {
    const s = await server(pagedChart(50));
    const page = await kiwoom(s.url).rest.minuteBars('005930', kstTime(DAY, '09:10'), async () => {});
    expect(page.bars.map((b) => b.minute)).toEqual(
      Array.from({ length: 11 }, (_, i) => kstTime(DAY, '09:10') - i * MINUTE_MS),
    );
    expect(page.exhausted).toBe(true);
  });

  it('HTTP 429 is TG_ERR_BROKER_REJECTED with retryAfterMs and status', async () => {
    const s = await server((req) =>
      req.path === '/oauth2/token' ? kiwoomToken() : { status: 429, body: kiwoomRateLimitBody('ka10080') },
    );
    const e = await rejection(kiwoom(s.url).rest.minuteBars('005930', NOW));
    expect(e.code).toBe('TG_ERR_BROKER_REJECTED');
    expect(e.details).toMatchObject({ retryAfterMs: 1000, status: 429, msgCd: '1700' });
  });

  it('cont-yn Y without a next-key is an HTTP error, never a partial page', async () => {
    const s = await server((req) => {
      if (req.path === '/oauth2/token') return kiwoomToken();
      const r = encodeKiwoomMinuteChartResponse(barsEndingAt('005930', kstTime(DAY, '10:59'), 5), {
        symbol: '005930',
        more: true,
        nextKey: '',
      });
      return { status: 200, headers: r.headers, body: r.body };
    });
    const e = await rejection(kiwoom(s.url).rest.minuteBars('005930', kstTime(DAY, '09:30')));
    expect(e.code).toBe('TG_ERR_BROKER_HTTP');
  });
});
