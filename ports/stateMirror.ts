// StateMirror port: every actor's current state mirrored out of process (Redis hash tg:state:{actor}
// plus the tg:state channel), so `tickguard status`, the supervisor and the inspector can read it.
import type { ViewState } from '../machines/types.ts';

export interface MirroredState {
  actor: string;
  state: ViewState;
  /** Dotted sub-state path, e.g. 'degraded.spooling'. */
  detail: string;
  at: number;
  reason?: string;
}

export interface StateMirror {
  set(state: MirroredState): Promise<void>;
  get(actor: string): Promise<MirroredState | undefined>;
  all(): Promise<MirroredState[]>;
}
