// The collector machine on XState's SimulatedClock with scripted actors: connect/subscribe under
// the session cap, reconnect back-off, stall detection in session hours only, spool replay, heartbeats.
import { describe, expect, it } from 'vitest';
import { SimulatedClock, createActor, fromPromise } from 'xstate';
import {
  OVER_SESSION_CAP,
  collectorHeartbeat,
  collectorMachine,
  type CollectorContext,
  type SubscribeOutcome,
} from '../../machines/collector.ts';
import { TgError } from '../../machines/errors.ts';
import { AFTER_CLOSE, SESSION_10AM, advance, advanceTo, flush } from './collectorHarness.ts';

interface Script {
  connectFailures: number;
  replayFailures: number;
  refuse: Record<string, string>;
  lastReceivedAt: number | undefined;
}

function symbols(n: number): string[] {
  return Array.from({ length: n }, (_, i) => String(100000 + i));
}

function harness(opts: { start?: number; symbols?: string[]; random?: () => number } = {}) {
  const clock = new SimulatedClock();
  clock.set(opts.start ?? SESSION_10AM);
  const script: Script = { connectFailures: 0, replayFailures: 0, refuse: {}, lastReceivedAt: undefined };
  const connectAt: number[] = [];
  const replayAt: number[] = [];
  const subscribed: string[][] = [];
  const beats: { at: number; state: string; context: CollectorContext }[] = [];
  const reports: { at: number; state: string; detail: string; reason: string }[] = [];
  const machine = collectorMachine.provide({
    actors: {
      connectBroker: fromPromise(async () => {
        connectAt.push(clock.now());
        if (script.connectFailures > 0) {
          script.connectFailures -= 1;
          throw new TgError('TG_ERR_BROKER_DOWN', 'unreachable');
        }
      }),
      subscribeSymbols: fromPromise<SubscribeOutcome, { symbols: string[] }>(async ({ input }) => {
        subscribed.push(input.symbols);
        const accepted = input.symbols.filter((s) => !script.refuse[s]);
        const rejected: Record<string, string> = {};
        for (const s of input.symbols) if (script.refuse[s]) rejected[s] = script.refuse[s];
        return { accepted, rejected };
      }),
      replaySpool: fromPromise(async () => {
        replayAt.push(clock.now());
        if (script.replayFailures > 0) {
          script.replayFailures -= 1;
          throw new TgError('TG_ERR_DEP_DOWN', 'redis-main refused');
        }
      }),
    },
    actions: {
      sendHeartbeat: ({ context }) => beats.push({ at: clock.now(), state: context.health, context }),
      reportState: ({ context }, p) =>
        reports.push({ at: clock.now(), state: p.state, detail: p.detail, reason: context.reason }),
    },
  });
  const actor = createActor(machine, {
    clock,
    input: {
      name: 'collector:kis-1',
      broker: 'kis',
      symbols: opts.symbols ?? symbols(3),
      heartbeatIntervalMs: 1000,
      stallTimeoutMs: 30_000,
      reconnect: { baseMs: 200, maxMs: 1600, jitter: 0.2 },
      now: () => clock.now(),
      random: opts.random ?? (() => 0.5),
      lastReceivedAt: () => script.lastReceivedAt,
    },
  });
  const errors: unknown[] = [];
  actor.subscribe({ error: (e) => errors.push(e) });
  const value = () => JSON.stringify(actor.getSnapshot().value);
  return { clock, actor, script, connectAt, replayAt, subscribed, beats, reports, errors, value };
}

