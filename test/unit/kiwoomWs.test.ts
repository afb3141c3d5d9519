// Kiwoom WebSocket: LOGIN, PING echo, REG/REMOVE, SYSTEM and REAL 0B pushes (signed prices and volumes,
// abs on decode), with the never-throw, drop-the-whole-message contract of the tick decoder.
import { describe, expect, it } from 'vitest';
import { kstTime } from '../../machines/marketHours.ts';
import type { TickBatch } from '../../machines/types.ts';
import { decodeKiwoomReal, encodeKiwoomReal } from '../../runtime/brokers/kiwoom/real0b.ts';
import {
  decodeKiwoomClientMessage,
  decodeKiwoomServerMessage,
  encodeKiwoomLogin,
  encodeKiwoomLoginReply,
  encodeKiwoomPing,
  encodeKiwoomRegister,
  encodeKiwoomRegReply,
  encodeKiwoomSystem,
  kiwoomPingEcho,
} from '../../runtime/brokers/kiwoom/ws.ts';

const DAY = '20260302';
const t0 = kstTime(DAY, '09:30:12');

function batch(overrides: Partial<TickBatch> = {}): TickBatch {
  return {
    symbol: '005930',
    day: DAY,
    ts: [t0, t0, t0 + 2000],
    cumVolume: [1234567, 1234580, 1234600],
    price: [71500, 71600, 71400],
    volume: [15, 13, 20],
    ...overrides,
  };
}

describe('Kiwoom REAL 0B', () => {
  it('encodes one data entry per tick with FID keys 20/10/15/13 and signs against the previous close', () => {
    const { message } = encodeKiwoomReal(batch(), { context: { prevClose: 71500 } });
    const json = JSON.parse(message);
    expect(json.trnm).toBe('REAL');
    expect(json.data).toHaveLength(3);
    expect(json.data[0]).toMatchObject({ type: '0B', name: '주식체결', item: '005930' });
    const [first, second, third] = json.data.map((d: { values: Record<string, string> }) => d.values);
    expect([first['20'], first['10'], first['13']]).toEqual(['093012', '71500', '1234567']);
    expect([second['10'], second['15'], second['11']]).toEqual(['+71600', '+13', '+100']);
    expect([third['10'], third['15'], third['25'], third['12']]).toEqual(['-71400', '-20', '5', '-0.14']);
    for (const key of ['16', '17', '18', '27', '28', '14', '228', '290', '1030', '1031', '9081']) {
      expect(third[key]).toMatch(/^[+-]?\d+(\.\d+)?$/);
    }
  });

  it('round-trips through decodeKiwoomReal given the trading day', () => {
    const b = batch();
    expect(decodeKiwoomReal(encodeKiwoomReal(b).message, { day: DAY })).toEqual({ batches: [b], errors: [] });
  });

  it('takes the magnitude of signed price and volume, strips an A prefix, skips other types', () => {
    const message = JSON.stringify({
      trnm: 'REAL',
      data: [
        { type: '0D', name: '주식호가잔량', item: '005930', values: { '21': '093012' } },
        {
          type: '0B',
          name: '주식체결',
          item: 'A005930',
          values: { '20': '093012', '10': '-71500', '15': '-15', '13': '1234567' },
        },
      ],
    });
    expect(decodeKiwoomReal(message, { day: DAY })).toEqual({
      batches: [{ symbol: '005930', day: DAY, ts: [t0], cumVolume: [1234567], price: [71500], volume: [15] }],
      errors: [],
    });
  });

  it('drops the whole message when one 0B entry is broken, with one coded error', () => {
    const json = JSON.parse(encodeKiwoomReal(batch()).message);
    json.data[1].values['13'] = 'twelve';
    const result = decodeKiwoomReal(JSON.stringify(json), { day: DAY });
    expect(result.batches).toEqual([]);
    expect(result.errors).toEqual([
      expect.objectContaining({
        code: 'TG_ERR_BROKER_FRAME',
        kind: 'bad-field',
        reason: expect.stringMatching(/entry 2 of 3.*13/),
      }),
    ]);
  });

  it.each([
    ['empty', '', 'empty'],
    ['HTML', '<html>503</html>', 'html'],
    ['truncated JSON', '{"trnm":"REAL","data":[{"type":"0B"', 'bad-json'],
    ['data not a list', '{"trnm":"REAL","data":{}}', 'shape'],
  ])('%s is a coded error', (_n, text, kind) => {
    const result = decodeKiwoomReal(text, { day: DAY });
    expect(result.batches).toEqual([]);
    expect(result.errors[0]).toMatchObject({ code: 'TG_ERR_BROKER_FRAME', kind });
  });

  it('a bad trading day from the caller is a coded error too', () => {
    expect(decodeKiwoomReal(encodeKiwoomReal(batch()).message, { day: '2026-03-02' }).errors).toHaveLength(1);
  });
});

