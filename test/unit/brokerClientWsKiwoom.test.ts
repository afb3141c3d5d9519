// The live Kiwoom WebSocket client against a scripted local server: LOGIN with the REST token first,
// REG of type 0B in batches, REAL pushes to tick batches, PING echoed, SYSTEM notices as close
// reasons, and a refused LOGIN that makes the next connect fetch a fresh token.
import { describe, expect, it } from 'vitest';
import { isTgError } from '../../machines/errors.ts';
import { encodeKiwoomTokenResponse } from '../../runtime/brokers/kiwoom/auth.ts';
import { encodeKiwoomReal } from '../../runtime/brokers/kiwoom/real0b.ts';
import {
  decodeKiwoomClientMessage,
  encodeKiwoomLoginReply,
  encodeKiwoomPing,
  encodeKiwoomRegReply,
  encodeKiwoomSystem,
} from '../../runtime/brokers/kiwoom/ws.ts';
import { recorder, tickBatch, until, useCleanups } from './brokerClientHarness.ts';
import { livePorts, startServers } from './brokerClientWsSetup.ts';

const cleanups = useCleanups();

describe('Kiwoom WebSocket client', () => {
  async function kiwoomWorld(o: { loginCode?: number } = {}) {
    let issued = 0;
    const { http, ws } = await startServers(
      cleanups,
      () => {
        issued++;
        return {
          status: 200,
          body: encodeKiwoomTokenResponse({ token: `kw-${issued}`, expiresAt: Date.now() + 86_400_000 }),
        };
      },
      (socket, text) => {
        const m = decodeKiwoomClientMessage(text);
        if (m.kind === 'login')
          socket.send(
            encodeKiwoomLoginReply(o.loginCode ?? 0, o.loginCode ? '인증에 실패했습니다[8005:Token]' : ''),
          );
        if (m.kind === 'reg') socket.send(encodeKiwoomRegReply('REG', m.items.includes('999999') ? 1 : 0));
        if (m.kind === 'remove') socket.send(encodeKiwoomRegReply('REMOVE'));
      },
    );
    const ports = livePorts(cleanups, {
      broker: 'kiwoom',
      restUrl: http.url,
      wsUrl: ws.url,
      requestTimeoutMs: 2000,
    });
    return { ws, ports, issued: () => issued };
  }

  it('logs in with the token first, then registers 0B in batches of 100 items', async () => {
    const { ws, ports } = await kiwoomWorld();
    await ports.ws.connect(recorder().handlers);
    const symbols = Array.from({ length: 150 }, (_, i) => String(100000 + i));
    const result = await ports.ws.subscribe(symbols);
    expect(result.accepted).toEqual(symbols);
    const sent = ws.received[0].map((t) => decodeKiwoomClientMessage(t));
    expect(sent[0]).toEqual({ kind: 'login', token: 'kw-1' });
    expect(sent.slice(1).map((m) => (m.kind === 'reg' ? [m.items.length, m.types] : m.kind))).toEqual([
      [100, ['0B']],
      [50, ['0B']],
    ]);
  });

  it('a refused REG rejects its items with the broker code', async () => {
    const { ports } = await kiwoomWorld();
    await ports.ws.connect(recorder().handlers);
    const result = await ports.ws.subscribe(['999999']);
    expect(result).toEqual({ accepted: [], rejected: { '999999': '1' } });
  });

  it('REAL pushes become tick batches of today, PING is echoed unchanged, junk is counted', async () => {
    const { ws, ports } = await kiwoomWorld();
    const rec = recorder();
    await ports.ws.connect(rec.handlers);
    await ports.ws.subscribe(['005930']);
    const b = tickBatch('005930', 4);
    const ping = encodeKiwoomPing().replace('}', ',"seq":7}');
    ws.sockets[0].send('{"trnm":"REAL","data":[{"type":"0B","item":"005930","values":{"20":"1"}}]}');
    ws.sockets[0].send(ping);
    ws.sockets[0].send(encodeKiwoomReal(b).message);
    await until(() => rec.batches.length > 0 && ws.received[0].includes(ping));
    expect(rec.batches).toEqual([b]);
    expect(rec.bad).toHaveLength(1);
  });

  it('a SYSTEM notice followed by the close is the close reason', async () => {
    const { ws, ports } = await kiwoomWorld();
    const rec = recorder();
    await ports.ws.connect(rec.handlers);
    ws.sockets[0].send(encodeKiwoomSystem('R10001', '동일한 App key로 접속'));
    ws.sockets[0].close();
    await until(() => rec.closes.length > 0);
    expect(rec.closes).toEqual(['SYSTEM R10001']);
  });

  it('a refused LOGIN fails connect() and the next connect() uses a fresh token', async () => {
    const { ws, ports, issued } = await kiwoomWorld({ loginCode: 3 });
    const e = await ports.ws.connect(recorder().handlers).catch((x: unknown) => x);
    expect(isTgError(e, 'TG_ERR_BROKER_HTTP')).toBe(true);
    await ports.ws.connect(recorder().handlers).catch(() => {});
    expect(issued()).toBe(2);
    expect(decodeKiwoomClientMessage(ws.received[1][0])).toEqual({ kind: 'login', token: 'kw-2' });
  });
});
