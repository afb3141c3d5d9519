// Fuzzing the live clients' frame handling: arbitrary and mutated frames never make the router throw
// or hand on a malformed batch, and over a real socket every bad frame (text or binary) is counted
// exactly once while the good ones still arrive in order and the connection survives.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kstDay, kstTime } from '../../machines/marketHours.ts';
import type { TickBatch } from '../../machines/types.ts';
import { createBrokerPorts, TokenRegistry } from '../../runtime/brokers/index.ts';
import { encodeKisApprovalResponse } from '../../runtime/brokers/kis/auth.ts';
import { encodeH0stcnt0Frame } from '../../runtime/brokers/kis/h0stcnt0Encode.ts';
import { routeKisFrame, type KisFrameSink } from '../../runtime/brokers/kis/wsClient.ts';
import { encodeKisControlReply, encodeKisPingpong } from '../../runtime/brokers/kis/wsControl.ts';
import { decodeKisServerMessage } from '../../runtime/brokers/kis/wsMessages.ts';
import { encodeKiwoomReal } from '../../runtime/brokers/kiwoom/real0b.ts';
import { routeKiwoomFrame, type KiwoomFrameSink } from '../../runtime/brokers/kiwoom/wsClient.ts';
import { decodeKiwoomServerMessage } from '../../runtime/brokers/kiwoom/ws.ts';
import {
  realClockForTests,
  startHttp,
  startWs,
  until,
  type TestHttpServer,
  type TestWsServer,
} from './brokerClientHarness.ts';

const numRuns = Number(process.env.TG_PROPERTY_RUNS ?? 200);
const DAY = kstDay(Date.now());

const batchArb: fc.Arbitrary<TickBatch> = fc
  .record({
    symbol: fc.constantFrom('005930', '000660', '035420'),
    n: fc.integer({ min: 1, max: 5 }),
    cum0: fc.integer({ min: 0, max: 1_000_000 }),
    p0: fc.integer({ min: 1000, max: 500_000 }),
  })
  .map(({ symbol, n, cum0, p0 }) => {
    const t0 = kstTime(DAY, '10:00:00');
    return {
      symbol,
      day: DAY,
      ts: Array.from({ length: n }, (_, i) => t0 + i * 1000),
      cumVolume: Array.from({ length: n }, (_, i) => cum0 + (i + 1) * 7),
      price: Array.from({ length: n }, (_, i) => p0 + i),
      volume: Array.from({ length: n }, () => 7),
    };
  });

/** Valid frames, and the same frames cut, spliced, re-delimited or replaced by noise. */
function framesArb(valid: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return fc.oneof(
    valid,
    fc.tuple(valid, fc.nat()).map(([f, n]) => f.slice(0, n % (f.length + 1))),
    fc
      .tuple(valid, fc.nat(), fc.constantFrom('^', '|', '"', '{', '}', ',', '\u0000', '한'))
      .map(([f, n, c]) => f.slice(0, n % f.length) + c + f.slice(n % f.length)),
    fc
      .tuple(valid, fc.nat(), fc.nat({ max: 20 }))
      .map(([f, n, k]) => f.slice(0, n % f.length) + f.slice((n % f.length) + k)),
    fc.string({ unit: 'binary', maxLength: 200 }),
    fc.json(),
    fc.constantFrom(
      '',
      '<html>503</html>',
      '0|H0STCNT0|000|',
      '0|H0STCNT0|001|',
      '{"trnm":"REAL","data":null}',
    ),
  );
}

function wellFormed(b: TickBatch): boolean {
  const n = b.ts.length;
  const cols = [b.ts, b.cumVolume, b.price, b.volume];
  return n > 0 && cols.every((c) => c.length === n && c.every((x) => Number.isFinite(x)));
}

const kisValid = fc.oneof(
  batchArb.map((b) => encodeH0stcnt0Frame(b).frame),
  fc.constant(encodeKisPingpong(Date.now())),
  fc.constant(encodeKisControlReply('subscribed', { trKey: '005930' })),
);
const kiwoomValid = fc.oneof(
  batchArb.map((b) => encodeKiwoomReal(b).message),
  fc.constant('{"trnm":"PING"}'),
  fc.constant('{"trnm":"REG","return_code":0,"return_msg":""}'),
);

