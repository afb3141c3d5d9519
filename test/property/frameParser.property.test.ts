// Properties of every KIS/Kiwoom decoder: encode -> decode gives the data back; random mutations
// (truncation, extra/missing ^ and |, random bytes, HTML, partial JSON, hostile values) never make a
// decoder throw or emit NaN; and one broken record rejects its whole frame with exactly one error.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { kstTime, MINUTE_MS } from '../../machines/marketHours.ts';
import type { Bar, TickBatch } from '../../machines/types.ts';
import { classifyBrokerResponse, type DecodeError } from '../../runtime/brokers/errors.ts';
import * as kisAuth from '../../runtime/brokers/kis/auth.ts';
import { decodeH0stcnt0Frame, type TickDecodeResult } from '../../runtime/brokers/kis/h0stcnt0Decode.ts';
import { encodeH0stcnt0Frames, formatKisDataFrame } from '../../runtime/brokers/kis/h0stcnt0Encode.ts';
import * as kisBars from '../../runtime/brokers/kis/minuteBars.ts';
import { kstYmd } from '../../runtime/brokers/kis/wire.ts';
import * as kisWs from '../../runtime/brokers/kis/wsControl.ts';
import { decodeKisClientMessage, decodeKisServerMessage } from '../../runtime/brokers/kis/wsMessages.ts';
import * as kiwoomAuth from '../../runtime/brokers/kiwoom/auth.ts';
import * as kiwoomChart from '../../runtime/brokers/kiwoom/minuteChart.ts';
import { decodeKiwoomReal, encodeKiwoomReal } from '../../runtime/brokers/kiwoom/real0b.ts';
import { kiwoomRateLimitBody } from '../../runtime/brokers/kiwoom/restRejections.ts';
import * as kiwoomWs from '../../runtime/brokers/kiwoom/ws.ts';

const numRuns = Number(process.env.TG_PROPERTY_RUNS ?? 200);
const SECRET = 'S3cr3tAppSecretValueThatMustNeverLeak0123456789';
const CREDS = { appKey: 'PSappkeyappkeyappkey', appSecret: SECRET };

// ---- generators ----

const dayArb = fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2030, 11, 30) }).map(kstYmd);
const symbolArb = fc.constantFrom('005930', '000660', '035420', '0000J0', '373220');

const batchArb: fc.Arbitrary<TickBatch> = fc
  .tuple(
    symbolArb,
    dayArb,
    fc.integer({ min: 0, max: 80_000 }),
    fc.integer({ min: 0, max: 1_000_000_000 }),
    fc.array(
      fc.record({
        dt: fc.integer({ min: 0, max: 20 }),
        price: fc.integer({ min: 1, max: 3_000_000 }),
        volume: fc.integer({ min: 1, max: 100_000 }),
      }),
      { minLength: 1, maxLength: 25 },
    ),
  )
  .map(([symbol, day, startSec, cum0, trades]) => {
    const b: TickBatch = { symbol, day, ts: [], cumVolume: [], price: [], volume: [] };
    let t = kstTime(day, '00:00') + startSec * 1000;
    let cum = cum0;
    for (const tr of trades) {
      t += tr.dt * 1000;
      cum += tr.volume;
      b.ts.push(t);
      b.cumVolume.push(cum);
      b.price.push(tr.price);
      b.volume.push(tr.volume);
    }
    return b;
  });

const barsArb = (max: number): fc.Arbitrary<Bar[]> =>
  fc
    .tuple(
      symbolArb,
      dayArb,
      fc.uniqueArray(fc.integer({ min: 0, max: 1439 }), { minLength: 0, maxLength: max }),
    )
    .chain(([symbol, day, minutes]) =>
      fc.tuple(
        ...minutes.map((m) =>
          fc
            .tuple(
              fc.integer({ min: 1, max: 2_000_000 }),
              fc.integer({ min: 0, max: 5_000 }),
              fc.nat(5_000_000),
            )
            .map(([low, spread, volume]): Bar => ({
              symbol,
              minute: kstTime(day, '00:00') + m * MINUTE_MS,
              open: low + Math.floor(spread / 3),
              high: low + spread,
              low,
              close: low + Math.floor(spread / 2),
              volume,
            })),
        ),
      ),
    )
    .map((bars) => [...bars].sort((a, b) => b.minute - a.minute));

