// OutboxStore port: the supervisor's local-disk outbox. Events the bus has not taken yet (redis-main
// down) must survive a restart of the supervisor, or a COLLECTOR_DOWN and its gaps are lost.
// Live: a small file on the supervisor's volume; sim: an object that outlives the process.
import type { TgEvent } from '../machines/types.ts';

export interface OutboxStore {
  /** Events saved by a previous life, oldest first. */
  load(): Promise<TgEvent[]>;
  /** Replace the saved queue (called after every change; the queue is small). */
  save(events: readonly TgEvent[]): Promise<void>;
}
