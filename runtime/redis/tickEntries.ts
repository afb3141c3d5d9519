// Turns raw tick stream entries into BufferedEntry values without ever throwing: an entry that can
// never be decoded is copied to the dead-letter stream and acked (counted, logged, not lost); an
// entry of a newer format is left pending for a writer that understands it.
import type { Redis } from 'ioredis';
import type { BufferedEntry } from '../../ports/tickBuffer.ts';
import type { Logger } from '../log.ts';
import type { RedisKeys } from './keys.ts';
import type { RawStreamEntry } from './streamReplies.ts';
import { repliesOf } from './streamReplies.ts';
import { decodeTickBatches, TICK_CODEC_VERSION } from './tickCodec.ts';

export const WRITER_GROUP = 'writer';

export interface TickDecodeStats {
  /** Entries that could never be decoded: moved to the dead-letter stream and acked. */
  corrupt: number;
  /** Entries of an unknown (newer) format: left pending for another writer. */
  unsupported: number;
}

/** Remembers which unsupported entries were already logged, so a re-claim does not flood the log. */
const WARNED_LIMIT = 10_000;

export class TickEntryDecoder {
  readonly counts: TickDecodeStats = { corrupt: 0, unsupported: 0 };
  private readonly warned = new Set<string>();

  constructor(
    private readonly keys: RedisKeys,
    private readonly log: Logger,
    private readonly deadLetterMaxLength = 10_000,
  ) {}

  /** Decode one stream's entries; dead-letters and acks the undecodable ones before returning. */
  async decode(c: Redis, collector: string, raw: RawStreamEntry[]): Promise<BufferedEntry[]> {
    const out: BufferedEntry[] = [];
    const dead: { id: string; reason: string; raw: string }[] = [];
    for (const { id, fields } of raw) {
      if (fields === null) continue; // deleted while pending: nothing left to deliver
      const version = fields['v'];
      if (version !== undefined && version !== TICK_CODEC_VERSION && /^\d+$/.test(version)) {
        this.skipUnsupported(collector, id, version);
        continue;
      }
      const decoded =
        version === TICK_CODEC_VERSION && typeof fields['b'] === 'string'
          ? decodeTickBatches(fields['b'])
          : ({ ok: false, reason: 'no payload or format version' } as const);
      if (decoded.ok) out.push({ collector, entryId: id, batches: decoded.batches });
      else dead.push({ id, reason: decoded.reason, raw: JSON.stringify(fields) });
    }
    if (dead.length > 0) await this.deadLetter(c, collector, dead);
    return out;
  }

  private skipUnsupported(collector: string, entryId: string, version: string): void {
    this.counts.unsupported += 1;
    const key = `${collector}/${entryId}`;
    if (this.warned.has(key)) return;
    if (this.warned.size >= WARNED_LIMIT) this.warned.clear();
    this.warned.add(key);
    this.log.warn('left a tick entry of a newer format pending for another writer', {
      collector,
      entryId,
      version,
    });
  }

  private async deadLetter(
    c: Redis,
    collector: string,
    dead: { id: string; reason: string; raw: string }[],
  ): Promise<void> {
    const tx = c.multi();
    for (const d of dead) {
      tx.xadd(
        this.keys.tickDeadLetter,
        'MAXLEN',
        '~',
        this.deadLetterMaxLength,
        '*',
        'collector',
        collector,
        'entryId',
        d.id,
        'reason',
        d.reason,
        'raw',
        d.raw,
      );
    }
    tx.xack(this.keys.ticks(collector), WRITER_GROUP, ...dead.map((d) => d.id));
    repliesOf(await tx.exec());
    this.counts.corrupt += dead.length;
    this.log.error('moved undecodable tick entries to the dead-letter stream', {
      collector,
      entryIds: dead.map((d) => d.id),
      reasons: [...new Set(dead.map((d) => d.reason))],
      deadLetter: this.keys.tickDeadLetter,
    });
  }
}
