// Vocabulary of the supervisor: its input, the events it accepts from its assembly and its children,
// and the effects its pure core asks the machine to perform (publish, mirror, tell a view, restart).
import type { HealthViewEvent, ViewChangedEvent } from './healthView.ts';
import type { HealthState, HeartbeatPayload, TgEvent, ViewState } from './types.ts';

export interface SupervisorInput {
  /** A TgConfig or a partial one; validated at start (a bad one leaves the machine `misconfigured`). */
  config: unknown;
  /** collector id -> symbols it covers. Every key must be a collector component of the config. */
  coverage?: Record<string, string[]>;
  /** symbol -> volume, the priority of its gaps. */
  volumes?: Record<string, number>;
  /** Symbols halted by the exchange: no stall alarm for them. */
  halted?: string[];
  now: () => number;
  /** Seeded in the simulator; Math.random in live mode is the assembly's business. */
  random: () => number;
  /** Prefix of published event ids, unique per supervisor run; default `supervisor@${now()}`. */
  idPrefix?: string;
}

/** Same shape as ports/stateMirror MirroredState (machines/ does not import ports/). */
export interface MirrorWrite {
  actor: string;
  state: ViewState;
  detail: string;
  at: number;
  reason?: string;
}

/** The mirror key of a component's health view (the component itself mirrors under its own id). */
export function viewMirrorKey(component: string): string {
  return `view:${component}`;
}

export type SupervisorEvent =
  | { type: 'HEARTBEAT'; payload: HeartbeatPayload }
  | { type: 'STATE_MIRRORED'; component: string; state: HealthState; at: number }
  | { type: 'PROCESS_EXITED'; component: string; at: number; reason?: string }
  | { type: 'PROCESS_STARTED'; component: string; at: number }
  | { type: 'PROBE_OK'; component: string; at: number }
  | { type: 'PROBE_FAILED'; component: string; at: number; reason: string }
  /** The heartbeat registry answered a read issued at `at` (its beats were sent just before). */
  | { type: 'REGISTRY_READ'; at: number }
  | { type: 'REGISTRY_UNREACHABLE'; at: number; reason?: string }
  | { type: 'SET_HALTED'; symbols: string[] }
  /** The gap ledger as this supervisor found it at start (a predecessor's open and closed gaps). */
  | {
      type: 'SEED_GAPS';
      gaps: {
        gapId: string;
        symbol: string;
        start: number;
        end: number | null;
        priority: number;
        collector: string;
      }[];
    }
  /** Operator: leave `failed` (and forget the restart history) now. */
  | { type: 'RESET'; component: string }
  | ViewChangedEvent
  | { type: 'RESTART_DUE'; component: string; token: number }
  // raised internally
  | { type: 'GATEKEEPER_STORE'; healthy: boolean }
  | { type: 'REDIS_MAIN_LOST' }
  // children settling (restart actors) or crashing (any child)
  | { type: `xstate.done.actor.${string}`; actorId: string; output?: unknown }
  | { type: `xstate.error.actor.${string}`; actorId: string; error: unknown };

export type SupervisorEffect =
  | { kind: 'publish'; event: TgEvent }
  | { kind: 'mirror'; write: MirrorWrite }
  | { kind: 'toView'; component: string; event: HealthViewEvent }
  | { kind: 'schedule'; component: string; token: number; delayMs: number }
  | { kind: 'restart'; component: string; actorId: string };

export interface RestartBook {
  /** Times of counted restarts (supervisor- or platform-made), pruned to the intensity window. */
  history: number[];
  /** Bumped to invalidate a scheduled RESTART_DUE. */
  token: number;
  pending: boolean;
  /** Down, but a hard dependency is down too: restarted when it comes back. */
  waiting: boolean;
  inFlight: boolean;
  /** The lifecycle events our own restart causes (kill, start), not to be counted again. */
  echo: { orderedAt: number; sawExit: boolean; sawStart: boolean } | null;
  /** The current stay in `down`. */
  episode: { since: number; counted: boolean; reason: string } | null;
}

export interface ViewRecord {
  state: ViewState;
  reason: string;
  at: number;
}