type Mutation = (s: string) => string;
const at = (s: string, p: number) => (s.length === 0 ? 0 : p % (s.length + 1));
const nthIndex = (s: string, ch: string, n: number) => {
  const idx = [...s].flatMap((c, i) => (c === ch ? [i] : []));
  return idx.length === 0 ? -1 : idx[n % idx.length];
};
function replaceNth(s: string, pattern: RegExp, n: number, by: string): string {
  const matches = [...s.matchAll(pattern)];
  if (matches.length === 0) return s;
  const m = matches[n % matches.length];
  return s.slice(0, m.index) + by + s.slice((m.index ?? 0) + m[0].length);
}
const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.nat().map(
    (p): Mutation =>
      (s) =>
        s.slice(0, at(s, p)),
  ),
  fc
    .tuple(
      fc.nat(),
      fc.constantFrom('^', '|', '"', '{', '}', '[', ']', ',', ':', '\\', '\u0000', '-', '+', '.', '9', 'A'),
    )
    .map(
      ([p, c]): Mutation =>
        (s) =>
          s.slice(0, at(s, p)) + c + s.slice(at(s, p)),
    ),
  fc.nat().map(
    (p): Mutation =>
      (s) =>
        s.slice(0, at(s, p)) + s.slice(at(s, p) + 1),
  ),
  fc.tuple(fc.nat(), fc.constantFrom('^', '|')).map(([n, ch]): Mutation => (s) => {
    const i = nthIndex(s, ch, n);
    return i < 0 ? s : s.slice(0, i) + s.slice(i + 1);
  }),
  fc.tuple(fc.nat(), fc.constantFrom('^', '|')).map(([n, ch]): Mutation => (s) => {
    const i = nthIndex(s, ch, n);
    return i < 0 ? s : s.slice(0, i) + ch + s.slice(i);
  }),
  fc.tuple(fc.nat(), fc.string({ unit: 'binary', maxLength: 4 })).map(
    ([p, r]): Mutation =>
      (s) =>
        s.slice(0, at(s, p)) + r + s.slice(at(s, p) + r.length),
  ),
  // A hostile value in place of the n-th quoted number ({"toString":1} makes String(v) throw).
  fc
    .tuple(
      fc.nat(),
      fc.constantFrom('{"toString":1,"valueOf":1}', 'null', '[]', '{}', 'true', '-1', '1e400', '"1e5"'),
    )
    .map(
      ([n, hostile]): Mutation =>
        (s) =>
          replaceNth(s, /"[+-]?\d+(\.\d+)?"/g, n, hostile),
    ),
  // A malformed number in place of the n-th digit run.
  fc
    .tuple(fc.nat(), fc.constantFrom('1e5', '99999999999999999999', 'NaN', '-', '0x1F', '1,000', ' 12', ''))
    .map(
      ([n, bad]): Mutation =>
        (s) =>
          replaceNth(s, /\d+/g, n, bad),
    ),
  fc.constantFrom<Mutation>(
    () => '',
    () => '<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1></body></html>',
    () => '{"rt_cd":"0","output2":[{"stck_bsop_date":"2026',
    (s) => s + s,
  ),
  fc.string({ unit: 'binary', maxLength: 200 }).map(
    (r): Mutation =>
      () =>
        r,
  ),
);
const mutationsArb = fc.array(mutationArb, { minLength: 1, maxLength: 4 });

// ---- output sanity: what a decoder returns is usable, never NaN, never a half-accepted frame ----

