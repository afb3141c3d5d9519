// TickBuffer on Redis: one stream per collector (`tg:ticks:{collector}`) read by the consumer group
// `writer`; an index set lists the collectors so one XREADGROUP covers every stream. Acked entries
// are trimmed away; unacked ones stay pending until acked or claimed (XAUTOCLAIM) by another writer.
import type { Redis } from 'ioredis';
import type { TickBatch } from '../../machines/types.ts';
import type { BufferedEntry, TickBuffer } from '../../ports/tickBuffer.ts';
import { silentLogger, type Logger } from '../log.ts';
import type { RedisConnection } from './connection.ts';
import { createGroup } from './eventBus.ts';
import type { RedisKeys } from './keys.ts';
import { replyCode } from './redisErrors.ts';
import { autoClaimOf, groupsOf, repliesOf, streamsOf } from './streamReplies.ts';
import { encodeTickBatches, TICK_CODEC_VERSION } from './tickCodec.ts';
import { TickEntryDecoder, WRITER_GROUP, type TickDecodeStats } from './tickEntries.ts';
import { appendScript, trimScript } from './tickScripts.ts';

export interface RedisTickBufferOptions {
  /** How long the writer may use its cached list of collectors before re-reading the index. */
  indexRefreshMs?: number;
  log?: Logger;
}

export interface RedisTickBufferStats extends TickDecodeStats {
  appendedEntries: number;
  readEntries: number;
  claimedEntries: number;
  trimFailures: number;
}

/** Fair-share rounds per read: enough to hand a short stream's share to the busy ones. */
const MAX_READ_ROUNDS = 8;

export class RedisTickBuffer implements TickBuffer {
  private readonly log: Logger;
  private readonly indexRefreshMs: number;
  private readonly decoder: TickEntryDecoder;
  private collectorsCache: { names: string[]; at: number } | undefined;
  private rotation = 0;
  private readonly counts = { appendedEntries: 0, readEntries: 0, claimedEntries: 0, trimFailures: 0 };

  constructor(
    private readonly conn: RedisConnection,
    private readonly keys: RedisKeys,
    options: RedisTickBufferOptions = {},
  ) {
    this.log = options.log ?? silentLogger;
    this.indexRefreshMs = options.indexRefreshMs ?? 1000;
    this.decoder = new TickEntryDecoder(keys, this.log);
  }

  append(collector: string, batches: TickBatch[]): Promise<void> {
    const payload = encodeTickBatches(batches);
    return this.conn.run('ticks.append', async (c) => {
      await appendScript.run(
        c,
        [this.keys.ticks(collector), this.keys.tickIndex],
        [collector, WRITER_GROUP, TICK_CODEC_VERSION, payload],
      );
      this.counts.appendedEntries += 1;
    });
  }

  /**
   * Up to `count` new entries, shared fairly: every stream gets an equal COUNT per round; streams
   * that filled their share may have more and split what is left in the next round.
   */
  read(consumer: string, count: number): Promise<BufferedEntry[]> {
    return this.conn.run('ticks.read', async (c) => {
      if (count <= 0) return []; // COUNT 0 would mean "no limit" to Redis
      const collectors = this.rotate(await this.collectors(c));
      const out: BufferedEntry[] = [];
      let candidates = collectors;
      for (let round = 0; round < MAX_READ_ROUNDS && out.length < count && candidates.length > 0; round++) {
        const remaining = count - out.length;
        let per = Math.floor(remaining / candidates.length);
        let chosen = candidates;
        let unchosen: string[] = [];
        if (per === 0) {
          per = 1;
          chosen = candidates.slice(0, remaining);
          unchosen = candidates.slice(remaining);
        }
        const streams = await this.readGroup(c, consumer, per, chosen);
        const mayHaveMore: string[] = [];
        for (const { key, entries } of streams) {
          const collector = this.keys.collectorOf(key);
          if (entries.length >= per) mayHaveMore.push(collector);
          out.push(...(await this.decoder.decode(c, collector, entries)));
        }
        candidates = [...mayHaveMore, ...unchosen];
      }
      if (out.length < count) this.collectorsCache = undefined; // idle: notice new collectors soon
      this.counts.readEntries += out.length;
      return out;
    });
  }

