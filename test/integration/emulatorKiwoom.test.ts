// The emulator's Kiwoom dialect over raw fetch and `ws`: au10001 token, ka10080 pages (newest first,
// signed prices, cont-yn/next-key) that page back to the exact truth, HTTP 429 beyond the rate, and
// the WebSocket LOGIN / REG / REAL 0B / REMOVE / PING exchange, whose ticks match the KIS feed's.
import { describe, expect, it } from 'vitest';
import { MINUTE_MS, kstDay } from '../../machines/marketHours.ts';
import type { Bar } from '../../machines/types.ts';
import { decodeH0stcnt0Frame } from '../../runtime/brokers/kis/h0stcnt0Decode.ts';
import { decodeKiwoomMinuteChartResponse } from '../../runtime/brokers/kiwoom/minuteChart.ts';
import { decodeKiwoomServerMessage } from '../../runtime/brokers/kiwoom/ws.ts';
import type { EmulatorHandle } from '../../runtime/emulator/index.ts';
import {
  RawWs,
  controlFor,
  getJson,
  isDataFrame,
  kisApproval,
  kisSubscribe,
  kiwoomToken,
  post,
  testClock,
  withEmulator,
} from './emulatorHarness.ts';

function chart(emu: EmulatorHandle, token: string, symbol: string, nextKey?: string, apiId = 'ka10080') {
  return post(
    `${emu.url}/api/dostk/chart`,
    { stk_cd: symbol, tic_scope: '1', upd_stkpc_tp: '1' },
    {
      'content-type': 'application/json;charset=UTF-8',
      'api-id': apiId,
      authorization: `Bearer ${token}`,
      'cont-yn': nextKey ? 'Y' : 'N',
      'next-key': nextKey ?? '',
    },
  );
}

describe('broker emulator: Kiwoom REST', () => {
  it('issues au10001 tokens and pages ka10080 back to the exact truth through cont-yn / next-key', async () => {
    const clock = testClock(1);
    await withEmulator({ symbols: 3, clock, historyMinutes: 70, kiwoomBarsPerPage: 25 }, async (emu) => {
      const tokenReply = await post(`${emu.url}/oauth2/token`, {
        grant_type: 'client_credentials',
        appkey: 'KW-KEY',
        secretkey: 'KW-SECRET',
      });
      const body = JSON.parse(tokenReply.text);
      expect(body).toMatchObject({ token_type: 'bearer', return_code: 0 });
      expect(body.expires_dt).toMatch(/^\d{14}$/);
      const asOf = clock.now();
      const bars = new Map<number, Bar>();
      let nextKey: string | undefined;
      let pages = 0;
      do {
        const r = await chart(emu, body.token, '005930', nextKey);
        expect(r.status).toBe(200);
        expect(r.headers.get('api-id')).toBe('ka10080');
        const rows = JSON.parse(r.text).stk_min_pole_chart_qry;
        expect(rows[0].cur_prc).toMatch(/^[+-]?\d+$/);
        const page = decodeKiwoomMinuteChartResponse(r.text, Object.fromEntries(r.headers));
        if (!page.ok) throw new Error(page.error.reason);
        expect(page.value.bars.length).toBeLessThanOrEqual(25);
        for (const b of page.value.bars) if (!bars.has(b.minute)) bars.set(b.minute, b);
        nextKey = page.value.more ? page.value.nextKey : undefined;
        pages++;
      } while (nextKey && pages < 10);
      expect(pages).toBeGreaterThanOrEqual(3);
      const truth = (await getJson(`${emu.url}/_emulator/truth/bars?symbol=005930`)).body as any[];
      const completed = truth.filter((b) => Date.parse(b.minute) + MINUTE_MS <= asOf - 5_000);
      expect(completed.length).toBeGreaterThanOrEqual(60);
      for (const t of completed) {
        const minute = Date.parse(t.minute);
        const { open, high, low, close, volume } = t;
        expect(bars.get(minute)).toEqual({ symbol: '005930', minute, open, high, low, close, volume });
      }
    });
  });

  it('answers beyond 5 per second per app key with HTTP 429 return_code 5, and bad input without crashing', async () => {
    await withEmulator({ symbols: 2, clock: testClock(0), historyMinutes: 5 }, async (emu) => {
      const token = await kiwoomToken(emu, 'KW-KEY', 'KW-SECRET');
      const burst = await Promise.all(Array.from({ length: 8 }, () => chart(emu, token, '005930')));
      const limited = burst.filter((r) => r.status === 429);
      expect(limited).toHaveLength(3);
      expect(JSON.parse(limited[0].text)).toMatchObject({
        return_code: 5,
        return_msg: expect.stringContaining('[1700:'),
      });
      const stats = (await getJson(`${emu.url}/_emulator/stats`)).body;
      expect(stats.appKeys['KW-KEY']).toEqual({ requests: 8, rejections: 3, maxRequestsInAnySecond: 8 });

      const invalid = await chart(emu, 'bogus', '005930');
      expect(JSON.parse(invalid.text)).toMatchObject({
        return_code: 3,
        return_msg: expect.stringContaining('8005'),
      });
      const wrongApi = await chart(emu, token, '005930', undefined, 'ka10081');
      expect(JSON.parse(wrongApi.text).return_code).not.toBe(0);
      const truncated = await post(`${emu.url}/oauth2/token`, '{"grant_type":"client_cre');
      expect(truncated.status).toBe(200);
      expect(JSON.parse(truncated.text).return_code).not.toBe(0);
      expect((await getJson(`${emu.url}/_emulator/health`)).body.ok).toBe(true);
    });
  });
});

