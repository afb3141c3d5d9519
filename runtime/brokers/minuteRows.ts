// What the KIS and Kiwoom minute-bar decoders share: rows to bars (prices each > 0, a volume, the
// minute of the row's time), one bar per minute (the first row wins), newest first, one bad row
// rejecting the page; and a body whose verdict is a broker error instead of bars. Names are dialect.
import { minuteOf } from '../../machines/marketHours.ts';
import type { Bar, BrokerName } from '../../machines/types.ts';
import { asObject, classifyBrokerResponse, fail, type Decoded } from './errors.ts';
import { excerpt } from './kis/wire.ts';

/** Where a dialect keeps a bar in its rows, and how it writes numbers and times. */
export interface BarRowFormat {
  /** The array's name in the body, for error text (`output2`). */
  list: string;
  /** Field names of open, high, low and close, in that order. */
  ohlc: readonly [string, string, string, string];
  volume: string;
  parse(v: unknown): number | undefined;
  /** The row's time, or the name of the field that spoils it. */
  time(row: Record<string, unknown>): number | { bad: string };
  /** A padding row to skip (KIS pads pages with all-blank rows). */
  blank?(row: Record<string, unknown>): boolean;
}

function decodeRow(v: unknown, i: number, symbol: string, f: BarRowFormat): Decoded<Bar | null> {
  const o = asObject(v);
  if (!o) return fail('shape', `${f.list}[${i}] is not an object`);
  if (f.blank?.(o)) return { ok: true, value: null };
  const bad = (k: string) => fail<Bar | null>('bad-field', `${f.list}[${i}].${k} ${excerpt(o[k])}`);
  const ts = f.time(o);
  if (typeof ts !== 'number') return bad(ts.bad);
  const ohlc: number[] = [];
  for (const k of f.ohlc) {
    const n = f.parse(o[k]);
    if (n === undefined || n === 0) return bad(k);
    ohlc.push(n);
  }
  const volume = f.parse(o[f.volume]);
  if (volume === undefined) return bad(f.volume);
  const [open, high, low, close] = ohlc;
  return { ok: true, value: { symbol, minute: minuteOf(ts), open, high, low, close, volume } };
}

/** The bars of a page's rows, one per minute, newest first; the first bad row is the page's error. */
export function decodeBarRows(rows: readonly unknown[], symbol: string, f: BarRowFormat): Decoded<Bar[]> {
  const byMinute = new Map<number, Bar>();
  for (let i = 0; i < rows.length; i++) {
    const bar = decodeRow(rows[i], i, symbol, f);
    if (!bar.ok) return bar;
    if (bar.value && !byMinute.has(bar.value.minute)) byMinute.set(bar.value.minute, bar.value);
  }
  return { ok: true, value: [...byMinute.values()].sort((a, b) => b.minute - a.minute) };
}

/** A body that says the request failed: its class's code and text, else `fallback` as an HTTP error. */
export function brokerBodyError<T>(broker: BrokerName, body: string, fallback: string): Decoded<T> {
  const cls = classifyBrokerResponse(broker, 200, body);
  const code = cls.kind === 'ok' ? 'TG_ERR_BROKER_HTTP' : cls.error.code;
  const reason = cls.kind === 'ok' ? fallback : cls.error.message;
  return { ok: false, error: { code, kind: 'broker-error', reason } };
}
