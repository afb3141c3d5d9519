// In-memory Heartbeats registry: the latest beat per component with a TTL measured on the Clock
// (Redis key tg:hb:{component} with PX), so silence is detected in virtual time.
import type { HeartbeatPayload } from '../../machines/types.ts';
import type { Clock } from '../clock.ts';
import type { Heartbeats } from '../heartbeats.ts';
import { throughGate, type DependencyGate, type MemoryAdapterOptions } from './dependencyGate.ts';

/**
 * Redis stores a serialised copy, so a writer's later mutation never shows and readers get values,
 * not shared state. One shallow copy per beat, frozen (nested maps too), gives the same guarantees
 * without cloning on every read: the supervisor reads the whole registry twice a second.
 */
function frozenCopy(payload: HeartbeatPayload): HeartbeatPayload {
  const copy: HeartbeatPayload = { ...payload };
  for (const [key, value] of Object.entries(copy)) {
    if (value && typeof value === 'object')
      (copy as unknown as Record<string, unknown>)[key] = Object.freeze({ ...value });
  }
  return Object.freeze(copy);
}

interface StoredBeat {
  payload: HeartbeatPayload;
  expiresAt: number;
}

export class MemoryHeartbeats implements Heartbeats {
  private readonly clock: Clock;
  private readonly gate: DependencyGate | undefined;
  private readonly beats = new Map<string, StoredBeat>();
  private beatCount = 0;
  /** Component ids in order, rebuilt only when a component appears or expires. */
  private sortedKeys: string[] | undefined;

  constructor(options: MemoryAdapterOptions) {
    this.clock = options.clock;
    this.gate = options.gate;
  }

  beat(payload: HeartbeatPayload, ttlMs: number): Promise<void> {
    return throughGate(this.gate, 'heartbeat.beat', () => {
      // Like SET PX: the key lives ttlMs from the moment the server applies the write.
      if (!this.beats.has(payload.component)) this.sortedKeys = undefined;
      this.beats.set(payload.component, {
        payload: frozenCopy(payload),
        expiresAt: this.clock.now() + ttlMs,
      });
      this.beatCount += 1;
    });
  }

  last(component: string): Promise<HeartbeatPayload | undefined> {
    return throughGate(this.gate, 'heartbeat.last', () => {
      const b = this.liveBeat(component);
      return b?.payload;
    });
  }

  /** Sorted by component id for deterministic readers. */
  live(prefix = ''): Promise<HeartbeatPayload[]> {
    return throughGate(this.gate, 'heartbeat.live', () => {
      const out: HeartbeatPayload[] = [];
      if (this.sortedKeys === undefined) this.sortedKeys = [...this.beats.keys()].sort();
      for (const component of this.sortedKeys) {
        if (!component.startsWith(prefix)) continue;
        const b = this.liveBeat(component);
        if (b) out.push(b.payload);
      }
      return out;
    });
  }

  /** Beats accepted so far (inspection for tests, not part of the port). */
  count(): number {
    return this.beatCount;
  }

  private liveBeat(component: string): StoredBeat | undefined {
    const b = this.beats.get(component);
    if (!b) return undefined;
    if (this.clock.now() >= b.expiresAt) {
      this.beats.delete(component);
      this.sortedKeys = undefined;
      return undefined;
    }
    return b;
  }
}