function checkError(e: DecodeError): void {
  expect(e.code).toMatch(/^TG_ERR_BROKER_/);
  expect(typeof e.reason).toBe('string');
  expect(JSON.stringify(e)).not.toContain(SECRET);
}
function checkTicks(r: TickDecodeResult): void {
  if (r.errors.length > 0) {
    expect(r.errors).toHaveLength(1);
    expect(r.batches).toEqual([]);
    checkError(r.errors[0]);
  }
  for (const b of r.batches) {
    expect(b.symbol).toMatch(/^[0-9A-Z]{6,9}$/);
    expect(b.day).toMatch(/^\d{8}$/);
    const n = b.ts.length;
    expect(n).toBeGreaterThan(0);
    for (const col of [b.cumVolume, b.price, b.volume]) expect(col).toHaveLength(n);
    for (const v of [...b.ts, ...b.cumVolume, ...b.price, ...b.volume])
      expect(Number.isSafeInteger(v)).toBe(true);
    for (const p of b.price) expect(p).toBeGreaterThan(0);
  }
}
function checkDecoded(d: { ok: boolean; error?: DecodeError; value?: unknown }): void {
  if (!d.ok) return checkError(d.error as DecodeError);
  const bars = (d.value as { bars?: Bar[] }).bars ?? [];
  for (const b of bars)
    for (const v of [b.minute, b.open, b.high, b.low, b.close, b.volume])
      expect(Number.isSafeInteger(v)).toBe(true);
}
function checkMessage(m: { kind: string; error?: DecodeError; batches?: TickBatch[] }): void {
  if (m.kind === 'error') checkError(m.error as DecodeError);
  if (m.kind === 'ticks') checkTicks({ batches: m.batches ?? [], errors: [] });
}

// ---- every decoder with a generator of valid input for it ----

const kisFrame = batchArb.map((b) => encodeH0stcnt0Frames(b).frames[0]);
const kiwoomReal = batchArb.map((b) => encodeKiwoomReal(b).message);
const kisControl = fc
  .tuple(fc.constantFrom(...(Object.keys(kisWs.KIS_CONTROL) as kisWs.KisControlKind[])), symbolArb)
  .map(([kind, trKey]) => kisWs.encodeKisControlReply(kind, { trKey }));
const kisSubscribe = fc
  .tuple(symbolArb, fc.boolean())
  .map(([trKey, subscribe]) => kisWs.encodeKisSubscribe({ approvalKey: SECRET, trKey, subscribe }));
const ping = fc.integer({ min: 0, max: 2e12 }).map(kisWs.encodeKisPingpong);
const kisBarsBody = barsArb(30).map((bars) => kisBars.encodeKisMinuteBarsResponse(bars));
const kiwoomChartBody = barsArb(40).map(
  (bars) => kiwoomChart.encodeKiwoomMinuteChartResponse(bars, { symbol: '005930' }).body,
);
const kiwoomControl = fc.constantFrom(
  kiwoomWs.encodeKiwoomLogin(SECRET),
  kiwoomWs.encodeKiwoomLoginReply(),
  kiwoomWs.encodeKiwoomPing(),
  kiwoomWs.encodeKiwoomRegister({ items: ['005930', '000660'] }),
  kiwoomWs.encodeKiwoomRegReply('REG'),
  kiwoomWs.encodeKiwoomSystem('R10001', '종료'),
);
const kisQuery = kisBars.buildKisMinuteBarsRequest(
  { symbol: '005930', beforeOrAt: 0 },
  { accessToken: SECRET, ...CREDS },
);
const kiwoomReq = kiwoomChart.buildKiwoomMinuteChartRequest(
  { symbol: '005930', ticScope: '1', adjusted: true },
  SECRET,
);
const refusals = fc.constantFrom(
  kiwoomRateLimitBody('ka10080'),
  '{"rt_cd":"1","msg_cd":"EGW00201","msg1":"초당 거래건수를 초과하였습니다."}',
  JSON.stringify({ rt_cd: '1', msg_cd: 'EGW00103', msg1: `유효하지 않은 AppSecret ${SECRET}` }),
  JSON.stringify({ return_code: 3, return_msg: `인증에 실패했습니다[8005:Token ${SECRET}]` }),
);

