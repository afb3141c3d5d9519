// Record framing of the disk spool: one line per append, `<crc32 hex8> <payload>\n`, the payload
// being the tick codec's JSON (never contains a newline). The checksum tells a torn or garbled
// record from a good one; newline framing lets a reader resync after a damaged record.
import { crc32 } from 'node:zlib';
import type { TickBatch } from '../../machines/types.ts';
import { decodeTickBatches, encodeTickBatches } from '../redis/tickCodec.ts';

const NEWLINE = 0x0a;

export function frameRecord(batches: readonly TickBatch[]): Buffer {
  const payload = encodeTickBatches(batches);
  const crc = crc32(payload).toString(16).padStart(8, '0');
  return Buffer.from(`${crc} ${payload}\n`, 'utf8');
}

export interface ParsedSpool {
  batches: TickBatch[];
  /** Good records. */
  records: number;
  /** Bad records followed by good ones (damage in the middle): skipped, kept in the file. */
  corrupt: number;
  /** Bad or incomplete records after the last good one (a crash mid-append): dropped. */
  torn: number;
  /** Byte offset just after the last good record: where the file should end. */
  goodEnd: number;
}

/** Parse a whole spool file; never throws. */
export function parseSpool(data: Buffer): ParsedSpool {
  const batches: TickBatch[] = [];
  let records = 0;
  let bad = 0;
  let corrupt = 0;
  let goodEnd = 0;
  let start = 0;
  while (start < data.length) {
    const end = data.indexOf(NEWLINE, start);
    if (end < 0) {
      bad += 1; // an incomplete last line
      break;
    }
    const decoded = parseRecord(data.toString('utf8', start, end));
    start = end + 1;
    if (!decoded) {
      bad += 1;
      continue;
    }
    for (const b of decoded) batches.push(b);
    records += 1;
    corrupt += bad;
    bad = 0;
    goodEnd = start;
  }
  return { batches, records, corrupt, torn: bad, goodEnd };
}

function parseRecord(line: string): TickBatch[] | undefined {
  if (line.length < 10 || line[8] !== ' ') return undefined;
  const payload = line.slice(9);
  if (crc32(payload).toString(16).padStart(8, '0') !== line.slice(0, 8)) return undefined;
  const decoded = decodeTickBatches(payload);
  return decoded.ok ? decoded.batches : undefined;
}
