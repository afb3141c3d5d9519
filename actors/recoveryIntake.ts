// Turns lifecycle events into gap-ledger rows (idempotent by gap id) and catches up from the durable
// stream (consumer group `recovery-worker`): claim what was left pending, read what is new, ack only
// once the ledger has it. Events from Pub/Sub and from the stream go through the same path.
import { minuteOf } from '../machines/marketHours.ts';
import type { Gap, GapRef, TgEvent } from '../machines/types.ts';
import type { Clock } from '../ports/clock.ts';
import type { DurableEntry, EventBus } from '../ports/eventBus.ts';
import type { GapClose, Store } from '../ports/store.ts';
import { storeError } from './backfill.ts';

export const RECOVERY_GROUP = 'recovery-worker';

export interface IntakeEffects {
  /** Ledger rows (as stored) the scheduler should know about. */
  gaps: Gap[];
  closed: { id: string; end: number }[];
  mode?: 'global' | 'local';
}

export interface IntakeDeps {
  store: Store;
  eventBus: EventBus;
  /** Consumer name inside the group (the worker's name). */
  consumer: string;
  volumes(): Map<string, number>;
}

const SEEN_LIMIT = 10_000;
const BATCH = 100;

export class GapIntake {
  private readonly d: IntakeDeps;
  private readonly seen = new Set<string>();
  /** Applies run one at a time so the ledger sees events in arrival order. */
  private chain: Promise<unknown> = Promise.resolve();

  constructor(deps: IntakeDeps) {
    this.d = deps;
  }

  /** Apply one event; store errors reject as TG_ERR_STORE. */
  apply(event: TgEvent): Promise<IntakeEffects> {
    const run = this.chain.then(() => this.applyNow(event));
    this.chain = run.catch(() => {});
    return run;
  }

  /** Resolves once every event handed to apply() so far has been applied (or failed). */
  idle(): Promise<void> {
    return this.chain.then(() => undefined);
  }

  /**
   * Claim entries left pending (by a crashed run of this worker or another), then read new ones.
   * Returns false when the bus is unreachable (the ledger still works; the caller tries later).
   */
  async catchUp(onEffects: (fx: IntakeEffects) => void): Promise<boolean> {
    const bus = this.d.eventBus;
    const group = RECOVERY_GROUP;
    if ((await busCall(() => bus.ensureGroup(group))) === BUS_DOWN) return false;
    for (;;) {
      const claimed = await busCall(() => bus.claim(group, this.d.consumer, 0, BATCH));
      if (claimed === BUS_DOWN) return false;
      if (claimed.length === 0) break;
      if (!(await this.process(claimed, onEffects))) return false;
    }
    return this.drain(onEffects);
  }

  /** Read and apply new stream entries until none are left. */
  async drain(onEffects: (fx: IntakeEffects) => void): Promise<boolean> {
    const bus = this.d.eventBus;
    for (;;) {
      const entries = await busCall(() => bus.readGroup(RECOVERY_GROUP, this.d.consumer, BATCH));
      if (entries === BUS_DOWN) return false;
      if (entries.length === 0) return true;
      if (!(await this.process(entries, onEffects))) return false;
    }
  }

  private async process(entries: DurableEntry[], onEffects: (fx: IntakeEffects) => void): Promise<boolean> {
    for (const entry of entries) onEffects(await this.apply(entry.event));
    const acked = await busCall(() =>
      this.d.eventBus.ack(
        RECOVERY_GROUP,
        entries.map((e) => e.entryId),
      ),
    );
    return acked !== BUS_DOWN;
  }

