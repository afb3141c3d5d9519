// EventBus port: lifecycle events (DESIGN section 5). Pub/Sub is at-most-once and reaches only
// present subscribers; the durable stream keeps every event for consumer groups (ack, claim).
import type { TgEvent } from '../machines/types.ts';

export interface DurableEntry {
  /** Stream entry id, monotonically increasing ('1700000000000-0' style in Redis). */
  entryId: string;
  event: TgEvent;
}

export interface EventBus {
  /** Publish on Pub/Sub and append to the durable stream. */
  publish(event: TgEvent): Promise<void>;
  /** At-most-once live delivery; returns an unsubscribe function. */
  subscribe(handler: (event: TgEvent) => void): Promise<() => Promise<void>>;
  /** Create the consumer group if absent (idempotent), starting at the beginning of the stream. */
  ensureGroup(group: string): Promise<void>;
  /** New entries for this consumer (never delivered to the group before); they become pending. */
  readGroup(group: string, consumer: string, count: number): Promise<DurableEntry[]>;
  ack(group: string, entryIds: string[]): Promise<void>;
  /** Take over entries pending longer than minIdleMs from any consumer (XAUTOCLAIM). */
  claim(group: string, consumer: string, minIdleMs: number, count: number): Promise<DurableEntry[]>;
  /** Pending (delivered, unacked) entry count of the group. */
  pending(group: string): Promise<number>;
}
