// What the broker sees from one client during a bench round: every minute-bars call with its send
// and answer times (a BrokerRest wrapper, timing only), the spacing of sends, and the emulator's own
// per-app-key counters read before and after the round.
import { isTgError } from '../../machines/errors.ts';
import type { BrokerRest, MinuteBarPage } from '../../ports/broker.ts';

export interface Call {
  /** performance.now() when the call was made and when it settled. */
  sentAt: number;
  doneAt: number;
  outcome: 'ok' | 'rejected' | 'failed';
}

export interface RecordingRest extends BrokerRest {
  readonly calls: Call[];
}

/** The same client, with each call's timing kept (no change in what is sent or when). */
export function recordingRest(inner: BrokerRest): RecordingRest {
  const calls: Call[] = [];
  return {
    broker: inner.broker,
    appKey: inner.appKey,
    calls,
    async minuteBars(
      symbol: string,
      beforeOrAt: number,
      permit?: () => Promise<void>,
    ): Promise<MinuteBarPage> {
      const call: Call = { sentAt: performance.now(), doneAt: NaN, outcome: 'ok' };
      calls.push(call);
      try {
        return await inner.minuteBars(symbol, beforeOrAt, permit);
      } catch (e) {
        call.outcome = isTgError(e, 'TG_ERR_BROKER_REJECTED') ? 'rejected' : 'failed';
        throw e;
      } finally {
        call.doneAt = performance.now();
      }
    },
  };
}

export interface Spacing {
  meanMs: number;
  p50Ms: number;
  p90Ms: number;
  maxMs: number;
  minMs: number;
  /** Fastest answer of an accepted call (the broker's response time as this client sees it). */
  minResponseMs: number;
  medianResponseMs: number;
}

const quantile = (sorted: number[], q: number) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : NaN;

export function spacing(calls: Call[]): Spacing {
  const sent = calls.map((c) => c.sentAt).sort((a, b) => a - b);
  const gaps = sent
    .slice(1)
    .map((t, i) => t - sent[i])
    .sort((a, b) => a - b);
  const answers = calls
    .filter((c) => c.outcome === 'ok')
    .map((c) => c.doneAt - c.sentAt)
    .sort((a, b) => a - b);
  return {
    meanMs: sent.length > 1 ? (sent[sent.length - 1] - sent[0]) / (sent.length - 1) : NaN,
    p50Ms: quantile(gaps, 0.5),
    p90Ms: quantile(gaps, 0.9),
    maxMs: gaps[gaps.length - 1] ?? NaN,
    minMs: gaps[0] ?? NaN,
    minResponseMs: answers[0] ?? NaN,
    medianResponseMs: quantile(answers, 0.5),
  };
}

export interface KeyStats {
  requests: number;
  rejections: number;
  maxRequestsInAnySecond: number;
}

/** The emulator's counters for one app key (zeros before its first request). */
export async function emulatorKeyStats(emulatorUrl: string, appKey: string): Promise<KeyStats> {
  const res = await fetch(`${emulatorUrl}/_emulator/stats`);
  if (!res.ok) throw new Error(`emulator stats: HTTP ${res.status}`);
  const body = (await res.json()) as { appKeys: Record<string, KeyStats> };
  return body.appKeys[appKey] ?? { requests: 0, rejections: 0, maxRequestsInAnySecond: 0 };
}

/** Counters of the round alone; the peak is the emulator's running maximum (see the warm-up note). */
export function statsSince(before: KeyStats, after: KeyStats): KeyStats {
  return {
    requests: after.requests - before.requests,
    rejections: after.rejections - before.rejections,
    maxRequestsInAnySecond: after.maxRequestsInAnySecond,
  };
}
