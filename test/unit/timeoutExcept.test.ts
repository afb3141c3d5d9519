// withTimeoutExcept: a broker call's timeout that does not count the time it queues for further
// rate-limit tokens between its HTTP requests (Kiwoom paging), and is withTimeout without pauses.
import { describe, expect, it } from 'vitest';
import { isTgError } from '../../machines/errors.ts';
import { withTimeoutExcept, type Paused } from '../../actors/timeout.ts';
import { ManualClock } from '../contracts/manualClock.ts';

function rig() {
  const clock = new ManualClock(1000);
  const sleep = (ms: number) => new Promise<void>((r) => clock.setTimeout(r, ms));
  const outcome: { value?: string; error?: unknown } = {};
  const run = (fn: (paused: Paused) => Promise<string>) =>
    withTimeoutExcept(clock, 100, fn, 'broker', 'TG_ERR_BROKER_DOWN').then(
      (v) => (outcome.value = v),
      (e: unknown) => (outcome.error = e),
    );
  return { clock, sleep, outcome, run };
}

describe('withTimeoutExcept', () => {
  it('rejects with the given code once `ms` pass without an answer, like withTimeout', async () => {
    const { clock, outcome, run } = rig();
    void run(() => new Promise<string>(() => {}));
    await clock.advance(99);
    expect(outcome).toEqual({});
    await clock.advance(1);
    expect(isTgError(outcome.error, 'TG_ERR_BROKER_DOWN')).toBe(true);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('does not count the time spent waiting inside paused()', async () => {
    const { clock, sleep, outcome, run } = rig();
    void run(async (paused) => {
      await sleep(60); // first request
      await paused(() => sleep(500)); // the next token
      await sleep(30); // second request: 90 ms of answering in all
      return 'two pages';
    });
    await clock.advance(585);
    expect(outcome).toEqual({});
    await clock.advance(5);
    expect(outcome.value).toBe('two pages');
    expect(clock.pendingTimers()).toBe(0);
  });

  it('still times out when the requests themselves take longer than `ms` in all', async () => {
    const { clock, sleep, outcome, run } = rig();
    void run(async (paused) => {
      await sleep(60);
      await paused(() => sleep(500));
      await sleep(1000);
      return 'late';
    });
    await clock.advance(599);
    expect(outcome).toEqual({});
    await clock.advance(1); // 60 + 40 ms of requests after the pause
    expect(isTgError(outcome.error, 'TG_ERR_BROKER_DOWN')).toBe(true);
  });

  it('passes an error of the call through unchanged', async () => {
    const { clock, outcome, run } = rig();
    const boom = new Error('boom');
    void run(async () => {
      throw boom;
    });
    await clock.advance(0);
    expect(outcome.error).toBe(boom);
  });
});
