// Dispatch order of pending gap work: highest symbol volume first, with linear aging so no gap starves.
// A lower-volume item only passes a pending higher-volume one when it has waited long enough for its
// aged priority to catch up (invariant 6). A gap's first request (its recovery start, invariant 5) goes
// before the continuation of gaps already started. Pure, immutable; queues hold a few thousand items.

export interface DispatchItem {
  /** Gap id; also the final tie-break, so the order is deterministic. */
  id: string;
  /** Symbol volume (>= 0); higher goes first. */
  priority: number;
  /** When the item became pending (ms). */
  enqueuedAt: number;
  /** The gap has not sent its first request yet: it goes before continuation work. */
  starting?: boolean;
}

export type DispatchQueue = readonly DispatchItem[];

/**
 * Aged priority: (priority + 1) * (1 + waited / agingMs). An item that waited `agingMs` counts twice
 * its own weight; the +1 keeps zero-volume symbols aging too. agingMs <= 0 or Infinity disables aging.
 */
export function effectivePriority(item: DispatchItem, now: number, agingMs: number): number {
  const base = Math.max(0, item.priority) + 1;
  if (!(agingMs > 0) || !Number.isFinite(agingMs)) return base;
  const waited = Math.max(0, now - item.enqueuedAt);
  return base * (1 + waited / agingMs);
}

/** Negative when `a` goes before `b`: starts first, then aged priority, volume, age, id. */
export function compareAt(a: DispatchItem, b: DispatchItem, now: number, agingMs: number): number {
  if (!!a.starting !== !!b.starting) return a.starting ? -1 : 1;
  const ea = effectivePriority(a, now, agingMs);
  const eb = effectivePriority(b, now, agingMs);
  if (ea !== eb) return eb - ea;
  if (a.priority !== b.priority) return b.priority - a.priority;
  if (a.enqueuedAt !== b.enqueuedAt) return a.enqueuedAt - b.enqueuedAt;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** Add an item, or replace the pending one with the same id (keeping its original wait). */
export function enqueue(queue: DispatchQueue, item: DispatchItem): DispatchQueue {
  const existing = queue.find((q) => q.id === item.id);
  if (!existing) return [...queue, item];
  const merged = { ...item, enqueuedAt: Math.min(existing.enqueuedAt, item.enqueuedAt) };
  return queue.map((q) => (q.id === item.id ? merged : q));
}

export function remove(queue: DispatchQueue, id: string): DispatchQueue {
  return queue.some((q) => q.id === id) ? queue.filter((q) => q.id !== id) : queue;
}

export function has(queue: DispatchQueue, id: string): boolean {
  return queue.some((q) => q.id === id);
}

/** The item that goes next at `now`, without removing it. */
export function peekNext(queue: DispatchQueue, now: number, agingMs: number): DispatchItem | undefined {
  let best: DispatchItem | undefined;
  for (const item of queue) if (!best || compareAt(item, best, now, agingMs) < 0) best = item;
  return best;
}

export function takeNext(
  queue: DispatchQueue,
  now: number,
  agingMs: number,
): { item: DispatchItem | undefined; queue: DispatchQueue } {
  const item = peekNext(queue, now, agingMs);
  return { item, queue: item ? remove(queue, item.id) : queue };
}

/**
 * Whether choosing `chosen` while `other` is pending respects invariant 6: among starts, and among
 * continuations, a lower-volume item may go first only through aging (it waited longer and its aged
 * priority is at least the other's); a start may always go before a continuation, never after one.
 */
export function respectsVolumeOrder(
  chosen: DispatchItem,
  other: DispatchItem,
  now: number,
  agingMs: number,
): boolean {
  if (!!chosen.starting !== !!other.starting) return !!chosen.starting;
  if (other.priority <= chosen.priority) return true;
  return (
    chosen.enqueuedAt < other.enqueuedAt &&
    effectivePriority(chosen, now, agingMs) >= effectivePriority(other, now, agingMs)
  );
}
