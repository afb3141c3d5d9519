// In-memory EventBus: Pub/Sub that reaches only the subscribers present at publish time (delivered
// on a microtask, at most once) plus a durable log with consumer groups, pending lists, ack and claim.
import { TgError } from '../../machines/errors.ts';
import type { TgEvent } from '../../machines/types.ts';
import type { Clock } from '../clock.ts';
import type { DurableEntry, EventBus } from '../eventBus.ts';
import { throughGate, type DependencyGate, type MemoryAdapterOptions } from './dependencyGate.ts';
import { StreamIds } from './streamIds.ts';

interface PendingEvent {
  index: number;
  consumer: string;
  deliveredAt: number;
  deliveries: number;
}

interface ConsumerGroup {
  /** Index into the log of the next entry never delivered to this group. */
  nextIndex: number;
  /** Keyed by log index; Map insertion order is delivery order, which is entry-id order. */
  pending: Map<number, PendingEvent>;
}

export interface PendingEventInfo {
  entryId: string;
  consumer: string;
  deliveredAt: number;
  deliveries: number;
}

type Subscriber = { handler: (event: TgEvent) => void; active: boolean };

export class MemoryEventBus implements EventBus {
  private readonly clock: Clock;
  private readonly gate: DependencyGate | undefined;
  private readonly ids = new StreamIds();
  private readonly log: DurableEntry[] = [];
  private readonly indexById = new Map<string, number>();
  private readonly groups = new Map<string, ConsumerGroup>();
  private readonly subscribers = new Set<Subscriber>();

  constructor(options: MemoryAdapterOptions) {
    this.clock = options.clock;
    this.gate = options.gate;
  }

  publish(event: TgEvent): Promise<void> {
    return throughGate(this.gate, 'publish', () => {
      const entryId = this.ids.next(this.clock.now());
      this.indexById.set(entryId, this.log.length);
      this.log.push({ entryId, event: structuredClone(event) });
      // Snapshot now: a subscriber added after this call must never see this event.
      const audience = [...this.subscribers];
      if (audience.length === 0) return;
      queueMicrotask(() => {
        for (const subscriber of audience) {
          if (!subscriber.active) continue;
          try {
            subscriber.handler(structuredClone(event));
          } catch {
            // A failing handler is the subscriber's problem; Pub/Sub does not retry or stop others.
          }
        }
      });
    });
  }

  subscribe(handler: (event: TgEvent) => void): Promise<() => Promise<void>> {
    return throughGate(this.gate, 'subscribe', () => {
      const subscriber: Subscriber = { handler, active: true };
      this.subscribers.add(subscriber);
      return async () => {
        subscriber.active = false;
        this.subscribers.delete(subscriber);
      };
    });
  }

  ensureGroup(group: string): Promise<void> {
    return throughGate(this.gate, 'ensureGroup', () => {
      if (!this.groups.has(group)) this.groups.set(group, { nextIndex: 0, pending: new Map() });
    });
  }

  readGroup(group: string, consumer: string, count: number): Promise<DurableEntry[]> {
    return throughGate(this.gate, 'readGroup', () => {
      const g = this.requireGroup(group);
      const now = this.clock.now();
      const out: DurableEntry[] = [];
      while (out.length < count && g.nextIndex < this.log.length) {
        const index = g.nextIndex++;
        g.pending.set(index, { index, consumer, deliveredAt: now, deliveries: 1 });
        out.push(this.copyEntry(index));
      }
      return out;
    });
  }

  ack(group: string, entryIds: string[]): Promise<void> {
    return throughGate(this.gate, 'ack', () => {
      const g = this.requireGroup(group);
      for (const entryId of entryIds) {
        const index = this.indexById.get(entryId);
        if (index !== undefined) g.pending.delete(index);
      }
    });
  }

  claim(group: string, consumer: string, minIdleMs: number, count: number): Promise<DurableEntry[]> {
    return throughGate(this.gate, 'claim', () => {
      const g = this.requireGroup(group);
      const now = this.clock.now();
      const out: DurableEntry[] = [];
      for (const p of g.pending.values()) {
        if (out.length >= count) break;
        if (now - p.deliveredAt < minIdleMs) continue;
        p.consumer = consumer;
        p.deliveredAt = now;
        p.deliveries += 1;
        out.push(this.copyEntry(p.index));
      }
      return out;
    });
  }

  pending(group: string): Promise<number> {
    return throughGate(this.gate, 'pending', () => this.requireGroup(group).pending.size);
  }

  /**
   * A per-process view of the bus: its Pub/Sub subscriptions end with `close()`, as a Redis
   * connection's do when the process holding it dies. The simulator gives one to each process.
   */
  connect(): EventBus & { close(): void } {
    const unsubscribers = new Set<() => Promise<void>>();
    let closed = false;
    return {
      publish: (event) => this.publish(event),
      subscribe: async (handler) => {
        const unsubscribe = await this.subscribe((e) => {
          if (!closed) handler(e);
        });
        unsubscribers.add(unsubscribe);
        return async () => {
          unsubscribers.delete(unsubscribe);
          await unsubscribe();
        };
      },
      ensureGroup: (group) => this.ensureGroup(group),
      readGroup: (group, consumer, count) => this.readGroup(group, consumer, count),
      ack: (group, entryIds) => this.ack(group, entryIds),
      claim: (group, consumer, minIdleMs, count) => this.claim(group, consumer, minIdleMs, count),
      pending: (group) => this.pending(group),
      close: () => {
        closed = true;
        for (const unsubscribe of unsubscribers) void unsubscribe();
        unsubscribers.clear();
      },
    };
  }

  // ---- inspection for tests and the simulator report (not part of the port) ----

  /** Every event ever published, in order. */
  entries(): DurableEntry[] {
    return this.log.map((_, i) => this.copyEntry(i));
  }

  pendingDetails(group: string): PendingEventInfo[] {
    const g = this.groups.get(group);
    if (!g) return [];
    return [...g.pending.values()].map((p) => ({
      entryId: this.log[p.index].entryId,
      consumer: p.consumer,
      deliveredAt: p.deliveredAt,
      deliveries: p.deliveries,
    }));
  }

  subscriberCount(): number {
    return this.subscribers.size;
  }

  private requireGroup(group: string): ConsumerGroup {
    const g = this.groups.get(group);
    if (!g) {
      throw new TgError(
        'TG_ERR_INTERNAL',
        `consumer group '${group}' does not exist; call ensureGroup first`,
        {
          group,
        },
      );
    }
    return g;
  }

  private copyEntry(index: number): DurableEntry {
    const entry = this.log[index];
    return { entryId: entry.entryId, event: structuredClone(entry.event) };
  }
}
