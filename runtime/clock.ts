// The live Clock: wall time and Node timers. Handed to XState as `clock` in live processes, the
// counterpart of the simulator's virtual clock.
import type { Clock } from '../ports/clock.ts';

export const realClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};
