// The emulator's KIS REST dialect over raw fetch: token throttle (403 EGW00133), approval keys, auth
// refusals, 30-bar pages newest first that page back to the exact truth, the current-minute quirk,
// and the per-app-key rate limit (HTTP 500 EGW00201) with its statistics.
import { describe, expect, it } from 'vitest';
import { MINUTE_MS, minuteOf } from '../../machines/marketHours.ts';
import type { Bar } from '../../machines/types.ts';
import { decodeKisMinuteBarsResponse } from '../../runtime/brokers/kis/minuteBars.ts';
import { kstHms } from '../../runtime/brokers/kis/wire.ts';
import type { EmulatorHandle } from '../../runtime/emulator/index.ts';
import { getJson, kisApproval, kisToken, post, testClock, withEmulator } from './emulatorHarness.ts';
import { emulatorTruthBars } from '../infra/emulatorTruth.ts';

const PATH = '/uapi/domestic-stock/v1/quotations/inquire-time-itemchartprice';

async function minuteBars(
  emu: EmulatorHandle,
  auth: { token: string; appKey: string; appSecret: string; trId?: string },
  symbol: string,
  hhmmss: string,
) {
  const q = new URLSearchParams({
    FID_COND_MRKT_DIV_CODE: 'J',
    FID_INPUT_ISCD: symbol,
    FID_INPUT_HOUR_1: hhmmss,
    FID_PW_DATA_INCU_YN: 'Y',
    FID_ETC_CLS_CODE: '',
  });
  const res = await fetch(`${emu.url}${PATH}?${q}`, {
    headers: {
      'content-type': 'application/json; charset=utf-8',
      authorization: `Bearer ${auth.token}`,
      appkey: auth.appKey,
      appsecret: auth.appSecret,
      tr_id: auth.trId ?? 'FHKST03010200',
      custtype: 'P',
    },
  });
  return { status: res.status, text: await res.text() };
}

const truthOf = async (emu: EmulatorHandle, symbol: string): Promise<Bar[]> =>
  (await emulatorTruthBars(emu.url, symbol)).map((b) => ({ ...b, symbol }));

describe('broker emulator: KIS auth', () => {
  it('issues one token per app key per minute; a second request is 403 EGW00133; after a minute the same token comes back', async () => {
    const clock = testClock(0);
    await withEmulator({ symbols: 2, clock, historyMinutes: 5 }, async (emu) => {
      const body = { grant_type: 'client_credentials', appkey: 'KEY-A', appsecret: 'SECRET-A' };
      const first = await post(`${emu.url}/oauth2/tokenP`, body);
      expect(first.status).toBe(200);
      const token = JSON.parse(first.text);
      expect(token).toMatchObject({ token_type: 'Bearer', expires_in: 86400 });
      expect(token.access_token).toMatch(/^eyJ/);
      expect(token.access_token_token_expired).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);

      const again = await post(`${emu.url}/oauth2/tokenP`, body);
      expect(again.status).toBe(403);
      expect(JSON.parse(again.text)).toEqual({
        error_code: 'EGW00133',
        error_description: '접근토큰 발급 잠시 후 다시 시도하세요(1분당 1회)',
      });
      // Another app key is not throttled by the first one.
      expect((await post(`${emu.url}/oauth2/tokenP`, { ...body, appkey: 'KEY-B' })).status).toBe(200);

      clock.jump(60_000);
      const later = await post(`${emu.url}/oauth2/tokenP`, body);
      expect(later.status).toBe(200);
      expect(JSON.parse(later.text).access_token).toBe(token.access_token);
    });
  });

  it('approval keys come from /oauth2/Approval with secretkey; bad bodies get error_code refusals', async () => {
    await withEmulator({ symbols: 2, clock: testClock(0), historyMinutes: 5 }, async (emu) => {
      const approval = await post(`${emu.url}/oauth2/Approval`, {
        grant_type: 'client_credentials',
        appkey: 'KEY-A',
        secretkey: 'SECRET-A',
      });
      expect(approval.status).toBe(200);
      expect(Object.keys(JSON.parse(approval.text))).toEqual(['approval_key']);
      expect(JSON.parse(approval.text).approval_key).toHaveLength(286);

      const truncated = await post(`${emu.url}/oauth2/tokenP`, '{"grant_type":"client_credentials","appk');
      expect(truncated.status).toBe(403);
      expect(JSON.parse(truncated.text).error_code).toMatch(/^EGW00/);
      const wrongSecret = await post(`${emu.url}/oauth2/tokenP`, {
        grant_type: 'client_credentials',
        appkey: 'KEY-A',
        appsecret: 'OTHER',
      });
      expect(JSON.parse(wrongSecret.text).error_code).toBe('EGW00105');
      expect((await getJson(`${emu.url}/_emulator/health`)).body.ok).toBe(true);
    });
  });

  it('quotation calls check the bearer token, app key, secret and tr_id with KIS error bodies', async () => {
    await withEmulator({ symbols: 2, clock: testClock(0), historyMinutes: 5 }, async (emu) => {
      const token = await kisToken(emu, 'KEY-A', 'SECRET-A');
      const ok = { token, appKey: 'KEY-A', appSecret: 'SECRET-A' };
      const code = async (auth: typeof ok & { trId?: string }) => {
        const r = await minuteBars(emu, auth, '005930', '120000');
        return [r.status, JSON.parse(r.text).msg_cd];
      };
      expect(await code(ok)).toEqual([200, 'MCA00000']);
      expect(await code({ ...ok, token: 'not-a-token' })).toEqual([500, 'EGW00123']);
      expect(await code({ ...ok, appSecret: 'WRONG' })).toEqual([500, 'EGW00105']);
      expect(await code({ ...ok, trId: 'FHKST01010100' })).toEqual([500, 'OPSQ0002']);
      const badSymbol = await minuteBars(emu, ok, '12', '120000');
      expect(JSON.parse(badSymbol.text)).toMatchObject({
        rt_cd: '1',
        msg1: expect.stringContaining('FID_INPUT_ISCD'),
      });
    });
  });
});

