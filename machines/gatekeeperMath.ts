// Bucket arithmetic of the gatekeeper client. Local mode uses a slot grid shared by all clients of a
// key: one slot every 1000 / (limit * safety) ms, client i of N owns every N-th slot, so local grants
// of all clients together never bunch (a per-client bucket would let N first tokens coincide). Pure.
import { gcraDecide, type GcraLimit } from './gcra.ts';
import type { AimdState } from './aimd.ts';

/** Grants are counted per sliding second (the broker's window). */
export const WINDOW_MS = 1000;

export interface BucketNumbers {
  /** The broker's limit for this key (config). */
  limit: GcraLimit;
  /** Share of the limit the local grants of all clients may use together (0.8). */
  safety: number;
  slowCallMs: number;
  /** Live gatekeeper clients of this key (at least 1) and this client's position among them. */
  peers: number;
  peerIndex: number;
  aimd: AimdState;
  /** Local pacing as a GCRA TAT measured in slot indexes (AIMD may skip some of our slots). */
  localTatSlot: number;
  /** Times of local grants not yet charged to the shared bucket, pruned to the last second. */
  localGrants: number[];
  /** Last time the shared store answered this client. */
  lastContactAt: number;
}

/** What one global acquire asks the shared bucket for: the AIMD rate, the configured burst. */
export function globalLimit(n: BucketNumbers): GcraLimit {
  return { ratePerSec: n.aimd.rate, burst: n.limit.burst };
}

/** This client's local share: limit * safety / N, scaled by AIMD. */
export function localLimit(n: BucketNumbers): GcraLimit {
  return { ratePerSec: (n.aimd.rate * n.safety) / Math.max(1, n.peers), burst: 1 };
}

export function slotMs(n: BucketNumbers): number {
  return 1000 / (n.limit.ratePerSec * n.safety);
}

/** Integer ms at which slot k opens (slots are anchored at epoch 0 so every client agrees). */
export function slotStart(n: BucketNumbers, k: number): number {
  return Math.ceil(k * slotMs(n) - 1e-6);
}

/** First slot opening at or after `t`. */
export function slotAtOrAfter(n: BucketNumbers, t: number): number {
  let k = Math.max(0, Math.ceil(t / slotMs(n) - 1e-9));
  while (slotStart(n, k) < t) k++;
  while (k > 0 && slotStart(n, k - 1) >= t) k--;
  return k;
}

/**
 * A local grant may come this late after its slot opens. The safety margin leaves
 * 1000 / safety - 1000 ms of slack per second (250 ms at 0.8); half of it absorbs timer lateness and
 * the store attempt made just before each local grant.
 */
export function maxLateMs(n: BucketNumbers): number {
  return Math.max(1, (WINDOW_MS / n.safety - WINDOW_MS) / 2);
}

/**
 * How long after an outage begins a client may first grant locally: one slot (the global grants made
 * just before the outage then leave room for the local ones in any window) plus a slow call (a call
 * admitted before the outage may still be granted that late). Waiting this long also tells a client
 * that answers from the store closer together than this hide no peer's local grant.
 */
export function localStartDelayMs(n: BucketNumbers): number {
  return slotMs(n) + n.slowCallMs;
}

export function localStartSlot(n: BucketNumbers, enteredAt: number): number {
  return slotAtOrAfter(n, enteredAt + localStartDelayMs(n));
}

/** GCRA in slot units: this client's pace is 1 slot in N / (aimd rate / limit). */
function slotPace(n: BucketNumbers): GcraLimit {
  const share = Math.min(1, n.aimd.rate / n.limit.ratePerSec);
  return { ratePerSec: (1000 * share) / Math.max(1, n.peers), burst: 1 };
}

/** The next slot this client may use: owned, paced, and not yet too late at `now`. */
export function localPlan(n: BucketNumbers, now: number): { slot: number; at: number } {
  const peers = Math.max(1, n.peers);
  const index = ((n.peerIndex % peers) + peers) % peers;
  let k = Math.max(Math.ceil(n.localTatSlot - 1e-9), slotAtOrAfter(n, now - maxLateMs(n) + 1));
  for (;;) {
    k += (((index - k) % peers) + peers) % peers;
    if (gcraDecide(n.localTatSlot, k, slotPace(n)).granted) return { slot: k, at: slotStart(n, k) };
    k++;
  }
}

/** Pacing TAT after a local grant in slot k. */
export function localTatAfter(n: BucketNumbers, k: number): number {
  const d = gcraDecide(n.localTatSlot, k, slotPace(n));
  return d.granted ? d.tat : Math.max(n.localTatSlot, k + 1);
}

/** Local grants of the last second that the shared bucket does not know about yet. */
export function localDebt(n: BucketNumbers, now: number): number {
  let debt = 0;
  for (const t of n.localGrants) if (t > now - WINDOW_MS) debt++;
  return debt;
}

/**
 * Peers may have granted locally during an outage this client did not see (it made no call then, or
 * it was local itself). No peer grants locally sooner than localStartDelayMs after an outage begins,
 * so answers from the store closer together than that hide nothing. Otherwise the client charges,
 * before its next global grant, the local grants that can share a window with it: at most one per
 * slot, two for the rounding at both ends, plus the slots a peer may still use after the store is
 * back (its last attempt on a slow store times out, then it may grant a little late).
 */
export function peerAllowance(n: BucketNumbers, now: number): number {
  if (n.peers <= 1) return 0;
  if (now - n.lastContactAt < localStartDelayMs(n)) return 0;
  return 2 + Math.ceil((n.slowCallMs + maxLateMs(n)) / slotMs(n));
}

export function pruneGrants(grants: number[], now: number): number[] {
  const from = now - WINDOW_MS;
  return grants.length && grants[0] <= from ? grants.filter((t) => t > from) : grants;
}
