// The simulator's instruments: what collectors received, when faults started and were detected,
// when back-fill began, every grant of the gatekeeper, and the timeline. It only watches; the
// metrics and invariant verdicts are computed from it at the end (see metrics.ts).
import { CoveredIntervals, TICK_INSERTED } from '../../ports/memory/tickCoverage.ts';
import type { TgEvent, TickBatch } from '../../machines/types.ts';
import type { ConcreteFault } from '../scenario/types.ts';
import type { InvariantViolation, TimelineEntry } from '../report/types.ts';

export interface FaultRecord {
  fault: ConcreteFault;
  start: number;
  /** Whether a detection is owed (a hang shorter than the detector's ceiling is not). */
  detectable: boolean;
  detectedAt?: number;
}

export interface GapDetection {
  gapId: string;
  symbol: string;
  priority: number;
  detectedAt: number;
  firstRequestAt?: number;
  /** The detection (COLLECTOR_DOWN or GAP_OPENED) that announced it. */
  detection: Detection;
}

/** One verdict that opened gaps; recovery has started once any of its gaps got a request. */
export interface Detection {
  at: number;
  firstRequestAt?: number;
}

export class WorldObserver {
  readonly timeline: TimelineEntry[] = [];
  readonly faults: FaultRecord[] = [];
  readonly violations: InvariantViolation[] = [];
  /** gap id -> detection, for recovery start latency and priority inversions. */
  readonly gaps = new Map<string, GapDetection>();
  readonly detections: Detection[] = [];
  /** Gaps found by cumulative-volume jumps (closed at birth; outside the coverage bookkeeping). */
  readonly silentGapIds = new Set<string>();
  /** Distinct ticks that reached a live collector, per symbol. */
  private readonly receivedCov = new Map<string, CoveredIntervals>();
  private receivedTicks = 0;
  readonly collectorDowns = new Map<string, number>();
  escalations = 0;
  lastGapRecoveredAt: number | null = null;
  /** Last time the recovery worker upserted back-filled bars. */
  lastBackfillAt: number | null = null;
  priorityInversions = 0;
  /** Whether redis-gatekeeper is down now (set by the world from its dependency). */
  gatekeeperDown = () => false;
  localShareLimit = Infinity;

  record(at: number, kind: string, subject: string, detail: string): void {
    this.timeline.push({ at, kind, subject, detail });
  }

  fault(fault: ConcreteFault, phase: 'start' | 'end', at: number, detectable: 'yes' | 'no' | 'known'): void {
    const what = `${fault.kind}${fault.params.byMs ? ` by ${fault.params.byMs} ms` : ''}${
      fault.params.ratio !== undefined ? ` ratio ${fault.params.ratio}` : ''
    }`;
    this.record(at, 'fault', fault.target, `${phase} ${what}`);
    if (phase !== 'start') return;
    this.faults.push({
      fault,
      start: at,
      detectable: detectable !== 'no',
      detectedAt: detectable === 'known' ? at : undefined,
    });
  }

  /** A collector process handled a delivery from its broker session. */
  readonly received = (_collector: string, batches: TickBatch[]): void => {
    for (const batch of batches) {
      let cov = this.receivedCov.get(batch.symbol);
      if (!cov) this.receivedCov.set(batch.symbol, (cov = new CoveredIntervals()));
      const { cumVolume, volume } = batch;
      for (let i = 0; i < cumVolume.length; i++) {
        if (cov.add(cumVolume[i], volume[i]) === TICK_INSERTED) this.receivedTicks += 1;
      }
    }
  };

  distinctReceived(symbol: string): number {
    return this.receivedCov.get(symbol)?.count() ?? 0;
  }

  receivedSymbols(): string[] {
    return [...this.receivedCov.keys()].sort();
  }

  totalReceived(): number {
    return this.receivedTicks;
  }

  /** Detection of a fault: the first matching verdict after the fault began. */
  private detect(matches: (f: FaultRecord) => boolean, at: number): void {
    for (const f of this.faults) {
      if (f.detectedAt === undefined && f.start <= at && matches(f)) f.detectedAt = at;
    }
  }

