// The live KIS and Kiwoom clients against the real broker emulator: token reuse, subscriptions and a
// continuous tick stream, minute-bar paging equal to the emulator's truth, rate-limit rejections,
// a second session of one app key, outages (rest-down, drop-ws) and reconnecting after them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isTgError, type TgError } from '../../machines/errors.ts';
import { KRX_HOURS, MINUTE_MS, minuteOf } from '../../machines/marketHours.ts';
import type { Bar, BrokerName, TickBatch } from '../../machines/types.ts';
import { createBrokerPorts, TokenRegistry, type BrokerPorts } from '../../runtime/brokers/index.ts';
import { startEmulator, type EmulatorHandle } from '../../runtime/emulator/index.ts';
import { realClockForTests, recorder, until } from '../unit/brokerClientHarness.ts';
import { emulatorTruthBars } from '../infra/emulatorTruth.ts';

let emu: EmulatorHandle;
beforeAll(async () => {
  emu = await startEmulator({
    symbols: 10,
    seed: 11,
    marketOpen: 'always',
    tickIntervalMs: 50,
    rateLimitPerSec: 20,
    kiwoomRateLimitPerSec: 20,
    kiwoomBarsPerPage: 20,
  });
});
afterAll(async () => {
  await emu?.close();
});

/**
 * These tests exercise the clients, not the gatekeeper: a further Kiwoom page (20 rows a page here)
 * may go out at once. In the product each one waits for its own rate-limit token.
 */
const unmetered = async () => {};

let keys = 0;
/** A fresh app key per test: sessions, token throttles and rate limits are per app key. */
const appKey = (broker: BrokerName) => `${broker}-app-key-${++keys}-0123456789abcdef`;

function ports(broker: BrokerName, key: string, tokens = new TokenRegistry()): BrokerPorts {
  return createBrokerPorts({
    broker,
    restUrl: emu.url,
    wsUrl: emu.wsUrl,
    appKey: key,
    appSecret: `${key}-secret`,
    clock: realClockForTests,
    tokens,
    requestTimeoutMs: 2000,
    sessionHours: { ...KRX_HOURS, always: true },
  });
}

async function caught(p: Promise<unknown>): Promise<TgError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  if (!isTgError(e)) throw new Error(`expected a TgError, got ${String(e)}`, { cause: e });
  return e;
}

/** Starts a fault for `forMs` (0 ends it); the HTTP status of the admin call. */
async function fault(kind: 'drop-ws' | 'rest-down', forMs: number): Promise<number> {
  const res = await fetch(`${emu.url}/_emulator/faults`, {
    method: 'POST',
    body: JSON.stringify({ kind, forMs }),
  });
  return res.status;
}

async function truthBars(symbol: string): Promise<Bar[]> {
  return (await emulatorTruthBars(emu.url, symbol)).map((b) => ({ ...b, symbol }));
}

/** Pages back from now, like the recovery worker, waiting out rate-limit rejections. */
async function pageAll(p: BrokerPorts, symbol: string, from: number): Promise<Map<number, Bar>> {
  const all = new Map<number, Bar>();
  let target = from;
  for (let calls = 0; calls < 50; calls++) {
    let page;
    try {
      page = await p.rest.minuteBars(symbol, target, unmetered);
    } catch (e) {
      if (!isTgError(e, 'TG_ERR_BROKER_REJECTED')) throw e;
      await new Promise((r) => setTimeout(r, Number(e.details.retryAfterMs)));
      continue;
    }
    for (const b of page.bars) if (!all.has(b.minute)) all.set(b.minute, b);
    const oldest = page.bars[page.bars.length - 1];
    if (page.exhausted || !oldest) return all;
    target = oldest.minute - MINUTE_MS;
  }
  throw new Error('paging did not end');
}

function continuous(batches: TickBatch[]): string[] {
  const last = new Map<string, number>();
  const breaks: string[] = [];
  for (const b of batches) {
    for (let i = 0; i < b.ts.length; i++) {
      const prev = last.get(b.symbol);
      if (prev !== undefined && b.cumVolume[i] !== prev + b.volume[i])
        breaks.push(`${b.symbol}: ${prev} + ${b.volume[i]} != ${b.cumVolume[i]}`);
      last.set(b.symbol, b.cumVolume[i]);
    }
  }
  return breaks;
}

