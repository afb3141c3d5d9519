// KIS WebSocket JSON messages: subscribe/unsubscribe wire shape and round trip, every OPSP control
// reply, PINGPONG, and the two routers (client side and emulator side).
import { describe, expect, it } from 'vitest';
import { kstTime } from '../../machines/marketHours.ts';
import { encodeH0stcnt0Frame } from '../../runtime/brokers/kis/h0stcnt0Encode.ts';
import {
  decodeKisControlReply,
  decodeKisPingpong,
  decodeKisSubscribe,
  encodeKisControlReply,
  encodeKisPingpong,
  encodeKisSubscribe,
  kisPingpongEcho,
  KIS_CONTROL,
  type KisControlKind,
} from '../../runtime/brokers/kis/wsControl.ts';
import { decodeKisClientMessage, decodeKisServerMessage } from '../../runtime/brokers/kis/wsMessages.ts';

const APPROVAL = '062f61cb-c756-4b8f-9fab-92113c6fbea4';

describe('KIS subscribe / unsubscribe', () => {
  it('registers with tr_type "1" and the documented header and body.input fields', () => {
    const text = encodeKisSubscribe({ approvalKey: APPROVAL, trKey: '005930' });
    expect(JSON.parse(text)).toEqual({
      header: { approval_key: APPROVAL, custtype: 'P', tr_type: '1', 'content-type': 'utf-8' },
      body: { input: { tr_id: 'H0STCNT0', tr_key: '005930' } },
    });
  });

  it('releases with tr_type "2"', () => {
    const text = encodeKisSubscribe({ approvalKey: APPROVAL, trKey: '005930', subscribe: false });
    expect(JSON.parse(text).header.tr_type).toBe('2');
  });

  it.each([true, false])('round-trips (subscribe=%s)', (subscribe) => {
    const text = encodeKisSubscribe({ approvalKey: APPROVAL, trKey: '000660', subscribe });
    expect(decodeKisSubscribe(text)).toEqual({
      ok: true,
      value: { approvalKey: APPROVAL, custtype: 'P', subscribe, trId: 'H0STCNT0', trKey: '000660' },
    });
  });

  it('rejects tr_type "0" (a sample docstring says so; the header table says "2")', () => {
    const text = encodeKisSubscribe({ approvalKey: APPROVAL, trKey: '005930' }).replace(
      '"tr_type":"1"',
      '"tr_type":"0"',
    );
    const decoded = decodeKisSubscribe(text);
    expect(decoded.ok).toBe(false);
    if (!decoded.ok) expect(decoded.error.reason).not.toContain(APPROVAL);
  });
});

describe('KIS control replies', () => {
  const kinds = Object.keys(KIS_CONTROL) as KisControlKind[];

  it.each(kinds)('%s round-trips with its msg_cd and rt_cd', (kind) => {
    const decoded = decodeKisControlReply(encodeKisControlReply(kind, { trKey: '005930' }));
    expect(decoded.ok).toBe(true);
    if (!decoded.ok) return;
    expect(decoded.value).toMatchObject({
      kind,
      msgCd: KIS_CONTROL[kind].msgCd,
      msg1: KIS_CONTROL[kind].msg1,
    });
    expect(decoded.value.ok).toBe(kind === 'subscribed' || kind === 'unsubscribed');
  });

  it('SUBSCRIBE SUCCESS carries output iv and key', () => {
    const text = encodeKisControlReply('subscribed', {
      trKey: '005930',
      iv: 'a'.repeat(16),
      key: 'b'.repeat(32),
    });
    expect(JSON.parse(text)).toEqual({
      header: { tr_id: 'H0STCNT0', tr_key: '005930', encrypt: 'N' },
      body: {
        rt_cd: '0',
        msg_cd: 'OPSP0000',
        msg1: 'SUBSCRIBE SUCCESS',
        output: { iv: 'a'.repeat(16), key: 'b'.repeat(32) },
      },
    });
  });

  it('codes are the documented ones', () => {
    expect(Object.values(KIS_CONTROL).map((c) => c.msgCd)).toEqual([
      'OPSP0000',
      'OPSP0001',
      'OPSP0002',
      'OPSP0003',
      'OPSP0007',
      'OPSP0008',
      'OPSP8996',
    ]);
    expect(KIS_CONTROL['max-subscribe-over'].msg1).toBe('MAX SUBSCRIBE OVER');
    expect(KIS_CONTROL['appkey-in-use'].msg1).toBe('ALREADY IN USE appkey');
  });

  it('OPSP8996 comes with tr_id "(null)" and rt_cd "9", and is a failure', () => {
    const text = encodeKisControlReply('appkey-in-use');
    expect(JSON.parse(text).header).toEqual({ tr_id: '(null)', tr_key: '', encrypt: 'N' });
    const decoded = decodeKisControlReply(text);
    expect(decoded.ok && decoded.value).toMatchObject({ rtCd: '9', ok: false, kind: 'appkey-in-use' });
  });

  it('treats any rt_cd other than "0" as failure, even for a known code', () => {
    const text = JSON.stringify({ header: {}, body: { rt_cd: '1', msg_cd: 'OPSP0000', msg1: 'odd' } });
    const decoded = decodeKisControlReply(text);
    expect(decoded.ok && decoded.value.ok).toBe(false);
  });

  it('accepts a body-only reply and an unknown code, scrubbing an echoed approval key from msg1', () => {
    const text = JSON.stringify({
      body: { rt_cd: '1', msg_cd: 'OPSP0011', msg1: `invalid approval : ${APPROVAL}` },
    });
    const decoded = decodeKisControlReply(text);
    expect(decoded.ok).toBe(true);
    if (!decoded.ok) return;
    expect(decoded.value).toMatchObject({ kind: 'other', ok: false, trId: '' });
    expect(decoded.value.msg1).not.toContain(APPROVAL);
    expect(decoded.value.msg1).toContain('invalid approval');
  });
});

