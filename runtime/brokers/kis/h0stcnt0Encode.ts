// Encoder of KIS H0STCNT0 data frames `0|H0STCNT0|NNN|r1f0^...^r1f45^r2f0^...` from a TickBatch, all
// 46 fields per record filled with values consistent with the day so far (for the broker emulator).
import { TgError } from '../../../machines/errors.ts';
import type { TickBatch } from '../../../machines/types.ts';
import {
  H0STCNT0,
  H0STCNT0_FIELDS,
  KIS_MAX_RECORDS_PER_FRAME,
  type H0stcnt0Field,
} from './h0stcnt0Fields.ts';
import { assertBatchShape } from './tickRows.ts';
import {
  bestQuotes,
  changeSign,
  replayBatch,
  restingQuantity,
  type SymbolDay,
  type SymbolDayContext,
} from './tradeDay.ts';
import { fixed2 } from './wire.ts';

export interface KisTickEncodeOptions {
  /** The day so far, as returned by the previous call for this symbol (carries open/high/low, value...). */
  day?: SymbolDay;
  /** Used when `day` is absent: previous close, previous day's volume, listed shares. */
  context?: Partial<SymbolDayContext>;
  /** HOUR_CLS_CODE: '0' regular session (default), 'A', 'B', 'C' (VI), 'D'. */
  hourClsCode?: string;
  /** Records per frame, at most 999 (NNN has three digits). */
  maxRecordsPerFrame?: number;
}

export interface KisTickEncoding {
  frames: string[];
  /** The day after the batch: pass it as `day` for the symbol's next batch. */
  day: SymbolDay;
}

/** `0|TR_ID|NNN|payload` from raw records; no validation, so tests can build broken frames too. */
export function formatKisDataFrame(trId: string, records: readonly (readonly string[])[]): string {
  const payload = records.map((r) => r.join('^')).join('^');
  return `0|${trId}|${String(records.length).padStart(3, '0')}|${payload}`;
}

const direction = (price: number, reference: number): string =>
  price > reference ? '2' : price < reference ? '5' : '3';

/** Fraction of the regular session (09:00-15:30 KST) elapsed at 'HHMMSS', for same-time comparisons. */
function sessionFraction(hms: string): number {
  const secs = Number(hms.slice(0, 2)) * 3600 + Number(hms.slice(2, 4)) * 60 + Number(hms.slice(4, 6));
  return Math.min(1, Math.max(0.01, (secs - 9 * 3600) / (6.5 * 3600)));
}