describe.each(['kis', 'kiwoom'] as const)('%s client against the emulator', (broker) => {
  it('issues one token for two clients sharing the cache', async () => {
    const key = appKey(broker);
    const tokens = new TokenRegistry();
    const a = ports(broker, key, tokens);
    const b = ports(broker, key, tokens);
    await a.rest.minuteBars(emu.symbols[0], Date.now(), unmetered);
    await b.rest.minuteBars(emu.symbols[1], Date.now(), unmetered);
    expect(a.stats().tokenIssues).toBe(1);
    expect(b.stats().tokenIssues).toBe(1);
    if (broker === 'kis') {
      // A process without the cache would have asked again, and KIS refuses a second issue this minute.
      const e = await caught(ports(broker, key).rest.minuteBars(emu.symbols[0], Date.now(), unmetered));
      expect(e.code).toBe('TG_ERR_BROKER_REJECTED');
      expect(e.details).toMatchObject({ status: 403, msgCd: 'EGW00133' });
    }
  });

  it('subscribes and receives a continuous tick stream (cumulative volume adds up)', async () => {
    const p = ports(broker, appKey(broker));
    const rec = recorder();
    await p.ws.connect(rec.handlers);
    const result = await p.ws.subscribe(emu.symbols.slice(0, 5));
    expect(result).toEqual({ accepted: emu.symbols.slice(0, 5), rejected: {} });
    await until(() => rec.ticks() >= 100, 10_000);
    await p.ws.close();
    expect(rec.bad).toEqual([]);
    expect(rec.closes).toEqual([]);
    expect(new Set(rec.batches.map((b) => b.symbol)).size).toBeGreaterThan(1);
    expect(continuous(rec.batches)).toEqual([]);
  });

  it('pages minute bars back to the start and gets exactly the truth', async () => {
    const p = ports(broker, appKey(broker));
    const symbol = emu.symbols[2];
    const start = Date.now();
    const got = await pageAll(p, symbol, start);
    const truth = (await truthBars(symbol)).filter((b) => b.minute < minuteOf(start));
    expect(truth.length).toBeGreaterThan(60);
    const gotComplete = [...got.values()]
      .filter((b) => b.minute < minuteOf(start))
      .sort((x, y) => x.minute - y.minute);
    expect(gotComplete).toEqual(truth);
  });

  it('a burst over the rate limit surfaces as TG_ERR_BROKER_REJECTED with retryAfterMs', async () => {
    const p = ports(broker, appKey(broker));
    await p.rest.minuteBars(emu.symbols[0], Date.now(), unmetered);
    const results = await Promise.allSettled(
      Array.from({ length: 60 }, () => p.rest.minuteBars(emu.symbols[0], Date.now(), unmetered)),
    );
    const errors = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
    expect(errors.length).toBeGreaterThan(0);
    for (const e of errors) {
      expect(isTgError(e, 'TG_ERR_BROKER_REJECTED')).toBe(true);
      const details = (e as TgError).details;
      expect(details.retryAfterMs).toBeGreaterThan(0);
      expect(details).toMatchObject(
        broker === 'kis' ? { status: 500, msgCd: 'EGW00201' } : { status: 429, msgCd: '1700' },
      );
    }
    // Waiting out retryAfterMs is enough to be served again.
    const wait = Math.max(...errors.map((e) => Number((e as TgError).details.retryAfterMs)));
    await new Promise((r) => setTimeout(r, wait + 50));
    expect((await p.rest.minuteBars(emu.symbols[0], Date.now(), unmetered)).bars.length).toBeGreaterThan(0);
  });

  it('a second session of the same app key is refused or replaces the first, and the loser hears why', async () => {
    const key = appKey(broker);
    const first = ports(broker, key);
    const second = ports(broker, key);
    const r1 = recorder();
    const r2 = recorder();
    await first.ws.connect(r1.handlers);
    await first.ws.subscribe([emu.symbols[0]]);
    await second.ws.connect(r2.handlers);
    if (broker === 'kis') {
      const e = await caught(second.ws.subscribe([emu.symbols[0]]));
      expect(e.code).toBe('TG_ERR_BROKER_DOWN');
      await until(() => r2.closes.length > 0);
      expect(r2.closes).toEqual(['OPSP8996']);
      const before = r1.ticks();
      await until(() => r1.ticks() > before, 10_000);
      expect(r1.closes).toEqual([]);
    } else {
      await until(() => r1.closes.length > 0);
      expect(r1.closes).toEqual(['SYSTEM R10001']);
      await second.ws.subscribe([emu.symbols[0]]);
      await until(() => r2.ticks() > 0, 10_000);
      expect(r2.closes).toEqual([]);
    }
    await first.ws.close();
    await second.ws.close();
  });

  it('reconnects after drop-ws: one close, refused while down, subscribed and streaming after', async () => {
    const p = ports(broker, appKey(broker));
    const rec = recorder();
    await p.ws.connect(rec.handlers);
    await p.ws.subscribe(emu.symbols.slice(0, 3));
    await until(() => rec.ticks() > 0, 10_000);
    expect(await fault('drop-ws', 30_000)).toBe(200);
    await until(() => rec.closes.length > 0);
    const refused = await caught(p.ws.connect(rec.handlers));
    expect(refused.code).toBe('TG_ERR_BROKER_DOWN');
    expect(await fault('drop-ws', 0)).toBe(200);
    const again = recorder();
    await p.ws.connect(again.handlers);
    expect((await p.ws.subscribe(emu.symbols.slice(0, 3))).accepted).toHaveLength(3);
    await until(() => again.ticks() > 0, 10_000);
    expect(rec.closes).toHaveLength(1);
    expect(p.stats().reconnects).toBe(2);
    await p.ws.close();
  });

  it('rest-down (HTML 503 pages) is TG_ERR_BROKER_DOWN', async () => {
    const p = ports(broker, appKey(broker));
    await p.rest.minuteBars(emu.symbols[0], Date.now(), unmetered);
    expect(await fault('rest-down', 30_000)).toBe(200);
    const e = await caught(p.rest.minuteBars(emu.symbols[0], Date.now(), unmetered));
    expect(e.code).toBe('TG_ERR_BROKER_DOWN');
    expect(await fault('rest-down', 0)).toBe(200);
    expect((await p.rest.minuteBars(emu.symbols[0], Date.now(), unmetered)).bars.length).toBeGreaterThan(0);
  });
});