describe('broker emulator: KIS minute bars', () => {
  it('pages of 30 bars, newest first, paged back by time, reproduce the truth bars exactly', async () => {
    const clock = testClock(1);
    await withEmulator({ symbols: 3, seed: 7, clock, historyMinutes: 75 }, async (emu) => {
      const token = await kisToken(emu, 'KEY-A', 'SECRET-A');
      const auth = { token, appKey: 'KEY-A', appSecret: 'SECRET-A' };
      const symbol = '000660';
      const asOf = clock.now();
      const collected = new Map<number, Bar>();
      let hour = '235959';
      let pages = 0;
      for (;;) {
        const r = await minuteBars(emu, auth, symbol, hour);
        expect(r.status).toBe(200);
        const body = JSON.parse(r.text);
        expect(body.output2.every((row: any) => Object.values(row).every((v) => typeof v === 'string'))).toBe(
          true,
        );
        const decoded = decodeKisMinuteBarsResponse(r.text, symbol);
        if (!decoded.ok) throw new Error(decoded.error.reason);
        const bars = decoded.value.bars;
        expect(body.output2).toHaveLength(bars.length);
        expect(bars.map((b) => b.minute)).toEqual([...bars.map((b) => b.minute)].sort((a, b) => b - a));
        pages++;
        if (bars.length === 0) break;
        expect(bars.length).toBeLessThanOrEqual(30);
        for (const b of bars) if (!collected.has(b.minute)) collected.set(b.minute, b);
        if (bars.length < 30) break;
        hour = kstHms(bars[bars.length - 1].minute - MINUTE_MS);
      }
      expect(pages).toBeGreaterThanOrEqual(3);
      const truth = await truthOf(emu, symbol);
      expect(truth.length).toBeGreaterThanOrEqual(70);
      const completed = [...collected.values()].filter((b) => b.minute + MINUTE_MS <= asOf - 5_000);
      const truthByMinute = new Map(truth.map((b) => [b.minute, b]));
      for (const bar of completed) expect(bar).toEqual(truthByMinute.get(bar.minute));
      // Every completed truth minute came back through REST.
      expect(
        truth.filter((b) => b.minute + MINUTE_MS <= asOf - 5_000).every((b) => collected.has(b.minute)),
      ).toBe(true);
    });
  });

  it('lists the current minute before its first trade with the last price and the previous minute volume', async () => {
    const clock = testClock(0, '12:00:00');
    // The least traded symbol of the market: no trade in the first millisecond of a minute.
    await withEmulator({ symbols: ['005930', '000040'], clock, historyMinutes: 600 }, async (emu) => {
      clock.jump(1);
      const token = await kisToken(emu, 'KEY-A', 'SECRET-A');
      const r = await minuteBars(emu, { token, appKey: 'KEY-A', appSecret: 'SECRET-A' }, '000040', '120000');
      const rows = JSON.parse(r.text).output2;
      const truth = await truthOf(emu, '000040');
      const last = truth[truth.length - 1];
      expect(rows[0].stck_cntg_hour).toBe('120000');
      expect(rows[0].stck_prpr).toBe(String(last.close));
      expect(rows[0].cntg_vol).toBe(String(last.volume));
      expect(rows[1].stck_cntg_hour).toBe(kstHms(last.minute));
      expect(minuteOf(clock.now())).toBeGreaterThan(last.minute);
    });
  });

  it('rejects requests beyond 20 per second per app key with HTTP 500 EGW00201 and reports the peak', async () => {
    const clock = testClock(0);
    await withEmulator({ symbols: 2, clock, historyMinutes: 5 }, async (emu) => {
      const token = await kisToken(emu, 'KEY-A', 'SECRET-A');
      const auth = { token, appKey: 'KEY-A', appSecret: 'SECRET-A' };
      const burst = await Promise.all(
        Array.from({ length: 30 }, () => minuteBars(emu, auth, '005930', '120000')),
      );
      const rejected = burst.filter((r) => r.status === 500);
      expect(burst.filter((r) => r.status === 200)).toHaveLength(20);
      expect(rejected).toHaveLength(10);
      expect(JSON.parse(rejected[0].text)).toEqual({
        rt_cd: '1',
        msg_cd: 'EGW00201',
        msg1: '초당 거래건수를 초과하였습니다.',
      });
      clock.jump(1000);
      expect((await minuteBars(emu, auth, '005930', '120000')).status).toBe(200);
      const stats = (await getJson(`${emu.url}/_emulator/stats`)).body;
      expect(stats.appKeys['KEY-A']).toEqual({ requests: 31, rejections: 10, maxRequestsInAnySecond: 30 });
    });
  });

  it('honours --rate-limit: 2 per second admits two of five', async () => {
    await withEmulator({ symbols: 2, clock: testClock(0), rateLimitPerSec: 2 }, async (emu) => {
      const approval = await kisApproval(emu, 'KEY-P', 'SECRET-P');
      expect(approval).toHaveLength(286);
      const token = await kisToken(emu, 'KEY-P', 'SECRET-P');
      const auth = { token, appKey: 'KEY-P', appSecret: 'SECRET-P' };
      const burst = await Promise.all(
        Array.from({ length: 5 }, () => minuteBars(emu, auth, '005930', '120000')),
      );
      expect(burst.map((r) => r.status).sort()).toEqual([200, 200, 500, 500, 500]);
    });
  });
});
