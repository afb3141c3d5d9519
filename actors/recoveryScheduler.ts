// The recovery worker's dispatcher: keeps up to `concurrency` back-fill requests in flight, asks the
// gatekeeper for a token first and picks the gap only when one is granted (volume first, with aging),
// walks each gap chunk by chunk and keeps its ledger row in step. One instance per healthy period.
import { isTgError, type TgError } from '../machines/errors.ts';
import { enqueue, remove, takeNext, type DispatchQueue } from '../machines/dispatch.ts';
import { MINUTE_MS } from '../machines/marketHours.ts';
import {
  countChunks,
  gapMinuteCount,
  isFinished,
  markDone,
  nextStep,
  type Chunk,
  type PageOutcome,
  type PlanOptions,
  retryDelayMs,
  unreachableReason,
} from '../machines/recoveryPlan.ts';
import type { Gap, TgEvent } from '../machines/types.ts';
import type { BrokerRest } from '../ports/broker.ts';
import type { Clock } from '../ports/clock.ts';
import type { Store } from '../ports/store.ts';
import { backfillChunk, isOutage, storeError } from './backfill.ts';
import type { GatekeeperClient } from './gatekeeperClient.ts';
import { armWake, clearWake, createGapWork, cursor, type GapWork } from './recoveryGapWork.ts';

export interface SchedulerOptions extends PlanOptions {
  concurrency: number;
  agingMs: number;
  requestTimeoutMs: number;
  /** Failed (non-outage) requests of one gap before it is marked unrecoverable. */
  maxAttempts: number;
}

export type OutageOf = 'broker-rest' | 'timescaledb';

/** One back-fill request as it goes out: the gap and the minutes it asks for ([from, to] inclusive). */
export interface BackfillRequestInfo {
  at: number;
  symbol: string;
  gapId: string;
  from?: number;
  to?: number;
}

export interface SchedulerDeps {
  clock: Clock;
  store: Store;
  brokerRest: BrokerRest;
  gatekeeper: Pick<GatekeeperClient, 'acquire' | 'reportRejection'>;
  publish(event: TgEvent): void;
  name: string;
  options: SchedulerOptions;
  onRequest?: (info: BackfillRequestInfo) => void;
  /** A dependency failed: the worker pauses (`symbol`: the gap whose request failed, for the probe). */
  onOutage(dependency: OutageOf, reason: string, symbol?: string): void;
  onFatal(error: unknown): void;
  /** Resolves once events already received are in the ledger (so a token goes to the right gap). */
  beforePick?: () => Promise<void>;
}

export interface SchedulerStats {
  gaps: number;
  queued: number;
  inFlight: number;
  requests: number;
  rejections: number;
  recovered: number;
  unrecoverable: number;
}

export class RecoveryScheduler {
  private readonly d: SchedulerDeps;
  private readonly work = new Map<string, GapWork>();
  private queue: DispatchQueue = [];
  private inFlight = 0;
  private outstanding = 0;
  private stopped = false;
  private readonly abort = new AbortController();
  private readonly counters = { requests: 0, rejections: 0, recovered: 0, unrecoverable: 0 };

  constructor(deps: SchedulerDeps) {
    this.d = deps;
  }

  /** Add a ledger row (or refresh a known one); finished rows are ignored. */
  upsert(gap: Gap): void {
    if (this.stopped || gap.status === 'recovered' || gap.status === 'unrecoverable') return;
    const known = this.work.get(gap.id);
    if (known) {
      if (known.gap.end === null && gap.end !== null) known.gap = { ...known.gap, end: gap.end };
      this.refresh(known);
      return this.pump();
    }
    const gw = createGapWork(gap);
    this.work.set(gap.id, gw);
    this.refresh(gw);
    this.pump();
  }

  close(id: string, end: number): void {
    const gw = this.work.get(id);
    if (!gw || gw.gap.end !== null) return;
    gw.gap = { ...gw.gap, end };
    this.refresh(gw);
    this.pump();
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.abort.abort();
    for (const gw of this.work.values()) this.clearWake(gw);
  }

  stats(): SchedulerStats {
    return { gaps: this.work.size, queued: this.queue.length, inFlight: this.inFlight, ...this.counters };
  }

  // ---------------------------------------------------------------- dispatch

  private due(gw: GapWork, now: number): Chunk | undefined {
    if (gw.retry.length > 0) return now >= gw.retryAt ? gw.retry[0] : undefined;
    const step = nextStep(cursor(gw), now, this.d.options);
    return step.kind === 'chunk' ? step.chunk : undefined;
  }

