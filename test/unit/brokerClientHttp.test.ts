// Every way a broker REST reply can go wrong (HTML page, 5xx, truncated JSON, garbage, timeout, a
// body cut off or too large, nobody listening) surfacing as the port's coded error, never a secret.
import { describe, expect, it } from 'vitest';
import { encodeKisMinuteBarsResponse } from '../../runtime/brokers/kis/minuteBars.ts';
import { capturingLogger, startHttp, type HttpScript } from './brokerClientHarness.ts';
import {
  APP_KEY,
  barsEndingAt,
  kis,
  kisAuthRoutes,
  NOW,
  rejection,
  SECRET,
  useServers,
} from './brokerClientRestFixtures.ts';

const server = useServers();

describe('broken replies become coded errors', () => {
  const cases: [string, HttpScript, string][] = [
    [
      'an HTML error page',
      () => ({
        status: 502,
        headers: { 'content-type': 'text/html' },
        body: '<html><body>502 Bad Gateway</body></html>',
      }),
      'TG_ERR_BROKER_DOWN',
    ],
    [
      'an HTML page with HTTP 200',
      () => ({
        status: 200,
        headers: { 'content-type': 'text/html' },
        body: '<!DOCTYPE html><title>maintenance</title>',
      }),
      'TG_ERR_BROKER_DOWN',
    ],
    ['a 503 with an empty body', () => ({ status: 503, body: '' }), 'TG_ERR_BROKER_DOWN'],
    [
      'truncated JSON',
      () => ({ status: 200, body: encodeKisMinuteBarsResponse(barsEndingAt('005930', NOW, 5)).slice(0, 90) }),
      'TG_ERR_BROKER_HTTP',
    ],
    ['a JSON array', () => ({ status: 200, body: '[1,2,3]' }), 'TG_ERR_BROKER_HTTP'],
    [
      'a row with a broken field',
      () => ({
        status: 200,
        body: encodeKisMinuteBarsResponse(barsEndingAt('005930', NOW, 5)).replace(
          /"stck_hgpr":"\d+"/,
          '"stck_hgpr":"12x"',
        ),
      }),
      'TG_ERR_BROKER_HTTP',
    ],
    ['random bytes', () => ({ status: 200, body: '\u0000\u00ff\u0013garbage{{' }), 'TG_ERR_BROKER_HTTP'],
    [
      'a 400 with a broker message',
      () => ({
        status: 400,
        body: JSON.stringify({ rt_cd: '1', msg_cd: 'OPSQ2001', msg1: `bad input ${SECRET}` }),
      }),
      'TG_ERR_BROKER_HTTP',
    ],
  ];

  it.each(cases)('%s', async (_name, bars, code) => {
    const { log, lines } = capturingLogger();
    const s = await server((req, res) =>
      req.path.startsWith('/uapi/') ? bars(req, res) : kisAuthRoutes(req, res),
    );
    const e = await rejection(kis(s.url, { log }).rest.minuteBars('005930', NOW));
    expect(e.code).toBe(code);
    for (const text of [e.message, JSON.stringify(e.details), ...lines]) {
      expect(text).not.toContain(SECRET);
      expect(text).not.toContain(APP_KEY);
      expect(text).not.toContain('tok-1');
    }
  });

  it('no answer within requestTimeoutMs is TG_ERR_BROKER_DOWN', async () => {
    const s = await server((req, res) =>
      req.path.startsWith('/uapi/') ? 'handled' : kisAuthRoutes(req, res),
    );
    const e = await rejection(kis(s.url, { requestTimeoutMs: 150 }).rest.minuteBars('005930', NOW));
    expect(e.code).toBe('TG_ERR_BROKER_DOWN');
    expect(e.details.timeoutMs).toBe(150);
  });

  it('a body that stops half way (headers sent, then silence) is TG_ERR_BROKER_DOWN', async () => {
    const s = await server((req, res) => {
      if (!req.path.startsWith('/uapi/')) return kisAuthRoutes(req, res);
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '5000' });
      res.write('{"rt_cd":"0","output2":[');
      return 'handled';
    });
    const e = await rejection(kis(s.url, { requestTimeoutMs: 200 }).rest.minuteBars('005930', NOW));
    expect(e.code).toBe('TG_ERR_BROKER_DOWN');
  });

  it('a connection cut mid-body is TG_ERR_BROKER_DOWN, not a raw error', async () => {
    const s = await server((req, res) => {
      if (!req.path.startsWith('/uapi/')) return kisAuthRoutes(req, res);
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '5000' });
      res.write('{"rt_cd":"0","output2":[', () => res.socket?.destroy());
      return 'handled';
    });
    const e = await rejection(kis(s.url).rest.minuteBars('005930', NOW));
    expect(e.code).toBe('TG_ERR_BROKER_DOWN');
  });

  it('an oversized body is refused as TG_ERR_BROKER_HTTP', async () => {
    const huge = 'x'.repeat(5 * 1024 * 1024);
    const s = await server((req) =>
      req.path.startsWith('/uapi/') ? { status: 200, body: huge } : kisAuthRoutes(req, undefined as never),
    );
    const e = await rejection(kis(s.url).rest.minuteBars('005930', NOW));
    expect(e.code).toBe('TG_ERR_BROKER_HTTP');
  });

  it('an unreachable broker is TG_ERR_BROKER_DOWN', async () => {
    const s = await startHttp(kisAuthRoutes);
    const url = s.url;
    await s.close();
    const e = await rejection(kis(url).rest.minuteBars('005930', NOW));
    expect(e.code).toBe('TG_ERR_BROKER_DOWN');
  });
});
