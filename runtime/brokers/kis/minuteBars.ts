// KIS 주식당일분봉조회 (GET inquire-time-itemchartprice, tr_id FHKST03010200): the request with its
// query and headers, its server-side parse, and the response (output1 + output2, newest first, at most
// 30 rows, every value a string) built from Bar[] and decoded back. Row times are minute starts.
import type { Bar } from '../../../machines/types.ts';
import { asObject, fail, parseJsonObject, stringField, type Decoded } from '../errors.ts';
import { brokerBodyError, decodeBarRows, type BarRowFormat } from '../minuteRows.ts';
import { changeSign } from './tradeDay.ts';
import {
  excerpt,
  fixed2,
  header,
  kstHms,
  kstYmd,
  parseKstDayTime,
  parseUnsigned,
  type HeaderBag,
  type HttpRequestSpec,
  type HttpResponseSpec,
} from './wire.ts';

export const KIS_MINUTE_BARS_PATH = '/uapi/domestic-stock/v1/quotations/inquire-time-itemchartprice';
export const KIS_MINUTE_BARS_TR_ID = 'FHKST03010200';
export const KIS_BARS_PER_CALL = 30;
const OK_BODY = { rt_cd: '0', msg_cd: 'MCA00000', msg1: '정상처리 되었습니다.' };

export interface KisMinuteBarsQuery {
  symbol: string;
  /** FID_INPUT_HOUR_1, 'HHMMSS' KST: bars at or before this time. */
  hour: string;
  /** FID_COND_MRKT_DIV_CODE: J KRX, NX NXT, UN combined. */
  market: string;
  /** FID_PW_DATA_INCU_YN. */
  includePast: string;
  /** FID_ETC_CLS_CODE, sent blank. */
  etcClsCode: string;
}

export interface KisRestAuth {
  accessToken: string;
  appKey: string;
  appSecret: string;
}

export function buildKisMinuteBarsRequest(
  q: { symbol: string; beforeOrAt: number; market?: string; includePast?: string },
  auth: KisRestAuth,
): HttpRequestSpec {
  return {
    method: 'GET',
    path: KIS_MINUTE_BARS_PATH,
    query: {
      FID_COND_MRKT_DIV_CODE: q.market ?? 'J',
      FID_INPUT_ISCD: q.symbol,
      FID_INPUT_HOUR_1: kstHms(q.beforeOrAt),
      FID_PW_DATA_INCU_YN: q.includePast ?? 'Y',
      FID_ETC_CLS_CODE: '',
    },
    headers: {
      'content-type': 'application/json; charset=utf-8',
      authorization: `Bearer ${auth.accessToken}`,
      appkey: auth.appKey,
      appsecret: auth.appSecret,
      tr_id: KIS_MINUTE_BARS_TR_ID,
      tr_cont: '',
      custtype: 'P',
    },
  };
}

/** Emulator side: the query string and headers of an incoming minute-bar request. */
export function parseKisMinuteBarsRequest(
  query: URLSearchParams | Record<string, string | undefined>,
  headers: HeaderBag,
): Decoded<{ query: KisMinuteBarsQuery; auth: KisRestAuth }> {
  const get = (k: string) => (query instanceof URLSearchParams ? (query.get(k) ?? undefined) : query[k]);
  const symbol = get('FID_INPUT_ISCD');
  const hour = get('FID_INPUT_HOUR_1');
  if (!symbol || !/^[0-9A-Z]{6,9}$/.test(symbol))
    return fail('bad-field', `FID_INPUT_ISCD ${excerpt(symbol)}`);
  if (parseKstDayTime('20000101', hour) === undefined)
    return fail('bad-field', `FID_INPUT_HOUR_1 ${excerpt(hour)}`);
  const trId = header(headers, 'tr_id');
  if (trId !== KIS_MINUTE_BARS_TR_ID)
    return fail('bad-field', `tr_id ${excerpt(trId)} is not ${KIS_MINUTE_BARS_TR_ID}`);
  const bearer = /^bearer\s+(\S+)$/i.exec(header(headers, 'authorization') ?? '');
  const appKey = header(headers, 'appkey');
  const appSecret = header(headers, 'appsecret');
  if (!bearer || !appKey || !appSecret)
    return fail('bad-field', 'authorization, appkey or appsecret header missing');
  return {
    ok: true,
    value: {
      query: {
        symbol,
        hour: hour as string,
        market: get('FID_COND_MRKT_DIV_CODE') ?? 'J',
        includePast: get('FID_PW_DATA_INCU_YN') ?? 'Y',
        etcClsCode: get('FID_ETC_CLS_CODE') ?? '',
      },
      auth: { accessToken: bearer[1], appKey, appSecret },
    },
  };
}

/** output1: the symbol's state now. Missing values are derived from the page. */
export interface KisMinuteBarsSnapshot {
  prevClose: number;
  price: number;
  cumVolume: number;
  cumValue: number;
  name: string;
}