  private dueCount(gw: GapWork, now: number, max: number): number {
    if (gw.retry.length > 0) return now >= gw.retryAt ? Math.min(max, gw.retry.length) : 0;
    return countChunks(cursor(gw), now, this.d.options, max);
  }

  /** Queue the gap if it has work now, else arm one timer for the moment it will. */
  private refresh(gw: GapWork): void {
    if (gw.finished || this.stopped) return;
    const now = this.d.clock.now();
    if (gw.inFlight === 0 && gw.retry.length === 0 && isFinished(gw.gap, gw.progress.recoveredUntil)) {
      return this.finish(gw);
    }
    if (this.due(gw, now)) {
      this.clearWake(gw);
      const starting = !gw.requested && gw.retry.length === 0;
      this.queue = enqueue(this.queue, {
        id: gw.gap.id,
        priority: gw.gap.priority,
        enqueuedAt: now,
        starting,
      });
      return;
    }
    this.queue = remove(this.queue, gw.gap.id);
    const step =
      gw.retry.length > 0
        ? { kind: 'wait' as const, until: gw.retryAt }
        : nextStep(cursor(gw), now, this.d.options);
    if (step.kind === 'wait') this.wakeAt(gw, step.until);
  }

  private wakeAt(gw: GapWork, at: number): void {
    armWake(this.d.clock, gw, at, () => {
      this.refresh(gw);
      this.pump();
    });
  }

  private clearWake(gw: GapWork): void {
    clearWake(this.d.clock, gw);
  }

  /** Ask for as many tokens as there is due work and free capacity. */
  private pump(): void {
    if (this.stopped) return;
    const now = this.d.clock.now();
    const capacity = this.d.options.concurrency - this.inFlight;
    let due = 0;
    for (const item of this.queue) {
      const gw = this.work.get(item.id);
      if (gw) due += this.dueCount(gw, now, capacity - due);
      if (due >= capacity) break;
    }
    for (let want = Math.min(capacity, due) - this.outstanding; want > 0; want--) {
      this.outstanding++;
      this.d.gatekeeper.acquire(undefined, this.abort.signal).then(
        () => this.onToken(),
        () => {
          this.outstanding--;
        },
      );
    }
  }

  /** A token arrived: the gap that goes first now gets it (priority is decided at grant time). */
  private onToken(): void {
    // Events being written to the ledger right now may bring a gap that should get this token.
    if (this.d.beforePick && !this.stopped) {
      const grantedAt = this.d.clock.now();
      this.d.beforePick().then(() => {
        // A token used later than it was granted breaks the limiter's spacing (a slow ledger write
        // then let two requests out back to back: 21 in one second). Drop it and ask again.
        if (this.d.clock.now() !== grantedAt) {
          this.outstanding--;
          this.pump();
          return;
        }
        this.pick();
      });
    } else this.pick();
  }

  private pick(): void {
    this.outstanding--;
    if (this.stopped) return;
    const now = this.d.clock.now();
    for (;;) {
      const { item, queue } = takeNext(this.queue, now, this.d.options.agingMs);
      if (!item) break;
      this.queue = queue;
      const gw = this.work.get(item.id);
      if (!gw || !this.due(gw, now)) continue;
      this.issue(gw, now);
      this.refresh(gw);
      break;
    }
    this.pump();
  }

  private issue(gw: GapWork, now: number): void {
    let chunk: Chunk;
    if (gw.retry.length > 0) {
      chunk = gw.retry.shift()!;
    } else {
      chunk = this.due(gw, now)!;
      gw.nextMinute = chunk.to + MINUTE_MS;
      gw.requested = true;
    }
    gw.inFlight++;
    this.inFlight++;
    this.counters.requests++;
    const { symbol, id } = gw.gap;
    this.d.onRequest?.({ at: now, symbol, gapId: id, from: chunk.from, to: chunk.to });
    const { clock, brokerRest, store, options } = this.d;
    // A page beyond the broker's first answer (Kiwoom paging) waits for a token of its own.
    const permit = () => this.d.gatekeeper.acquire(undefined, this.abort.signal);
    backfillChunk(
      {
        clock,
        brokerRest,
        store,
        requestTimeoutMs: options.requestTimeoutMs,
        settleMs: options.settleMs,
        permit,
      },
      { symbol, ...chunk },
    ).then(
      (outcome) => this.settled(gw, () => this.onPage(gw, chunk, outcome)),
      (error) => this.settled(gw, () => this.onFailure(gw, chunk, error)),
    );
  }

