// The supervisor's reactions to what its views and the heartbeat registry tell it, pure: mirror and
// announce every view change, keep coverage (COLLECTOR_DOWN/UP in the same step as the detection),
// open or close restart episodes, and resume components that waited for a dependency.
import type { ViewChangedEvent } from './healthView.ts';
import { seedGaps, type OpenGap } from './coverage.ts';
import { coverageStep, Step, type StepResult, type SupervisorCore } from './supervisorCore.ts';
import { endEpisode, resumeWaiting, startEpisode } from './supervisorRestarts.ts';
import { viewMirrorKey } from './supervisorTypes.ts';
import type { HeartbeatPayload } from './types.ts';

export function viewChangedStep(
  core: SupervisorCore,
  e: ViewChangedEvent,
  now: number,
  random: () => number,
): StepResult {
  const c = e.component;
  if (!(c in core.traits)) return { core, effects: [] };
  const s = new Step(core);
  const prev = core.views[c];
  s.set('views', c, { state: e.to, reason: e.reason, at: e.at });
  s.mirror({ actor: viewMirrorKey(c), state: e.to, detail: e.to, at: e.at, reason: e.reason });
  if (!e.initial && prev?.state !== e.to) {
    s.publish({
      type: 'COMPONENT_STATE',
      actor: c,
      from: prev?.state ?? e.from,
      to: e.to,
      at: e.at,
      reason: e.reason,
    });
  }
  if (core.traits[c].collector) coverageStep(s, c, now);
  const wasDown = prev?.state === 'down';
  if (e.to === 'down' && !wasDown) startEpisode(s, c, e.reason, now, random);
  if (e.to !== 'down' && wasDown) endEpisode(s, c);
  if (e.to !== 'down' && e.to !== 'failed') resumeWaiting(s, now);
  return s.result();
}

export function heartbeatStep(core: SupervisorCore, beat: HeartbeatPayload, now: number): StepResult {
  const c = beat.component;
  const traits = core.traits[c];
  const prev = core.beats[c];
  const isClient = beat.gatekeeperMode !== undefined && core.gatekeeperClients[c] !== beat.at;
  if (!isClient && (!traits || traits.kind !== 'process' || (prev && beat.at <= prev.at))) {
    return { core, effects: [] };
  }
  const s = new Step(core);
  if (isClient) s.set('gatekeeperClients', c, beat.at);
  if (!traits || traits.kind !== 'process' || (prev && beat.at <= prev.at)) return s.result();
  // Older than the newest mirrored state: life, but no news on connection or ticks (see mirroredAt).
  const stale = beat.at < (core.mirroredAt[c] ?? -Infinity);
  if (!stale) s.set('beats', c, beat);
  s.toView(c, { type: 'HEARTBEAT', payload: beat });
  if (traits.collector && !stale) coverageStep(s, c, now);
  return s.result();
}

/** Adopt the ledger's gaps after a restart; collectors covering an open gap's symbol close it at once. */
export function seedGapsStep(
  core: SupervisorCore,
  gaps: readonly (OpenGap & { end: number | null })[],
  now: number,
): StepResult {
  const s = new Step(core);
  s.core.coverage = seedGaps(core.coverage, core.coverageConfig, gaps);
  for (const collector of Object.keys(core.coverageConfig.coverage)) {
    if (core.coverage.covering[collector]) coverageStep(s, collector, now);
  }
  return s.result();
}