describe('collector machine', () => {
  it('connects, subscribes and reports recovering then healthy with liveSince', async () => {
    const h = harness();
    h.actor.start();
    await flush();
    expect(h.value()).toBe('"healthy"');
    expect(h.reports.map((r) => r.detail)).toEqual(['recovering', 'healthy']);
    const ctx = h.actor.getSnapshot().context;
    expect(ctx.liveSince).toBe(SESSION_10AM);
    expect(ctx.brokerConnected).toBe(true);
    expect(h.errors).toEqual([]);
  });

  it('subscribes at most the session cap and reports the rest as rejected', async () => {
    const h = harness({ symbols: symbols(45) });
    h.script.refuse = { '100003': 'OPSP0007 INVALID tr_key' };
    h.actor.start();
    await flush();
    expect(h.subscribed[0]).toHaveLength(41);
    const ctx = h.actor.getSnapshot().context;
    expect(ctx.subscribed).toHaveLength(40);
    expect(ctx.rejected['100003']).toBe('OPSP0007 INVALID tr_key');
    for (const s of symbols(45).slice(41)) expect(ctx.rejected[s]).toBe(OVER_SESSION_CAP);
    const beat = collectorHeartbeat(ctx, SESSION_10AM, new Map());
    expect(Object.keys(beat.rejected ?? {})).toHaveLength(5);
    expect(Object.keys(beat.lastTickAt ?? {})).toHaveLength(40);
  });

  it('goes down when the broker closes and reconnects with doubling back-off until it succeeds', async () => {
    const h = harness();
    h.actor.start();
    await flush();
    h.script.connectFailures = 3;
    h.actor.send({ type: 'broker.closed', reason: 'socket reset' });
    expect(h.value()).toBe('"down"');
    expect(h.actor.getSnapshot().context.brokerConnected).toBe(false);
    expect(h.actor.getSnapshot().context.liveSince).toBeUndefined();
    const downAt = h.clock.now();
    await advance(h.clock, 10_000);
    expect(h.value()).toBe('"healthy"');
    // attempts after the initial connect: 200, then +400, +800, +1600 (random 0.5 = no jitter)
    expect(h.connectAt.slice(1).map((t) => t - downAt)).toEqual([200, 600, 1400, 3000]);
    expect(h.reports.map((r) => r.state)).toEqual([
      'recovering',
      'healthy',
      'down',
      'recovering',
      'down',
      'recovering',
      'down',
      'recovering',
      'down',
      'recovering',
      'healthy',
    ]);
    expect(h.reports[2].reason).toBe('broker closed: socket reset');
    expect(h.actor.getSnapshot().context.reconnectAttempt).toBe(0);
  });

  it('jitters reconnect delays within the configured spread', async () => {
    const h = harness({ random: () => 0.999 });
    h.actor.start();
    await flush();
    h.actor.send({ type: 'broker.closed', reason: 'x' });
    expect(h.actor.getSnapshot().context.reconnectDelayMs).toBe(240);
  });

  it('stalls after half of stallTimeoutMs of silence in session, and reconnects after all of it', async () => {
    const h = harness();
    h.actor.start();
    await flush();
    await advance(h.clock, 14_000);
    expect(h.value()).toBe('"healthy"');
    await advance(h.clock, 1_000);
    expect(h.value()).toBe('{"degraded":"stalled"}');
    await advance(h.clock, 14_000);
    expect(h.value()).toBe('{"degraded":"stalled"}');
    await advance(h.clock, 1_000);
    expect(h.reports.at(-1)).toMatchObject({ state: 'down', reason: 'stalled: reconnecting' });
    await advance(h.clock, 200);
    expect(h.value()).toBe('"healthy"');
    expect(h.connectAt).toHaveLength(2);
  });

  it('returns from stalled to healthy when ticks arrive again', async () => {
    const h = harness();
    h.actor.start();
    await flush();
    await advance(h.clock, 16_000);
    expect(h.value()).toBe('{"degraded":"stalled"}');
    h.script.lastReceivedAt = h.clock.now();
    await advance(h.clock, 1_000);
    expect(h.value()).toBe('"healthy"');
    expect(h.reports.at(-1)).toMatchObject({ state: 'healthy', reason: 'ticks resumed' });
  });

  it('never stalls outside session hours', async () => {
    const h = harness({ start: AFTER_CLOSE });
    h.actor.start();
    await flush();
    await advance(h.clock, 10 * 60_000);
    expect(h.value()).toBe('"healthy"');
  });

  it('does not count the pre-open quiet as silence', async () => {
    const h = harness({ start: SESSION_10AM - 90 * 60_000 }); // 08:30 KST
    h.actor.start();
    await flush();
    await advanceTo(h.clock, SESSION_10AM - 60 * 60_000 + 14_000); // 09:00:14
    expect(h.value()).toBe('"healthy"');
    await advance(h.clock, 1_000);
    expect(h.value()).toBe('{"degraded":"stalled"}');
  });

  it('spools on buffer failure and returns to healthy only after a replay succeeded', async () => {
    const h = harness();
    h.actor.start();
    await flush();
    h.script.replayFailures = 2;
    h.actor.send({ type: 'buffer.failed', reason: 'redis-main refused' });
    expect(h.value()).toBe('{"degraded":{"spooling":"waiting"}}');
    expect(h.reports.at(-1)).toMatchObject({
      detail: 'degraded.spooling',
      reason: 'buffer failed: redis-main refused',
    });
    const failedAt = h.clock.now();
    await advance(h.clock, 5_000);
    expect(h.value()).toBe('"healthy"');
    expect(h.replayAt.map((t) => t - failedAt)).toEqual([200, 600, 1400]);
    expect(h.reports.at(-1)).toMatchObject({ state: 'healthy', reason: 'spool replayed' });
  });

  it('after a reconnect replays the spool first when the buffer failed while it was down', async () => {
    const h = harness();
    h.actor.start();
    await flush();
    h.actor.send({ type: 'broker.closed', reason: 'kick' });
    h.actor.send({ type: 'buffer.failed', reason: 'refused' });
    expect(h.value()).toBe('"down"');
    await advance(h.clock, 200);
    expect(h.value()).toBe('{"degraded":{"spooling":"waiting"}}');
    await advance(h.clock, 200);
    expect(h.value()).toBe('"healthy"');
    expect(h.replayAt).toHaveLength(1);
  });

  it('beats every heartbeat interval in every state, carrying the current health', async () => {
    const h = harness();
    h.script.connectFailures = 100;
    h.actor.start();
    await flush();
    await advance(h.clock, 5_000);
    const atDown = h.beats.filter((b) => b.state === 'down');
    expect(atDown.length).toBeGreaterThanOrEqual(3);
    const times = h.beats.map((b) => b.at - SESSION_10AM);
    expect(times).toEqual([0, 1000, 2000, 3000, 4000, 5000]);
    expect(h.errors).toEqual([]);
  });
});
