// In-memory RateLimitStore: the shared GCRA buckets of redis-gatekeeper, one TAT per key, time
// taken from the Clock by the store itself (as the Lua script uses the server's TIME).
import { gcraCharge, gcraDecide } from '../../machines/gcra.ts';
import type { Clock } from '../clock.ts';
import type { AcquireResult, BucketLimit, RateLimitStore } from '../rateLimitStore.ts';
import { throughGate, type DependencyGate, type MemoryAdapterOptions } from './dependencyGate.ts';

export interface RateLimitKeyStats {
  granted: number;
  denied: number;
  charged: number;
}

export class MemoryRateLimitStore implements RateLimitStore {
  private readonly clock: Clock;
  private readonly gate: DependencyGate | undefined;
  private readonly tats = new Map<string, number>();
  private readonly perKey = new Map<string, RateLimitKeyStats>();

  constructor(options: MemoryAdapterOptions) {
    this.clock = options.clock;
    this.gate = options.gate;
  }

  acquire(key: string, limit: BucketLimit, cost = 1): Promise<AcquireResult> {
    return throughGate(this.gate, 'ratelimit.acquire', () => {
      const d = gcraDecide(this.tats.get(key) ?? 0, this.clock.now(), limit, cost);
      const stats = this.statsOf(key);
      if (d.granted) {
        this.tats.set(key, d.tat);
        stats.granted += cost;
      } else {
        stats.denied += 1;
      }
      return { granted: d.granted, waitMs: d.waitMs, remaining: d.remaining };
    });
  }

  charge(key: string, limit: BucketLimit, tokens: number): Promise<void> {
    return throughGate(this.gate, 'ratelimit.charge', () => {
      if (tokens <= 0) return;
      this.tats.set(key, gcraCharge(this.tats.get(key) ?? 0, this.clock.now(), limit, tokens));
      this.statsOf(key).charged += tokens;
    });
  }

  ping(): Promise<void> {
    return throughGate(this.gate, 'ratelimit.ping', () => undefined);
  }

  /** Per-key counters (inspection, not part of the port). */
  stats(key: string): RateLimitKeyStats {
    return { ...this.statsOf(key) };
  }

  private statsOf(key: string): RateLimitKeyStats {
    let s = this.perKey.get(key);
    if (!s) {
      s = { granted: 0, denied: 0, charged: 0 };
      this.perKey.set(key, s);
    }
    return s;
  }
}
