// The live KIS WebSocket client against a scripted local server: approval key, one registration per
// symbol with OPSP replies, ticks, PINGPONG, bad frames counted without losing the connection,
// OPSP8996 and every other close reported exactly once, reconnect, liveness.
import { describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import { isTgError } from '../../machines/errors.ts';
import { encodeKisApprovalResponse, encodeKisTokenResponse } from '../../runtime/brokers/kis/auth.ts';
import { encodeH0stcnt0Frame } from '../../runtime/brokers/kis/h0stcnt0Encode.ts';
import {
  decodeKisSubscribe,
  encodeKisControlReply,
  encodeKisPingpong,
} from '../../runtime/brokers/kis/wsControl.ts';
import {
  capturingLogger,
  recorder,
  SECRET,
  startHttp,
  tickBatch,
  until,
  useCleanups,
} from './brokerClientHarness.ts';
import { livePorts, startServers } from './brokerClientWsSetup.ts';

const APPROVAL = 'approval-key-0123456789-abcdefghijklmnop';

const cleanups = useCleanups();

/** A KIS WebSocket that registers every symbol but 999999 (cap reached) and 000020 (already). */
async function kisWorld(
  o: {
    onConnection?: (s: WebSocket, i: number) => void;
    silentSubscribe?: boolean;
    autoPong?: boolean;
    /** Short deadlines only where a test waits for one to pass (the machine may be busy). */
    requestTimeoutMs?: number;
    idleTimeoutMs?: number;
  } = {},
) {
  const { http, ws } = await startServers(
    cleanups,
    (req) =>
      req.path === '/oauth2/Approval'
        ? { status: 200, body: encodeKisApprovalResponse(APPROVAL) }
        : {
            status: 200,
            body: encodeKisTokenResponse({ accessToken: 'tok', expiresAt: Date.now() + 86_400_000 }),
          },
    (socket, text) => {
      const req = decodeKisSubscribe(text);
      if (!req.ok || o.silentSubscribe) return;
      const { trKey } = req.value;
      const kind = !req.value.subscribe
        ? 'unsubscribed'
        : trKey === '999999'
          ? 'max-subscribe-over'
          : trKey === '000020'
            ? 'already-subscribed'
            : 'subscribed';
      socket.send(encodeKisControlReply(kind, { trKey }));
    },
    o.onConnection,
    { autoPong: o.autoPong },
  );
  const { log, lines } = capturingLogger();
  const ports = livePorts(cleanups, {
    broker: 'kis',
    restUrl: http.url,
    wsUrl: ws.url,
    requestTimeoutMs: o.requestTimeoutMs ?? 2000,
    idleTimeoutMs: o.idleTimeoutMs ?? 10_000,
    log,
  });
  return { http, ws, ports, lines };
}

describe('KIS WebSocket client', () => {
  it('registers one frame per symbol with the approval key and maps the OPSP replies', async () => {
    const { http, ws, ports } = await kisWorld();
    const rec = recorder();
    await ports.ws.connect(rec.handlers);
    const result = await ports.ws.subscribe(['005930', '000660', '999999', '000020', '005930']);
    expect(result.accepted).toEqual(['005930', '000660', '000020']);
    expect(result.rejected).toEqual({ '999999': 'OPSP0008 MAX SUBSCRIBE OVER' });
    const sent = ws.received[0].map((t) => decodeKisSubscribe(t));
    expect(sent.map((s) => (s.ok ? [s.value.trKey, s.value.subscribe, s.value.approvalKey] : null))).toEqual([
      ['005930', true, APPROVAL],
      ['000660', true, APPROVAL],
      ['999999', true, APPROVAL],
      ['000020', true, APPROVAL],
    ]);
    expect(http.requests.map((r) => r.path)).toEqual(['/oauth2/Approval']);
    await ports.ws.unsubscribe(['000660']);
    const last = decodeKisSubscribe(ws.received[0].at(-1));
    expect(last.ok && [last.value.trKey, last.value.subscribe]).toEqual(['000660', false]);
  });

  it('decodes data frames into tick batches and answers PINGPONG with the same text and a pong', async () => {
    const { ws, ports } = await kisWorld();
    const rec = recorder();
    await ports.ws.connect(rec.handlers);
    await ports.ws.subscribe(['005930']);
    const b = tickBatch('005930', 3);
    const ping = encodeKisPingpong(Date.now());
    ws.sockets[0].send(encodeH0stcnt0Frame(b).frame);
    ws.sockets[0].send(ping);
    await until(() => rec.batches.length > 0 && ws.received[0].includes(ping) && ws.pongs.includes(ping));
    expect(rec.batches).toEqual([b]);
    expect(rec.closes).toEqual([]);
  });

  it('counts every bad frame, keeps the connection, and still delivers the good frame after them', async () => {
    const { ws, ports, lines } = await kisWorld();
    const rec = recorder();
    await ports.ws.connect(rec.handlers);
    const good = encodeH0stcnt0Frame(tickBatch('005930', 2)).frame;
    const s = ws.sockets[0];
    s.send(good.slice(0, good.length - 40)); // truncated
    s.send(good.replace('|002|', '|003|')); // record count lies
    s.send(good + '^extra'); // one field too many
    s.send('<html><body>502 Bad Gateway</body></html>');
    s.send('{"header":{"tr_id":"H0STCNT0"'); // truncated JSON
    s.send(Buffer.from([0xff, 0xfe, 0x00, 0x80, 0x7c, 0x30]), { binary: false }); // invalid UTF-8 text
    s.send(Buffer.from([1, 2, 3, 4]), { binary: true });
    s.send('1|H0STCNT0|001|encrypted-payload');
    s.send(good);
    await until(() => rec.batches.length > 0);
    expect(rec.bad).toHaveLength(8);
    expect(ports.stats().badFrames).toBe(8);
    expect(rec.closes).toEqual([]);
    expect(rec.batches[0].cumVolume).toEqual([1010, 1020]);
    expect(lines.join('\n')).not.toContain(SECRET);
  });

  it('OPSP8996 (app key in use) closes with that reason, reported once', async () => {
    const { ws, ports } = await kisWorld();
    const rec = recorder();
    await ports.ws.connect(rec.handlers);
    ws.sockets[0].send(encodeKisControlReply('appkey-in-use'));
    await until(() => rec.closes.length > 0);
    await new Promise((r) => setTimeout(r, 50));
    expect(rec.closes).toEqual(['OPSP8996']);
    const e = await ports.ws.subscribe(['005930']).catch((x: unknown) => x);
    expect(isTgError(e, 'TG_ERR_BROKER_DOWN')).toBe(true);
  });

  it('a server-side close is reported once, and connect() works again with fresh subscriptions', async () => {
    const { ws, ports, http } = await kisWorld();
    const rec = recorder();
    await ports.ws.connect(rec.handlers);
    await ports.ws.subscribe(['005930']);
    ws.sockets[0].terminate();
    await until(() => rec.closes.length > 0);
    expect(rec.closes).toHaveLength(1);
    const rec2 = recorder();
    await ports.ws.connect(rec2.handlers);
    expect((await ports.ws.subscribe(['005930'])).accepted).toEqual(['005930']);
    expect(ws.received[1]).toHaveLength(1);
    ws.sockets[1].send(encodeH0stcnt0Frame(tickBatch('005930', 1)).frame);
    await until(() => rec2.batches.length > 0);
    expect(ports.stats().reconnects).toBe(1);
    expect(http.requests.filter((r) => r.path === '/oauth2/Approval')).toHaveLength(1);
    expect(rec.closes).toHaveLength(1);
  });

  it('our own close() is not reported through onClose', async () => {
    const { ports } = await kisWorld();
    const rec = recorder();
    await ports.ws.connect(rec.handlers);
    await ports.ws.close();
    await new Promise((r) => setTimeout(r, 50));
    expect(rec.closes).toEqual([]);
  });

  it('a silent server (no frames, no pongs) is given up after idleTimeoutMs', async () => {
    const { ports } = await kisWorld({ autoPong: false, idleTimeoutMs: 600 });
    const rec = recorder();
    await ports.ws.connect(rec.handlers);
    await until(() => rec.closes.length > 0, 5000);
    expect(rec.closes[0]).toMatch(/^idle timeout/);
  });

  it('a quiet but healthy server answers our pings and the connection stays', async () => {
    const { ports } = await kisWorld({ idleTimeoutMs: 1000 });
    const rec = recorder();
    await ports.ws.connect(rec.handlers);
    await new Promise((r) => setTimeout(r, 2500));
    expect(rec.closes).toEqual([]);
  });

  it('a registration without a control reply fails as TG_ERR_BROKER_DOWN', async () => {
    const { ports } = await kisWorld({ silentSubscribe: true, requestTimeoutMs: 200 });
    await ports.ws.connect(recorder().handlers);
    const e = await ports.ws.subscribe(['005930']).catch((x: unknown) => x);
    expect(isTgError(e, 'TG_ERR_BROKER_DOWN')).toBe(true);
  });

  it('a refused approval key (OPSP0011) fails subscribe, and the next connect gets a new key', async () => {
    let approvals = 0;
    const { http, ws } = await startServers(
      cleanups,
      () => ({ status: 200, body: encodeKisApprovalResponse(`approval-${++approvals}`) }),
      (socket, text) => {
        const req = decodeKisSubscribe(text);
        if (!req.ok) return;
        const { trKey, approvalKey } = req.value;
        socket.send(
          approvalKey === 'approval-1'
            ? JSON.stringify({
                header: { tr_id: 'H0STCNT0', tr_key: trKey, encrypt: 'N' },
                body: { rt_cd: '1', msg_cd: 'OPSP0011', msg1: 'invalid approval : NOT FOUND' },
              })
            : encodeKisControlReply('subscribed', { trKey }),
        );
      },
    );
    const ports = livePorts(cleanups, { broker: 'kis', restUrl: http.url, wsUrl: ws.url });
    await ports.ws.connect(recorder().handlers);
    const e = await ports.ws.subscribe(['005930']).catch((x: unknown) => x);
    expect(isTgError(e, 'TG_ERR_BROKER_HTTP')).toBe(true);
    await ports.ws.connect(recorder().handlers);
    expect(await ports.ws.subscribe(['005930'])).toEqual({ accepted: ['005930'], rejected: {} });
    expect(approvals).toBe(2);
  });

  it('an unreachable or refusing WebSocket endpoint fails connect() with TG_ERR_BROKER_DOWN', async () => {
    const http = await startHttp((req) =>
      req.path === '/oauth2/Approval'
        ? { status: 200, body: encodeKisApprovalResponse(APPROVAL) }
        : { status: 403, body: '<html>forbidden</html>' },
    );
    cleanups(() => http.close());
    for (const wsUrl of ['ws://127.0.0.1:1', http.url.replace('http', 'ws')]) {
      const ports = livePorts(cleanups, { broker: 'kis', restUrl: http.url, wsUrl });
      const e = await ports.ws.connect(recorder().handlers).catch((x: unknown) => x);
      expect(isTgError(e, 'TG_ERR_BROKER_DOWN')).toBe(true);
    }
  });
});
