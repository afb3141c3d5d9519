// Encodes tick batches as COPY data (binary or text) for the staging table. Ticks the memory store
// calls invalid are left out, as are values a bigint cannot hold exactly and batches with an
// impossible day; ts is floored to the millisecond so a tick never moves into the next minute.
import type { TickBatch } from '../../machines/types.ts';

export type CopyFormat = 'binary' | 'text';

export interface CopyPayload {
  data: Buffer;
  /** Rows in `data`. */
  rows: number;
  /** Ticks left out as invalid (neither inserted nor duplicates, like the memory store). */
  invalid: number;
}

export const STAGING_COLUMNS = 'symbol, day, cum_volume, ts_ms, price, volume';

const PG_EPOCH_DAYS = 10_957; // 1970-01-01 -> 2000-01-01
const TWO_32 = 4_294_967_296;
const BINARY_HEADER = Buffer.concat([Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1'), Buffer.alloc(8)]);

export function encodeCopy(batches: TickBatch[], format: CopyFormat): CopyPayload {
  return format === 'binary' ? encodeBinary(batches) : encodeText(batches);
}

function validTick(b: TickBatch, i: number): boolean {
  const volume = b.volume[i];
  return (
    volume > 0 &&
    Number.isSafeInteger(volume) &&
    Number.isSafeInteger(b.cumVolume[i]) &&
    Number.isFinite(b.ts[i]) &&
    Number.isFinite(b.price[i])
  );
}

/** Days since 1970-01-01 of a 'YYYYMMDD' day, or undefined when it is not a real date. */
export function epochDay(day: string): number | undefined {
  if (!/^\d{8}$/.test(day)) return undefined;
  const y = +day.slice(0, 4);
  const m = +day.slice(4, 6);
  const d = +day.slice(6, 8);
  const t = Date.UTC(y, m - 1, d);
  const back = new Date(t);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== m - 1 || back.getUTCDate() !== d)
    return undefined;
  return t / 86_400_000;
}

function encodeBinary(batches: TickBatch[]): CopyPayload {
  // Per batch, everything up to the cumulative volume (field count, symbol, day) is the same for
  // every row: build it once and copy it; numbers go through one DataView (no per-call checks).
  const cache = new Map<string, Buffer | undefined>();
  const prefixes = batches.map((b) => {
    const key = `${b.day}|${b.symbol}`;
    if (!cache.has(key)) cache.set(key, rowPrefix(b.symbol, b.day));
    return cache.get(key);
  });
  let bound = BINARY_HEADER.length + 2;
  for (let k = 0; k < batches.length; k++)
    bound += batches[k].cumVolume.length * ((prefixes[k]?.length ?? 0) + 48);
  const buf = Buffer.allocUnsafe(bound);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  BINARY_HEADER.copy(buf, 0);
  let off = BINARY_HEADER.length;
  let rows = 0;
  let invalid = 0;
  for (let k = 0; k < batches.length; k++) {
    const b = batches[k];
    const prefix = prefixes[k];
    if (prefix === undefined) {
      invalid += b.cumVolume.length;
      continue;
    }
    for (let i = 0; i < b.cumVolume.length; i++) {
      if (!validTick(b, i)) {
        invalid++;
        continue;
      }
      buf.set(prefix, off);
      off += prefix.length;
      off = int8Field(view, off, b.cumVolume[i]);
      off = int8Field(view, off, Math.floor(b.ts[i]));
      view.setInt32(off, 8);
      view.setFloat64(off + 4, b.price[i]);
      off = int8Field(view, off + 12, b.volume[i]);
      rows++;
    }
  }
  view.setInt16(off, -1);
  return { data: buf.subarray(0, off + 2), rows, invalid };
}

/** Field count, symbol and day of a row, or undefined when the day is not a real date. */
function rowPrefix(symbol: string, day: string): Buffer | undefined {
  const epoch = epochDay(day);
  if (epoch === undefined) return undefined;
  const sym = Buffer.from(symbol, 'utf8');
  const prefix = Buffer.allocUnsafe(2 + 4 + sym.length + 8);
  prefix.writeInt16BE(6, 0);
  prefix.writeInt32BE(sym.length, 2);
  sym.copy(prefix, 6);
  prefix.writeInt32BE(4, 6 + sym.length);
  prefix.writeInt32BE(epoch - PG_EPOCH_DAYS, 10 + sym.length);
  return prefix;
}

/** A length-prefixed int8 field from a safe integer (two's complement via hi/lo words). */
function int8Field(view: DataView, off: number, v: number): number {
  const hi = Math.floor(v / TWO_32);
  view.setInt32(off, 8);
  view.setInt32(off + 4, hi);
  view.setUint32(off + 8, v - hi * TWO_32);
  return off + 12;
}

function encodeText(batches: TickBatch[]): CopyPayload {
  const parts: string[] = [];
  let rows = 0;
  let invalid = 0;
  const realDays = new Map<string, boolean>();
  for (const b of batches) {
    const n = b.cumVolume.length;
    if (!realDays.has(b.day)) realDays.set(b.day, epochDay(b.day) !== undefined);
    if (!realDays.get(b.day)) {
      invalid += n;
      continue;
    }
    const head = `${escapeText(b.symbol)}\t${b.day}\t`;
    for (let i = 0; i < n; i++) {
      if (!validTick(b, i)) {
        invalid++;
        continue;
      }
      parts.push(`${head}${b.cumVolume[i]}\t${Math.floor(b.ts[i])}\t${b.price[i]}\t${b.volume[i]}\n`);
      rows++;
    }
  }
  return { data: Buffer.from(parts.join(''), 'utf8'), rows, invalid };
}

/** COPY text format escapes backslash and the delimiter/newline characters. */
function escapeText(value: string): string {
  return /[\\\t\n\r]/.test(value)
    ? value.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r')
    : value;
}