  private settled(gw: GapWork, handle: () => void): void {
    gw.inFlight--;
    this.inFlight--;
    if (this.stopped) return;
    try {
      handle();
    } catch (e) {
      this.stop();
      this.d.onFatal(e);
      return;
    }
    this.refresh(gw);
    this.pump();
  }

  // ---------------------------------------------------------------- outcomes

  private onPage(gw: GapWork, chunk: Chunk, outcome: PageOutcome): void {
    if (gw.finished) return;
    if (outcome.completeThrough !== null)
      gw.progress = markDone(gw.progress, chunk.from, outcome.completeThrough);
    // Minutes not complete at fetch time are fetched again (only the newest chunk can hold any).
    const resumeAt = (outcome.completeThrough ?? chunk.from - MINUTE_MS) + MINUTE_MS;
    if (resumeAt <= chunk.to) gw.nextMinute = Math.min(gw.nextMinute, resumeAt);
    const patch: Parameters<Store['updateGap']>[1] = {
      status: 'recovering',
      recoveredUntil: gw.progress.recoveredUntil,
    };
    if (outcome.unreachable > 0) {
      gw.unreachable += outcome.unreachable;
      gw.unreachableFrom = Math.min(gw.unreachableFrom, outcome.unreachableFrom!);
      patch.reason = gw.gap.reason = unreachableReason(gw.unreachable, gw.unreachableFrom);
    }
    this.write(gw, patch);
  }

  private onFailure(gw: GapWork, chunk: Chunk, error: unknown): void {
    if (gw.finished) return;
    if (isTgError(error, 'TG_ERR_BROKER_REJECTED')) {
      this.counters.rejections++;
      const retryAfterMs = Number(error.details.retryAfterMs);
      this.d.gatekeeper.reportRejection(retryAfterMs > 0 ? retryAfterMs : 1000);
      gw.retry.unshift(chunk);
      return;
    }
    if (isOutage(error)) {
      gw.retry.unshift(chunk);
      const broker = isTgError(error, 'TG_ERR_BROKER_DOWN');
      return this.outage(broker ? 'broker-rest' : 'timescaledb', (error as TgError).message, gw.gap.symbol);
    }
    if (!isTgError(error, 'TG_ERR_BROKER_HTTP')) throw error;
    gw.attempts++;
    if (gw.attempts >= this.d.options.maxAttempts) {
      gw.gap.reason = `broker kept failing after ${gw.attempts} attempts: ${error.message}`;
      return this.finish(gw);
    }
    gw.retry.unshift(chunk);
    gw.retryAt = this.d.clock.now() + retryDelayMs(gw.attempts);
    this.write(gw, { attempts: gw.attempts });
  }

  /** Ledger writes of one gap stay in order; a failed write is a store outage. */
  private write(gw: GapWork, patch: Parameters<Store['updateGap']>[1], then?: () => void): void {
    gw.writes = gw.writes
      .then(() => this.d.store.updateGap(gw.gap.id, patch))
      .then(then, (e) => this.outage('timescaledb', storeError(e).message));
  }

  private finish(gw: GapWork): void {
    gw.finished = true;
    this.clearWake(gw);
    this.queue = remove(this.queue, gw.gap.id);
    this.work.delete(gw.gap.id);
    const recovered = gw.gap.reason === null;
    if (recovered) this.counters.recovered++;
    else this.counters.unrecoverable++;
    const { id, symbol, reason } = gw.gap;
    this.write(
      gw,
      {
        status: recovered ? 'recovered' : 'unrecoverable',
        recoveredUntil: gw.progress.recoveredUntil,
        reason,
        attempts: gw.attempts,
      },
      () => {
        if (!recovered) return;
        const minutes = gapMinuteCount(gw.gap) ?? 0;
        this.d.publish({
          type: 'GAP_RECOVERED',
          id: `GAP_RECOVERED:${this.d.name}:${id}`,
          gapId: id,
          symbol,
          minutes,
        });
      },
    );
  }

  private outage(dependency: OutageOf, reason: string, symbol?: string): void {
    if (this.stopped) return;
    this.stop();
    this.d.onOutage(dependency, reason, symbol);
  }
}
