// Kiwoom WebSocket REAL pushes of type 0B (주식체결): encoder from a TickBatch (one data entry per tick,
// values keyed by FID: 20 time, 10 price, 15 signed volume, 13 cumulative volume, ...) and decoder to
// TickBatch[]. Same contract as KIS: never throws, one broken 0B entry rejects the whole message.
import type { TickBatch } from '../../../machines/types.ts';
import { asObject, frameError, parseJsonObject, stringField, type DecodeError } from '../errors.ts';
import type { TickDecodeResult } from '../kis/h0stcnt0Decode.ts';
import { assertBatchShape, groupTickRows, type TickRow } from '../kis/tickRows.ts';
import {
  bestQuotes,
  changeSign,
  replayBatch,
  type SymbolDay,
  type SymbolDayContext,
} from '../kis/tradeDay.ts';
import {
  excerpt,
  fixed2,
  isKstDay,
  parseAbs,
  parseKstDayTime,
  signedAgainst,
  withSign,
} from '../kis/wire.ts';

export const KIWOOM_TRADE_TYPE = '0B';
const TRADE_NAME = '주식체결';
const SYMBOL = /^[0-9A-Z]{6,9}$/;

export interface KiwoomTickEncodeOptions {
  /** The day so far, as returned by the previous call for this symbol. */
  day?: SymbolDay;
  context?: Partial<SymbolDayContext>;
}

function signedRate(change: number, reference: number): string {
  const rate = fixed2(reference > 0 ? (Math.abs(change) / reference) * 100 : 0);
  return change > 0 ? `+${rate}` : change < 0 ? `-${rate}` : rate;
}

function values0b(hms: string, volume: number, day: SymbolDay): Record<string, string> {
  const ref = day.context.prevClose;
  const price = day.lastPrice;
  const quotes = bestQuotes(price, day.lastSide);
  return {
    '20': hms,
    '10': signedAgainst(price, ref),
    '11': withSign(price - ref),
    '12': signedRate(price - ref, ref),
    '27': signedAgainst(quotes.ask, ref),
    '28': signedAgainst(quotes.bid, ref),
    '15': `${day.lastSide === 'buy' ? '+' : '-'}${volume}`,
    '13': String(day.cumVolume),
    // 누적거래대금 is in millions of won.
    '14': String(Math.floor(day.cumValue / 1_000_000)),
    '16': signedAgainst(day.open, ref),
    '17': signedAgainst(day.high, ref),
    '18': signedAgainst(day.low, ref),
    '25': changeSign(price, ref),
    '228': fixed2(day.sellVolume > 0 ? (day.buyVolume / day.sellVolume) * 100 : 0),
    '290': '2',
    '1030': String(day.sellVolume),
    '1031': String(day.buyVolume),
    '9081': '1',
  };
}

/** One REAL message carrying every tick of the batch; `day` is the state to pass for the next batch. */
export function encodeKiwoomReal(
  batch: TickBatch,
  options: KiwoomTickEncodeOptions = {},
): { message: string; day: SymbolDay } {
  assertBatchShape(batch);
  const data: unknown[] = [];
  const day = replayBatch(batch, options, (t, now) =>
    data.push({
      type: KIWOOM_TRADE_TYPE,
      name: TRADE_NAME,
      item: batch.symbol,
      values: values0b(t.hms, t.volume, now),
    }),
  );
  return { message: JSON.stringify({ trnm: 'REAL', data }), day };
}

type EntryResult = { ok: true; row: TickRow | null } | { ok: false; reason: string };

function decodeEntry(entry: unknown, day: string): EntryResult {
  const e = asObject(entry);
  if (!e) return { ok: false, reason: 'entry is not an object' };
  if (stringField(e, 'type') !== KIWOOM_TRADE_TYPE) return { ok: true, row: null };
  const item = stringField(e, 'item') ?? '';
  const symbol = /^A[0-9A-Z]{6}$/.test(item) ? item.slice(1) : item;
  if (!SYMBOL.test(symbol)) return { ok: false, reason: `item ${excerpt(item)}` };
  // Some gateways wrap values in a one-element list.
  const values = asObject(Array.isArray(e.values) && e.values.length === 1 ? e.values[0] : e.values);
  if (!values) return { ok: false, reason: 'values missing' };
  const ts = parseKstDayTime(day, values['20']);
  if (ts === undefined) return { ok: false, reason: `20 (time) ${excerpt(values['20'])}` };
  const price = parseAbs(values['10']);
  if (price === undefined || price === 0) return { ok: false, reason: `10 (price) ${excerpt(values['10'])}` };
  const volume = parseAbs(values['15']);
  if (volume === undefined) return { ok: false, reason: `15 (volume) ${excerpt(values['15'])}` };
  const cumVolume = parseAbs(values['13']);
  if (cumVolume === undefined)
    return { ok: false, reason: `13 (cumulative volume) ${excerpt(values['13'])}` };
  return { ok: true, row: { symbol, day, ts, cumVolume, price, volume } };
}

/** From an already parsed `{"trnm":"REAL",...}` object; entries of other types (0D quotes...) are skipped. */
export function realFromObject(o: Record<string, unknown>, day: string): TickDecodeResult {
  const reject = (e: DecodeError): TickDecodeResult => ({ batches: [], errors: [e] });
  if (stringField(o, 'trnm') !== 'REAL') return reject(frameError('shape', 'not a Kiwoom REAL message'));
  if (!Array.isArray(o.data)) return reject(frameError('shape', 'Kiwoom REAL: data is not an array'));
  if (!isKstDay(day))
    return reject(frameError('bad-field', `Kiwoom REAL: trading day ${excerpt(day)} is not YYYYMMDD`));
  const rows: TickRow[] = [];
  for (let i = 0; i < o.data.length; i++) {
    const r = decodeEntry(o.data[i], day);
    if (!r.ok) {
      return reject(
        frameError(
          'bad-field',
          `Kiwoom REAL entry ${i + 1} of ${o.data.length}: bad ${r.reason}; message dropped`,
        ),
      );
    }
    if (r.row) rows.push(r.row);
  }
  return { batches: groupTickRows(rows), errors: [] };
}

/**
 * Kiwoom 0B carries the time of day only: `day` (YYYYMMDD, KST) is the trading day the caller is in,
 * normally the KST date of its clock's now.
 */
export function decodeKiwoomReal(text: unknown, options: { day: string }): TickDecodeResult {
  const parsed = parseJsonObject(text, 'Kiwoom REAL');
  if (!parsed.ok) return { batches: [], errors: [parsed.error] };
  return realFromObject(parsed.value, options.day);
}
