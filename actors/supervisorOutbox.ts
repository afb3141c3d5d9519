// Delivery helpers of the supervisor assembly: an outbox that keeps every event, in order, until the
// bus takes it (never lose a COLLECTOR_DOWN while redis-main is down), a mirror writer that keeps the
// latest state per view until it lands. Timeouts live in actors/timeout.ts.
import { isTgError } from '../machines/errors.ts';
import type { MirrorWrite } from '../machines/supervisorTypes.ts';
import type { TgEvent } from '../machines/types.ts';
import type { EventBus } from '../ports/eventBus.ts';
import type { StateMirror } from '../ports/stateMirror.ts';
import type { OutboxStore } from '../ports/outboxStore.ts';

/** A short, secret-free reason: the coded error or the system error code, never the message text. */
export function reasonOf(error: unknown): string {
  if (isTgError(error)) return error.code;
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'unreachable';
}

export class Outbox {
  private readonly queue: TgEvent[] = [];
  private flushing = false;
  private closed = false;

  constructor(
    private readonly bus: EventBus,
    private readonly store?: OutboxStore,
  ) {}

  /** Events a previous life saved but never published go first, in their order. */
  restore(events: readonly TgEvent[]): void {
    this.queue.unshift(...events);
    this.persist();
    void this.flush();
  }

  push(event: TgEvent): void {
    this.queue.push(event);
    this.persist();
    void this.flush();
  }

  private persist(): void {
    if (this.store && !this.closed) void this.store.save(this.queue).catch(() => undefined);
  }

  /** Publish in order; on the first failure stop and keep the rest for the next attempt. */
  async flush(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    try {
      while (this.queue.length > 0 && !this.closed) {
        await this.bus.publish(this.queue[0]);
        this.queue.shift();
        this.persist();
      }
    } catch {
      // redis-main is down: retried on the next poll
    } finally {
      this.flushing = false;
    }
  }

  size(): number {
    return this.queue.length;
  }

  close(): void {
    this.closed = true;
  }
}

export class MirrorWriter {
  private readonly pending = new Map<string, MirrorWrite>();
  private flushing = false;
  private closed = false;

  constructor(private readonly mirror: StateMirror) {}

  set(write: MirrorWrite): void {
    this.pending.set(write.actor, write);
    void this.flush();
  }

  /** Write the latest state per actor; a newer state set meanwhile stays pending. */
  async flush(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    try {
      // Writes set while a pass is running are taken by the next pass, not left for the next poll.
      while (this.pending.size > 0 && !this.closed) {
        for (const [actor, write] of [...this.pending]) {
          if (this.closed) break;
          await this.mirror.set(write);
          if (this.pending.get(actor) === write) this.pending.delete(actor);
        }
      }
    } catch {
      // retried on the next poll
    } finally {
      this.flushing = false;
    }
  }

  size(): number {
    return this.pending.size;
  }

  close(): void {
    this.closed = true;
  }
}
