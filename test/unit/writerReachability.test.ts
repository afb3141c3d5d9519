// Every state node of the writer machine (sub-states included) is reachable from the start through
// drain results, timers and the retry event: a state that loses its way in fails this test.
import { describe, expect, it } from 'vitest';
import { getShortestPaths } from 'xstate/graph';
import { statePath } from '../../actors/common.ts';
import { TgError } from '../../machines/errors.ts';
import { writerMachine } from '../../machines/writer.ts';
import { atomicStatePaths, delayEvents } from './collectorHarness.ts';

const input = {
  name: 'writer',
  heartbeatIntervalMs: 1000,
  pollIntervalMs: 100,
  claimIntervalMs: 5000,
  retry: { baseMs: 100, maxMs: 2000, jitter: 0.2 },
  random: () => 0.5,
};

const done = (output: { more: boolean; claimedAll: boolean }) => ({
  type: 'xstate.done.actor.drain',
  output: { entries: 1, ticks: 1, ...output },
});

const events = [
  done({ more: false, claimedAll: true }),
  done({ more: true, claimedAll: true }),
  done({ more: true, claimedAll: false }),
  { type: 'xstate.error.actor.drain', error: new TgError('TG_ERR_DEP_DOWN', 'timescaledb down') },
  { type: 'xstate.error.actor.drain', error: new Error('bug') },
  { type: 'writer.retry' },
  { type: 'drain.failed', error: new TgError('TG_ERR_TIMEOUT', 'redis-main did not answer') },
  { type: 'drain.failed', error: new Error('bug') },
  ...delayEvents(writerMachine),
];

describe('writer machine reachability', () => {
  it('reaches every atomic state node', () => {
    const paths = getShortestPaths(writerMachine, {
      input,
      events: events as never,
      serializeState: (s) => JSON.stringify([s.value, s.context.startupClaimed]),
    });
    const reached = new Set(paths.map((p) => statePath(p.state.value)));
    const all = atomicStatePaths(writerMachine);
    expect(all).toEqual(
      expect.arrayContaining([
        'recovering.claiming',
        'healthy',
        'degraded.waiting',
        'degraded.retrying',
        'down',
      ]),
    );
    expect(all.filter((s) => !reached.has(s))).toEqual([]);
  });
});
