// What a health view knows about one component (facts) and what it concludes (the verdict). Pure
// reducers, one per kind of evidence; healthView.ts wraps them in a state machine. Evidence rules:
// an exit or a failed restart is final until the component shows life; silence only counts once the
// heartbeat registry was read after the suspicion deadline (while blind, missing beats prove nothing).
import type { ComponentKind } from './config.ts';
import {
  freshDetector,
  startGraceMs,
  heartbeatDeadline,
  isNewBeat,
  priorGraceMs,
  recordBeat,
  stallVerdict,
  type DetectionParams,
  type HeartbeatDetector,
  type StallVerdict,
} from './detection.ts';
import type { HealthState, HeartbeatPayload, ViewState } from './types.ts';

export interface ViewFacts {
  kind: ComponentKind;
  collector: boolean;
  params: DetectionParams;
  /** A failed component must stay alive this long (restart.windowMs) before it leaves failed. */
  failedRecoveryMs: number;
  halted: string[];
  det: HeartbeatDetector;
  /** The suspicion deadline passed at this time; down once the registry confirms the silence. */
  suspectAt: number | null;
  silencedAt: number | null;
  /** Exited, or a restart that did not start it. */
  dead: { at: number; reason: string } | null;
  /** Set from a (re)start until its first beat: why we are waiting. */
  awaiting: string | null;
  lastBeat: HeartbeatPayload | null;
  reported: { state: HealthState; at: number } | null;
  brokerLostSince: number | null;
  stall: StallVerdict;
  probe: { failures: number; oks: number; latched: boolean; reason: string };
  failed: { at: number; reason: string } | null;
  /** Start of uninterrupted life while failed. */
  aliveSince: number | null;
}

export interface Verdict {
  state: ViewState;
  reason: string;
}

export interface FactsInput {
  kind: ComponentKind;
  collector: boolean;
  params: DetectionParams;
  failedRecoveryMs: number;
  halted?: readonly string[];
  startedAt: number;
}

export function initialFacts(i: FactsInput): ViewFacts {
  return {
    kind: i.kind,
    collector: i.collector,
    params: i.params,
    failedRecoveryMs: i.failedRecoveryMs,
    halted: [...(i.halted ?? [])],
    det: freshDetector(i.startedAt, startGraceMs(i.params)),
    suspectAt: null,
    silencedAt: null,
    dead: null,
    awaiting: i.kind === 'process' ? 'awaiting first heartbeat' : null,
    lastBeat: null,
    reported: null,
    brokerLostSince: null,
    stall: { level: 'ok', silentSince: null },
    probe: { failures: 0, oks: 0, latched: false, reason: 'not probed yet' },
    failed: null,
    aliveSince: null,
  };
}

/** Whether a suspicion timer is worth arming (nothing to detect once the component is known dead). */
export function watchesSilence(f: ViewFacts): boolean {
  return f.kind === 'process' && f.dead === null && f.silencedAt === null;
}

export function silenceDeadline(f: ViewFacts): number {
  return heartbeatDeadline(f.det, f.params);
}

export function onHeartbeat(f: ViewFacts, beat: HeartbeatPayload, now: number): ViewFacts {
  if (f.kind !== 'process' || !isNewBeat(f.det, beat.at)) return f;
  if (f.dead && beat.at <= f.dead.at) return f;
  let { failed, aliveSince } = f;
  if (failed && beat.at > failed.at) {
    aliveSince = aliveSince ?? beat.at;
    if (beat.state === 'healthy' && beat.at - aliveSince >= f.failedRecoveryMs) {
      failed = null;
      aliveSince = null;
    }
  }
  const alive = {
    ...f,
    det: recordBeat(f.det, beat.at, f.params),
    suspectAt: null,
    silencedAt: null,
    dead: null,
    awaiting: null,
    failed,
    aliveSince,
  };
  // A mirror entry newer than this beat (the registry is read late; a collector's first beat, sent
  // while it connected, can arrive after its "healthy") still says what the component is: the beat
  // proves life, but its state and broker connection are older news and must not override it.
  if (f.reported && f.reported.at > beat.at) return alive;
  return {
    ...alive,
    lastBeat: beat,
    reported: { state: beat.state, at: beat.at },
    brokerLostSince: f.collector && beat.brokerConnected === false ? (f.brokerLostSince ?? beat.at) : null,
    stall: f.collector ? stallVerdict(beat, now, f.params, f.halted) : f.stall,
  };
}

/** A component's own mirrored state: a faster hint than its next beat, never proof of life. */
export function onMirrored(f: ViewFacts, state: HealthState, at: number): ViewFacts {
  if (f.kind !== 'process' || f.dead || f.awaiting || f.silencedAt !== null) return f;
  if (f.reported && at <= f.reported.at) return f;
  return { ...f, reported: { state, at } };
}

