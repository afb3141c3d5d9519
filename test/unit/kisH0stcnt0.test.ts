// KIS H0STCNT0 data frames: field positions against the reference list, encode -> decode round trips,
// and every malformed-frame category reported as a coded error (never thrown, whole frame dropped).
import { describe, expect, it } from 'vitest';
import { kstTime } from '../../machines/marketHours.ts';
import type { TickBatch } from '../../machines/types.ts';
import { decodeH0stcnt0Frame } from '../../runtime/brokers/kis/h0stcnt0Decode.ts';
import {
  encodeH0stcnt0Frame,
  encodeH0stcnt0Frames,
  formatKisDataFrame,
} from '../../runtime/brokers/kis/h0stcnt0Encode.ts';

// One real record (005930, 2023-03-24 11:26:16 KST), written out field by field in the order of the
// reference's H0STCNT0 list (shared/reference/brokers.md section 2).
const REFERENCE_RECORD: [number, string, string][] = [
  [0, 'MKSC_SHRN_ISCD', '005930'],
  [1, 'STCK_CNTG_HOUR', '112616'],
  [2, 'STCK_PRPR', '62700'],
  [3, 'PRDY_VRSS_SIGN', '2'],
  [4, 'PRDY_VRSS', '400'],
  [5, 'PRDY_CTRT', '0.64'],
  [6, 'WGHN_AVRG_STCK_PRC', '62700.41'],
  [7, 'STCK_OPRC', '62700'],
  [8, 'STCK_HGPR', '63000'],
  [9, 'STCK_LWPR', '62300'],
  [10, 'ASKP1', '62700'],
  [11, 'BIDP1', '62600'],
  [12, 'CNTG_VOL', '125'],
  [13, 'ACML_VOL', '9694968'],
  [14, 'ACML_TR_PBMN', '607878273600'],
  [15, 'SELN_CNTG_CSNU', '25807'],
  [16, 'SHNU_CNTG_CSNU', '15918'],
  [17, 'NTBY_CNTG_CSNU', '-9889'],
  [18, 'CTTR', '93.01'],
  [19, 'SELN_CNTG_SMTN', '4614191'],
  [20, 'SHNU_CNTG_SMTN', '4291558'],
  [21, 'CCLD_DVSN', '1'],
  [22, 'SHNU_RATE', '0.45'],
  [23, 'PRDY_VOL_VRSS_ACML_VOL_RATE', '63.03'],
  [24, 'OPRC_HOUR', '090013'],
  [25, 'OPRC_VRSS_PRPR_SIGN', '3'],
  [26, 'OPRC_VRSS_PRPR', '0'],
  [27, 'HGPR_HOUR', '090646'],
  [28, 'HGPR_VRSS_PRPR_SIGN', '5'],
  [29, 'HGPR_VRSS_PRPR', '-300'],
  [30, 'LWPR_HOUR', '100741'],
  [31, 'LWPR_VRSS_PRPR_SIGN', '2'],
  [32, 'LWPR_VRSS_PRPR', '400'],
  [33, 'BSOP_DATE', '20230324'],
  [34, 'NEW_MKOP_CLS_CODE', '20'],
  [35, 'TRHT_YN', 'N'],
  [36, 'ASKP_RSQN1', '71292'],
  [37, 'BIDP_RSQN1', '244009'],
  [38, 'TOTAL_ASKP_RSQN', '2795345'],
  [39, 'TOTAL_BIDP_RSQN', '2044512'],
  [40, 'VOL_TNRT', '0.16'],
  [41, 'PRDY_SMNS_HOUR_ACML_VOL', '5367918'],
  [42, 'PRDY_SMNS_HOUR_ACML_VOL_RATE', '180.61'],
  [43, 'HOUR_CLS_CODE', '0'],
  [44, 'MRKT_TRTM_CLS_CODE', ''],
  [45, 'VI_STND_PRC', '62700'],
];
const REFERENCE_FIELDS = REFERENCE_RECORD.map(([, , v]) => v);
const REFERENCE_FRAME = `0|H0STCNT0|001|${REFERENCE_FIELDS.join('^')}`;

