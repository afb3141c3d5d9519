// Decoder of KIS data frames to TickBatch[]. Never throws: malformed input comes back as coded errors.
// A frame with one broken record is rejected whole (one error, no batches): the broker sent the frame
// as a unit, a field-count slip misaligns every later record, and the lost ticks show up downstream as
// a cumulative-volume jump, which opens a silent-loss gap that back-fill repairs.
import type { TickBatch } from '../../../machines/types.ts';
import { frameError, looksLikeHtml, type DecodeError } from '../errors.ts';
import { H0STCNT0, H0STCNT0_FIELD_COUNT, H0STCNT0_INDEX, type H0stcnt0Field } from './h0stcnt0Fields.ts';
import { groupTickRows, type TickRow } from './tickRows.ts';
import { excerpt, parseKstDayTime, parseUnsigned } from './wire.ts';

export interface TickDecodeResult {
  batches: TickBatch[];
  /** Zero or one error per frame; its length is what callers count. */
  errors: DecodeError[];
}

const SYMBOL = /^[0-9A-Z]{6,9}$/;
const TR_ID = /^[0-9A-Z]{1,16}$/;

const rejected = (e: DecodeError): TickDecodeResult => ({ batches: [], errors: [e] });

type RecordResult = { ok: true; row: TickRow } | { ok: false; reason: string };

function decodeRecord(fields: readonly string[], base: number): RecordResult {
  const at = (name: H0stcnt0Field) => fields[base + H0STCNT0_INDEX[name]];
  const bad = (name: H0stcnt0Field): RecordResult => ({ ok: false, reason: `${name} ${excerpt(at(name))}` });
  const symbol = at('MKSC_SHRN_ISCD');
  if (!SYMBOL.test(symbol)) return bad('MKSC_SHRN_ISCD');
  const day = at('BSOP_DATE');
  const ts = parseKstDayTime(day, at('STCK_CNTG_HOUR'));
  if (ts === undefined)
    return parseKstDayTime(day, '000000') === undefined ? bad('BSOP_DATE') : bad('STCK_CNTG_HOUR');
  const price = parseUnsigned(at('STCK_PRPR'));
  if (price === undefined || price === 0) return bad('STCK_PRPR');
  const volume = parseUnsigned(at('CNTG_VOL'));
  if (volume === undefined) return bad('CNTG_VOL');
  const cumVolume = parseUnsigned(at('ACML_VOL'));
  if (cumVolume === undefined) return bad('ACML_VOL');
  return { ok: true, row: { symbol, day, ts, cumVolume, price, volume } };
}

/** Decodes one `0|H0STCNT0|NNN|...` frame. */
export function decodeH0stcnt0Frame(text: unknown): TickDecodeResult {
  if (typeof text !== 'string' || text.length === 0) return rejected(frameError('empty', 'empty data frame'));
  if (looksLikeHtml(text)) return rejected(frameError('html', 'HTML page instead of a data frame'));
  if (text.startsWith('{'))
    return rejected(frameError('shape', 'JSON message where a data frame was expected'));
  const parts = text.split('|');
  if (parts.length < 4)
    return rejected(frameError('truncated', `data frame has ${parts.length} of 4 '|' parts`));
  if (parts.length > 4)
    return rejected(frameError('shape', `data frame has ${parts.length} '|' parts, expected 4`));
  const [enc, trId, count, payload] = parts;
  const trName = TR_ID.test(trId) ? trId : excerpt(trId);
  if (enc === '1')
    return rejected(frameError('encrypted', `encrypted frame for ${trName}: no key for this tr_id`));
  if (enc !== '0') return rejected(frameError('shape', `encryption flag ${excerpt(enc)} is neither 0 nor 1`));
  if (trId !== H0STCNT0)
    return rejected(frameError('unknown-tr', `data frame for unsupported tr_id ${trName}`));
  if (!/^\d{3}$/.test(count) || count === '000') {
    return rejected(frameError('record-count', `record count ${excerpt(count)} is not 001..999`));
  }
  const n = Number(count);
  const fields = payload.split('^');
  const expected = n * H0STCNT0_FIELD_COUNT;
  if (fields.length !== expected) {
    if (fields.length % H0STCNT0_FIELD_COUNT === 0) {
      const held = fields.length / H0STCNT0_FIELD_COUNT;
      return rejected(frameError('record-count', `NNN says ${n} records, the payload holds ${held}`));
    }
    const kind = fields.length < expected ? 'truncated' : 'field-count';
    return rejected(
      frameError(
        kind,
        `${n} records need ${expected} fields (${H0STCNT0_FIELD_COUNT} each), got ${fields.length}`,
      ),
    );
  }
  const rows: TickRow[] = [];
  for (let r = 0; r < n; r++) {
    const rec = decodeRecord(fields, r * H0STCNT0_FIELD_COUNT);
    if (!rec.ok) {
      return rejected(frameError('bad-field', `record ${r + 1} of ${n}: bad ${rec.reason}; frame dropped`));
    }
    rows.push(rec.row);
  }
  return { batches: groupTickRows(rows), errors: [] };
}
