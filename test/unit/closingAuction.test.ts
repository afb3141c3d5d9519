// The closing call auction (15:20-15:30 KST) prints nothing until the close: ten silent minutes
// there must not look like a stalled collector, while the same silence at 15:15 is one.
import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../machines/config.ts';
import { detectionParams, stallVerdict } from '../../machines/detection.ts';
import { isContinuousTrading, kstTime } from '../../machines/marketHours.ts';
import type { HeartbeatPayload } from '../../machines/types.ts';

const day = '2025-06-02'; // a Monday
const beat = (lastTick: number): HeartbeatPayload => ({
  component: 'collector:kis-1',
  at: lastTick,
  state: 'healthy',
  brokerConnected: true,
  liveSince: kstTime(day, '09:00'),
  lastTickAt: { '005930': lastTick },
});

describe('stall detection around the closing auction', () => {
  const params = detectionParams(defaultConfig());

  it('knows continuous trading ends at 15:20 and the session at 15:30', () => {
    expect(isContinuousTrading(kstTime(day, '15:19:59'))).toBe(true);
    expect(isContinuousTrading(kstTime(day, '15:20:00'))).toBe(false);
    expect(isContinuousTrading(kstTime(day, '15:29:59'))).toBe(false);
  });

  it('does not call ten auction minutes a stall', () => {
    const verdict = stallVerdict(beat(kstTime(day, '15:19:59')), kstTime(day, '15:29:00'), params, []);
    expect(verdict.level).toBe('ok');
  });

  it('calls the same silence during continuous trading a stall', () => {
    const verdict = stallVerdict(beat(kstTime(day, '15:10:00')), kstTime(day, '15:19:00'), params, []);
    expect(verdict.level).toBe('down');
  });
});
