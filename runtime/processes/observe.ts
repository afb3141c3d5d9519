// Log lines that make a live process readable from outside (operators, chaos tests): every change
// of the component's state path, and an error of the root actor as a fatal error (never silent).
import type { AnyActorRef } from 'xstate';
import type { Logger } from '../log.ts';

export function logStateChanges(
  actor: AnyActorRef,
  state: () => string,
  log: Logger,
  fatal: (error: unknown) => void,
): () => void {
  let last = '';
  const note = () => {
    const now = state();
    if (now === last) return;
    log.info('state', { state: now, from: last || undefined });
    last = now;
  };
  note();
  const sub = actor.subscribe({ next: note, error: (e) => fatal(e) });
  return () => sub.unsubscribe();
}
