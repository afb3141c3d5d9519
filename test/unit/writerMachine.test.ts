// The writer machine on XState's SimulatedClock with a scripted drain and drain loop: startup claim,
// the loop runs only while healthy, back-off on retryable failures, down on fatal ones, heartbeats.
import { describe, expect, it } from 'vitest';
import { SimulatedClock, createActor, fromCallback, fromPromise } from 'xstate';
import { TgError } from '../../machines/errors.ts';
import {
  writerMachine,
  type DrainLoopInput,
  type DrainOutcome,
  type DrainRequest,
  type WriterEvent,
} from '../../machines/writer.ts';
import { advance, flush } from './collectorHarness.ts';

type Step = Partial<DrainOutcome> | Error;

function harness(script: Step[] = []) {
  const clock = new SimulatedClock();
  const requests: { at: number; request: DrainRequest }[] = [];
  const loops: { started: number; stopped?: number; input: DrainLoopInput }[] = [];
  let failLoop: ((error: unknown) => void) | undefined;
  const beats: { at: number; state: string }[] = [];
  const reports: { state: string; reason: string }[] = [];
  const machine = writerMachine.provide({
    actors: {
      drain: fromPromise<DrainOutcome, DrainRequest>(async ({ input }) => {
        requests.push({ at: clock.now(), request: input });
        const step = script.shift() ?? {};
        if (step instanceof Error) throw step;
        return { entries: 0, ticks: 0, more: false, claimedAll: true, ...step };
      }),
      drainLoop: fromCallback<WriterEvent, DrainLoopInput>(({ input, sendBack }) => {
        const loop: (typeof loops)[number] = { started: clock.now(), input };
        loops.push(loop);
        failLoop = (error) => sendBack({ type: 'drain.failed', error });
        return () => {
          loop.stopped = clock.now();
        };
      }),
    },
    actions: {
      sendHeartbeat: ({ context }) => beats.push({ at: clock.now(), state: context.health }),
      reportState: ({ context }, p) => reports.push({ state: p.state, reason: context.reason }),
    },
  });
  const actor = createActor(machine, {
    clock,
    input: {
      name: 'writer',
      heartbeatIntervalMs: 1000,
      pollIntervalMs: 100,
      claimIntervalMs: 5000,
      retry: { baseMs: 100, maxMs: 800, jitter: 0.2 },
      random: () => 0.5,
    },
  });
  const errors: unknown[] = [];
  actor.subscribe({ error: (e) => errors.push(e) });
  const value = () => JSON.stringify(actor.getSnapshot().value);
  const fail = (error: unknown) => failLoop?.(error);
  return { clock, actor, requests, loops, beats, reports, errors, value, fail };
}

const storeDown = () => new TgError('TG_ERR_DEP_DOWN', 'timescaledb refused the connection');

describe('writer machine', () => {
  it('claims everything pending at start (min idle 0) before it starts the drain loop', async () => {
    const h = harness([
      { entries: 500, claimedAll: false },
      { entries: 20, claimedAll: true },
    ]);
    h.actor.start();
    await flush();
    expect(h.requests.map((r) => r.request)).toEqual([{ claimMinIdleMs: 0 }, { claimMinIdleMs: 0 }]);
    expect(h.reports.map((r) => r.state)).toEqual(['recovering', 'healthy']);
    expect(h.value()).toBe('"healthy"');
    expect(h.loops).toEqual([{ started: 0, input: { pollIntervalMs: 100, claimIntervalMs: 5000 } }]);
  });

  it('stops the loop on a retryable failure, backs off doubling, and restarts it once a pass succeeds', async () => {
    const h = harness([{}, storeDown(), storeDown(), {}]);
    h.actor.start();
    await flush();
    await advance(h.clock, 1000);
    h.fail(storeDown());
    expect(h.value()).toBe('{"degraded":"waiting"}');
    expect(h.loops[0].stopped).toBe(1000);
    expect(h.reports.at(-1)).toMatchObject({
      state: 'degraded',
      reason: expect.stringContaining('timescaledb'),
    });
    await advance(h.clock, 2000);
    // retries after 100, 200 and 400 ms; the retries of a claimed writer only read
    expect(h.requests.slice(1).map((r) => r.at - 1000)).toEqual([100, 300, 700]);
    expect(h.requests.slice(1).map((r) => r.request.claimMinIdleMs)).toEqual([null, null, null]);
    expect(h.reports.map((r) => r.state)).toEqual(['recovering', 'healthy', 'degraded', 'healthy']);
    expect(h.loops).toHaveLength(2);
    expect(h.loops[1].started).toBe(1700);
    expect(h.actor.getSnapshot().context.retryAttempt).toBe(0);
  });

  it('finishes an interrupted startup claim after the dependency returns', async () => {
    const h = harness([storeDown(), { claimedAll: false }, { claimedAll: true }]);
    h.actor.start();
    await advance(h.clock, 500);
    expect(h.requests.map((r) => r.request.claimMinIdleMs)).toEqual([0, 0, 0]);
    expect(h.reports.map((r) => r.state)).toEqual(['recovering', 'degraded', 'recovering', 'healthy']);
  });

  it('goes down on an error it cannot retry and stays there until asked to retry', async () => {
    const h = harness();
    h.actor.start();
    await flush();
    h.fail(new Error('relation "ticks" does not exist'));
    expect(h.value()).toBe('"down"');
    await advance(h.clock, 5000);
    expect(h.value()).toBe('"down"');
    expect(h.requests).toHaveLength(1);
    expect(h.loops[0].stopped).toBe(0);
    h.actor.send({ type: 'writer.retry' });
    await flush();
    expect(h.value()).toBe('"healthy"');
    expect(h.errors).toEqual([]);
  });

  it('beats every heartbeat interval whatever its state', async () => {
    const h = harness([new Error('fatal')]);
    h.actor.start();
    await advance(h.clock, 3000);
    expect(h.beats.map((b) => `${b.at}:${b.state}`)).toEqual([
      '0:recovering',
      '1000:down',
      '2000:down',
      '3000:down',
    ]);
  });
});