export function onExited(f: ViewFacts, at: number, reason = 'exited'): ViewFacts {
  return { ...f, dead: { at, reason }, awaiting: null, suspectAt: null, aliveSince: null };
}

/** A new process (platform start or ordered restart): forget the old one, wait for its first beat. */
export function onStarted(f: ViewFacts, at: number, why: string): ViewFacts {
  return {
    ...f,
    det: freshDetector(at, startGraceMs(f.params), f.det.newestBeatAt),
    suspectAt: null,
    silencedAt: null,
    dead: null,
    awaiting: why,
    lastBeat: null,
    reported: null,
    brokerLostSince: null,
    stall: { level: 'ok', silentSince: null },
  };
}

export function onProbe(f: ViewFacts, ok: boolean, reason: string): ViewFacts {
  const p = f.probe;
  const probe = ok
    ? { failures: 0, oks: p.oks + 1, latched: p.latched && p.oks + 1 < 2, reason }
    : { failures: p.failures + 1, oks: 0, latched: p.latched || p.failures + 1 >= 2, reason };
  return { ...f, probe, failed: ok ? null : f.failed };
}

export function onSuspicionDue(f: ViewFacts, deadline: number): ViewFacts {
  if (!watchesSilence(f) || f.suspectAt !== null || deadline !== silenceDeadline(f)) return f;
  return { ...f, suspectAt: deadline };
}

/** The registry was read at `at` (every beat it held was delivered first): silence is now evidence. */
export function onRegistryRead(f: ViewFacts, at: number): ViewFacts {
  if (f.suspectAt === null || at < f.suspectAt) return f;
  return { ...f, silencedAt: f.suspectAt, suspectAt: null, aliveSince: null };
}

/** Sight regained after blindness: fresh detector history from `at`, nobody declared dead for it. */
export function onResync(f: ViewFacts, at: number): ViewFacts {
  if (f.kind !== 'process') return f;
  if (!watchesSilence(f)) return { ...f, suspectAt: null };
  const graceMs = f.awaiting ? startGraceMs(f.params) : priorGraceMs(f.params);
  return { ...f, det: freshDetector(at, graceMs, f.det.newestBeatAt), suspectAt: null };
}

export function onFail(f: ViewFacts, at: number, reason: string): ViewFacts {
  return { ...f, failed: { at, reason }, aliveSince: null };
}

export function onReset(f: ViewFacts): ViewFacts {
  return { ...f, failed: null, aliveSince: null };
}

export function onHalted(f: ViewFacts, symbols: readonly string[], now: number): ViewFacts {
  const next = { ...f, halted: [...symbols] };
  return f.collector ? { ...next, stall: stallVerdict(f.lastBeat, now, f.params, next.halted) } : next;
}

const SELF_REPORTED: Record<HealthState, Verdict> = {
  healthy: { state: 'healthy', reason: 'heartbeat' },
  degraded: { state: 'degraded', reason: 'reports degraded' },
  recovering: { state: 'recovering', reason: 'reports recovering' },
  // Alive and beating: a self-reported down (say, waiting for a dependency) is not a death.
  down: { state: 'degraded', reason: 'reports down' },
};

function judgeProcess(f: ViewFacts): Verdict {
  if (f.dead) return { state: 'down', reason: f.dead.reason };
  if (f.silencedAt !== null) return { state: 'down', reason: 'heartbeat-timeout' };
  if (f.collector && f.stall.level === 'down') return { state: 'down', reason: 'stalled' };
  if (f.awaiting) return { state: 'recovering', reason: f.awaiting };
  if (f.collector && f.brokerLostSince !== null) return { state: 'degraded', reason: 'broker-ws-lost' };
  if (f.collector && f.stall.level === 'degraded') return { state: 'degraded', reason: 'stalled' };
  return f.reported
    ? SELF_REPORTED[f.reported.state]
    : { state: 'recovering', reason: 'awaiting first heartbeat' };
}

function judgeInfrastructure(f: ViewFacts): Verdict {
  const p = f.probe;
  if (p.failures >= 2 || (p.latched && p.failures >= 1)) return { state: 'down', reason: p.reason };
  if (p.latched && p.oks >= 1) return { state: 'recovering', reason: 'probe ok after an outage' };
  if (p.failures === 1) return { state: 'degraded', reason: p.reason };
  return { state: 'healthy', reason: p.reason };
}

export function judge(f: ViewFacts): Verdict {
  if (f.failed) return { state: 'failed', reason: f.failed.reason };
  return f.kind === 'process' ? judgeProcess(f) : judgeInfrastructure(f);
}
