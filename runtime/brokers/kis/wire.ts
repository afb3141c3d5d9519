// Wire-level primitives shared by the KIS and Kiwoom codecs: KST date/time strings, strict parsing of
// numeric fields (a decoder never lets NaN or a partial number through) and HTTP request/response specs.
import { KST_OFFSET_MS } from '../../../machines/marketHours.ts';

/** A request the codecs build and the live client sends; header names are lower case. */
export interface HttpRequestSpec {
  method: 'GET' | 'POST';
  path: string;
  query?: Record<string, string>;
  headers: Record<string, string>;
  body?: string;
}

/** A response the codecs build and the emulator sends. */
export interface HttpResponseSpec {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Incoming headers as a transport hands them over (Node lower-cases names). */
export type HeaderBag = Record<string, string | string[] | undefined>;

export function header(headers: HeaderBag | undefined, name: string): string | undefined {
  const want = name.toLowerCase();
  for (const [k, v] of Object.entries(headers ?? {})) {
    if (k.toLowerCase() === want) return Array.isArray(v) ? v[0] : v;
  }
  return undefined;
}

// ---- KST time (UTC+9, no daylight saving) ----

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

function kstParts(t: number) {
  const d = new Date(Math.floor(t / 1000) * 1000 + KST_OFFSET_MS);
  return {
    y: pad(d.getUTCFullYear(), 4),
    mo: pad(d.getUTCMonth() + 1),
    d: pad(d.getUTCDate()),
    h: pad(d.getUTCHours()),
    mi: pad(d.getUTCMinutes()),
    s: pad(d.getUTCSeconds()),
  };
}

/** 'YYYYMMDD' in KST. */
export function kstYmd(t: number): string {
  const p = kstParts(t);
  return `${p.y}${p.mo}${p.d}`;
}

/** 'HHMMSS' in KST (sub-second part dropped). */
export function kstHms(t: number): string {
  const p = kstParts(t);
  return `${p.h}${p.mi}${p.s}`;
}

/** 'YYYYMMDDHHMMSS' in KST. */
export function kstCompact(t: number): string {
  return `${kstYmd(t)}${kstHms(t)}`;
}

/** 'YYYY-MM-DD HH:MM:SS' in KST (KIS access_token_token_expired). */
export function kstDashed(t: number): string {
  const p = kstParts(t);
  return `${p.y}-${p.mo}-${p.d} ${p.h}:${p.mi}:${p.s}`;
}

/** Epoch ms of a KST day 'YYYYMMDD' and time 'HHMMSS', or undefined unless both are real calendar values. */
export function parseKstDayTime(ymd: unknown, hms: unknown): number | undefined {
  if (typeof ymd !== 'string' || typeof hms !== 'string') return undefined;
  const dm = /^(\d{4})(\d{2})(\d{2})$/.exec(ymd);
  const tm = /^(\d{2})(\d{2})(\d{2})$/.exec(hms);
  if (!dm || !tm) return undefined;
  const [y, mo, d] = [Number(dm[1]), Number(dm[2]), Number(dm[3])];
  const [h, mi, s] = [Number(tm[1]), Number(tm[2]), Number(tm[3])];
  if (y < 1970 || mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 59) return undefined;
  const utc = Date.UTC(y, mo - 1, d, h, mi, s);
  if (new Date(utc).getUTCDate() !== d) return undefined;
  return utc - KST_OFFSET_MS;
}

export function isKstDay(ymd: unknown): ymd is string {
  return parseKstDayTime(ymd, '000000') !== undefined;
}

/** 'YYYYMMDDHHMMSS' (KST) to epoch ms. */
export function parseKstCompact(s: unknown): number | undefined {
  if (typeof s !== 'string' || s.length !== 14) return undefined;
  return parseKstDayTime(s.slice(0, 8), s.slice(8));
}

/** 'YYYY-MM-DD HH:MM:SS' (KST) to epoch ms. */
export function parseKstDashed(s: unknown): number | undefined {
  if (typeof s !== 'string') return undefined;
  const m = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/.exec(s);
  return m ? parseKstDayTime(`${m[1]}${m[2]}${m[3]}`, `${m[4]}${m[5]}${m[6]}`) : undefined;
}

// ---- numeric fields: strings of digits only, never Number('') === 0 or parseInt's partial reads ----

const UNSIGNED = /^\d{1,15}$/;
const SIGNED = /^[+-]?\d{1,15}$/;
const DECIMAL = /^[+-]?\d{1,15}(\.\d{1,8})?$/;

export function parseUnsigned(v: unknown): number | undefined {
  const s = typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? String(v) : v;
  return typeof s === 'string' && UNSIGNED.test(s) ? Number(s) : undefined;
}

export function parseSigned(v: unknown): number | undefined {
  const s = typeof v === 'number' && Number.isSafeInteger(v) ? String(v) : v;
  return typeof s === 'string' && SIGNED.test(s) ? Number(s) : undefined;
}

/**
 * Kiwoom prices and volumes carry a direction sign (+ up/buy, - down/sell): the magnitude is the value.
 * A doubled sign ("--30433") has been observed in ka10080 rows and is tolerated.
 */
export function parseAbs(v: unknown): number | undefined {
  const s = typeof v === 'number' && Number.isSafeInteger(v) ? String(v) : v;
  return typeof s === 'string' && /^[+-]{0,2}\d{1,15}$/.test(s) ? Number(s.replace(/^[+-]+/, '')) : undefined;
}

export function parseDecimal(v: unknown): number | undefined {
  const s = typeof v === 'number' && Number.isFinite(v) ? String(v) : v;
  return typeof s === 'string' && DECIMAL.test(s) ? Number(s) : undefined;
}

/** '+400', '-300', '0'. */
export function withSign(n: number): string {
  return n > 0 ? `+${n}` : String(n);
}

/** Kiwoom style: the value signed by its direction against a reference ('+70000', '-69900', '70000'). */
export function signedAgainst(value: number, reference: number): string {
  if (value > reference) return `+${value}`;
  if (value < reference) return `-${value}`;
  return String(value);
}

export function fixed2(n: number): string {
  return Number.isFinite(n) ? n.toFixed(2) : '0.00';
}

/** A short, printable excerpt of untrusted input for an error reason. */
export function excerpt(v: unknown, max = 16): string {
  // Never String(object): a parsed {"toString":1} makes that throw.
  const s =
    typeof v === 'string'
      ? v
      : typeof v === 'number' || typeof v === 'boolean' || v === null || v === undefined
        ? String(v)
        : `(${Array.isArray(v) ? 'array' : typeof v})`;
  const clean = s.replace(/[^\x20-\x7e\uac00-\ud7a3]/g, '?');
  return JSON.stringify(clean.length > max ? `${clean.slice(0, max)}...` : clean);
}