function batch(overrides: Partial<TickBatch> = {}): TickBatch {
  const t0 = kstTime('20230324', '09:00:05');
  return {
    symbol: '005930',
    day: '20230324',
    ts: [t0, t0 + 1000, t0 + 1000, t0 + 7000],
    cumVolume: [100, 130, 131, 400],
    price: [62700, 62800, 62700, 62600],
    volume: [100, 30, 1, 269],
    ...overrides,
  };
}

describe('H0STCNT0 field positions', () => {
  it('the hand-built reference record has 46 fields in the documented order', () => {
    expect(REFERENCE_RECORD.map(([i]) => i)).toEqual([...Array(46).keys()]);
    expect(REFERENCE_FRAME.split('|')[3].split('^')).toHaveLength(46);
  });

  it('decodes price from 2, CNTG_VOL from 12, ACML_VOL from 13, time from 1 and BSOP_DATE from 33 in KST', () => {
    const { batches, errors } = decodeH0stcnt0Frame(REFERENCE_FRAME);
    expect(errors).toEqual([]);
    expect(batches).toEqual([
      {
        symbol: '005930',
        day: '20230324',
        ts: [Date.UTC(2023, 2, 24, 2, 26, 16)],
        cumVolume: [9694968],
        price: [62700],
        volume: [125],
      },
    ]);
  });

  it('encodes each tick value at the reference index and fills all 46 fields', () => {
    const { frame } = encodeH0stcnt0Frame(batch(), { context: { prevClose: 62300 }, hourClsCode: 'C' });
    const [enc, trId, count, payload] = frame.split('|');
    expect([enc, trId, count]).toEqual(['0', 'H0STCNT0', '004']);
    const fields = payload.split('^');
    expect(fields).toHaveLength(4 * 46);
    const last = fields.slice(3 * 46);
    expect(last[0]).toBe('005930');
    expect(last[1]).toBe('090012');
    expect(last[2]).toBe('62600');
    expect(last[3]).toBe('2');
    expect(last[4]).toBe('300');
    expect(last[7]).toBe('62700'); // open of day: first trade
    expect(last[8]).toBe('62800'); // high so far
    expect(last[9]).toBe('62600'); // low so far
    expect(last[12]).toBe('269');
    expect(last[13]).toBe('400');
    expect(last[21]).toBe('5'); // downtick: seller-initiated
    expect(last[33]).toBe('20230324');
    expect(last[35]).toBe('N');
    expect(last[43]).toBe('C');
    // Every field but MRKT_TRTM_CLS_CODE (blank in real frames) carries a value.
    expect(last.filter((f, i) => f === '' && i !== 44)).toEqual([]);
  });

  it('keeps day statistics consistent: PRDY_VRSS = price - previous close, CTTR = buy/sell volume * 100', () => {
    const { frame } = encodeH0stcnt0Frame(batch(), { context: { prevClose: 62000 } });
    const fields = frame.split('|')[3].split('^').slice(138, 184);
    expect(fields[4]).toBe('600');
    expect(fields[5]).toBe('0.97');
    const [sell, buy] = [Number(fields[19]), Number(fields[20])];
    expect(Number(fields[18])).toBeCloseTo((buy / sell) * 100, 1);
    expect(Number(fields[17])).toBe(Number(fields[16]) - Number(fields[15]));
  });
});

