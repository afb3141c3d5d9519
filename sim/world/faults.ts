// Applies a scenario's concrete fault timeline to the simulated world: process faults go to the
// platform (kill, hang, down = held down), dependency faults to the SimDependency of the target,
// whose listeners drive the memory adapters' gates and the broker model.
import type { ConcreteFault } from '../scenario/types.ts';
import type { SimDependency } from '../kernel/dependency.ts';
import type { SimPlatform } from '../kernel/platform.ts';
import type { Kernel } from '../kernel/kernel.ts';
import { TgError } from '../../machines/errors.ts';

export interface FaultTargets {
  kernel: Kernel;
  platform: SimPlatform;
  dependencies: Map<string, SimDependency>;
  /** Called when a fault starts/ends, for the timeline and the detection metrics. */
  onFault?: (fault: ConcreteFault, phase: 'start' | 'end', at: number) => void;
}

/** Schedule every fault of the timeline on the kernel. */
export function scheduleFaults(faults: ConcreteFault[], t: FaultTargets): void {
  for (const fault of faults) {
    t.kernel.schedule(fault.at, () => startFault(fault, t));
  }
}

function startFault(fault: ConcreteFault, t: FaultTargets): void {
  const now = t.kernel.now();
  const forMs = fault.until === undefined ? undefined : Math.max(0, fault.until - fault.at);
  const dependency = t.dependencies.get(fault.target);
  t.onFault?.(fault, 'start', now);
  if (fault.until !== undefined) {
    t.kernel.schedule(fault.until, () => t.onFault?.(fault, 'end', t.kernel.now()));
  }
  if (dependency) {
    applyDependencyFault(fault, dependency, forMs);
    return;
  }
  if (!t.platform.ids().includes(fault.target)) {
    throw new TgError('TG_ERR_SCENARIO', `fault target ${fault.target} does not exist in this world`);
  }
  switch (fault.kind) {
    case 'kill':
      t.platform.kill(fault.target, 'killed by scenario');
      return;
    case 'hang':
      t.platform.hang(fault.target);
      if (forMs !== undefined) {
        t.kernel.schedule(fault.until!, () => {
          // The supervisor may have restarted it meanwhile: only a still-hung process resumes.
          if (t.platform.process(fault.target).status === 'hung') t.platform.resume(fault.target);
        });
      }
      return;
    case 'down':
      t.platform.holdDown(fault.target, forMs ?? 0, 'down by scenario');
      return;
    case 'slow':
    case 'drop':
      throw new TgError('TG_ERR_SCENARIO', `fault ${fault.kind} does not apply to process ${fault.target}`);
  }
}

function applyDependencyFault(
  fault: ConcreteFault,
  dependency: SimDependency,
  forMs: number | undefined,
): void {
  switch (fault.kind) {
    case 'down':
    case 'kill':
      // A killed dependency (redis-server SIGKILL) is down until its own restart: 1 s unless stated.
      dependency.down(forMs ?? 1000);
      return;
    case 'hang':
      // A hung server accepts connections but never answers: calls time out.
      dependency.down(forMs ?? 1000, 'timeout');
      return;
    case 'slow':
      dependency.slow(fault.params.byMs ?? 0, forMs);
      return;
    case 'drop':
      dependency.drop(fault.params.ratio ?? 0, forMs);
      return;
  }
}