describe('broker emulator: Kiwoom WebSocket', () => {
  it('LOGIN, REG 0B, REAL pushes equal to the KIS feed of the same symbol, REMOVE, PING', async () => {
    const clock = testClock(5);
    await withEmulator(
      { symbols: 3, clock, tickIntervalMs: 200, pingIntervalMs: 500, historyMinutes: 5 },
      async (emu) => {
        const token = await kiwoomToken(emu, 'KW-KEY', 'KW-SECRET');
        const kiwoom = await RawWs.open(`${emu.wsUrl}/api/dostk/websocket`);
        kiwoom.send({ trnm: 'REG', grp_no: '1', refresh: '1', data: [{ item: ['005930'], type: ['0B'] }] });
        expect(JSON.parse(await kiwoom.next((t) => t.includes('"REG"'))).return_code).not.toBe(0);
        kiwoom.send({ trnm: 'LOGIN', token });
        expect(JSON.parse(await kiwoom.next((t) => t.includes('"LOGIN"')))).toMatchObject({ return_code: 0 });
        const kis = await RawWs.open(emu.wsUrl);
        const approval = await kisApproval(emu, 'KIS-KEY', 'KIS-SECRET');
        // Both feeds start between the same two pump steps, so they carry the same trades.
        kiwoom.send({ trnm: 'REG', grp_no: '1', refresh: '1', data: [{ item: ['005930'], type: ['0B'] }] });
        kis.send(kisSubscribe(approval, '005930'));
        expect(JSON.parse(await kiwoom.next((t) => t.includes('"REG"'))).return_code).toBe(0);
        await kis.next(controlFor('005930'));
        const ping = await kiwoom.next((t) => t.includes('"PING"'));
        kiwoom.send(ping);
        await new Promise((r) => setTimeout(r, 1_500));
        kiwoom.send({ trnm: 'REMOVE', grp_no: '1', data: [{ item: ['005930'], type: ['0B'] }] });
        kis.send(kisSubscribe(approval, '005930', '2'));
        expect(JSON.parse(await kiwoom.next((t) => t.includes('"REMOVE"'))).return_code).toBe(0);
        await kis.next(controlFor('005930'));

        const day = kstDay(clock.now());
        const fromKiwoom = kiwoom
          .take((t) => t.includes('"REAL"'))
          .flatMap((m) => {
            const decoded = decodeKiwoomServerMessage(m, { day });
            if (decoded.kind !== 'ticks') throw new Error(JSON.stringify(decoded));
            return decoded.batches.flatMap((b) =>
              b.cumVolume.map((c, i) => [c, b.price[i], b.volume[i], b.ts[i]]),
            );
          });
        const fromKis = kis
          .take(isDataFrame)
          .flatMap((f) =>
            decodeH0stcnt0Frame(f).batches.flatMap((b) =>
              b.cumVolume.map((c, i) => [c, b.price[i], b.volume[i], b.ts[i]]),
            ),
          );
        expect(fromKiwoom.length).toBeGreaterThan(10);
        const common = new Set(fromKis.map((t) => t[0]));
        const overlap = fromKiwoom.filter((t) => common.has(t[0]));
        expect(overlap.length).toBeGreaterThan(fromKiwoom.length * 0.8);
        const kisByCum = new Map(fromKis.map((t) => [t[0], t]));
        for (const t of overlap) expect(t).toEqual(kisByCum.get(t[0]));
        kiwoom.close();
        kis.close();
      },
    );
  });

  it('refuses a LOGIN with an unknown token and closes; a second LOGIN of the app key ends the first with R10001', async () => {
    await withEmulator({ symbols: 2, clock: testClock(1), historyMinutes: 1 }, async (emu) => {
      const bad = await RawWs.open(`${emu.wsUrl}/api/dostk/websocket`);
      bad.send({ trnm: 'LOGIN', token: 'nope' });
      const refused = JSON.parse(await bad.next((t) => t.includes('"LOGIN"')));
      expect(refused.return_code).not.toBe(0);
      expect(refused.return_msg).toContain('CODE=8005');
      await bad.closed;

      const token = await kiwoomToken(emu, 'KW-KEY', 'KW-SECRET');
      const first = await RawWs.open(`${emu.wsUrl}/api/dostk/websocket`);
      first.send({ trnm: 'LOGIN', token });
      await first.next((t) => t.includes('"LOGIN"'));
      const second = await RawWs.open(`${emu.wsUrl}/api/dostk/websocket`);
      second.send({ trnm: 'LOGIN', token });
      expect(JSON.parse(await second.next((t) => t.includes('"LOGIN"'))).return_code).toBe(0);
      expect(JSON.parse(await first.next((t) => t.includes('SYSTEM')))).toMatchObject({
        trnm: 'SYSTEM',
        code: 'R10001',
      });
      await first.closed;
      second.close();
    });
  });
});
