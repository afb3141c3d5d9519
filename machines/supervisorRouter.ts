// Routes each event the supervisor accepts to the pure step that handles it (heartbeats, view
// changes, lifecycle, probes, restart timers and actors, operator commands). Pure.
import { isTgError } from './errors.ts';
import type { HealthViewEvent } from './healthView.ts';
import { broadcastStep, type StepResult, type SupervisorCore } from './supervisorCore.ts';
import { heartbeatStep, seedGapsStep, viewChangedStep } from './supervisorHandlers.ts';
import { lifecycleStep, resetStep, restartDueStep, restartSettledStep } from './supervisorRestarts.ts';
import type { SupervisorEvent } from './supervisorTypes.ts';

/** Done and error events of children (restart actors, views). */
export type ActorEvent = { type: string; actorId?: string; error?: unknown };

const NO_STEP = (core: SupervisorCore): StepResult => ({ core, effects: [] });

/** Restart failures reach events and the mirror: keep codes only, never message text (no secrets). */
function errorText(error: unknown): string {
  if (isTgError(error)) return error.code;
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'restart rejected';
}

/** The core step for one event the machine's running state accepts (everything but its own regions). */
export function routeEvent(
  core: SupervisorCore,
  e: SupervisorEvent | ActorEvent,
  now: number,
  random: () => number,
): StepResult {
  switch (e.type) {
    case 'HEARTBEAT':
      return heartbeatStep(core, (e as Extract<SupervisorEvent, { type: 'HEARTBEAT' }>).payload, now);
    case 'VIEW_CHANGED':
      return viewChangedStep(core, e as Extract<SupervisorEvent, { type: 'VIEW_CHANGED' }>, now, random);
    case 'PROCESS_EXITED':
    case 'PROCESS_STARTED': {
      const ev = e as Extract<SupervisorEvent, { type: 'PROCESS_EXITED' | 'PROCESS_STARTED' }>;
      const reason = ev.type === 'PROCESS_EXITED' ? ev.reason : undefined;
      return lifecycleStep(
        core,
        ev.component,
        ev.type === 'PROCESS_EXITED' ? 'exited' : 'started',
        ev.at,
        reason,
      );
    }
    case 'STATE_MIRRORED': {
      const ev = e as Extract<SupervisorEvent, { type: 'STATE_MIRRORED' }>;
      if (core.traits[ev.component]?.kind !== 'process') return NO_STEP(core);
      const newer = ev.at > (core.mirroredAt[ev.component] ?? -Infinity);
      const next = newer ? { ...core, mirroredAt: { ...core.mirroredAt, [ev.component]: ev.at } } : core;
      return broadcastStep(next, { type: 'STATE_MIRRORED', state: ev.state, at: ev.at }, [ev.component]);
    }
    case 'PROBE_OK':
    case 'PROBE_FAILED': {
      const ev = e as Extract<SupervisorEvent, { type: 'PROBE_OK' | 'PROBE_FAILED' }>;
      if (core.traits[ev.component]?.kind !== 'infrastructure') return NO_STEP(core);
      const { component: _component, ...probe } = ev;
      return broadcastStep(core, probe as HealthViewEvent, [ev.component]);
    }
    case 'RESTART_DUE': {
      const ev = e as Extract<SupervisorEvent, { type: 'RESTART_DUE' }>;
      return restartDueStep(core, ev.component, ev.token, now);
    }
    case 'SEED_GAPS':
      return seedGapsStep(core, (e as Extract<SupervisorEvent, { type: 'SEED_GAPS' }>).gaps, now);
    case 'RESET':
      return resetStep(core, (e as Extract<SupervisorEvent, { type: 'RESET' }>).component, now);
    case 'SET_HALTED': {
      const symbols = (e as Extract<SupervisorEvent, { type: 'SET_HALTED' }>).symbols;
      const collectors = core.graph.order.filter((id) => core.traits[id].collector);
      return broadcastStep(core, { type: 'SET_HALTED', symbols }, collectors);
    }
    default: {
      const ev = e as ActorEvent;
      if (ev.actorId && ev.type.startsWith('xstate.done.actor.')) {
        return restartSettledStep(core, ev.actorId, null, now, random);
      }
      if (ev.actorId && ev.type.startsWith('xstate.error.actor.')) {
        return restartSettledStep(core, ev.actorId, errorText(ev.error), now, random);
      }
      return NO_STEP(core);
    }
  }
}
