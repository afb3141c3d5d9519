// The emulator's market-time mapping: `krx` trades on the KRX session of real KST weekdays (09:00
// open, nothing 15:20-15:30 but the 15:30 auction print, no session on weekends); `always` trades at
// any hour and rolls over at KST midnight to a new trading day with a fresh cumulative volume.
import { describe, expect, it } from 'vitest';
import { kstDay } from '../../machines/marketHours.ts';
import { decodeH0stcnt0Frame } from '../../runtime/brokers/kis/h0stcnt0Decode.ts';
import {
  RawWs,
  controlFor,
  getJson,
  isDataFrame,
  kisApproval,
  kisSubscribe,
  kisToken,
  testClock,
  withEmulator,
} from './emulatorHarness.ts';

const WEDNESDAY = '20261125';
const SATURDAY = '20261128';
const hhmm = (iso: string) => iso.slice(11, 16);

async function restRows(url: string, appKey: string, token: string, symbol: string) {
  const q = new URLSearchParams({
    FID_COND_MRKT_DIV_CODE: 'J',
    FID_INPUT_ISCD: symbol,
    FID_INPUT_HOUR_1: '235959',
  });
  const res = await fetch(`${url}/uapi/domestic-stock/v1/quotations/inquire-time-itemchartprice?${q}`, {
    headers: { authorization: `Bearer ${token}`, appkey: appKey, appsecret: 'S', tr_id: 'FHKST03010200' },
  });
  return ((await res.json()) as any).output2 as { stck_bsop_date: string; stck_cntg_hour: string }[];
}

describe('broker emulator: market time', () => {
  it('krx: a weekday session opens at 09:00 KST and REST serves only that session', async () => {
    await withEmulator(
      { symbols: 2, marketOpen: 'krx', clock: testClock(0, '10:00:30', WEDNESDAY) },
      async (emu) => {
        const truth = (await getJson(`${emu.url}/_emulator/truth/bars?symbol=005930`)).body as any[];
        expect(hhmm(truth[0].minute)).toBe('09:00');
        expect(hhmm(truth[truth.length - 1].minute)).toBe('09:59');
        expect(truth[0].minute).toMatch(/^2026-11-25T09:00:00\+09:00$/);
        const token = await kisToken(emu, 'K', 'S');
        const rows = await restRows(emu.url, 'K', token, '005930');
        expect(rows[0]).toMatchObject({ stck_bsop_date: WEDNESDAY, stck_cntg_hour: '100000' });
        expect((await getJson(`${emu.url}/_emulator/health`)).body).toMatchObject({
          day: WEDNESDAY,
          sessionOpen: true,
        });
      },
    );
  });

  it('krx: after the close the day holds no trades between 15:20 and 15:30 except the 15:30 auction print', async () => {
    await withEmulator(
      { symbols: 2, marketOpen: 'krx', clock: testClock(0, '15:45:00', WEDNESDAY) },
      async (emu) => {
        const truth = (await getJson(`${emu.url}/_emulator/truth/bars?symbol=000660`)).body as any[];
        const minutes = truth.map((b) => hhmm(b.minute));
        expect(minutes[minutes.length - 1]).toBe('15:30');
        expect(minutes.filter((m) => m >= '15:20' && m < '15:30')).toEqual([]);
        expect(minutes).toContain('15:19');
      },
    );
  });

  it('krx: a weekend has no session', async () => {
    await withEmulator(
      { symbols: 2, marketOpen: 'krx', clock: testClock(0, '11:00:00', SATURDAY) },
      async (emu) => {
        expect((await getJson(`${emu.url}/_emulator/health`)).body).toMatchObject({
          day: SATURDAY,
          sessionOpen: false,
        });
        expect((await getJson(`${emu.url}/_emulator/truth/bars?symbol=005930`)).body).toEqual([]);
        const token = await kisToken(emu, 'K', 'S');
        expect(await restRows(emu.url, 'K', token, '005930')).toEqual([]);
      },
    );
  });

  it('always: trades through KST midnight into a new trading day whose cumulative volume starts again', async () => {
    // 60x from 23:58:00 KST: midnight passes after two wall-clock seconds.
    const clock = testClock(60, '23:58:00');
    const nextDay = kstDay(clock.now() + 86_400_000);
    await withEmulator({ symbols: 2, clock, tickIntervalMs: 2000, historyMinutes: 3 }, async (emu) => {
      const approval = await kisApproval(emu, 'K', 'S');
      const ws = await RawWs.open(emu.wsUrl);
      ws.send(kisSubscribe(approval, '005930'));
      await ws.next(controlFor('005930'));
      await ws.waitFor((t) => isDataFrame(t) && t.includes(`^${nextDay}^`));
      ws.send(kisSubscribe(approval, '005930', '2'));
      await ws.next(controlFor('005930'));
      const batches = ws.take(isDataFrame).flatMap((f) => decodeH0stcnt0Frame(f).batches);
      const days = [...new Set(batches.map((b) => b.day))];
      expect(days).toHaveLength(2);
      const firstOfNewDay = batches.find((b) => b.day === days[1])!;
      expect(firstOfNewDay.cumVolume[0]).toBeLessThan(batches[0].cumVolume[0]);
      // Within each day the cumulative volume is continuous.
      for (const day of days) {
        const ticks = batches
          .filter((b) => b.day === day)
          .flatMap((b) => b.cumVolume.map((c, i) => [c, b.volume[i]]));
        expect(ticks.filter(([c, v], i) => i > 0 && c !== ticks[i - 1][0] + v)).toEqual([]);
      }
      expect(firstOfNewDay.cumVolume[0]).toBe(firstOfNewDay.volume[0]);
      expect((await getJson(`${emu.url}/_emulator/health`)).body.day).toBe(days[1]);
      ws.close();
    });
  });
});