describe('H0STCNT0 round trip', () => {
  it('decode(encode(batch)) gives the batch back', () => {
    const b = batch();
    expect(decodeH0stcnt0Frame(encodeH0stcnt0Frame(b).frame)).toEqual({ batches: [b], errors: [] });
  });

  it('splits long batches into frames of at most maxRecordsPerFrame records', () => {
    const b = batch();
    const { frames } = encodeH0stcnt0Frames(b, { maxRecordsPerFrame: 3 });
    expect(frames.map((f) => f.split('|')[2])).toEqual(['003', '001']);
    const decoded = frames.flatMap((f) => decodeH0stcnt0Frame(f).batches);
    expect(decoded.flatMap((d) => d.cumVolume)).toEqual(b.cumVolume);
  });

  it('carries the day across calls: the open of the first batch stays the open', () => {
    const first = encodeH0stcnt0Frame(batch(), { context: { prevClose: 62000 } });
    const t = kstTime('20230324', '10:00:00');
    const next = encodeH0stcnt0Frame(batch({ ts: [t], cumVolume: [500], price: [63000], volume: [100] }), {
      day: first.day,
    });
    const fields = next.frame.split('|')[3].split('^');
    expect(fields[7]).toBe('62700');
    expect(fields[8]).toBe('63000');
    expect(fields[24]).toBe('090005');
  });

  it('groups records of several symbols into one batch per symbol, in arrival order', () => {
    const a = encodeH0stcnt0Frame(batch()).frame.split('|')[3].split('^');
    const other = encodeH0stcnt0Frame(batch({ symbol: '000660' }))
      .frame.split('|')[3]
      .split('^');
    const records = [a.slice(0, 46), other.slice(0, 46), a.slice(46, 92)];
    const { batches } = decodeH0stcnt0Frame(formatKisDataFrame('H0STCNT0', records));
    expect(batches.map((b) => [b.symbol, b.cumVolume])).toEqual([
      ['005930', [100, 130]],
      ['000660', [100]],
    ]);
  });

  it('refuses to encode a ragged batch', () => {
    expect(() => encodeH0stcnt0Frame(batch({ volume: [1] }))).toThrow(/ragged/);
  });
});

describe('malformed H0STCNT0 frames are coded errors, never exceptions', () => {
  const fields = [...REFERENCE_FIELDS];
  const cases: [string, unknown, string][] = [
    ['empty string', '', 'empty'],
    ['not a string', undefined, 'empty'],
    ['HTML error page', '<html><body>502 Bad Gateway</body></html>', 'html'],
    ['truncated frame', REFERENCE_FRAME.slice(0, 20), 'truncated'],
    ['frame cut inside the header', '0|H0STCN', 'truncated'],
    ['one field missing', `0|H0STCNT0|001|${fields.slice(1).join('^')}`, 'truncated'],
    ['one extra ^', `0|H0STCNT0|001|${fields.join('^')}^`, 'field-count'],
    ['NNN says two records, payload holds one', `0|H0STCNT0|002|${fields.join('^')}`, 'record-count'],
    [
      'NNN says one record, payload holds two',
      `0|H0STCNT0|001|${[...fields, ...fields].join('^')}`,
      'record-count',
    ],
    ['NNN not three digits', `0|H0STCNT0|1|${fields.join('^')}`, 'record-count'],
    ['NNN zero', `0|H0STCNT0|000|`, 'record-count'],
    ['encrypted frame for an unknown tr_id', '1|H0STCNI0|001|c2VjcmV0cGF5bG9hZA==', 'encrypted'],
    ['plain frame for another tr_id', `0|H0STASP0|001|${fields.join('^')}`, 'unknown-tr'],
    [
      'non-numeric price',
      `0|H0STCNT0|001|${Object.assign([...fields], { 2: '62,700' }).join('^')}`,
      'bad-field',
    ],
    [
      'non-numeric ACML_VOL',
      `0|H0STCNT0|001|${Object.assign([...fields], { 13: '9.7e6' }).join('^')}`,
      'bad-field',
    ],
    [
      'impossible time',
      `0|H0STCNT0|001|${Object.assign([...fields], { 1: '256199' }).join('^')}`,
      'bad-field',
    ],
    [
      'impossible date',
      `0|H0STCNT0|001|${Object.assign([...fields], { 33: '20230231' }).join('^')}`,
      'bad-field',
    ],
    ['truncated JSON', '{"header":{"tr_id":"H0STCNT0"', 'shape'],
  ];
  it.each(cases)('%s', (_name, input, kind) => {
    const result = decodeH0stcnt0Frame(input);
    expect(result.batches).toEqual([]);
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toMatchObject({ code: 'TG_ERR_BROKER_FRAME', kind });
    expect(result.errors[0].reason.length).toBeGreaterThan(0);
  });

  it('drops the whole frame when one of several records is broken, reporting one error', () => {
    const good = encodeH0stcnt0Frame(batch()).frame.split('|')[3].split('^');
    const records = [good.slice(0, 46), good.slice(46, 92), good.slice(92, 138)];
    records[1][12] = 'x';
    const result = decodeH0stcnt0Frame(formatKisDataFrame('H0STCNT0', records));
    expect(result.batches).toEqual([]);
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0].reason).toMatch(/record 2 of 3.*CNTG_VOL/);
  });
});
