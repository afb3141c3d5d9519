// The emulator's admin API and faults (drop-ws, rest-down, slow), input validation with coded
// errors, the CLI entry, and the promise that app secrets and tokens never reach the log.
import { describe, expect, it } from 'vitest';
import { isTgError } from '../../machines/errors.ts';
import { createLogger } from '../../runtime/log.ts';
import { brokerEmulatorCommand, parseEmulatorArgs, startEmulator } from '../../runtime/emulator/index.ts';
import {
  RawWs,
  controlFor,
  getJson,
  kisApproval,
  kisSubscribe,
  kisToken,
  post,
  testClock,
  withEmulator,
} from './emulatorHarness.ts';

const fault = (url: string, body: unknown) => post(`${url}/_emulator/faults`, body);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function eventually<T>(attempt: () => Promise<T>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await attempt();
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await sleep(50);
    }
  }
}

describe('broker emulator: faults', () => {
  it('drop-ws closes every session and refuses new ones until the fault ends', async () => {
    await withEmulator({ symbols: 2, historyMinutes: 1 }, async (emu) => {
      const approval = await kisApproval(emu, 'KEY-A', 'SECRET-A');
      const kis = await RawWs.open(emu.wsUrl);
      kis.send(kisSubscribe(approval, '005930'));
      await kis.next(controlFor('005930'));
      const kiwoom = await RawWs.open(`${emu.wsUrl}/api/dostk/websocket`);
      const r = await fault(emu.url, { kind: 'drop-ws', forMs: 2_000 });
      expect(r.status).toBe(200);
      expect(await kis.closed).toBe(1006);
      expect(await kiwoom.closed).toBe(1006);
      await expect(RawWs.open(emu.wsUrl)).rejects.toThrow(/503/);
      expect((await getJson(`${emu.url}/_emulator/health`)).body.faults).toEqual([
        { kind: 'drop-ws', until: expect.any(String) },
      ]);
      // After the fault the same app key may open a session again (the dropped one was released).
      const again = await eventually(() => RawWs.open(emu.wsUrl));
      again.send(kisSubscribe(approval, '005930'));
      expect(JSON.parse(await again.next(controlFor('005930'))).body.msg_cd).toBe('OPSP0000');
      again.close();
    });
  });

  it('rest-down answers broker REST with an HTML 503 page while admin keeps working; slow delays REST', async () => {
    await withEmulator({ symbols: 2, historyMinutes: 1 }, async (emu) => {
      const body = { grant_type: 'client_credentials', appkey: 'KEY-A', appsecret: 'SECRET-A' };
      await fault(emu.url, { kind: 'rest-down', forMs: 2_000 });
      const down = await post(`${emu.url}/oauth2/tokenP`, body);
      expect(down.status).toBe(503);
      expect(down.headers.get('content-type')).toMatch(/text\/html/);
      expect(down.text).toMatch(/^<!DOCTYPE html>/);
      expect((await post(`${emu.url}/api/dostk/chart`, '{}')).status).toBe(503);
      expect((await getJson(`${emu.url}/_emulator/stats`)).status).toBe(200);
      const up = await eventually(async () => {
        const r = await post(`${emu.url}/oauth2/tokenP`, body);
        if (r.status !== 200) throw new Error(`still ${r.status}`);
        return r;
      });
      expect(JSON.parse(up.text).access_token).toMatch(/^eyJ/);

      await fault(emu.url, { kind: 'slow', forMs: 5000, byMs: 300 });
      const started = Date.now();
      const slow = await post(`${emu.url}/oauth2/Approval`, { ...body, secretkey: 'SECRET-A' });
      expect(slow.status).toBe(200);
      expect(Date.now() - started).toBeGreaterThanOrEqual(250);
      await fault(emu.url, { kind: 'slow', forMs: 0, byMs: 0 });
      expect((await getJson(`${emu.url}/_emulator/health`)).body.faults).toEqual([]);
    });
  });

  it('refuses bad admin input with 400 and a JSON error', async () => {
    await withEmulator({ symbols: 2, clock: testClock(0), historyMinutes: 1 }, async (emu) => {
      for (const body of [
        '{"kind":"drop-ws","forMs":',
        { kind: 'explode', forMs: 10 },
        { kind: 'drop-ws' },
        { kind: 'slow', forMs: 10 },
        { kind: 'rest-down', forMs: -1 },
      ]) {
        const r = await fault(emu.url, body);
        expect(r.status).toBe(400);
        expect(JSON.parse(r.text).error).toEqual(expect.any(String));
      }
      expect((await getJson(`${emu.url}/_emulator/truth/bars`)).status).toBe(400);
      expect((await getJson(`${emu.url}/_emulator/truth/bars?symbol=123456`)).status).toBe(404);
      expect((await getJson(`${emu.url}/_emulator/nothing`)).status).toBe(404);
      const symbols = (await getJson(`${emu.url}/_emulator/symbols`)).body;
      expect(symbols.map((s: any) => s.symbol)).toEqual(emu.symbols);
      expect(symbols[0].prevVolume).toBeGreaterThan(symbols[1].prevVolume);
    });
  });
});