describe('KIS PINGPONG', () => {
  it('encodes the KST datetime, is recognised and echoed unchanged', () => {
    const text = encodeKisPingpong(kstTime('20260301', '09:15:30'));
    expect(JSON.parse(text)).toEqual({ header: { tr_id: 'PINGPONG', datetime: '20260301091530' } });
    expect(decodeKisPingpong(text)).toEqual({ ok: true, value: { datetime: '20260301091530' } });
    expect(kisPingpongEcho(text)).toBe(text);
  });

  it('a control reply is not a PINGPONG', () => {
    expect(decodeKisPingpong(encodeKisControlReply('subscribed')).ok).toBe(false);
  });
});

describe('KIS routers', () => {
  const t = kstTime('20260301', '09:00:01');
  const frame = encodeH0stcnt0Frame({
    symbol: '005930',
    day: '20260301',
    ts: [t],
    cumVolume: [10],
    price: [70000],
    volume: [10],
  }).frame;

  it('server side: data frame, PINGPONG, control reply, garbage', () => {
    expect(decodeKisServerMessage(frame)).toMatchObject({ kind: 'ticks', batches: [{ symbol: '005930' }] });
    const ping = encodeKisPingpong(t);
    expect(decodeKisServerMessage(ping)).toEqual({ kind: 'pingpong', datetime: '20260301090001', raw: ping });
    expect(
      decodeKisServerMessage(encodeKisControlReply('max-subscribe-over', { trKey: '005930' })),
    ).toMatchObject({
      kind: 'control',
      reply: { kind: 'max-subscribe-over', trKey: '005930', ok: false },
    });
    expect(decodeKisServerMessage('1|H0STCNI0|001|abc')).toMatchObject({
      kind: 'error',
      error: { kind: 'encrypted' },
    });
    expect(decodeKisServerMessage('<!DOCTYPE html>')).toMatchObject({
      kind: 'error',
      error: { kind: 'html' },
    });
    expect(decodeKisServerMessage('{"header":')).toMatchObject({
      kind: 'error',
      error: { kind: 'bad-json' },
    });
  });

  it('emulator side: subscribe, unsubscribe, PINGPONG echo, garbage', () => {
    expect(
      decodeKisClientMessage(encodeKisSubscribe({ approvalKey: APPROVAL, trKey: '005930' })),
    ).toMatchObject({
      kind: 'subscribe',
      request: { trKey: '005930' },
    });
    expect(
      decodeKisClientMessage(
        encodeKisSubscribe({ approvalKey: APPROVAL, trKey: '005930', subscribe: false }),
      ),
    ).toMatchObject({ kind: 'unsubscribe' });
    expect(decodeKisClientMessage(encodeKisPingpong(t))).toEqual({
      kind: 'pingpong',
      datetime: '20260301090001',
    });
    expect(decodeKisClientMessage('')).toMatchObject({ kind: 'error', error: { kind: 'empty' } });
  });
});
