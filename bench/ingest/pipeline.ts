// The measured paths of the ingest benchmark that use tickguard code: the PostgreSQL store alone
// (writeTicks in the writer's call sizes) and the live pipeline (collectors' appends into the Redis
// tick buffer, drained by the real writer assembly into the store). Each returns elapsed seconds.
import { startWriter } from '../../actors/writer.ts';
import { defaultConfig } from '../../machines/config.ts';
import { realClock } from '../../runtime/clock.ts';
import type { PgStore } from '../../runtime/postgres/index.ts';
import { createRedisPorts } from '../../runtime/redis/index.ts';
import type { SyntheticEntry, SyntheticMarket } from './synthetic.ts';

/**
 * Store only: entries in reads of `readSize`, one writeTicks per collector per read, as the writer
 * does (`parallel`: the collectors' calls of one read at once, what the writer could do).
 */
export async function storeOnlySeconds(
  store: PgStore,
  market: SyntheticMarket,
  parallel = false,
  readSize = 500,
): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < market.entries.length; i += readSize) {
    const byCollector = new Map<string, SyntheticEntry['batches']>();
    for (const e of market.entries.slice(i, i + readSize)) {
      const list = byCollector.get(e.collector) ?? [];
      for (const b of e.batches) list.push(b);
      byCollector.set(e.collector, list);
    }
    if (parallel) await Promise.all([...byCollector].map(([c, batches]) => store.writeTicks(c, batches)));
    else for (const [collector, batches] of byCollector) await store.writeTicks(collector, batches);
  }
  return (performance.now() - started) / 1000;
}

export interface PipelineTimes {
  /** First append to last append. */
  appendSeconds: number;
  /** Writer start (prefilled) or first append (concurrent) until every tick is stored. */
  storedSeconds: number;
  writerState: string;
  /** Wall ms the writer spent inside each port call (they run one at a time: this is its time budget). */
  spentMs: { read: number; writeTicks: number; ack: number };
}

/** The same port with the time spent in the named methods added to `spent[name]`. */
function timed<T extends object>(port: T, spent: Record<string, number>, methods: (keyof T & string)[]): T {
  const wrapped = Object.create(port) as T;
  for (const name of methods) {
    const original = (port[name] as (...args: unknown[]) => Promise<unknown>).bind(port);
    (wrapped as Record<string, unknown>)[name] = async (...args: unknown[]) => {
      const t = performance.now();
      try {
        return await original(...args);
      } finally {
        spent[name] = (spent[name] ?? 0) + performance.now() - t;
      }
    };
  }
  return wrapped;
}

/**
 * `prefilled`: append everything, then start the writer (drain rate alone). Otherwise start the
 * writer first and append while it drains (end to end). Collectors append in parallel, each one
 * entry at a time, like a collector's tick path.
 */
export async function pipelineSeconds(
  redisUrl: string,
  prefix: string,
  store: PgStore,
  market: SyntheticMarket,
  prefilled: boolean,
): Promise<PipelineTimes> {
  const redis = createRedisPorts({ url: redisUrl, prefix, name: 'bench-ingest', commandTimeoutMs: 10_000 });
  const collectors = [...new Set(market.entries.map((e) => e.collector))];
  const spent = { read: 0, writeTicks: 0, ack: 0 };
  const startWriterNow = () =>
    startWriter({
      clock: realClock,
      ports: {
        tickBuffer: timed(redis.tickBuffer, spent, ['read', 'ack']),
        store: timed(store, spent, ['writeTicks']),
        heartbeats: redis.heartbeats,
        mirror: redis.mirror,
      },
      config: defaultConfig(),
    });
  const appendAll = async () => {
    const t = performance.now();
    await Promise.all(
      collectors.map(async (c) => {
        for (const e of market.entries) if (e.collector === c) await redis.tickBuffer.append(c, e.batches);
      }),
    );
    return (performance.now() - t) / 1000;
  };
  let writer: ReturnType<typeof startWriterNow> | undefined;
  try {
    let appendSeconds: number;
    let started: number;
    if (prefilled) {
      appendSeconds = await appendAll();
      started = performance.now();
      writer = startWriterNow();
    } else {
      writer = startWriterNow();
      started = performance.now();
      appendSeconds = await appendAll();
    }
    const deadline = performance.now() + 600_000;
    while (writer.stats().ticksStored < market.ticks) {
      if (performance.now() > deadline)
        throw new Error(
          `writer stored ${writer.stats().ticksStored}/${market.ticks} ticks in 10 min (state ${writer.state()})`,
        );
      await new Promise((r) => setTimeout(r, 5));
    }
    const storedSeconds = (performance.now() - started) / 1000;
    return { appendSeconds, storedSeconds, writerState: writer.state(), spentMs: spent };
  } finally {
    writer?.stop();
    await redis.close();
  }
}
