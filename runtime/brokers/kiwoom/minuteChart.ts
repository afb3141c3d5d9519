// Kiwoom ka10080 주식분봉차트조회 (POST /api/dostk/chart): request (api-id header, body stk_cd /
// tic_scope / upd_stkpc_tp, cont-yn/next-key paging), its server-side parse, and the response rows
// `stk_min_pole_chart_qry` (newest first, prices signed against the previous close) both ways.
import type { Bar } from '../../../machines/types.ts';
import { fail, parseJsonObject, stringField, type Decoded } from '../errors.ts';
import { changeSign } from '../kis/tradeDay.ts';
import { brokerBodyError, decodeBarRows, type BarRowFormat } from '../minuteRows.ts';
import {
  excerpt,
  header,
  kstCompact,
  parseAbs,
  parseKstCompact,
  parseSigned,
  signedAgainst,
  withSign,
  type HeaderBag,
  type HttpRequestSpec,
  type HttpResponseSpec,
} from '../kis/wire.ts';

export const KIWOOM_CHART_PATH = '/api/dostk/chart';
export const KIWOOM_MINUTE_CHART_API_ID = 'ka10080';
const CONTENT_TYPE = 'application/json;charset=UTF-8';
const OK_MSG = '정상적으로 처리되었습니다';

export interface KiwoomMinuteChartQuery {
  symbol: string;
  /** 1/3/5/10/15/30/45/60 minutes. */
  ticScope: string;
  /** upd_stkpc_tp "1": adjusted prices. */
  adjusted: boolean;
  /** Continuation: the previous response's next-key, with cont-yn Y. */
  nextKey?: string;
}

export function buildKiwoomMinuteChartRequest(q: KiwoomMinuteChartQuery, token: string): HttpRequestSpec {
  const paging = q.nextKey !== undefined && q.nextKey !== '';
  return {
    method: 'POST',
    path: KIWOOM_CHART_PATH,
    headers: {
      'content-type': CONTENT_TYPE,
      'api-id': KIWOOM_MINUTE_CHART_API_ID,
      authorization: `Bearer ${token}`,
      'cont-yn': paging ? 'Y' : 'N',
      'next-key': paging ? (q.nextKey as string) : '',
    },
    body: JSON.stringify({ stk_cd: q.symbol, tic_scope: q.ticScope, upd_stkpc_tp: q.adjusted ? '1' : '0' }),
  };
}

/** Emulator side. `nextKey` is set only when cont-yn is Y. */
export function parseKiwoomMinuteChartRequest(
  headers: HeaderBag,
  body: unknown,
): Decoded<{ query: KiwoomMinuteChartQuery; token: string }> {
  const apiId = header(headers, 'api-id');
  if (apiId !== KIWOOM_MINUTE_CHART_API_ID)
    return fail('bad-field', `api-id ${excerpt(apiId)} is not ka10080`);
  const bearer = /^bearer\s+(\S+)$/i.exec(header(headers, 'authorization') ?? '');
  if (!bearer) return fail('bad-field', 'authorization header missing');
  const parsed = parseJsonObject(body, 'Kiwoom ka10080 request');
  if (!parsed.ok) return parsed;
  const symbol = stringField(parsed.value, 'stk_cd');
  if (!symbol || !/^[0-9A-Z]{6,9}(_NX|_AL)?$/.test(symbol))
    return fail('bad-field', `stk_cd ${excerpt(symbol)}`);
  const ticScope = stringField(parsed.value, 'tic_scope') ?? '1';
  const nextKey = header(headers, 'cont-yn') === 'Y' ? (header(headers, 'next-key') ?? '') : undefined;
  const query: KiwoomMinuteChartQuery = {
    symbol,
    ticScope,
    adjusted: stringField(parsed.value, 'upd_stkpc_tp') !== '0',
  };
  if (nextKey !== undefined) query.nextKey = nextKey;
  return { ok: true, value: { query, token: bearer[1] } };
}

export interface KiwoomChartPage {
  symbol: string;
  /** Newest first. */
  bars: Bar[];
  /** Whether an older page exists (response header cont-yn: Y). */
  more: boolean;
  nextKey: string;
}

export function encodeKiwoomMinuteChartResponse(
  bars: readonly Bar[],
  page: { symbol: string; prevClose?: number; more?: boolean; nextKey?: string; cumVolume?: number },
): HttpResponseSpec {
  const rows = [...bars].sort((a, b) => b.minute - a.minute);
  const ref = page.prevClose ?? rows[rows.length - 1]?.open ?? 0;
  let acc = page.cumVolume ?? rows.reduce((s, b) => s + b.volume, 0);
  const stk_min_pole_chart_qry = rows.map((b) => {
    const row = {
      cur_prc: signedAgainst(b.close, ref),
      trde_qty: String(b.volume),
      cntr_tm: kstCompact(b.minute),
      open_pric: signedAgainst(b.open, ref),
      high_pric: signedAgainst(b.high, ref),
      low_pric: signedAgainst(b.low, ref),
      acc_trde_qty: String(Math.max(0, acc)),
      pred_pre: withSign(b.close - ref),
      pred_pre_sig: changeSign(b.close, ref),
    };
    acc -= b.volume;
    return row;
  });
  return {
    status: 200,
    headers: {
      'content-type': CONTENT_TYPE,
      'api-id': KIWOOM_MINUTE_CHART_API_ID,
      'cont-yn': page.more ? 'Y' : 'N',
      'next-key': page.more ? (page.nextKey ?? '') : '',
    },
    body: JSON.stringify({ stk_cd: page.symbol, stk_min_pole_chart_qry, return_code: 0, return_msg: OK_MSG }),
  };
}

/** stk_min_pole_chart_qry rows: prices signed against the previous close, cntr_tm YYYYMMDDHHMMSS. */
const ROW_FORMAT: BarRowFormat = {
  list: 'stk_min_pole_chart_qry',
  ohlc: ['open_pric', 'high_pric', 'low_pric', 'cur_prc'],
  volume: 'trde_qty',
  parse: parseAbs,
  time: (o) => parseKstCompact(o.cntr_tm) ?? { bad: 'cntr_tm' },
};

/**
 * One page of bars, newest first; `headers` are the response headers (cont-yn, next-key). Any bad row
 * rejects the page. A non-zero return_code is an error carrying its class's code.
 */
export function decodeKiwoomMinuteChartResponse(
  body: unknown,
  headers: HeaderBag = {},
  symbolHint?: string,
): Decoded<KiwoomChartPage> {
  const parsed = parseJsonObject(body, 'Kiwoom ka10080 response');
  if (!parsed.ok) return parsed;
  const o = parsed.value;
  if (o.return_code !== undefined && parseSigned(o.return_code) !== 0)
    return brokerBodyError('kiwoom', body as string, 'Kiwoom ka10080: return_code not 0');
  const rows = o.stk_min_pole_chart_qry;
  if (!Array.isArray(rows)) return fail('shape', 'Kiwoom ka10080: stk_min_pole_chart_qry is not an array');
  const symbol = (stringField(o, 'stk_cd') ?? symbolHint ?? '').replace(/_(NX|AL)$/, '');
  const bars = decodeBarRows(rows, symbol, ROW_FORMAT);
  if (!bars.ok) return bars;
  const more = header(headers, 'cont-yn') === 'Y';
  return {
    ok: true,
    value: { symbol, bars: bars.value, more, nextKey: more ? (header(headers, 'next-key') ?? '') : '' },
  };
}
