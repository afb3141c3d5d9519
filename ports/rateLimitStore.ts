// RateLimitStore port: the shared rate-limit bucket (atomic Lua on redis-gatekeeper, key
// tg:rl:{broker}:{key}). One call per acquire; the store computes time itself so clients cannot skew it.

export interface BucketLimit {
  /** Sustained requests per second. */
  ratePerSec: number;
  /** Bucket capacity (burst), >= 1. */
  burst: number;
}

export interface AcquireResult {
  granted: boolean;
  /** When not granted: ms until one token is available. */
  waitMs: number;
  /** Tokens left after this call (informational). */
  remaining: number;
}

export interface RateLimitStore {
  acquire(key: string, limit: BucketLimit, cost?: number): Promise<AcquireResult>;
  /** Charge tokens spent elsewhere (local mode) so the global bucket is not over-spent after recovery. */
  charge(key: string, limit: BucketLimit, tokens: number): Promise<void>;
  /** Succeeds iff the store answers. Used by the half-open probe. */
  ping(): Promise<void>;
}
