// In-memory StateMirror: the last mirrored state per actor (the Redis hash tg:state:{actor}), read
// back by `tickguard status`, the supervisor's re-sync and the invariant checks of the simulator.
import type { MirroredState, StateMirror } from '../stateMirror.ts';
import { throughGate, type DependencyGate, type MemoryAdapterOptions } from './dependencyGate.ts';

export class MemoryStateMirror implements StateMirror {
  private readonly gate: DependencyGate | undefined;
  private readonly states = new Map<string, MirroredState>();
  private writes = 0;

  constructor(options: MemoryAdapterOptions) {
    this.gate = options.gate;
  }

  set(state: MirroredState): Promise<void> {
    return throughGate(this.gate, 'mirror.set', () => {
      this.states.set(state.actor, { ...state });
      this.writes += 1;
    });
  }

  get(actor: string): Promise<MirroredState | undefined> {
    return throughGate(this.gate, 'mirror.get', () => this.snapshot(actor));
  }

  /** Sorted by actor id so every reader sees the same order. */
  all(): Promise<MirroredState[]> {
    return throughGate(this.gate, 'mirror.all', () => this.snapshotAll());
  }

  // ---- inspection without the gate (the simulator's checks must work while redis-main is down) ----

  snapshot(actor: string): MirroredState | undefined {
    const s = this.states.get(actor);
    return s ? { ...s } : undefined;
  }

  snapshotAll(): MirroredState[] {
    return [...this.states.keys()].sort().map((actor) => ({ ...this.states.get(actor)! }));
  }

  writeCount(): number {
    return this.writes;
  }
}
