// Recovery worker behaviour in virtual time against in-memory ports and a scripted broker: immediate
// start, volume-first dispatch, crash and resume from the ledger, rejections, outages, unrecoverable
// minutes, open and closing gaps, stream catch-up and the data audit.
import { afterEach, describe, expect, it } from 'vitest';
import { MINUTE_MS, minuteOf } from '../../machines/marketHours.ts';
import {
  at,
  collectorDown,
  collectorUp,
  compareWithTruth,
  createRecoveryWorld,
  type RecoveryWorld,
} from './recoveryHarness.ts';

let world: RecoveryWorld | undefined;
afterEach(() => {
  world?.dispose();
  world = undefined;
});

async function setup(opts: Parameters<typeof createRecoveryWorld>[0] = {}) {
  world = await createRecoveryWorld(opts);
  return world;
}

const HIGH = 18_000_000;
const LOW = 150_000;

describe('recovery worker', () => {
  it('sends the first request within a second of COLLECTOR_DOWN and recovers the closed gap', async () => {
    const w = await setup({ startAt: at('09:20') });
    await w.run(2000);
    expect(w.worker.state()).toBe('healthy');
    const start = at('09:10') + 12_345;
    const detectedAt = w.kernel.now();
    await w.publish(
      collectorDown('collector:kis-1', [{ symbol: '005930', start, priority: HIGH }], detectedAt),
    );
    await w.run(1000);
    expect(w.requestLog.length).toBeGreaterThan(0);
    expect(w.requestLog[0].at - detectedAt).toBeLessThan(1000);
    const end = at('09:21') + 30_000;
    await w.runUntil(end);
    await w.publish(collectorUp('collector:kis-1', [{ symbol: '005930', start, end }]));
    await w.runUntil(at('09:23'));
    const gap = w.gap(`gap:005930:${start}`)!;
    expect(gap.status).toBe('recovered');
    expect(gap.recoveredUntil).toBe(minuteOf(end) + MINUTE_MS);
    expect(compareWithTruth(w, '005930', minuteOf(start), minuteOf(end))).toEqual({ missing: [], wrong: [] });
    const recovered = w.ports.eventBus.entries().filter((e) => e.event.type === 'GAP_RECOVERED');
    expect(recovered.map((e) => e.event)).toMatchObject([{ gapId: gap.id, symbol: '005930', minutes: 12 }]);
  });

  it('takes a rate-limit token for every HTTP request of a call that pages (one token, one request)', async () => {
    const w = await setup({ startAt: at('09:40') });
    w.broker.extraPages = 2;
    await w.run(1500);
    const symbols = ['005930', '000660', '035420', '051910', '005380', '000270'];
    const start = at('09:00') + 5000;
    await w.publish(
      collectorDown(
        'collector:kis-1',
        symbols.map((symbol, i) => ({ symbol, start, priority: HIGH - i })),
        w.kernel.now(),
      ),
    );
    await w.run(20_000);
    expect(w.broker.requests.filter((r) => r.outcome !== 'ok')).toEqual([]);
    // Every call made 3 requests at the broker, and the limit (20/s) held in every second.
    const ok = w.broker.okRequests().map((r) => r.at);
    expect(ok.length).toBeGreaterThanOrEqual(3 * symbols.length);
    for (const t of ok) expect(ok.filter((u) => u > t - 1000 && u <= t).length).toBeLessThanOrEqual(20);
    // ... and the paged calls succeeded: each gap's first 30 minutes are back-filled.
    for (const symbol of symbols) {
      const gap = w.gap(`gap:${symbol}:${start}`)!;
      expect(gap.status).not.toBe('unrecoverable');
      expect(gap.recoveredUntil).toBeGreaterThanOrEqual(at('09:30'));
    }
  });

  it('dispatches the higher-volume symbol first (005930 before 000020)', async () => {
    const w = await setup({ startAt: at('09:30'), concurrency: 1 });
    await w.run(1500);
    const start = at('09:00') + 5000;
    await w.publish(
      collectorDown(
        'collector:kis-1',
        [
          { symbol: '000020', start, priority: LOW },
          { symbol: '005930', start, priority: HIGH },
        ],
        w.kernel.now(),
      ),
    );
    await w.run(500);
    expect(w.requestLog.map((r) => r.symbol).slice(0, 1)).toEqual(['005930']);
    await w.run(5000);
    const order = w.requestLog.map((r) => r.symbol);
    expect(order.indexOf('000020')).toBeGreaterThan(order.indexOf('005930'));
    expect(order).toContain('000020');
  });

  it('resumes from the ledger after a crash mid-back-fill, without duplicate bars', async () => {
    const w = await setup({ startAt: at('12:00'), concurrency: 1 });
    await w.run(1500);
    const start = at('09:00') + 1000;
    const end = at('11:59') + 1000;
    await w.publish(
      collectorDown('collector:kis-1', [{ symbol: '005930', start, priority: HIGH }], w.kernel.now()),
    );
    await w.publish(collectorUp('collector:kis-1', [{ symbol: '005930', start, end }]));
    // 180 minutes = 6 chunks at one request in flight: crash after about three of them.
    while (w.broker.okRequests().length < 3) await w.run(10);
    await w.run(45);
    const id = `gap:005930:${start}`;
    const before = w.gap(id)!;
    expect(before.status).toBe('recovering');
    expect(before.recoveredUntil).toBeGreaterThan(minuteOf(start));
    w.worker.stop();
    const requestsBefore = w.broker.okRequests().length;
    await w.run(2000);
    w.start();
    await w.run(30_000);
    const after = w.gap(id)!;
    expect(after.status).toBe('recovered');
    const remainingChunks = Math.ceil((minuteOf(end) + MINUTE_MS - before.recoveredUntil) / (30 * MINUTE_MS));
    expect(w.broker.okRequests().length - requestsBefore).toBeLessThanOrEqual(remainingChunks + 1);
    expect(compareWithTruth(w, '005930', minuteOf(start), minuteOf(end))).toEqual({ missing: [], wrong: [] });
    const minutes = (w.ports.store.allBars().get('005930') ?? []).map((b) => b.minute);
    expect(new Set(minutes).size).toBe(minutes.length);
    const recoveredEvents = w.ports.eventBus.entries().filter((e) => e.event.type === 'GAP_RECOVERED');
    expect(recoveredEvents).toHaveLength(1);
  });

  it('pauses on a broker rejection and retries the same request without losing work', async () => {
    const w = await setup({ startAt: at('10:00'), concurrency: 2 });
    await w.run(1500);
    w.broker.rejectNext = 2;
    const start = at('09:00') + 1000;
    const end = at('09:40') + 1000;
    await w.publish(
      collectorDown('collector:kis-1', [{ symbol: '005930', start, priority: HIGH }], w.kernel.now()),
    );
    await w.publish(collectorUp('collector:kis-1', [{ symbol: '005930', start, end }]));
    await w.run(200);
    expect(w.worker.gatekeeper.actor.getSnapshot().value).toBe('down');
    const rejectedAt = w.broker.requests.find((r) => r.outcome === 'rejected')!.at;
    await w.run(10_000);
    const ok = w.broker.okRequests();
    expect(ok[0].at - rejectedAt).toBeGreaterThanOrEqual(1000);
    expect(w.gap(`gap:005930:${start}`)!.status).toBe('recovered');
    expect(compareWithTruth(w, '005930', minuteOf(start), minuteOf(end))).toEqual({ missing: [], wrong: [] });
  });

  it('marks minutes the broker cannot return (a previous day) unrecoverable with a reason', async () => {
    const w = await setup({ startAt: at('09:20') });
    await w.run(1500);
    const start = at('09:00') - 10 * 3600_000; // 23:00 KST the day before
    const end = at('09:10') + 1000;
    await w.publish(
      collectorDown('collector:kis-1', [{ symbol: '005930', start, priority: HIGH }], w.kernel.now()),
    );
    await w.publish(collectorUp('collector:kis-1', [{ symbol: '005930', start, end }]));
    await w.run(20_000);
    const gap = w.gap(`gap:005930:${start}`)!;
    expect(gap.status).toBe('unrecoverable');
    expect(gap.reason).toMatch(/outside the broker's history/);
    // Today's minutes of the same gap were still recovered.
    expect(compareWithTruth(w, '005930', at('09:00'), minuteOf(end))).toEqual({ missing: [], wrong: [] });
  });

  it('counts a minute with no trades as done', async () => {
    const w = await setup({ startAt: at('09:40') });
    await w.run(1500);
    const start = at('09:10') + 1000;
    const end = at('09:20') + 1000;
    for (const m of [at('09:12'), at('09:13')]) w.broker.quiet.add(`005930@${m}`);
    await w.publish(
      collectorDown('collector:kis-1', [{ symbol: '005930', start, priority: HIGH }], w.kernel.now()),
    );
    await w.publish(collectorUp('collector:kis-1', [{ symbol: '005930', start, end }]));
    await w.run(5000);
    expect(w.gap(`gap:005930:${start}`)!.status).toBe('recovered');
  });

  it('goes degraded while the broker is down and resumes where it stopped, never unrecoverable', async () => {
    const w = await setup({ startAt: at('11:00'), concurrency: 1 });
    await w.run(1500);
    const start = at('09:00') + 1000;
    const end = at('10:30') + 1000;
    await w.publish(
      collectorDown('collector:kis-1', [{ symbol: '005930', start, priority: HIGH }], w.kernel.now()),
    );
    await w.publish(collectorUp('collector:kis-1', [{ symbol: '005930', start, end }]));
    while (w.broker.okRequests().length < 1) await w.run(10);
    w.broker.down = true;
    await w.run(3000);
    expect(w.worker.state()).toMatch(/^degraded/);
    const id = `gap:005930:${start}`;
    expect(w.gap(id)!.status).not.toBe('unrecoverable');
    const downRequests = w.broker.requests.filter((r) => r.outcome === 'down').length;
    await w.run(5000);
    // While down it probes about once per probe interval, not in a loop.
    expect(w.broker.requests.filter((r) => r.outcome === 'down').length - downRequests).toBeLessThanOrEqual(
      6,
    );
    w.broker.down = false;
    await w.run(10_000);
    expect(w.worker.state()).toBe('healthy');
    expect(w.gap(id)!.status).toBe('recovered');
    expect(compareWithTruth(w, '005930', minuteOf(start), minuteOf(end))).toEqual({ missing: [], wrong: [] });
  });

  it('goes degraded during a store outage and catches up once it is back', async () => {
    const w = await setup({ startAt: at('10:00') });
    await w.run(1500);
    w.ports.gates.timescaledb.down('refuse');
    const start = at('09:00') + 1000;
    await w.publish(
      collectorDown('collector:kis-1', [{ symbol: '005930', start, priority: HIGH }], w.kernel.now()),
    );
    await w.run(2000);
    expect(w.worker.state()).toMatch(/^degraded/);
    expect(w.gap(`gap:005930:${start}`)).toBeUndefined();
    w.ports.gates.timescaledb.up();
    await w.run(3000);
    expect(w.worker.state()).toBe('healthy');
    // The event missed during the outage came back from the durable stream.
    expect(w.gap(`gap:005930:${start}`)).toBeDefined();
    expect(w.requestLog.some((r) => r.gapId === `gap:005930:${start}`)).toBe(true);
  });

  it('picks up a gap published while it was not running, from the durable stream', async () => {
    const w = await setup({ startAt: at('10:00'), autoStart: false });
    const start = at('09:30') + 1000;
    await w.publish(
      collectorDown('collector:kis-1', [{ symbol: '005930', start, priority: HIGH }], w.kernel.now()),
    );
    await w.run(1000);
    w.start();
    await w.run(1000);
    expect(w.gap(`gap:005930:${start}`)?.status).toBe('recovering');
    expect(await w.ports.eventBus.pending('recovery-worker')).toBe(0);
  });

  it('works on an open gap at once but does not poll it every minute', async () => {
    const w = await setup({ startAt: at('09:20') });
    await w.run(1500);
    const start = at('09:19') + 40_000;
    await w.publish(
      collectorDown('collector:kis-1', [{ symbol: '005930', start, priority: HIGH }], w.kernel.now()),
    );
    await w.run(1000);
    expect(w.requestLog).toHaveLength(1);
    await w.run(20 * MINUTE_MS);
    // No full chunk of 30 complete minutes yet: still just the immediate first request.
    expect(w.requestLog).toHaveLength(1);
    await w.run(15 * MINUTE_MS);
    expect(w.requestLog).toHaveLength(2);
  });

  it("fetches a closed gap's last minute exactly once, just after it completes", async () => {
    const w = await setup({ startAt: at('09:20') });
    await w.run(1500);
    const start = at('09:18') + 1000;
    await w.publish(
      collectorDown('collector:kis-1', [{ symbol: '005930', start, priority: HIGH }], w.kernel.now()),
    );
    await w.run(10_000);
    const end = w.kernel.now();
    await w.publish(collectorUp('collector:kis-1', [{ symbol: '005930', start, end }]));
    await w.run(500);
    const beforeCompletion = w.requestLog.length;
    await w.runUntil(minuteOf(end) + MINUTE_MS - 1);
    expect(w.requestLog.length).toBe(beforeCompletion);
    await w.run(5000);
    expect(w.requestLog.length).toBe(beforeCompletion + 1);
    expect(w.requestLog.at(-1)!.at - (minuteOf(end) + MINUTE_MS)).toBeLessThan(1000);
    expect(w.gap(`gap:005930:${start}`)!.status).toBe('recovered');
  });

  it('queues minutes missing from bars_1m as gaps in a data audit and back-fills them', async () => {
    const w = await setup({ startAt: at('10:00') });
    await w.run(1500);
    const queued = await w.worker.dataAudit(['005930', '000660'], at('09:00'), at('09:10'));
    expect(queued).toBe(2);
    await w.run(5000);
    expect(compareWithTruth(w, '005930', at('09:00'), at('09:09'))).toEqual({ missing: [], wrong: [] });
    expect(compareWithTruth(w, '000660', at('09:00'), at('09:09'))).toEqual({ missing: [], wrong: [] });
    expect(await w.worker.dataAudit(['005930', '000660'], at('09:00'), at('09:10'))).toBe(0);
  });

  it('marks a gap unrecoverable after repeated broker errors, with the reason', async () => {
    const w = await setup({ startAt: at('10:00'), worker: { maxAttempts: 2 } });
    await w.run(1500);
    const original = w.broker.minuteBars.bind(w.broker);
    w.broker.minuteBars = async (symbol, t) => {
      if (symbol === 'XXXXXX') throw new Error('HTTP 400 no such symbol');
      return original(symbol, t);
    };
    const start = at('09:00') + 1000;
    await w.publish(
      collectorDown('collector:kis-1', [{ symbol: 'XXXXXX', start, priority: 1 }], w.kernel.now()),
    );
    await w.publish(collectorUp('collector:kis-1', [{ symbol: 'XXXXXX', start, end: at('09:05') }]));
    await w.run(10_000);
    const gap = w.gap(`gap:XXXXXX:${start}`)!;
    expect(gap.status).toBe('unrecoverable');
    expect(gap.reason).toMatch(/after 2 attempts/);
    expect(w.worker.state()).toBe('healthy');
  });

  it('resumes at once when the supervisor reports the failed dependency back', async () => {
    const w = await setup({ startAt: at('10:00'), concurrency: 1 });
    await w.run(1500);
    const start = at('09:00') + 1000;
    w.broker.down = true;
    await w.publish(
      collectorDown('collector:kis-1', [{ symbol: '005930', start, priority: HIGH }], w.kernel.now()),
    );
    await w.run(500);
    expect(w.worker.state()).toBe('degraded.waiting');
    w.broker.down = false;
    await w.publish({
      type: 'COMPONENT_STATE',
      id: 'COMPONENT_STATE:supervisor:1',
      actor: 'broker-rest',
      from: 'down',
      to: 'recovering',
      at: w.kernel.now(),
      reason: 'probe ok after an outage',
    });
    await w.run(100);
    expect(w.worker.state()).toBe('healthy');
    expect(w.broker.okRequests().length).toBeGreaterThan(0);
  });
});
