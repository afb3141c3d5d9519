// Pure failure detection: phi-accrual and its closed-form deadline, the hard ceiling, the 3 s promise
// at 1 s heartbeats, and session-aware stall judgement.
import { describe, expect, it } from 'vitest';
import { defaultConfig, validateConfig } from '../../machines/config.ts';
import {
  detectionParams,
  freshDetector,
  heartbeatDeadline,
  priorGraceMs,
  recordBeat,
  stallVerdict,
  thresholdZ,
  type HeartbeatDetector,
} from '../../machines/detection.ts';
import { kstTime } from '../../machines/marketHours.ts';
import {
  addInterval,
  normalQuantile,
  normalUpperTail,
  phi,
  suspicionDeadline,
} from '../../machines/phiAccrual.ts';
import type { HeartbeatPayload } from '../../machines/types.ts';

const p = detectionParams(defaultConfig());

function beatsEvery(intervals: number[]): HeartbeatDetector {
  let d = freshDetector(0, p.heartbeatTimeoutMs);
  let t = 0;
  d = recordBeat(d, t, p);
  for (const i of intervals) {
    t += i;
    d = recordBeat(d, t, p);
  }
  return d;
}

describe('normal distribution helpers', () => {
  it('inverts the tail probability accurately far out in the tail', () => {
    expect(-normalQuantile(1e-8)).toBeCloseTo(5.612, 3);
    expect(normalQuantile(0.5)).toBeCloseTo(0, 9);
    expect(normalQuantile(0.975)).toBeCloseTo(1.959964, 5);
    for (const pTail of [1e-3, 1e-6, 1e-8, 1e-12]) {
      expect(normalUpperTail(-normalQuantile(pTail)) / pTail).toBeCloseTo(1, 5);
    }
  });
});

describe('phi accrual', () => {
  it('reaches the threshold exactly at the suspicion deadline (closed form)', () => {
    const history = [1000, 1010, 990, 1005, 995, 1200, 980];
    const lastAt = 50_000;
    const deadline = suspicionDeadline(history, lastAt, p);
    expect(phi(history, deadline - lastAt, p)).toBeCloseTo(p.phiThreshold, 4);
    expect(phi(history, deadline - lastAt - 50, p)).toBeLessThan(p.phiThreshold);
    expect(phi(history, deadline - lastAt + 50, p)).toBeGreaterThan(p.phiThreshold);
  });

  it('grows with silence and waits longer for a jittery process', () => {
    const steady = Array(20).fill(1000);
    const jittery = Array.from({ length: 20 }, (_, i) => (i % 2 ? 600 : 1400));
    expect(phi(steady, 1800, p)).toBeLessThan(phi(steady, 2000, p));
    expect(suspicionDeadline(jittery, 0, p)).toBeGreaterThan(suspicionDeadline(steady, 0, p) + 1000);
  });

  it('keeps a sliding window of the newest intervals', () => {
    let h: number[] = [];
    for (let i = 0; i < 150; i++) h = addInterval(h, i, 100);
    expect(h).toHaveLength(100);
    expect(h[0]).toBe(50);
  });
});

describe('heartbeatDeadline', () => {
  it('marks a process that dies after a steady run suspect within 3 s of its last beat (1 s beats)', () => {
    const d = beatsEvery(Array(30).fill(1000));
    const last = d.lastBeatAt!;
    expect(heartbeatDeadline(d, p) - last).toBeLessThan(2500); // + at most one 500 ms registry poll
    expect(heartbeatDeadline(d, p) - last).toBeGreaterThan(
      p.heartbeatIntervalMs + p.acceptableHeartbeatPauseMs,
    );
  });

  it('stays within 3 s even right after the first beat (the prior)', () => {
    const d = beatsEvery([]);
    expect(heartbeatDeadline(d, p) - d.lastBeatAt!).toBeLessThan(2500);
    expect(priorGraceMs(p)).toBeCloseTo(1000 + 500 + 125 * thresholdZ(p), 6);
  });

  it('is capped by the hard ceiling heartbeatTimeoutMs when beats are very irregular', () => {
    const d = beatsEvery(Array.from({ length: 30 }, (_, i) => (i % 2 ? 100 : 3900)));
    expect(heartbeatDeadline(d, p)).toBe(d.lastBeatAt! + p.heartbeatTimeoutMs);
  });

  it('measures from the grace start while no beat has been seen since a (re)start', () => {
    const d = freshDetector(10_000, 5000);
    expect(heartbeatDeadline(d, p)).toBe(15_000);
  });

  it('ignores a repeated or older beat (a poll sees the same beat twice)', () => {
    const d = beatsEvery([1000, 1000]);
    expect(recordBeat(d, 2000, p)).toBe(d);
    expect(recordBeat(d, 1500, p)).toBe(d);
    expect(recordBeat(d, 3000, p).intervals).toEqual([1000, 1000, 1000]);
  });
});

describe('stallVerdict', () => {
  const day = '20250303'; // a Monday
  const beat = (at: number, lastTickAt: Record<string, number>, extra: Partial<HeartbeatPayload> = {}) =>
    ({
      component: 'collector:kis-1',
      at,
      state: 'healthy',
      brokerConnected: true,
      lastTickAt,
      ...extra,
    }) as HeartbeatPayload;
  const open = kstTime(day, '10:00:00');

  it('is degraded after half of stallTimeoutMs without ticks in session, down after all of it', () => {
    const b = beat(open, { A: open - 10_000, B: open - 12_000 });
    expect(stallVerdict(b, open, p, []).level).toBe('ok');
    expect(stallVerdict(b, open + 5_000, p, []).level).toBe('degraded');
    expect(stallVerdict(b, open + 20_000, p, [])).toEqual({ level: 'down', silentSince: open - 10_000 });
  });

  it('raises no tick alarm outside session hours', () => {
    const night = kstTime(day, '20:00:00');
    expect(stallVerdict(beat(night, { A: night - 3_600_000 }), night, p, []).level).toBe('ok');
    const saturday = kstTime('20250308', '10:00:00');
    expect(stallVerdict(beat(saturday, { A: saturday - 3_600_000 }), saturday, p, []).level).toBe('ok');
  });

  it('ignores halted symbols, and is quiet when every subscribed symbol is halted', () => {
    const b = beat(open, { A: open - 60_000, B: open - 1_000 });
    expect(stallVerdict(b, open, p, []).level).toBe('ok');
    expect(stallVerdict(b, open + 20_000, p, ['B']).level).toBe('down');
    expect(stallVerdict(beat(open, { A: open - 60_000 }), open, p, ['A']).level).toBe('ok');
  });

  it('never counts silence from before the session opened or before the subscription went live', () => {
    const nineOhFive = kstTime(day, '09:00:05');
    expect(
      stallVerdict(beat(nineOhFive, { A: kstTime('20250228', '15:29:00') }), nineOhFive, p, []).level,
    ).toBe('ok');
    const b = beat(open, { A: open - 60_000 }, { liveSince: open - 1_000 });
    expect(stallVerdict(b, open, p, []).level).toBe('ok');
  });

  it('leaves a lost broker connection to its own rule (not a stall)', () => {
    const b = beat(open, { A: open - 60_000 }, { brokerConnected: false });
    expect(stallVerdict(b, open, p, []).level).toBe('ok');
  });

  it('trades around the clock with session.always', () => {
    const always = detectionParams(validateConfig({ session: { always: true } }));
    const night = kstTime(day, '03:00:00');
    expect(stallVerdict(beat(night, { A: night - 40_000 }), night, always, []).level).toBe('down');
  });
});