  private async applyNow(event: TgEvent): Promise<IntakeEffects> {
    const fx: IntakeEffects = { gaps: [], closed: [] };
    if (this.seen.has(event.id)) return fx;
    let complete = true;
    try {
      switch (event.type) {
        case 'COLLECTOR_DOWN':
          await this.open(
            event.gaps.map((ref) => this.fromRef(ref, event.collector)),
            fx,
          );
          break;
        case 'GAP_OPENED':
          await this.open([this.normalise(event.gap)], fx);
          break;
        case 'COLLECTOR_UP':
          complete = await this.close(
            event.closed.map((c) => ({ id: c.gapId, end: c.end })),
            fx,
          );
          break;
        case 'GAP_CLOSED':
          complete = await this.close([{ id: event.gapId, end: event.end }], fx);
          break;
        case 'GATEKEEPER_MODE':
          fx.mode = event.mode;
          break;
        default:
          break;
      }
    } catch (e) {
      throw storeError(e);
    }
    // A close for a gap the ledger does not have yet (its open event is still on its way) is not
    // remembered, so the stream's copy, read after the open, applies it again.
    if (complete) this.remember(event.id);
    return fx;
  }

  /**
   * All of an event's gaps in one store call: a round trip per gap put seconds between a 500-symbol
   * outage and its first back-fill request (recovery must start within 1 s of detection).
   */
  private async open(gaps: Gap[], fx: IntakeEffects): Promise<void> {
    if (gaps.length === 0) return;
    fx.gaps.push(...(await this.d.store.openGaps(gaps)));
  }

  /** All of an event's closes in one store call; false when a gap is not in the ledger yet. */
  private async close(closes: GapClose[], fx: IntakeEffects): Promise<boolean> {
    if (closes.length === 0) return true;
    const stored = new Map((await this.d.store.closeGaps(closes)).map((g) => [g.id, g]));
    let complete = true;
    for (const { id } of closes) {
      const gap = stored.get(id);
      if (!gap) complete = false;
      // The first close wins in the ledger; report the end it kept.
      else if (gap.end !== null) fx.closed.push({ id, end: gap.end });
    }
    return complete;
  }

  private fromRef(ref: GapRef, collector: string): Gap {
    return this.normalise({
      id: ref.gapId,
      collector,
      symbol: ref.symbol,
      start: ref.start,
      end: null,
      status: 'open',
      priority: ref.priority,
      recoveredUntil: minuteOf(ref.start),
      attempts: 0,
      reason: null,
    });
  }

  /** Priority falls back to the symbol's previous-session volume; progress starts at the gap's minute. */
  private normalise(gap: Gap): Gap {
    const first = minuteOf(gap.start);
    return {
      ...gap,
      priority: gap.priority > 0 ? gap.priority : (this.d.volumes().get(gap.symbol) ?? 0),
      recoveredUntil: gap.recoveredUntil >= first ? gap.recoveredUntil : first,
      attempts: gap.attempts ?? 0,
      reason: gap.reason ?? null,
    };
  }

  private remember(id: string): void {
    this.seen.add(id);
    if (this.seen.size > SEEN_LIMIT) this.seen.delete(this.seen.values().next().value as string);
  }
}

const BUS_DOWN = Symbol('bus down');

/** A bus call that resolves to BUS_DOWN instead of rejecting (redis-main may be down). */
async function busCall<T>(call: () => Promise<T>): Promise<T | typeof BUS_DOWN> {
  try {
    return await call();
  } catch {
    return BUS_DOWN;
  }
}

/** Subscribe to Pub/Sub, retrying every `retryMs` while redis-main refuses; returns the unsubscriber. */
export function subscribeWithRetry(
  bus: EventBus,
  clock: Clock,
  retryMs: number,
  handler: (event: TgEvent) => void,
): () => void {
  let closed = false;
  let off: (() => Promise<void>) | undefined;
  const attempt = (): void => {
    bus.subscribe(handler).then(
      (unsubscribe) => {
        if (closed) void unsubscribe().catch(() => {});
        else off = unsubscribe;
      },
      () => {
        if (!closed) clock.setTimeout(attempt, retryMs);
      },
    );
  };
  attempt();
  return () => {
    closed = true;
    void off?.().catch(() => {});
  };
}

/** Run `fn` every `ms` on the Clock until cancelled. */
export function repeatEvery(clock: Clock, ms: number, fn: () => void): () => void {
  let handle: unknown;
  let cancelled = false;
  const arm = (): void => {
    handle = clock.setTimeout(() => {
      if (cancelled) return;
      fn();
      arm();
    }, ms);
  };
  arm();
  return () => {
    cancelled = true;
    clock.clearTimeout(handle);
  };
}