  supervisorEvent(e: TgEvent, at: number): void {
    switch (e.type) {
      case 'COMPONENT_STATE':
        this.record(at, 'state', e.actor, `${e.from} -> ${e.to} (${e.reason})`);
        if (e.to === 'down' || e.to === 'failed') {
          this.detect((f) => f.fault.target === e.actor, at);
        }
        if (e.to === 'failed') this.escalations += 1;
        return;
      case 'COLLECTOR_DOWN':
        this.record(at, 'event', e.collector, `COLLECTOR_DOWN ${e.reason}, ${e.gaps.length} gaps`);
        this.collectorDowns.set(e.collector, (this.collectorDowns.get(e.collector) ?? 0) + 1);
        this.detect((f) => f.fault.target === e.collector || f.fault.target === 'broker-ws', at);
        if (e.gaps.length > 0) {
          const detection = this.newDetection(at);
          for (const g of e.gaps) this.gapDetected(g.gapId, g.symbol, g.priority, detection);
        }
        return;
      case 'COLLECTOR_UP':
        this.record(at, 'event', e.collector, `COLLECTOR_UP, ${e.closed.length} gaps closed`);
        return;
      case 'GATEKEEPER_MODE':
        this.record(at, 'event', 'gatekeeper', `GATEKEEPER_MODE ${e.mode} share ${e.share}`);
        return;
      default:
        return;
    }
  }

  /** Events seen on the bus (collectors' silent-loss gaps, the worker's recoveries). */
  busEvent(e: TgEvent, at: number): void {
    if (e.type === 'GAP_OPENED') {
      this.record(at, 'event', e.gap.collector, `GAP_OPENED ${e.gap.symbol} (silent loss)`);
      this.detect((f) => f.fault.target === 'broker-ws' && f.fault.kind === 'drop', at);
      this.silentGapIds.add(e.gap.id);
      this.gapDetected(e.gap.id, e.gap.symbol, e.gap.priority, this.newDetection(at));
    } else if (e.type === 'GAP_RECOVERED') {
      this.record(at, 'event', 'recovery-worker', `GAP_RECOVERED ${e.symbol} ${e.minutes} min`);
      this.lastGapRecoveredAt = at;
    }
  }

  /** When the last recovered minute was stored (null if nothing was back-filled). */
  lastRecoveryAt(): number | null {
    if (this.lastGapRecoveredAt === null) return this.lastBackfillAt;
    return Math.max(this.lastGapRecoveredAt, this.lastBackfillAt ?? -Infinity);
  }

  /** Verdicts of one instant (one fault seen by several collectors) are one detection. */
  private newDetection(at: number): Detection {
    const last = this.detections[this.detections.length - 1];
    if (last && last.at === at) return last;
    const detection: Detection = { at };
    this.detections.push(detection);
    return detection;
  }

  private gapDetected(gapId: string, symbol: string, priority: number, detection: Detection): void {
    if (!this.gaps.has(gapId)) {
      this.gaps.set(gapId, { gapId, symbol, priority, detectedAt: detection.at, detection });
    }
  }

  /** The recovery worker issued a back-fill request. */
  backfillRequest(info: { at: number; symbol: string; gapId: string }): void {
    const gap = this.gaps.get(info.gapId);
    if (!gap || gap.firstRequestAt !== undefined) return;
    gap.firstRequestAt = info.at;
    gap.detection.firstRequestAt ??= info.at;
    // A first request that jumps a waiting, higher-volume gap detected no later is an inversion.
    for (const other of this.gaps.values()) {
      if (
        other !== gap &&
        other.firstRequestAt === undefined &&
        other.priority > gap.priority &&
        other.detectedAt <= gap.detectedAt
      ) {
        this.priorityInversions += 1;
        break;
      }
    }
  }

  /** Invariant 3: while redis-gatekeeper is down every grant is local, within the safe share. */
  grant(info: { at: number; mode: 'global' | 'local'; localRatePerSec?: number }): void {
    if (!this.gatekeeperDown()) return;
    if (info.mode !== 'local') {
      this.violate(3, info.at, 'a global-mode grant while redis-gatekeeper was down');
    } else if ((info.localRatePerSec ?? 0) > this.localShareLimit + 1e-9) {
      this.violate(3, info.at, `local rate ${info.localRatePerSec}/s above limit * safety`);
    }
  }

  violate(invariant: number, at: number, detail: string): void {
    // One line per distinct problem is enough to act on; repeats only bloat the report.
    if (this.violations.some((v) => v.invariant === invariant && v.detail === detail)) return;
    this.violations.push({ invariant, at, detail });
  }
}
