// In-memory OutboxStore: models the supervisor's local disk, so it outlives a killed process
// (the simulator keeps one per supervisor and hands it to every new life).
import type { TgEvent } from '../../machines/types.ts';
import type { OutboxStore } from '../outboxStore.ts';

export class MemoryOutboxStore implements OutboxStore {
  private events: TgEvent[] = [];

  load(): Promise<TgEvent[]> {
    return Promise.resolve([...this.events]);
  }

  save(events: readonly TgEvent[]): Promise<void> {
    this.events = [...events];
    return Promise.resolve();
  }

  size(): number {
    return this.events.length;
  }
}