export function encodeKisMinuteBarsResponse(
  bars: readonly Bar[],
  snapshot: Partial<KisMinuteBarsSnapshot> = {},
): string {
  const page = [...bars].sort((a, b) => b.minute - a.minute).slice(0, KIS_BARS_PER_CALL);
  const value = (b: Bar) => b.close * b.volume;
  const pageValue = page.reduce((s, b) => s + value(b), 0);
  const price = snapshot.price ?? page[0]?.close ?? snapshot.prevClose ?? 0;
  const prevClose = snapshot.prevClose ?? page[page.length - 1]?.open ?? price;
  const cumValue = snapshot.cumValue ?? pageValue;
  let runningValue = cumValue;
  const output2 = page.map((b) => {
    const row = {
      stck_bsop_date: kstYmd(b.minute),
      stck_cntg_hour: kstHms(b.minute),
      stck_prpr: String(b.close),
      stck_oprc: String(b.open),
      stck_hgpr: String(b.high),
      stck_lwpr: String(b.low),
      cntg_vol: String(b.volume),
      acml_tr_pbmn: String(Math.max(0, Math.round(runningValue))),
    };
    runningValue -= value(b);
    return row;
  });
  const output1 = {
    prdy_vrss: String(price - prevClose),
    prdy_vrss_sign: changeSign(price, prevClose),
    prdy_ctrt: fixed2(prevClose > 0 ? ((price - prevClose) / prevClose) * 100 : 0),
    stck_prdy_clpr: String(prevClose),
    acml_vol: String(snapshot.cumVolume ?? page.reduce((s, b) => s + b.volume, 0)),
    acml_tr_pbmn: String(Math.round(cumValue)),
    hts_kor_isnm: snapshot.name ?? page[0]?.symbol ?? '',
    stck_prpr: String(price),
  };
  return JSON.stringify({ output1, output2, ...OK_BODY });
}

export function kisMinuteBarsResponse(
  bars: readonly Bar[],
  snapshot: Partial<KisMinuteBarsSnapshot> = {},
): HttpResponseSpec {
  return {
    status: 200,
    headers: { 'content-type': 'application/json; charset=utf-8', tr_id: KIS_MINUTE_BARS_TR_ID, tr_cont: '' },
    body: encodeKisMinuteBarsResponse(bars, snapshot),
  };
}

const ROW_FIELDS = [
  'stck_bsop_date',
  'stck_cntg_hour',
  'stck_prpr',
  'stck_oprc',
  'stck_hgpr',
  'stck_lwpr',
  'cntg_vol',
];

/** output2 rows: unsigned strings, the time split into stck_bsop_date and stck_cntg_hour. */
const ROW_FORMAT: BarRowFormat = {
  list: 'output2',
  ohlc: ['stck_oprc', 'stck_hgpr', 'stck_lwpr', 'stck_prpr'],
  volume: 'cntg_vol',
  parse: parseUnsigned,
  time: (o) =>
    parseKstDayTime(o.stck_bsop_date, o.stck_cntg_hour) ?? {
      bad: parseKstDayTime(o.stck_bsop_date, '000000') === undefined ? 'stck_bsop_date' : 'stck_cntg_hour',
    },
  blank: (o) => ROW_FIELDS.every((k) => (stringField(o, k) ?? '').trim() === ''),
};

/**
 * Bars of one response, newest first. Rows that are entirely blank (KIS pads with them) are skipped;
 * any other bad row rejects the whole page, so a retry cannot be mistaken for "no bars in that
 * minute". A body with rt_cd other than "0" is an error carrying its class's code. Note: the newest
 * row may be the current, incomplete minute (its cntg_vol can even be the previous minute's).
 */
export function decodeKisMinuteBarsResponse(
  body: unknown,
  symbol: string,
): Decoded<{ bars: Bar[]; snapshot?: KisMinuteBarsSnapshot }> {
  const parsed = parseJsonObject(body, 'KIS minute bars');
  if (!parsed.ok) return parsed;
  const o = parsed.value;
  const rtCd = stringField(o, 'rt_cd');
  if (rtCd === undefined) return fail('shape', 'KIS minute bars: rt_cd missing');
  if (rtCd !== '0') return brokerBodyError('kis', body as string, `KIS minute bars: rt_cd ${excerpt(rtCd)}`);
  if (!Array.isArray(o.output2)) return fail('shape', 'KIS minute bars: output2 is not an array');
  const bars = decodeBarRows(o.output2, symbol, ROW_FORMAT);
  if (!bars.ok) return bars;
  return { ok: true, value: { bars: bars.value, snapshot: decodeSnapshot(o.output1) } };
}

function decodeSnapshot(v: unknown): KisMinuteBarsSnapshot | undefined {
  const o = asObject(v);
  if (!o) return undefined;
  const prevClose = parseUnsigned(o.stck_prdy_clpr);
  const price = parseUnsigned(o.stck_prpr);
  const cumVolume = parseUnsigned(o.acml_vol);
  const cumValue = parseUnsigned(o.acml_tr_pbmn);
  if (prevClose === undefined || price === undefined || cumVolume === undefined || cumValue === undefined)
    return undefined;
  return { prevClose, price, cumVolume, cumValue, name: stringField(o, 'hts_kor_isnm') ?? '' };
}
