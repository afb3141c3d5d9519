// startTimeoutMs: the grace a starting process gets before its first heartbeat (live processes need
// seconds to load and connect), separate from the 5 s silence ceiling of a running one. Optional:
// without it everything behaves as before (the simulator), live configs default it to 15 s.
import { describe, expect, it } from 'vitest';
import { defaultConfig, validateConfig } from '../../machines/config.ts';
import { detectionParams, recordBeat } from '../../machines/detection.ts';
import { initialFacts, onStarted, silenceDeadline } from '../../machines/healthVerdict.ts';
import { loadConfig } from '../../runtime/config/index.ts';

const facts = (config = defaultConfig()) =>
  initialFacts({
    kind: 'process',
    collector: false,
    params: detectionParams(config),
    failedRecoveryMs: 60_000,
    startedAt: 1000,
  });

describe('startTimeoutMs', () => {
  it('is absent by default, so a start waits heartbeatTimeoutMs as before', () => {
    expect(validateConfig({}).startTimeoutMs).toBeUndefined();
    expect(silenceDeadline(facts())).toBe(1000 + 5000);
  });

  it('gives a starting process its own grace, at supervisor start and after each (re)start', () => {
    const config = validateConfig({ startTimeoutMs: 20_000 });
    const f = facts(config);
    expect(silenceDeadline(f)).toBe(1000 + 20_000);
    expect(silenceDeadline(onStarted(f, 50_000, 'process started'))).toBe(50_000 + 20_000);
  });

  it('does not lengthen the silence allowed once the process beats', () => {
    const config = validateConfig({ startTimeoutMs: 20_000 });
    const p = detectionParams(config);
    const f = facts(config);
    const beating = { ...f, det: recordBeat(f.det, 2000, p) };
    expect(silenceDeadline(beating)).toBeLessThanOrEqual(2000 + config.heartbeatTimeoutMs);
  });

  it('is validated like the other durations', () => {
    expect(() => validateConfig({ startTimeoutMs: -1 })).toThrow(
      /config\.startTimeoutMs must be a number > 0/,
    );
  });

  it('defaults to 15 s in live configs and follows TG_START_TIMEOUT_MS', () => {
    expect(loadConfig({ env: {} }).tuning.startTimeoutMs).toBe(15_000);
    expect(loadConfig({ env: { TG_START_TIMEOUT_MS: '4000' } }).tuning.startTimeoutMs).toBe(4000);
    expect(loadConfig({ env: { TG_HEARTBEAT_TIMEOUT_MS: '30000' } }).tuning.startTimeoutMs).toBe(30_000);
  });
});