describe('frame routers (pure)', () => {
  it('KIS: never throws, one outcome per frame, bad exactly when the decoder refuses, batches well formed', () => {
    fc.assert(
      fc.property(framesArb(kisValid), (text) => {
        const calls: string[] = [];
        const sink: KisFrameSink = {
          batches: (bs) => calls.push(bs.every(wellFormed) ? 'batches' : 'malformed'),
          bad: () => calls.push('bad'),
          ping: () => calls.push('ping'),
          control: () => calls.push('control'),
          kicked: () => calls.push('kicked'),
        };
        routeKisFrame(text, sink);
        expect(calls).toHaveLength(1);
        expect(calls[0] === 'bad').toBe(decodeKisServerMessage(text).kind === 'error');
        expect(calls).not.toContain('malformed');
      }),
      { numRuns: numRuns * 5 },
    );
  });

  it('Kiwoom: never throws, one outcome per frame, batches well formed and dated today', () => {
    fc.assert(
      fc.property(framesArb(kiwoomValid), (text) => {
        const calls: string[] = [];
        const sink: KiwoomFrameSink = {
          batches: (bs) =>
            calls.push(bs.every((b) => wellFormed(b) && b.day === DAY) ? 'batches' : 'malformed'),
          bad: () => calls.push('bad'),
          ping: () => calls.push('ping'),
          reply: () => calls.push('reply'),
          system: () => calls.push('system'),
        };
        routeKiwoomFrame(text, DAY, sink);
        const decoded = decodeKiwoomServerMessage(text, { day: DAY });
        const empty = decoded.kind === 'ticks' && decoded.batches.length === 0;
        expect(calls).toHaveLength(empty ? 0 : 1);
        expect(calls[0] === 'bad').toBe(decoded.kind === 'error');
        expect(calls).not.toContain('malformed');
      }),
      { numRuns: numRuns * 5 },
    );
  });
});

describe('KIS client over a socket', () => {
  let http: TestHttpServer;
  let ws: TestWsServer;
  beforeAll(async () => {
    http = await startHttp(() => ({ status: 200, body: encodeKisApprovalResponse('approval-fuzz') }));
    ws = await startWs(() => {});
  });
  afterAll(async () => {
    await ws.close();
    await http.close();
  });

  type Sent = { text: string } | { binary: Buffer };
  const sentArb: fc.Arbitrary<Sent> = fc.oneof(
    { weight: 6, arbitrary: framesArb(kisValid).map((text) => ({ text })) },
    {
      weight: 1,
      arbitrary: fc.uint8Array({ minLength: 1, maxLength: 64 }).map((a) => ({ binary: Buffer.from(a) })),
    },
  );

  it('counts every bad frame once, delivers every good batch in order, and stays connected', async () => {
    const ports = createBrokerPorts({
      broker: 'kis',
      restUrl: http.url,
      wsUrl: ws.url,
      appKey: 'fuzz-app-key-0123456789',
      appSecret: 'fuzz-secret-0123456789',
      clock: realClockForTests,
      tokens: new TokenRegistry(),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(sentArb, { minLength: 1, maxLength: 30 }), async (frames) => {
        const got: TickBatch[] = [];
        const closes: string[] = [];
        let bad = 0;
        await ports.ws.connect({
          onBatches: (b) => got.push(...b),
          onClose: (r) => closes.push(r),
          onBadFrame: () => bad++,
        });
        const socket = ws.sockets[ws.sockets.length - 1];
        let expectedBad = 0;
        const expectedBatches: TickBatch[] = [];
        for (const f of frames) {
          if ('binary' in f) {
            expectedBad++;
            socket.send(f.binary, { binary: true });
            continue;
          }
          const m = decodeKisServerMessage(f.text);
          if (m.kind === 'error') expectedBad++;
          if (m.kind === 'ticks') expectedBatches.push(...m.batches);
          socket.send(f.text);
        }
        socket.send(encodeKisPingpong(0)); // a marker: everything before it has arrived once it is echoed
        await until(() => ws.received[ws.received.length - 1].includes(encodeKisPingpong(0)));
        expect(bad).toBe(expectedBad);
        expect(got).toEqual(expectedBatches);
        expect(closes).toEqual([]);
        await ports.ws.close();
      }),
      { numRuns: Math.max(5, Math.floor(numRuns / 10)) },
    );
  });
});