  claim(consumer: string, minIdleMs: number, count: number): Promise<BufferedEntry[]> {
    return this.conn.run('ticks.claim', async (c) => {
      const out: BufferedEntry[] = [];
      if (count <= 0) return out;
      for (const collector of this.rotate(await this.collectors(c))) {
        const key = this.keys.ticks(collector);
        let cursor = '0-0';
        do {
          const page = autoClaimOf(
            await this.withGroups(c, [collector], () =>
              c.call('XAUTOCLAIM', [
                key,
                WRITER_GROUP,
                consumer,
                Math.max(0, Math.floor(minIdleMs)),
                cursor,
                'COUNT',
                count - out.length,
              ]),
            ),
          );
          out.push(...(await this.decoder.decode(c, collector, page.entries)));
          cursor = page.cursor;
        } while (cursor !== '0-0' && out.length < count);
        if (out.length >= count) break;
      }
      this.counts.claimedEntries += out.length;
      return out;
    });
  }

  ack(entries: { collector: string; entryId: string }[]): Promise<void> {
    return this.conn.run('ticks.ack', async (c) => {
      if (entries.length === 0) return;
      const byCollector = new Map<string, string[]>();
      for (const { collector, entryId } of entries) {
        const ids = byCollector.get(collector) ?? [];
        ids.push(entryId);
        byCollector.set(collector, ids);
      }
      const pipeline = c.pipeline();
      for (const [collector, ids] of byCollector)
        pipeline.xack(this.keys.ticks(collector), WRITER_GROUP, ...ids);
      repliesOf(await pipeline.exec());
      // Housekeeping: the acks already landed, a failed trim only delays freeing memory.
      await Promise.all(
        [...byCollector.keys()].map((collector) =>
          trimScript.run(c, [this.keys.ticks(collector)], []).catch(() => {
            this.counts.trimFailures += 1;
          }),
        ),
      );
    });
  }

  /** Unread (group lag) plus pending entries over every collector's stream. */
  backlog(): Promise<number> {
    return this.conn.run('ticks.backlog', async (c) => {
      const collectors = await this.collectors(c, true);
      if (collectors.length === 0) return 0;
      const pipeline = c.pipeline();
      for (const collector of collectors) pipeline.xinfo('GROUPS', this.keys.ticks(collector));
      const results = (await pipeline.exec()) ?? [];
      let total = 0;
      for (let i = 0; i < collectors.length; i++) {
        const [error, reply] = results[i] ?? [null, null];
        if (error) continue; // stream gone (server restarted): nothing buffered there
        const group = groupsOf(reply).find((g) => g.name === WRITER_GROUP);
        if (!group) continue;
        const lag =
          group.lag ?? (await this.countAfter(c, this.keys.ticks(collectors[i]), group.lastDeliveredId));
        total += lag + group.pending;
      }
      return total;
    });
  }

  stats(): RedisTickBufferStats {
    return { ...this.counts, ...this.decoder.counts };
  }

  /** The collectors index, cached for `indexRefreshMs` (sorted for a stable rotation). */
  private async collectors(c: Redis, fresh = false): Promise<string[]> {
    const now = Date.now();
    if (!fresh && this.collectorsCache && now - this.collectorsCache.at < this.indexRefreshMs) {
      return this.collectorsCache.names;
    }
    const names = (await c.smembers(this.keys.tickIndex)).sort();
    this.collectorsCache = { names, at: now };
    return names;
  }

  /** Start each pass at a different stream, so no collector is always served first. */
  private rotate(names: string[]): string[] {
    if (names.length === 0) return names;
    const start = this.rotation++ % names.length;
    return [...names.slice(start), ...names.slice(0, start)];
  }

  private async readGroup(c: Redis, consumer: string, per: number, collectors: string[]) {
    const keys = collectors.map((name) => this.keys.ticks(name));
    const reply = await this.withGroups(c, collectors, () =>
      c.call('XREADGROUP', [
        'GROUP',
        WRITER_GROUP,
        consumer,
        'COUNT',
        per,
        'STREAMS',
        ...keys,
        ...keys.map(() => '>'),
      ]),
    );
    return streamsOf(reply);
  }

  /** A stream or group that vanished (server restarted empty, index kept) is recreated, once. */
  private async withGroups<T>(c: Redis, collectors: string[], command: () => Promise<T>): Promise<T> {
    try {
      return await command();
    } catch (error) {
      if (replyCode(error) !== 'NOGROUP') throw error;
      this.log.warn('tick stream group missing; recreating it', { collectors });
      for (const name of collectors) await createGroup(c, this.keys.ticks(name), WRITER_GROUP);
      return command();
    }
  }

  /** Entries after `id`, counted in pages (only when the server cannot tell the group's lag). */
  private async countAfter(c: Redis, key: string, id: string): Promise<number> {
    let total = 0;
    let start = `(${id}`;
    for (;;) {
      const page = (await c.xrange(key, start, '+', 'COUNT', 1000)) as [string, string[]][];
      total += page.length;
      if (page.length < 1000) return total;
      start = `(${page[page.length - 1][0]}`;
    }
  }
}
