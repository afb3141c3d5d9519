// Clock port: the time source and timer service. Live: Date.now and node timers. Sim: the kernel's
// virtual clock, which is also handed to XState as its `clock` so `after` delays run in virtual time.

export interface Clock {
  now(): number;
  setTimeout(fn: (...args: any[]) => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}
