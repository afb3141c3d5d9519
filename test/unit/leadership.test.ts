// Leadership among several supervisors (runtime/processes/leadership.ts) over a scripted lease: the
// holder leads, a standby takes over once the lease is free, a leader steps down when another holds
// it, nobody changes role while redis-main cannot answer, and a graceful stop hands the lease over.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TgError } from '../../machines/errors.ts';
import { silentLogger } from '../../runtime/log.ts';
import { startLeadership, type LeaseLike } from '../../runtime/processes/leadership.ts';
import type { LeaseClaim } from '../../runtime/redis/index.ts';

type Answer = LeaseClaim | 'down';

/** A lease whose answers the test sets; records every claim and release. */
function scriptedLease(first: Answer) {
  let answer: Answer = first;
  const calls: string[] = [];
  const lease: LeaseLike = {
    owner: 'me',
    claim: async () => {
      calls.push('claim');
      if (answer === 'down') throw new TgError('TG_ERR_DEP_DOWN', 'redis-main does not answer');
      return answer;
    },
    release: async () => {
      calls.push('release');
      return true;
    },
  };
  return { lease, calls, set: (a: Answer) => (answer = a) };
}

const mine = (token: number): LeaseClaim => ({ held: true, token, ttlMs: 5000 });
const theirs: LeaseClaim = { held: false, holder: 'other', ttlMs: 3000 };

function rig(first: Answer) {
  const s = scriptedLease(first);
  const log: string[] = [];
  const lead = vi.fn((token: number | undefined) => {
    log.push(`lead ${token}`);
    return { stop: () => log.push('stop') };
  });
  const start = () => startLeadership({ lease: s.lease, renewEveryMs: 1000, lead, log: silentLogger });
  return { ...s, log, lead, start };
}

describe('supervisor leadership', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('leads at once with the lease, renews it every interval, and keeps leading', async () => {
    const r = rig(mine(7));
    const l = await r.start();
    expect(l.role()).toBe('leader');
    expect(l.fields()).toMatchObject({ role: 'leader', leaseFence: 7 });
    await vi.advanceTimersByTimeAsync(3000);
    expect(r.calls.filter((c) => c === 'claim')).toHaveLength(4);
    expect(r.log).toEqual(['lead 7']);
    await l.stop();
  });

  it('stands by while another holds the lease and takes over once it is free', async () => {
    const r = rig(theirs);
    const l = await r.start();
    expect(l.role()).toBe('standby');
    expect(l.fields()).toMatchObject({ role: 'standby', leaseHolder: 'other' });
    await vi.advanceTimersByTimeAsync(2000);
    expect(r.lead).not.toHaveBeenCalled();
    r.set(mine(8));
    await vi.advanceTimersByTimeAsync(1000);
    expect(l.role()).toBe('leader');
    expect(r.log).toEqual(['lead 8']);
    await l.stop();
  });

  it('steps down at once when another supervisor holds the lease, and may lead again later', async () => {
    const r = rig(mine(1));
    const l = await r.start();
    r.set(theirs);
    await vi.advanceTimersByTimeAsync(1000);
    expect(l.role()).toBe('standby');
    r.set(mine(3));
    await vi.advanceTimersByTimeAsync(1000);
    expect(r.log).toEqual(['lead 1', 'stop', 'lead 3']);
    await l.stop();
  });

  it('keeps its role while redis-main cannot answer: a standby never leads without the lease', async () => {
    const r = rig(theirs);
    const l = await r.start();
    r.set('down');
    await vi.advanceTimersByTimeAsync(10_000);
    expect(l.role()).toBe('standby');
    const leader = rig(mine(2));
    const k = await leader.start();
    leader.set('down');
    await vi.advanceTimersByTimeAsync(10_000);
    expect(k.role()).toBe('leader');
    expect(leader.log).toEqual(['lead 2']);
    await l.stop();
    await k.stop();
  });

  it('leads when it starts without an answer (a lone supervisor through a redis-main outage)', async () => {
    const r = rig('down');
    const l = await r.start();
    expect(l.role()).toBe('leader');
    expect(r.log).toEqual(['lead undefined']);
    r.set(theirs); // another one claimed it once redis-main was back: step down
    await vi.advanceTimersByTimeAsync(1000);
    expect(r.log).toEqual(['lead undefined', 'stop']);
    await l.stop();
  });

  it('releases the lease on a graceful stop so a standby need not wait it out; a standby releases nothing', async () => {
    const r = rig(mine(4));
    const l = await r.start();
    await l.stop();
    expect(r.log).toEqual(['lead 4', 'stop']);
    expect(r.calls.at(-1)).toBe('release');
    await vi.advanceTimersByTimeAsync(5000);
    expect(r.calls.filter((c) => c === 'claim')).toHaveLength(1);
    const s = rig(theirs);
    const standby = await s.start();
    await standby.stop();
    expect(s.calls).not.toContain('release');
  });
});