function recordFields(
  symbol: string,
  ymd: string,
  hms: string,
  volume: number,
  day: SymbolDay,
  hourCls: string,
) {
  const c = day.context;
  const price = day.lastPrice;
  const change = price - c.prevClose;
  const quotes = bestQuotes(price, day.lastSide);
  const askRest = restingQuantity(day.cumVolume, 1);
  const bidRest = restingQuantity(day.cumVolume, 2);
  const sameTimeYesterday = Math.max(1, Math.round(c.prevDayVolume * sessionFraction(hms)));
  const sided = day.buyVolume + day.sellVolume;
  const f: Record<H0stcnt0Field, string> = {
    MKSC_SHRN_ISCD: symbol,
    STCK_CNTG_HOUR: hms,
    STCK_PRPR: String(price),
    PRDY_VRSS_SIGN: changeSign(price, c.prevClose),
    PRDY_VRSS: String(change),
    PRDY_CTRT: fixed2((change / c.prevClose) * 100),
    WGHN_AVRG_STCK_PRC: fixed2(day.cumVolume > 0 ? day.cumValue / day.cumVolume : price),
    STCK_OPRC: String(day.open),
    STCK_HGPR: String(day.high),
    STCK_LWPR: String(day.low),
    ASKP1: String(quotes.ask),
    BIDP1: String(quotes.bid),
    CNTG_VOL: String(volume),
    ACML_VOL: String(day.cumVolume),
    ACML_TR_PBMN: String(Math.round(day.cumValue)),
    SELN_CNTG_CSNU: String(day.sellCount),
    SHNU_CNTG_CSNU: String(day.buyCount),
    NTBY_CNTG_CSNU: String(day.buyCount - day.sellCount),
    CTTR: fixed2(day.sellVolume > 0 ? (day.buyVolume / day.sellVolume) * 100 : 0),
    SELN_CNTG_SMTN: String(day.sellVolume),
    SHNU_CNTG_SMTN: String(day.buyVolume),
    CCLD_DVSN: day.lastSide === 'buy' ? '1' : '5',
    SHNU_RATE: fixed2(sided > 0 ? day.buyVolume / sided : 0),
    PRDY_VOL_VRSS_ACML_VOL_RATE: fixed2((day.cumVolume / c.prevDayVolume) * 100),
    OPRC_HOUR: day.openHms,
    OPRC_VRSS_PRPR_SIGN: direction(price, day.open),
    OPRC_VRSS_PRPR: String(price - day.open),
    HGPR_HOUR: day.highHms,
    HGPR_VRSS_PRPR_SIGN: direction(price, day.high),
    HGPR_VRSS_PRPR: String(price - day.high),
    LWPR_HOUR: day.lowHms,
    LWPR_VRSS_PRPR_SIGN: direction(price, day.low),
    LWPR_VRSS_PRPR: String(price - day.low),
    BSOP_DATE: ymd,
    NEW_MKOP_CLS_CODE: '20',
    TRHT_YN: 'N',
    ASKP_RSQN1: String(askRest),
    BIDP_RSQN1: String(bidRest),
    TOTAL_ASKP_RSQN: String(askRest * 23 + 1_117),
    TOTAL_BIDP_RSQN: String(bidRest * 19 + 2_029),
    VOL_TNRT: fixed2((day.cumVolume / c.listedShares) * 100),
    PRDY_SMNS_HOUR_ACML_VOL: String(sameTimeYesterday),
    PRDY_SMNS_HOUR_ACML_VOL_RATE: fixed2((day.cumVolume / sameTimeYesterday) * 100),
    HOUR_CLS_CODE: hourCls,
    MRKT_TRTM_CLS_CODE: '',
    VI_STND_PRC: String(day.open),
  };
  return H0STCNT0_FIELDS.map((name) => f[name]);
}

/**
 * Frames for one symbol's batch (chunked at `maxRecordsPerFrame`). BSOP_DATE is `batch.day` and
 * STCK_CNTG_HOUR the KST clock time of each tick, to the second: decoding gives the batch back when
 * every ts is a whole second of that KST day.
 */
export function encodeH0stcnt0Frames(batch: TickBatch, options: KisTickEncodeOptions = {}): KisTickEncoding {
  assertBatchShape(batch);
  const max = options.maxRecordsPerFrame ?? KIS_MAX_RECORDS_PER_FRAME;
  if (!Number.isInteger(max) || max < 1 || max > KIS_MAX_RECORDS_PER_FRAME) {
    throw new TgError('TG_ERR_INTERNAL', `maxRecordsPerFrame must be 1..${KIS_MAX_RECORDS_PER_FRAME}`, {
      max,
    });
  }
  const records: string[][] = [];
  const day = replayBatch(batch, options, (t, now) =>
    records.push(recordFields(batch.symbol, batch.day, t.hms, t.volume, now, options.hourClsCode ?? '0')),
  );
  const frames: string[] = [];
  for (let i = 0; i < records.length; i += max)
    frames.push(formatKisDataFrame(H0STCNT0, records.slice(i, i + max)));
  return { frames, day };
}

/** One frame for a batch of at most 999 ticks. */
export function encodeH0stcnt0Frame(
  batch: TickBatch,
  options: Omit<KisTickEncodeOptions, 'maxRecordsPerFrame'> = {},
): { frame: string; day: SymbolDay } {
  if (batch.ts.length > KIS_MAX_RECORDS_PER_FRAME) {
    throw new TgError('TG_ERR_INTERNAL', `one frame holds at most ${KIS_MAX_RECORDS_PER_FRAME} records`, {
      records: batch.ts.length,
    });
  }
  const { frames, day } = encodeH0stcnt0Frames(batch, options);
  return { frame: frames[0], day };
}
