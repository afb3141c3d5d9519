// Failure detection, pure: when silence from a process becomes suspicious (phi-accrual with the hard
// ceiling heartbeatTimeoutMs), and when a live collector counts as stalled (session-aware: no tick
// alarm outside KRX hours or for halted symbols; heartbeats themselves count at all hours).
import type { TgConfig } from './config.ts';
import { KRX_HOURS, isContinuousTrading, kstMidnight, type SessionHours } from './marketHours.ts';
import {
  PHI_WINDOW,
  addInterval,
  intervalStats,
  normalQuantile,
  suspicionDeadline,
  type PhiParams,
} from './phiAccrual.ts';
import type { HeartbeatPayload } from './types.ts';

export interface DetectionParams extends PhiParams {
  heartbeatTimeoutMs: number;
  /** Grace for the first beat of a process that is starting; default heartbeatTimeoutMs. */
  startTimeoutMs?: number;
  stallTimeoutMs: number;
  session: SessionHours;
  window: number;
}

export function detectionParams(config: TgConfig): DetectionParams {
  return {
    heartbeatIntervalMs: config.heartbeatIntervalMs,
    heartbeatTimeoutMs: config.heartbeatTimeoutMs,
    phiThreshold: config.phiThreshold,
    phiMinStdDevMs: config.phiMinStdDevMs,
    acceptableHeartbeatPauseMs: config.acceptableHeartbeatPauseMs,
    stallTimeoutMs: config.stallTimeoutMs,
    session: config.session ?? KRX_HOURS,
    window: PHI_WINDOW,
    ...(config.startTimeoutMs !== undefined ? { startTimeoutMs: config.startTimeoutMs } : {}),
  };
}

/** How long a starting process may stay silent before its first beat (live starts take seconds). */
export function startGraceMs(p: DetectionParams): number {
  return p.startTimeoutMs ?? p.heartbeatTimeoutMs;
}

/** What the detector knows about one process's beats. Serializable. */
export interface HeartbeatDetector {
  intervals: number[];
  /** Last beat counted since the last reset; null right after a (re)start or a re-sync. */
  lastBeatAt: number | null;
  /** Highest beat time ever seen: older or repeated beats (a poll sees a beat twice) are ignored. */
  newestBeatAt: number;
  /** While lastBeatAt is null, silence is measured from here ... */
  graceFrom: number;
  /** ... and suspicious after this long. */
  graceMs: number;
}

/** Silence allowed before suspicion when nothing is known yet but the prior (a re-sync). */
export function priorGraceMs(p: DetectionParams): number {
  return suspicionDeadline([], 0, p);
}

/** A detector that has seen no beat since `from`; it suspects after `graceMs` of silence. */
export function freshDetector(from: number, graceMs: number, newestBeatAt = -Infinity): HeartbeatDetector {
  return { intervals: [], lastBeatAt: null, newestBeatAt, graceFrom: from, graceMs };
}

/** Whether a beat at `at` is news (not a repeat of one already counted). */
export function isNewBeat(d: HeartbeatDetector, at: number): boolean {
  return at > d.newestBeatAt;
}

export function recordBeat(d: HeartbeatDetector, at: number, p: DetectionParams): HeartbeatDetector {
  if (!isNewBeat(d, at)) return d;
  const intervals =
    d.lastBeatAt === null ? d.intervals : addInterval(d.intervals, at - d.lastBeatAt, p.window);
  return { ...d, intervals, lastBeatAt: at, newestBeatAt: at };
}

/** The one moment at which silence becomes suspicious: phi crossing, capped by the hard ceiling. */
export function heartbeatDeadline(d: HeartbeatDetector, p: DetectionParams): number {
  if (d.lastBeatAt === null) return d.graceFrom + d.graceMs;
  return Math.min(suspicionDeadline(d.intervals, d.lastBeatAt, p), d.lastBeatAt + p.heartbeatTimeoutMs);
}

/** Mean interval the detector currently assumes (for diagnostics and tests). */
export function expectedIntervalMs(d: HeartbeatDetector, p: DetectionParams): number {
  return intervalStats(d.intervals, p).mean;
}

/** z of the phi threshold, exposed so tests can state the closed form. */
export function thresholdZ(p: DetectionParams): number {
  return -normalQuantile(10 ** -p.phiThreshold);
}

// ---- stall (alive but no ticks) ----

/** Epoch ms at which today's session opened, -Infinity when trading is continuous. */
export function sessionOpenedAt(t: number, hours: SessionHours): number {
  if (hours.always) return -Infinity;
  return kstMidnight(t) + hours.openMin * 60_000;
}

export type StallLevel = 'ok' | 'degraded' | 'down';

export interface StallVerdict {
  level: StallLevel;
  /** The moment ticks stopped counting (for the reason text); null when not stalled. */
  silentSince: number | null;
}

const NOT_STALLED: StallVerdict = { level: 'ok', silentSince: null };

/**
 * A collector is stalled when trading is continuous (not the closing auction), it has live (non-halted) subscriptions, its
 * broker connection is up, and its newest tick is older than half of stallTimeoutMs (degraded) or
 * all of it (down). Silence is never counted from before the session opened or before `liveSince`.
 */
export function stallVerdict(
  beat: HeartbeatPayload | null,
  now: number,
  p: DetectionParams,
  halted: readonly string[],
): StallVerdict {
  if (!beat || !beat.lastTickAt || beat.brokerConnected === false) return NOT_STALLED;
  // The closing call auction prints nothing until the close: silence there is not a stall.
  if (!isContinuousTrading(now, p.session)) return NOT_STALLED;
  const symbols = Object.keys(beat.lastTickAt).filter((s) => !halted.includes(s));
  if (symbols.length === 0) return NOT_STALLED;
  const newestTick = Math.max(...symbols.map((s) => beat.lastTickAt![s] ?? -Infinity));
  const since = Math.max(newestTick, sessionOpenedAt(now, p.session), beat.liveSince ?? -Infinity);
  if (!Number.isFinite(since)) return NOT_STALLED;
  const silent = now - since;
  if (silent >= p.stallTimeoutMs) return { level: 'down', silentSince: since };
  if (silent >= p.stallTimeoutMs / 2) return { level: 'degraded', silentSince: since };
  return NOT_STALLED;
}
