// Consumer groups across processes on the shared redis-server: each "process" is its own
// RedisPorts (own connections). A consumer that dies holding entries loses them to a live one
// after minIdle; a consumer that was absent at publish time still gets the event from the stream.
import { afterEach, describe, expect, inject, it } from 'vitest';
import type { CollectorDownEvent } from '../../machines/types.ts';
import { createRedisPorts, type RedisAdapters } from '../../runtime/redis/index.ts';
import { dropPrefix, sleep, testPrefix } from '../contracts/redisHarness.ts';

const url = inject('redisUrl');

const down = (n: number): CollectorDownEvent => ({
  type: 'COLLECTOR_DOWN',
  id: `COLLECTOR_DOWN:supervisor:${n}`,
  collector: 'collector:kis-1',
  symbols: ['005930'],
  gapStart: 1_735_776_000_000 + n,
  detectedAt: 1_735_776_001_000 + n,
  reason: 'heartbeat-timeout',
  gaps: [{ gapId: `gap:005930:${n}`, symbol: '005930', start: 1_735_776_000_000 + n, priority: 10 }],
});

const batch = (cum: number) => ({
  symbol: '000660',
  day: '20250102',
  ts: [1_735_776_000_000 + cum, 1_735_776_000_005 + cum],
  cumVolume: [cum, cum + 1],
  price: [190_000, 190_500],
  volume: [1, 1],
});

describe('redis consumer groups across processes', () => {
  const open: RedisAdapters[] = [];
  let prefix = '';
  function proc(name: string): RedisAdapters {
    if (open.length === 0) prefix = testPrefix();
    const p = createRedisPorts({ url, prefix, name });
    open.push(p);
    return p;
  }
  afterEach(async () => {
    for (const p of open.splice(0)) await p.close();
    await dropPrefix(url, prefix);
  });

  it('lets a live consumer claim the events a dead consumer read but never acked', async () => {
    const supervisor = proc('supervisor');
    const workerA = proc('recovery-worker-a');
    const workerB = proc('recovery-worker-b');
    await workerA.eventBus.ensureGroup('recovery-worker');
    for (let i = 1; i <= 3; i++) await supervisor.eventBus.publish(down(i));
    const taken = await workerA.eventBus.readGroup('recovery-worker', 'a', 10);
    expect(taken.map((e) => e.event.id)).toEqual([1, 2, 3].map((i) => down(i).id));
    await workerA.close(); // dies without acking
    await workerB.eventBus.ensureGroup('recovery-worker');
    expect(await workerB.eventBus.readGroup('recovery-worker', 'b', 10)).toEqual([]);
    expect(await workerB.eventBus.claim('recovery-worker', 'b', 300, 10)).toEqual([]);
    await sleep(320);
    const claimed = await workerB.eventBus.claim('recovery-worker', 'b', 300, 10);
    expect(claimed).toEqual(taken);
    await workerB.eventBus.ack(
      'recovery-worker',
      claimed.map((e) => e.entryId),
    );
    expect(await workerB.eventBus.pending('recovery-worker')).toBe(0);
  });

  it('lets a live writer claim the tick entries a dead writer read but never acked', async () => {
    const collector = proc('collector:kis-1');
    const writerA = proc('writer-a');
    const writerB = proc('writer-b');
    for (let i = 1; i <= 4; i++) await collector.tickBuffer.append('collector:kis-1', [batch(i * 10)]);
    await collector.tickBuffer.append('collector:kiwoom-1', [batch(500)]);
    const taken = await writerA.tickBuffer.read('writer-a', 10);
    expect(taken).toHaveLength(5);
    await writerA.tickBuffer.ack([taken[0]]); // stored one, then crashed before the rest
    await writerA.close();
    expect(await writerB.tickBuffer.backlog()).toBe(4);
    expect(await writerB.tickBuffer.claim('writer-b', 300, 10)).toEqual([]);
    await sleep(320);
    const claimed = await writerB.tickBuffer.claim('writer-b', 300, 10);
    const key = (e: { collector: string; entryId: string }) => `${e.collector}/${e.entryId}`;
    expect(claimed.map(key).sort()).toEqual(taken.slice(1).map(key).sort());
    expect(claimed.find((e) => e.collector === 'collector:kiwoom-1')?.batches).toEqual([batch(500)]);
    await writerB.tickBuffer.ack(claimed);
    expect(await writerB.tickBuffer.backlog()).toBe(0);
  });

  it('gives an event published while a worker was absent to that worker when it starts', async () => {
    const firstLife = proc('recovery-worker');
    await firstLife.eventBus.ensureGroup('recovery-worker');
    await firstLife.close(); // the worker is down
    const supervisor = proc('supervisor');
    const live: string[] = [];
    await supervisor.eventBus.subscribe((e) => live.push(e.id)); // some other present subscriber
    await supervisor.eventBus.publish(down(42));
    const restarted = proc('recovery-worker');
    await restarted.eventBus.ensureGroup('recovery-worker'); // idempotent: keeps its position
    const entries = await restarted.eventBus.readGroup('recovery-worker', 'worker-1', 10);
    expect(entries.map((e) => e.event)).toEqual([down(42)]);
  });

  it('drops acked tick entries from the stream but never pending or unread ones', async () => {
    const collector = proc('collector:kis-1');
    const writer = proc('writer');
    for (let i = 1; i <= 6; i++) await collector.tickBuffer.append('collector:kis-1', [batch(i)]);
    const first = await writer.tickBuffer.read('w', 3);
    await writer.tickBuffer.ack([first[1], first[2]]); // first[0] stays pending
    const xlen = () => writer.connection.client.xlen(`${prefix}ticks:collector:kis-1`);
    expect(await xlen()).toBe(6);
    await writer.tickBuffer.ack([first[0]]);
    expect(await xlen()).toBeLessThanOrEqual(4); // the acked prefix is gone (the last read one may stay)
    const rest = await writer.tickBuffer.read('w', 10);
    expect(rest.map((e) => e.batches[0].cumVolume[0])).toEqual([4, 5, 6]);
    await writer.tickBuffer.ack(rest);
    expect(await writer.tickBuffer.backlog()).toBe(0);
  });
});
