// Restart decisions of the supervisor, pure: a down episode schedules one restart after the back-off,
// never while a hard dependency is down (the component waits and is restarted in topological order
// once its dependencies are back), and never beyond the intensity limit (then: failed).
//
// Intensity rule: every down episode that ends in a start counts ONCE against the R-in-T limit,
// whoever started the process: the supervisor (ProcessControl.restart) or the platform (Docker's
// `restart: always` after an exit, seen as PROCESS_STARTED). The exit and start that our own
// restart causes (docker restart = die + start) are recognised as its echo and not counted again.
import {
  backoffDelay,
  intensityExceeded,
  pruneHistory,
  restartBackoff,
  restartsInWindow,
} from './backoff.ts';
import { hardDepsDown } from './dependencyGraph.ts';
import { Step, viewStates, type StepResult, type SupervisorCore } from './supervisorCore.ts';

export const INTENSITY_EXCEEDED = 'restart intensity exceeded';

/** How long the platform gets to restart an exited process before the supervisor does it itself. */
export function platformGraceMs(core: SupervisorCore): number {
  return core.config.heartbeatTimeoutMs;
}

function fail(s: Step, component: string, now: number): void {
  const b = s.book(component);
  b.episode = null;
  b.waiting = false;
  if (b.pending) b.token += 1;
  b.pending = false;
  s.toView(component, { type: 'FAIL', at: now, reason: INTENSITY_EXCEEDED });
}

function schedule(s: Step, component: string, extraMs: number, now: number, random: () => number): void {
  const b = s.book(component);
  const policy = s.core.config.restart;
  b.token += 1;
  b.pending = true;
  const attempt = restartsInWindow(b.history, now, policy.windowMs).length;
  s.effects.push({
    kind: 'schedule',
    component,
    token: b.token,
    delayMs: backoffDelay(attempt, restartBackoff(policy), random()) + extraMs,
  });
}

/** The view just went down. */
export function startEpisode(
  s: Step,
  component: string,
  reason: string,
  now: number,
  random: () => number,
): void {
  if (!s.core.traits[component]?.restartable) return;
  const b = s.book(component);
  b.history = pruneHistory(b.history, now, s.core.config.restart.windowMs);
  b.episode = { since: now, counted: false, reason };
  if (intensityExceeded(b.history, now, s.core.config.restart)) return fail(s, component, now);
  if (hardDepsDown(s.core.graph, component, viewStates(s.core)).length > 0) {
    b.waiting = true;
    return;
  }
  schedule(s, component, reason === 'exited' ? platformGraceMs(s.core) : 0, now, random);
}

/** The view left down (started, restarted, alive again, or failed). */
export function endEpisode(s: Step, component: string): void {
  const b = s.book(component);
  b.episode = null;
  b.waiting = false;
  if (b.pending) b.token += 1;
  b.pending = false;
}

/** Order the restart now, if nothing forbids it. */
export function performRestart(s: Step, component: string, now: number): void {
  const b = s.book(component);
  if (b.inFlight) return;
  if (hardDepsDown(s.core.graph, component, viewStates(s.core)).length > 0) {
    b.waiting = true;
    return;
  }
  b.waiting = false;
  b.history = pruneHistory(b.history, now, s.core.config.restart.windowMs);
  if (intensityExceeded(b.history, now, s.core.config.restart)) return fail(s, component, now);
  b.history.push(now);
  b.episode = { since: b.episode?.since ?? now, counted: true, reason: b.episode?.reason ?? 'down' };
  b.inFlight = true;
  b.echo = { orderedAt: now, sawExit: false, sawStart: false };
  s.core.restartSeq += 1;
  const actorId = `restart:${component}:${s.core.restartSeq}`;
  s.set('restartActors', actorId, component);
  s.toView(component, { type: 'RESTARTING', at: now });
  s.effects.push({ kind: 'restart', component, actorId });
}

/** Components waiting for a dependency whose hard deps are all up again: restart, dependencies first. */
export function resumeWaiting(s: Step, now: number): void {
  for (const id of s.core.graph.order) {
    const b = s.core.books[id];
    if (!b?.waiting || s.core.views[id]?.state !== 'down') continue;
    if (hardDepsDown(s.core.graph, id, viewStates(s.core)).length > 0) continue;
    performRestart(s, id, now);
  }
}

export function restartDueStep(
  core: SupervisorCore,
  component: string,
  token: number,
  now: number,
): StepResult {
  const b = core.books[component];
  if (!b || token !== b.token || !b.pending) return { core, effects: [] };
  const s = new Step(core);
  s.book(component).pending = false;
  if (core.views[component]?.state === 'down') performRestart(s, component, now);
  return s.result();
}

/** A restart actor finished (ok) or failed; a failure is a death of its own, paced like any other. */
export function restartSettledStep(
  core: SupervisorCore,
  actorId: string,
  error: string | null,
  now: number,
  random: () => number,
): StepResult {
  const component = core.restartActors[actorId];
  if (component === undefined) return { core, effects: [] };
  const s = new Step(core);
  s.set('restartActors', actorId, undefined);
  const b = s.book(component);
  b.inFlight = false;
  if (error !== null) s.toView(component, { type: 'RESTART_FAILED', at: now, reason: error });
  // Down while the restart was in flight (it died at once, or could not start): pace the next one.
  if (core.views[component]?.state === 'down' && b.episode && !b.pending && !b.waiting) {
    schedule(s, component, 0, now, random);
  }
  return s.result();
}

/** Platform lifecycle: count platform restarts once per episode, swallow our own restart's echo. */
export function lifecycleStep(
  core: SupervisorCore,
  component: string,
  kind: 'exited' | 'started',
  at: number,
  reason: string | undefined,
): StepResult {
  if (core.traits[component]?.kind !== 'process') return { core, effects: [] };
  const s = new Step(core);
  const b = s.book(component);
  const echo = b.echo && at - b.echo.orderedAt <= core.config.heartbeatTimeoutMs ? b.echo : null;
  if (kind === 'exited') {
    if (echo && !echo.sawExit && !echo.sawStart) {
      echo.sawExit = true;
      return s.result();
    }
    s.toView(component, { type: 'PROCESS_EXITED', at, reason: reason ?? 'exited' });
    return s.result();
  }
  if (echo && !echo.sawStart) echo.sawStart = true;
  else if (b.episode && !b.episode.counted) {
    b.history.push(at);
    b.episode.counted = true;
  }
  if (b.pending) b.token += 1;
  b.pending = false;
  s.toView(component, { type: 'PROCESS_STARTED', at });
  return s.result();
}

/** Operator reset: forget the restart history and let the view leave failed. */
export function resetStep(core: SupervisorCore, component: string, now: number): StepResult {
  if (!(component in core.books)) return { core, effects: [] };
  const s = new Step(core);
  s.book(component).history = [];
  s.toView(component, { type: 'RESET', at: now });
  return s.result();
}
