// In-memory adapters of every port, with fault injection through DependencyGate: the simulator's
// infrastructure and the reference implementation the contract suites (test/contracts) pin down.
export * from './dependencyGate.ts';
export { MemoryEventBus, type PendingEventInfo } from './memoryEventBus.ts';
export { MemoryStateMirror } from './memoryStateMirror.ts';
export { MemoryHeartbeats } from './memoryHeartbeats.ts';
export { MemoryTickBuffer, type TickBufferStats } from './memoryTickBuffer.ts';
export { MemorySpool, MemorySpools } from './memorySpool.ts';
export { MemoryRateLimitStore, type RateLimitKeyStats } from './memoryRateLimitStore.ts';
export { MemoryStore, type TickStats } from './memoryStore.ts';
export { CoveredIntervals } from './tickCoverage.ts';
export type { BarCell } from './barTable.ts';
export type { GapPatch } from './gapLedger.ts';
export { StreamIds, compareStreamIds } from './streamIds.ts';
export { createMemoryPorts, type MemoryPorts } from './memoryPorts.ts';
export * from './memoryOutboxStore.ts';
