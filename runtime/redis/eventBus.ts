// EventBus on Redis: PUBLISH on `tg:events` for immediacy (at-most-once, present subscribers only)
// plus XADD to the capped stream `tg:events:log` for durability, read by consumer groups
// (XREADGROUP '>', XACK, XAUTOCLAIM, XPENDING). Both writes go in one MULTI: all or nothing.
import type { Redis } from 'ioredis';
import { TgError } from '../../machines/errors.ts';
import type { TgEvent } from '../../machines/types.ts';
import type { DurableEntry, EventBus } from '../../ports/eventBus.ts';
import { silentLogger, type Logger } from '../log.ts';
import type { RedisConnection } from './connection.ts';
import { decodeEvent, encodeEvent } from './eventCodec.ts';
import type { RedisKeys } from './keys.ts';
import { replyCode } from './redisErrors.ts';
import { autoClaimOf, pendingCountOf, repliesOf, streamsOf, type RawStreamEntry } from './streamReplies.ts';

export interface RedisEventBusOptions {
  /** Approximate cap of the durable log (MAXLEN ~); default 100 000 events. */
  maxLogLength?: number;
  log?: Logger;
}

type Subscriber = { handler: (event: TgEvent) => void; active: boolean };

export interface EventBusStats {
  published: number;
  delivered: number;
  /** Entries or messages that were not a recognisable event (logged, acked away). */
  corrupt: number;
}

export class RedisEventBus implements EventBus {
  private readonly maxLogLength: number;
  private readonly log: Logger;
  /** Groups this process created: recreated on NOGROUP (a restarted server lost them). */
  private readonly knownGroups = new Set<string>();
  private readonly subscribers = new Set<Subscriber>();
  private listening = false;
  private readonly counts: EventBusStats = { published: 0, delivered: 0, corrupt: 0 };

  constructor(
    private readonly conn: RedisConnection,
    private readonly keys: RedisKeys,
    options: RedisEventBusOptions = {},
  ) {
    this.maxLogLength = options.maxLogLength ?? 100_000;
    this.log = options.log ?? silentLogger;
  }

  publish(event: TgEvent): Promise<void> {
    const text = encodeEvent(event);
    return this.conn.run('publish', async (c) => {
      repliesOf(
        await c
          .multi()
          .xadd(this.keys.eventLog, 'MAXLEN', '~', this.maxLogLength, '*', 'e', text)
          .publish(this.keys.eventChannel, text)
          .exec(),
      );
      this.counts.published += 1;
    });
  }

  /**
   * One shared subscriber connection per bus, re-subscribed on every reconnect. The
   * handler goes live only when the server has confirmed our SUBSCRIBE: messages already queued on
   * the socket before that belong to earlier publishes and must not reach it.
   */
  async subscribe(handler: (event: TgEvent) => void): Promise<() => Promise<void>> {
    const client = this.conn.subscriber();
    this.listen(client);
    await this.conn.runOn(client, 'subscribe', (c) => c.subscribe(this.keys.eventChannel));
    const subscriber: Subscriber = { handler, active: true };
    this.subscribers.add(subscriber);
    // The channel stays subscribed while the bus lives: unsubscribing the last handler would race
    // with a concurrent subscribe on the same connection.
    return async () => {
      subscriber.active = false;
      this.subscribers.delete(subscriber);
    };
  }

  ensureGroup(group: string): Promise<void> {
    return this.conn.run('ensureGroup', async (c) => {
      await createGroup(c, this.keys.eventLog, group);
      this.knownGroups.add(group);
    });
  }

  readGroup(group: string, consumer: string, count: number): Promise<DurableEntry[]> {
    return this.conn.run('readGroup', async (c) => {
      if (count <= 0) return []; // COUNT 0 would mean "no limit" to Redis
      const reply = await this.withGroup(c, group, () =>
        c.call('XREADGROUP', ['GROUP', group, consumer, 'COUNT', count, 'STREAMS', this.keys.eventLog, '>']),
      );
      return this.decode(
        c,
        group,
        streamsOf(reply).flatMap((s) => s.entries),
      );
    });
  }

