// The emulator's KIS WebSocket dialect over a raw `ws` client: OPSP control replies, H0STCNT0 frames
// that decode with the shared decoder into exactly the exchange's trades (continuous cumulative
// volumes, bars equal to the truth), the 41-registration cap, one session per app key, PINGPONG.
import { describe, expect, it } from 'vitest';
import { MINUTE_MS, minuteOf } from '../../machines/marketHours.ts';
import type { TickBatch } from '../../machines/types.ts';
import { decodeH0stcnt0Frame } from '../../runtime/brokers/kis/h0stcnt0Decode.ts';
import {
  RawWs,
  controlFor,
  getJson,
  isDataFrame,
  kisApproval,
  kisSubscribe,
  testClock,
  withEmulator,
} from './emulatorHarness.ts';

const msgCd = (t: string) => JSON.parse(t).body.msg_cd as string;

interface Tick {
  ts: number;
  price: number;
  volume: number;
  cumVolume: number;
}

function ticksBySymbol(frames: string[]): Map<string, Tick[]> {
  const out = new Map<string, Tick[]>();
  for (const frame of frames) {
    const { batches, errors } = decodeH0stcnt0Frame(frame);
    expect(errors).toEqual([]);
    for (const b of batches as TickBatch[]) {
      const list = out.get(b.symbol) ?? [];
      for (let i = 0; i < b.ts.length; i++)
        list.push({ ts: b.ts[i], price: b.price[i], volume: b.volume[i], cumVolume: b.cumVolume[i] });
      out.set(b.symbol, list);
    }
  }
  return out;
}