describe('broker emulator: options and CLI', () => {
  it('parses the CLI flags and refuses bad ones with TG_ERR_USAGE', () => {
    expect(
      parseEmulatorArgs([
        '--port',
        '0',
        '--seed',
        '3',
        '--symbols',
        '005930,000660',
        '--rate-limit=2',
        '--kiwoom-rate-limit',
        '1',
        '--market-open',
        'krx',
        '--host',
        '127.0.0.1',
      ]),
    ).toEqual({
      port: 0,
      seed: 3,
      symbols: ['005930', '000660'],
      rateLimitPerSec: 2,
      kiwoomRateLimitPerSec: 1,
      marketOpen: 'krx',
      host: '127.0.0.1',
    });
    for (const bad of [
      ['--rate-limit', 'fast'],
      ['--market-open', 'sometimes'],
      ['--symbols', '0'],
      ['--port'],
      ['--bogus', '1'],
    ]) {
      let error: unknown;
      try {
        parseEmulatorArgs(bad);
      } catch (e) {
        error = e;
      }
      expect(isTgError(error, 'TG_ERR_USAGE')).toBe(true);
    }
  });

  it('runs from the command line, prints one line with its URLs, and stops on the signal', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const stop = new AbortController();
    const run = brokerEmulatorCommand(['--port', '0', '--symbols', '2', '--seed', '5'], {
      stdout: { write: (t: string) => out.push(t) },
      stderr: { write: (t: string) => err.push(t) },
      signal: stop.signal,
    });
    await eventually(async () => {
      if (out.length === 0) throw new Error('not yet listening');
    });
    expect(out).toHaveLength(1);
    const url = /rest (http:\/\/\S+)/.exec(out[0])?.[1];
    expect(out[0]).toMatch(/ws ws:\/\/127\.0\.0\.1:\d+/);
    expect((await getJson(`${url}/_emulator/health`)).body.ok).toBe(true);
    stop.abort();
    expect(await run).toBe(0);

    const bad: string[] = [];
    expect(
      await brokerEmulatorCommand(['--rate-limit', '-3'], { stderr: { write: (t: string) => bad.push(t) } }),
    ).toBe(2);
    expect(bad.join('')).toMatch(/TG_ERR_USAGE/);
  });

  it('never writes app secrets, tokens or approval keys to its log', async () => {
    const lines: string[] = [];
    const log = createLogger({}, { write: (l) => lines.push(l) });
    const emu = await startEmulator({ symbols: 2, log, historyMinutes: 1 });
    try {
      const token = await kisToken(emu, 'KEY-LOG', 'SECRET-LOG-VALUE');
      const approval = await kisApproval(emu, 'KEY-LOG', 'SECRET-LOG-VALUE');
      const first = await RawWs.open(emu.wsUrl);
      const second = await RawWs.open(emu.wsUrl);
      first.send(kisSubscribe(approval, '005930'));
      await first.next(controlFor('005930'));
      second.send(kisSubscribe(approval, '005930'));
      await second.closed;
      await fault(emu.url, { kind: 'drop-ws', forMs: 10 });
      await post(`${emu.url}/oauth2/tokenP`, {
        grant_type: 'client_credentials',
        appkey: 'KEY-LOG',
        appsecret: 'WRONG-SECRET',
      });
      expect(lines.length).toBeGreaterThan(0);
      const all = lines.join('\n');
      for (const secret of ['SECRET-LOG-VALUE', 'WRONG-SECRET', token, approval])
        expect(all).not.toContain(secret);
    } finally {
      await emu.close();
    }
  });
});