  ack(group: string, entryIds: string[]): Promise<void> {
    return this.conn.run('ack', async (c) => {
      if (entryIds.length > 0) await c.xack(this.keys.eventLog, group, ...entryIds);
    });
  }

  /** XAUTOCLAIM from the start of the pending list until `count` entries or the list's end. */
  claim(group: string, consumer: string, minIdleMs: number, count: number): Promise<DurableEntry[]> {
    return this.conn.run('claim', async (c) => {
      const out: DurableEntry[] = [];
      if (count <= 0) return out;
      let cursor = '0-0';
      do {
        const reply = await this.withGroup(c, group, () =>
          c.call('XAUTOCLAIM', [
            this.keys.eventLog,
            group,
            consumer,
            Math.max(0, Math.floor(minIdleMs)),
            cursor,
            'COUNT',
            count - out.length,
          ]),
        );
        const page = autoClaimOf(reply);
        out.push(...(await this.decode(c, group, page.entries)));
        cursor = page.cursor;
      } while (cursor !== '0-0' && out.length < count);
      return out;
    });
  }

  pending(group: string): Promise<number> {
    return this.conn.run('pending', async (c) =>
      pendingCountOf(await this.withGroup(c, group, () => c.xpending(this.keys.eventLog, group))),
    );
  }

  stats(): EventBusStats {
    return { ...this.counts };
  }

  private listen(client: Redis): void {
    if (this.listening) return;
    this.listening = true;
    client.on('message', (channel: string, message: string) => this.deliver(channel, message));
    // A reconnected socket starts unsubscribed (ioredis' autoResubscribe is off, see connection.ts).
    client.on('ready', () => {
      if (this.subscribers.size > 0) client.subscribe(this.keys.eventChannel).catch(() => undefined);
    });
  }

  private deliver(channel: string, message: string): void {
    if (channel !== this.keys.eventChannel) return;
    for (const subscriber of [...this.subscribers]) {
      if (!subscriber.active) continue;
      // Decoded per subscriber: each gets its own object, as with a serialising transport.
      const event = decodeEvent(message);
      if (!event) {
        this.counts.corrupt += 1;
        this.log.warn('ignored an unreadable event message', { channel, bytes: message.length });
        return;
      }
      this.counts.delivered += 1;
      try {
        subscriber.handler(event);
      } catch {
        // A failing handler is the subscriber's problem; Pub/Sub does not retry or stop others.
      }
    }
  }

  /** Run a group command; if a group this process created vanished (server restart), recreate it once. */
  private async withGroup<T>(c: Redis, group: string, command: () => Promise<T>): Promise<T> {
    try {
      return await command();
    } catch (error) {
      if (replyCode(error) !== 'NOGROUP') throw error;
      if (!this.knownGroups.has(group)) {
        throw new TgError(
          'TG_ERR_INTERNAL',
          `consumer group '${group}' does not exist; call ensureGroup first`,
          {
            group,
          },
        );
      }
      this.log.warn('consumer group vanished (server restarted?); recreating it', { group });
      await createGroup(c, this.keys.eventLog, group);
      return command();
    }
  }

  /** Unreadable entries can never become readable: count, log and ack them so they stop returning. */
  private async decode(c: Redis, group: string, raw: RawStreamEntry[]): Promise<DurableEntry[]> {
    const out: DurableEntry[] = [];
    const bad: string[] = [];
    for (const { id, fields } of raw) {
      const event = decodeEvent(fields?.['e']);
      if (event) out.push({ entryId: id, event });
      else bad.push(id);
    }
    if (bad.length > 0) {
      this.counts.corrupt += bad.length;
      this.log.error('acked away unreadable event log entries', { group, entryIds: bad });
      await c.xack(this.keys.eventLog, group, ...bad);
    }
    return out;
  }
}

/** XGROUP CREATE at the stream's beginning (MKSTREAM); an existing group is left untouched. */
export async function createGroup(c: Redis, key: string, group: string): Promise<void> {
  try {
    await c.xgroup('CREATE', key, group, '0', 'MKSTREAM');
  } catch (error) {
    if (replyCode(error) !== 'BUSYGROUP') throw error;
  }
}
