// The ports of DESIGN section 3, in one place: actors depend on these interfaces only.
export type * from './clock.ts';
export type * from './eventBus.ts';
export type * from './stateMirror.ts';
export type * from './heartbeats.ts';
export type * from './tickBuffer.ts';
export type * from './rateLimitStore.ts';
export type * from './store.ts';
export type * from './broker.ts';
export type * from './processControl.ts';
export type * from './outboxStore.ts';