describe('Kiwoom control messages', () => {
  it('LOGIN request and reply', () => {
    expect(JSON.parse(encodeKiwoomLogin('tok'))).toEqual({ trnm: 'LOGIN', token: 'tok' });
    expect(decodeKiwoomClientMessage(encodeKiwoomLogin('tok'))).toEqual({ kind: 'login', token: 'tok' });
    expect(decodeKiwoomServerMessage(encodeKiwoomLoginReply(), { day: DAY })).toEqual({
      kind: 'login',
      ok: true,
      returnCode: 0,
      message: '',
    });
    expect(decodeKiwoomServerMessage(encodeKiwoomLoginReply(1, 'FAIL'), { day: DAY })).toMatchObject({
      ok: false,
    });
  });

  it('PING is recognised on both sides and echoed unchanged, extra fields included', () => {
    const ping = '{"trnm":"PING","seq":"7"}';
    expect(JSON.parse(encodeKiwoomPing())).toEqual({ trnm: 'PING' });
    expect(decodeKiwoomServerMessage(ping, { day: DAY })).toEqual({ kind: 'ping', raw: ping });
    expect(decodeKiwoomClientMessage(ping)).toEqual({ kind: 'ping', raw: ping });
    expect(kiwoomPingEcho(ping)).toBe(ping);
  });

  it('REG has grp_no, refresh and data[{item, type}]; REMOVE round-trips too', () => {
    const reg = encodeKiwoomRegister({ items: ['005930', '000660'] });
    expect(JSON.parse(reg)).toEqual({
      trnm: 'REG',
      grp_no: '1',
      refresh: '1',
      data: [{ item: ['005930', '000660'], type: ['0B'] }],
    });
    expect(decodeKiwoomClientMessage(reg)).toEqual({
      kind: 'reg',
      grpNo: '1',
      refresh: '1',
      items: ['005930', '000660'],
      types: ['0B'],
    });
    const remove = encodeKiwoomRegister({ items: ['005930'], remove: true });
    expect(decodeKiwoomClientMessage(remove)).toMatchObject({
      kind: 'remove',
      items: ['005930'],
      types: ['0B'],
    });
    expect(decodeKiwoomServerMessage(encodeKiwoomRegReply('REMOVE'), { day: DAY })).toMatchObject({
      kind: 'remove',
      ok: true,
    });
  });

  it('SYSTEM notices are passed on with their code', () => {
    expect(decodeKiwoomServerMessage(encodeKiwoomSystem('R10001', '연결 종료'), { day: DAY })).toEqual({
      kind: 'system',
      code: 'R10001',
      message: '연결 종료',
    });
  });

  it('REAL through the server router gives ticks; unknown trnm is a coded error', () => {
    expect(decodeKiwoomServerMessage(encodeKiwoomReal(batch()).message, { day: DAY })).toMatchObject({
      kind: 'ticks',
      batches: [{ symbol: '005930' }],
    });
    expect(decodeKiwoomServerMessage('{"trnm":"CNSRLST"}', { day: DAY })).toMatchObject({ kind: 'error' });
    expect(decodeKiwoomClientMessage('{"trnm":"REG","data":[{"item":"005930"}]}')).toMatchObject({
      kind: 'error',
    });
  });
});
