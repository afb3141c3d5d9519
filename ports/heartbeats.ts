// Heartbeats port: the registry of liveness beats (Redis key with TTL tg:hb:{component} plus a
// sorted set of last beats). The supervisor trusts beats, not a component's word about itself.
import type { ComponentId, HeartbeatPayload } from '../machines/types.ts';

export interface Heartbeats {
  beat(payload: HeartbeatPayload, ttlMs: number): Promise<void>;
  /** Latest payload of a component whose key has not expired. */
  last(component: ComponentId): Promise<HeartbeatPayload | undefined>;
  /** Components whose last beat is within the TTL, optionally filtered by id prefix. */
  live(prefix?: string): Promise<HeartbeatPayload[]>;
}
