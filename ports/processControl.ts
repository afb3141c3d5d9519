// ProcessControl port: how the supervisor restarts a component. Live: dockerode (labelled containers
// only) or child processes; sim: simulated processes. Exits are reported, never guessed.
import type { ComponentId } from '../machines/types.ts';

export interface ProcessControl {
  /** Stop (SIGKILL if needed) and start the component again. */
  restart(component: ComponentId): Promise<void>;
  /** Subscribe to process exits/starts seen by the platform (Docker events, child exit codes). */
  onLifecycle(
    handler: (e: { component: ComponentId; kind: 'exited' | 'started'; at: number }) => void,
  ): () => void;
}
