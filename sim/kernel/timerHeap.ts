// Binary min-heap of virtual timers ordered by (deadline, sequence number): the sequence number makes
// equal deadlines fire in scheduling order, so a run never depends on heap internals.

export const PENDING = 0;
export const FIRED = 1;
export const CANCELLED = 2;

export class TimerEntry {
  state: number = PENDING;
  constructor(
    readonly owner: object,
    readonly deadline: number,
    readonly seq: number,
    readonly fn: () => void,
  ) {}
}

function before(a: TimerEntry, b: TimerEntry): boolean {
  return a.deadline < b.deadline || (a.deadline === b.deadline && a.seq < b.seq);
}

export class TimerHeap {
  private items: TimerEntry[] = [];

  get size(): number {
    return this.items.length;
  }

  peek(): TimerEntry | undefined {
    return this.items[0];
  }

  push(entry: TimerEntry): void {
    const items = this.items;
    let i = items.length;
    items.push(entry);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(entry, items[parent])) break;
      items[i] = items[parent];
      i = parent;
    }
    items[i] = entry;
  }

  pop(): TimerEntry | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (items.length > 0 && last !== undefined) this.siftDown(0, last);
    return top;
  }

  /** Drops entries that fail `keep` and restores the heap in O(n); used to purge cancelled timers. */
  retain(keep: (e: TimerEntry) => boolean): void {
    this.items = this.items.filter(keep);
    for (let i = (this.items.length >> 1) - 1; i >= 0; i--) this.siftDown(i, this.items[i]);
  }

  private siftDown(start: number, entry: TimerEntry): void {
    const items = this.items;
    const n = items.length;
    let i = start;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      const child = right < n && before(items[right], items[left]) ? right : left;
      if (!before(items[child], entry)) break;
      items[i] = items[child];
      i = child;
    }
    items[i] = entry;
  }
}
