// A Store that connects (and migrates) on first use and retries on the next call after a failure,
// so a process can start while PostgreSQL is down: its component then runs degraded and heartbeats
// instead of crash-looping, and the first call after the database returns connects it.
import type { Bar, BarSource, Gap, GapStatus, TickBatch } from '../../machines/types.ts';
import type { GapClose, Store, StoredBar, WriteResult } from '../../ports/store.ts';

/** What the lazy store needs of the PostgreSQL adapter (runtime/postgres PgStore). */
export interface ClosableStore extends Store {
  close(): Promise<void>;
}

export class LazyStore implements Store {
  private opening: Promise<ClosableStore> | undefined;
  private closed = false;
  private readonly open: () => Promise<ClosableStore>;
  private readonly migrateOnOpen: boolean;
  private readonly onOpen?: (store: ClosableStore) => void;

  constructor(
    open: () => Promise<ClosableStore>,
    options: { migrate: boolean; onOpen?: (store: ClosableStore) => void },
  ) {
    this.open = open;
    this.migrateOnOpen = options.migrate;
    this.onOpen = options.onOpen;
  }

  /** The connected store; one attempt at a time, a failed attempt is forgotten so the next call retries. */
  ready(): Promise<ClosableStore> {
    if (this.closed) return Promise.reject(new Error('store closed'));
    if (!this.opening) {
      const attempt = (async () => {
        const store = await this.open();
        try {
          if (this.migrateOnOpen) await store.migrate();
        } catch (e) {
          await store.close().catch(() => {});
          throw e;
        }
        this.onOpen?.(store);
        return store;
      })();
      this.opening = attempt;
      attempt.catch(() => {
        if (this.opening === attempt) this.opening = undefined;
      });
    }
    return this.opening;
  }

  async close(): Promise<void> {
    this.closed = true;
    const opening = this.opening;
    this.opening = undefined;
    if (opening) await opening.then((s) => s.close()).catch(() => {});
  }

  async migrate(): Promise<void> {
    await (await this.ready()).migrate();
  }
  async writeTicks(collector: string, batches: TickBatch[]): Promise<WriteResult> {
    return (await this.ready()).writeTicks(collector, batches);
  }
  async upsertBars(bars: Bar[], source: BarSource): Promise<void> {
    return (await this.ready()).upsertBars(bars, source);
  }
  async bars(symbol: string, fromMinute: number, toMinute: number): Promise<StoredBar[]> {
    return (await this.ready()).bars(symbol, fromMinute, toMinute);
  }
  async missingMinutes(symbol: string, fromMinute: number, toMinute: number): Promise<number[]> {
    return (await this.ready()).missingMinutes(symbol, fromMinute, toMinute);
  }
  async openGap(gap: Gap): Promise<void> {
    return (await this.ready()).openGap(gap);
  }
  async openGaps(gaps: Gap[]): Promise<Gap[]> {
    return (await this.ready()).openGaps(gaps);
  }
  async closeGap(id: string, end: number): Promise<void> {
    return (await this.ready()).closeGap(id, end);
  }
  async closeGaps(closes: GapClose[]): Promise<Gap[]> {
    return (await this.ready()).closeGaps(closes);
  }
  async updateGap(
    id: string,
    patch: Partial<Pick<Gap, 'status' | 'recoveredUntil' | 'attempts' | 'reason' | 'priority'>>,
  ): Promise<void> {
    return (await this.ready()).updateGap(id, patch);
  }
  async getGap(id: string): Promise<Gap | undefined> {
    return (await this.ready()).getGap(id);
  }
  async listGaps(statuses?: GapStatus[]): Promise<Gap[]> {
    return (await this.ready()).listGaps(statuses);
  }
  async symbolVolumes(): Promise<Map<string, number>> {
    return (await this.ready()).symbolVolumes();
  }
  async setSymbolVolumes(volumes: Map<string, number>): Promise<void> {
    return (await this.ready()).setSymbolVolumes(volumes);
  }
  async ping(): Promise<void> {
    return (await this.ready()).ping();
  }
}