const targets: [string, fc.Arbitrary<string>, (text: string) => void][] = [
  ['decodeH0stcnt0Frame', kisFrame, (t) => checkTicks(decodeH0stcnt0Frame(t))],
  [
    'decodeKisServerMessage',
    fc.oneof(kisFrame, kisControl, ping),
    (t) => checkMessage(decodeKisServerMessage(t)),
  ],
  ['decodeKisClientMessage', fc.oneof(kisSubscribe, ping), (t) => checkMessage(decodeKisClientMessage(t))],
  ['decodeKisSubscribe', kisSubscribe, (t) => checkDecoded(kisWs.decodeKisSubscribe(t))],
  ['decodeKisControlReply', kisControl, (t) => checkDecoded(kisWs.decodeKisControlReply(t))],
  ['decodeKisPingpong', ping, (t) => checkDecoded(kisWs.decodeKisPingpong(t))],
  [
    'decodeKisTokenRequest',
    fc.constant(kisAuth.buildKisTokenRequest(CREDS).body as string),
    (t) => checkDecoded(kisAuth.decodeKisTokenRequest(t)),
  ],
  [
    'decodeKisTokenResponse',
    fc.constant(kisAuth.encodeKisTokenResponse({ accessToken: SECRET, expiresAt: 1.7e12 })),
    (t) => checkDecoded(kisAuth.decodeKisTokenResponse(t)),
  ],
  [
    'decodeKisApprovalRequest',
    fc.constant(kisAuth.buildKisApprovalRequest(CREDS).body as string),
    (t) => checkDecoded(kisAuth.decodeKisApprovalRequest(t)),
  ],
  [
    'decodeKisApprovalResponse',
    fc.constant(kisAuth.encodeKisApprovalResponse(SECRET)),
    (t) => checkDecoded(kisAuth.decodeKisApprovalResponse(t)),
  ],
  [
    'decodeKisMinuteBarsResponse',
    fc.oneof(kisBarsBody, refusals),
    (t) => checkDecoded(kisBars.decodeKisMinuteBarsResponse(t, '005930')),
  ],
  [
    'parseKisMinuteBarsRequest',
    fc.constant(new URLSearchParams(kisQuery.query).toString()),
    (t) => checkDecoded(kisBars.parseKisMinuteBarsRequest(new URLSearchParams(t), kisQuery.headers)),
  ],
  ['decodeKiwoomReal', kiwoomReal, (t) => checkTicks(decodeKiwoomReal(t, { day: '20260302' }))],
  [
    'decodeKiwoomServerMessage',
    fc.oneof(kiwoomReal, kiwoomControl),
    (t) => checkMessage(kiwoomWs.decodeKiwoomServerMessage(t, { day: '20260302' })),
  ],
  ['decodeKiwoomClientMessage', kiwoomControl, (t) => checkMessage(kiwoomWs.decodeKiwoomClientMessage(t))],
  [
    'decodeKiwoomTokenRequest',
    fc.constant(kiwoomAuth.buildKiwoomTokenRequest({ appKey: 'k', secretKey: SECRET }).body as string),
    (t) => checkDecoded(kiwoomAuth.decodeKiwoomTokenRequest(t)),
  ],
  [
    'decodeKiwoomTokenResponse',
    fc.constant(kiwoomAuth.encodeKiwoomTokenResponse({ token: SECRET, expiresAt: 1.7e12 })),
    (t) => checkDecoded(kiwoomAuth.decodeKiwoomTokenResponse(t)),
  ],
  [
    'decodeKiwoomMinuteChartResponse',
    fc.oneof(kiwoomChartBody, refusals),
    (t) => checkDecoded(kiwoomChart.decodeKiwoomMinuteChartResponse(t, { 'cont-yn': 'Y', 'next-key': 'x' })),
  ],
  [
    'parseKiwoomMinuteChartRequest',
    fc.constant(kiwoomReq.body as string),
    (t) => checkDecoded(kiwoomChart.parseKiwoomMinuteChartRequest(kiwoomReq.headers, t)),
  ],
  [
    'classifyBrokerResponse',
    fc.oneof(kisBarsBody, kiwoomChartBody, refusals),
    (t) => {
      for (const [broker, status] of [
        ['kis', 500],
        ['kiwoom', 429],
        ['kiwoom', 200],
        ['kis', 200],
      ] as const) {
        const c = classifyBrokerResponse(broker, status, t);
        if (c.kind !== 'ok') expect(c.error.message).not.toContain(SECRET);
      }
    },
  ],
];

describe('every decoder survives random mutations of valid input', () => {
  it.each(targets)('%s never throws and returns sane output', (_name, sample, decodeAndCheck) => {
    fc.assert(
      fc.property(sample, mutationsArb, (text, mutations) =>
        decodeAndCheck(mutations.reduce((s, m) => m(s), text)),
      ),
      { numRuns },
    );
  });

  it.each(targets)('%s accepts its own unmutated output', (_name, sample, decodeAndCheck) => {
    fc.assert(
      fc.property(sample, (text) => decodeAndCheck(text)),
      { numRuns: Math.ceil(numRuns / 4) },
    );
  });
});