describe('broker emulator: KIS WebSocket', () => {
  it('streams H0STCNT0 frames whose ticks are the exchange trades: continuous cumulative volume, bars equal to the truth', async () => {
    // 60x time: a market minute passes every wall-clock second.
    const clock = testClock(60);
    await withEmulator({ symbols: 4, clock, tickIntervalMs: 2000, historyMinutes: 5 }, async (emu) => {
      const approval = await kisApproval(emu, 'KEY-A', 'SECRET-A');
      const ws = await RawWs.open(`${emu.wsUrl}/tryitout/H0STCNT0`);
      const symbols = ['005930', '000660', '005935'];
      for (const s of symbols) {
        ws.send(kisSubscribe(approval, s));
        const reply = JSON.parse(await ws.next(controlFor(s)));
        expect(reply).toMatchObject({
          header: { tr_id: 'H0STCNT0', tr_key: s, encrypt: 'N' },
          body: { rt_cd: '0', msg_cd: 'OPSP0000', msg1: 'SUBSCRIBE SUCCESS' },
        });
        expect(reply.body.output.iv).toHaveLength(16);
        expect(reply.body.output.key).toHaveLength(32);
      }
      await new Promise((r) => setTimeout(r, 4_500));
      // Unsubscribing flushes: every frame sent before a reply arrives before it.
      for (const s of symbols) {
        ws.send(kisSubscribe(approval, s, '2'));
        expect(msgCd(await ws.next(controlFor(s)))).toBe('OPSP0001');
      }
      const frames = ws.take(isDataFrame);
      expect(frames.some((f) => Number(f.split('|')[2]) > 1)).toBe(true);
      const bySymbol = ticksBySymbol(frames);
      let received = 0;
      let comparedMinutes = 0;
      for (const s of symbols) {
        const ticks = bySymbol.get(s) ?? [];
        received += ticks.length;
        expect(ticks.length).toBeGreaterThan(10);
        const breaks = ticks.filter(
          (t, i) => i > 0 && (t.cumVolume !== ticks[i - 1].cumVolume + t.volume || t.ts < ticks[i - 1].ts),
        );
        expect(breaks).toEqual([]);
        const truth = (await getJson(`${emu.url}/_emulator/truth/bars?symbol=${s}`)).body as any[];
        let cum = 0;
        const lastCum = ticks[ticks.length - 1].cumVolume;
        const firstMinute = minuteOf(ticks[0].ts);
        for (const bar of truth) {
          cum += bar.volume;
          const minute = Date.parse(bar.minute);
          if (minute <= firstMinute || cum > lastCum) continue;
          // A minute entirely after the subscription and entirely received: built from the ticks,
          // it is the exchange's bar, and its last tick carries the exchange's cumulative volume.
          const inMinute = ticks.filter((t) => t.ts >= minute && t.ts < minute + MINUTE_MS);
          expect({
            open: inMinute[0].price,
            high: Math.max(...inMinute.map((t) => t.price)),
            low: Math.min(...inMinute.map((t) => t.price)),
            close: inMinute[inMinute.length - 1].price,
            volume: inMinute.reduce((v, t) => v + t.volume, 0),
          }).toEqual({ open: bar.open, high: bar.high, low: bar.low, close: bar.close, volume: bar.volume });
          expect(inMinute[inMinute.length - 1].cumVolume).toBe(cum);
          comparedMinutes++;
        }
      }
      expect(comparedMinutes).toBeGreaterThanOrEqual(3);
      expect((await getJson(`${emu.url}/_emulator/stats`)).body.ticksSent).toBe(received);
      ws.close();
    });
  });

  it('answers OPSP0002 for a repeat, OPSP0003 for an unknown release, OPSP0008 past 41 registrations', async () => {
    await withEmulator({ symbols: 45, clock: testClock(1), historyMinutes: 1 }, async (emu) => {
      const approval = await kisApproval(emu, 'KEY-A', 'SECRET-A');
      const ws = await RawWs.open(emu.wsUrl);
      const codes: string[] = [];
      for (const s of emu.symbols.slice(0, 42)) {
        ws.send(kisSubscribe(approval, s));
        codes.push(msgCd(await ws.next(controlFor(s))));
      }
      expect(codes.slice(0, 41).every((c) => c === 'OPSP0000')).toBe(true);
      expect(codes[41]).toBe('OPSP0008');
      ws.send(kisSubscribe(approval, emu.symbols[0]));
      expect(msgCd(await ws.next(controlFor(emu.symbols[0])))).toBe('OPSP0002');
      ws.send(kisSubscribe(approval, emu.symbols[44], '2'));
      expect(msgCd(await ws.next(controlFor(emu.symbols[44])))).toBe('OPSP0003');
      // Releasing one makes room for another.
      ws.send(kisSubscribe(approval, emu.symbols[0], '2'));
      expect(msgCd(await ws.next(controlFor(emu.symbols[0])))).toBe('OPSP0001');
      ws.send(kisSubscribe(approval, emu.symbols[43]));
      expect(msgCd(await ws.next(controlFor(emu.symbols[43])))).toBe('OPSP0000');
      ws.close();
    });
  });

  it('gives a second session of the same app key OPSP8996 and closes it; the first keeps working', async () => {
    await withEmulator({ symbols: 3, clock: testClock(1), historyMinutes: 1 }, async (emu) => {
      const first = await RawWs.open(emu.wsUrl);
      const second = await RawWs.open(`${emu.wsUrl}/tryitout`);
      const approvalA = await kisApproval(emu, 'KEY-A', 'SECRET-A');
      const approvalB = await kisApproval(emu, 'KEY-A', 'SECRET-A');
      first.send(kisSubscribe(approvalA, '005930'));
      expect(msgCd(await first.next(controlFor('005930')))).toBe('OPSP0000');
      second.send(kisSubscribe(approvalB, '000660'));
      const kicked = JSON.parse(await second.next((t) => t.includes('OPSP8996')));
      expect(kicked).toEqual({
        header: { tr_id: '(null)', tr_key: '', encrypt: 'N' },
        body: { rt_cd: '9', msg_cd: 'OPSP8996', msg1: 'ALREADY IN USE appkey' },
      });
      await second.closed;
      first.send(kisSubscribe(approvalA, '000660'));
      expect(msgCd(await first.next(controlFor('000660')))).toBe('OPSP0000');
      // Once the first session is gone the app key may connect again.
      first.close();
      await first.closed;
      const third = await RawWs.open(emu.wsUrl);
      third.send(kisSubscribe(approvalA, '005930'));
      expect(msgCd(await third.next(controlFor('005930')))).toBe('OPSP0000');
      third.close();
    });
  });

  it('sends PINGPONG, survives garbage, and refuses unknown approval keys without a session', async () => {
    await withEmulator(
      { symbols: 2, clock: testClock(1), pingIntervalMs: 100, historyMinutes: 1 },
      async (emu) => {
        const ws = await RawWs.open(emu.wsUrl);
        const ping = await ws.next((t) => t.includes('PINGPONG'));
        expect(JSON.parse(ping).header).toEqual({
          tr_id: 'PINGPONG',
          datetime: expect.stringMatching(/^\d{14}$/),
        });
        ws.send(ping); // echo, as PYKIS does
        ws.socket.pong(ping); // or a pong frame, as the official sample does
        ws.send('{"header":{"approval_key":"x","tr_type":"1"');
        expect(msgCd(await ws.next((t) => t.includes('OPSP0007')))).toBe('OPSP0007');
        ws.send(kisSubscribe('no-such-approval-key', '005930'));
        expect(msgCd(await ws.next(controlFor('005930')))).toBe('OPSP0011');
        const approval = await kisApproval(emu, 'KEY-A', 'SECRET-A');
        ws.send(kisSubscribe(approval, '999999'));
        expect(msgCd(await ws.next(controlFor('999999')))).toBe('OPSP0007');
        ws.send(kisSubscribe(approval, '005930'));
        expect(msgCd(await ws.next(controlFor('005930')))).toBe('OPSP0000');
        await ws.next((t) => t.includes('PINGPONG'));
        ws.close();
      },
    );
  });
});
