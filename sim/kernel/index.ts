// The simulation kernel in one import: virtual clock, run loop, seeded RNG, simulated processes,
// the Docker-like platform and simulated infrastructure dependencies.
export * from './virtualClock.ts';
export * from './kernel.ts';
export * from './rng.ts';
export * from './process.ts';
export * from './platform.ts';
export * from './dependency.ts';
export { guardPort, type GuardScope } from './guardPort.ts';