describe('round trips', () => {
  it('KIS frames (any chunking) decode to the encoded batch', () => {
    fc.assert(
      fc.property(batchArb, fc.integer({ min: 1, max: 30 }), (b, max) => {
        const decoded = encodeH0stcnt0Frames(b, { maxRecordsPerFrame: max }).frames.map(decodeH0stcnt0Frame);
        expect(decoded.flatMap((d) => d.errors)).toEqual([]);
        const merged = decoded.flatMap((d) => d.batches);
        expect(merged.every((m) => m.symbol === b.symbol && m.day === b.day)).toBe(true);
        expect({
          ...b,
          ts: merged.flatMap((m) => m.ts),
          cumVolume: merged.flatMap((m) => m.cumVolume),
          price: merged.flatMap((m) => m.price),
          volume: merged.flatMap((m) => m.volume),
        }).toEqual(b);
      }),
      { numRuns },
    );
  });

  it('Kiwoom REAL decodes to the encoded batch', () => {
    fc.assert(
      fc.property(batchArb, (b) => {
        expect(decodeKiwoomReal(encodeKiwoomReal(b).message, { day: b.day })).toEqual({
          batches: [b],
          errors: [],
        });
      }),
      { numRuns },
    );
  });

  it('KIS minute bars and Kiwoom ka10080 decode to the encoded bars, newest first', () => {
    fc.assert(
      fc.property(barsArb(30), (bars) => {
        const symbol = bars[0]?.symbol ?? '005930';
        expect(
          kisBars.decodeKisMinuteBarsResponse(kisBars.encodeKisMinuteBarsResponse(bars), symbol),
        ).toMatchObject({ ok: true, value: { bars } });
        const res = kiwoomChart.encodeKiwoomMinuteChartResponse(bars, { symbol });
        expect(kiwoomChart.decodeKiwoomMinuteChartResponse(res.body, res.headers)).toMatchObject({
          ok: true,
          value: { bars },
        });
      }),
      { numRuns },
    );
  });
});

describe('one broken record rejects its whole frame', () => {
  const breakage = fc.constantFrom<[number, string, string]>(
    [2, '10', 'x7000'], // [KIS index, Kiwoom FID, bad value]
    [12, '15', '1.5'],
    [13, '13', ''],
    [1, '20', '246060'],
    [0, '10', '0'],
  );

  it('KIS: k valid records + 1 broken -> no batches, one bad-field error', () => {
    fc.assert(
      fc.property(
        batchArb.filter((b) => b.ts.length >= 2),
        fc.nat(),
        breakage,
        (b, pick, [index, , bad]) => {
          const fields = encodeH0stcnt0Frames(b).frames[0].split('|')[3].split('^');
          const records = b.ts.map((_, r) => fields.slice(r * 46, r * 46 + 46));
          records[pick % records.length][index] = index === 0 ? 'abc' : bad;
          const result = decodeH0stcnt0Frame(formatKisDataFrame('H0STCNT0', records));
          expect(result.batches).toEqual([]);
          expect(result.errors).toEqual([
            expect.objectContaining({ code: 'TG_ERR_BROKER_FRAME', kind: 'bad-field' }),
          ]);
        },
      ),
      { numRuns },
    );
  });

  it('Kiwoom: k valid 0B entries + 1 broken -> no batches, one bad-field error', () => {
    fc.assert(
      fc.property(
        batchArb.filter((b) => b.ts.length >= 2),
        fc.nat(),
        breakage,
        (b, pick, [, fid, bad]) => {
          const json = JSON.parse(encodeKiwoomReal(b).message);
          json.data[pick % json.data.length].values[fid] = bad;
          const result = decodeKiwoomReal(JSON.stringify(json), { day: b.day });
          expect(result.batches).toEqual([]);
          expect(result.errors).toEqual([
            expect.objectContaining({ code: 'TG_ERR_BROKER_FRAME', kind: 'bad-field' }),
          ]);
        },
      ),
      { numRuns },
    );
  });
});
