// In-memory Heartbeats registry: the latest beat per component with a TTL measured on the Clock
// (Redis key tg:hb:{component} with PX), so silence is detected in virtual time.
import type { HeartbeatPayload } from '../../machines/types.ts';
import type { Clock } from '../clock.ts';
import type { Heartbeats } from '../heartbeats.ts';
import { throughGate, type DependencyGate, type MemoryAdapterOptions } from './dependencyGate.ts';

interface StoredBeat {
  payload: HeartbeatPayload;
  expiresAt: number;
}

export class MemoryHeartbeats implements Heartbeats {
  private readonly clock: Clock;
  private readonly gate: DependencyGate | undefined;
  private readonly beats = new Map<string, StoredBeat>();
  private beatCount = 0;

  constructor(options: MemoryAdapterOptions) {
    this.clock = options.clock;
    this.gate = options.gate;
  }

  beat(payload: HeartbeatPayload, ttlMs: number): Promise<void> {
    return throughGate(this.gate, 'heartbeat.beat', () => {
      // Like SET PX: the key lives ttlMs from the moment the server applies the write.
      this.beats.set(payload.component, {
        payload: structuredClone(payload),
        expiresAt: this.clock.now() + ttlMs,
      });
      this.beatCount += 1;
    });
  }

  last(component: string): Promise<HeartbeatPayload | undefined> {
    return throughGate(this.gate, 'heartbeat.last', () => {
      const b = this.liveBeat(component);
      return b ? structuredClone(b.payload) : undefined;
    });
  }

  /** Sorted by component id for deterministic readers. */
  live(prefix = ''): Promise<HeartbeatPayload[]> {
    return throughGate(this.gate, 'heartbeat.live', () => {
      const out: HeartbeatPayload[] = [];
      for (const component of [...this.beats.keys()].sort()) {
        if (!component.startsWith(prefix)) continue;
        const b = this.liveBeat(component);
        if (b) out.push(structuredClone(b.payload));
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
      return undefined;
    }
    return b;
  }
}
