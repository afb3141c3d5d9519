// The supervisor's decisions as pure functions over its bookkeeping (the "core"): each handler takes
// the core and one fact, and returns the next core plus the effects to perform, in order. The
// machine (supervisor.ts) only routes events here and performs the effects; restart pacing and the
// intensity rule live in supervisorRestarts.ts, coverage in coverage.ts.
import {
  componentKind,
  isCollectorId,
  isRestartable,
  validateConfig,
  type ComponentKind,
  type TgConfig,
} from './config.ts';
import {
  evaluateCollector,
  emptyCoverage,
  type CollectorStatus,
  type CoverageConfig,
  type CoverageState,
} from './coverage.ts';
import { buildDependencyGraph, type DependencyGraph } from './dependencyGraph.ts';
import { TgError } from './errors.ts';
import type { HealthViewEvent } from './healthView.ts';
import { KRX_HOURS } from './marketHours.ts';
import type { HeartbeatPayload, TgEvent, ViewState } from './types.ts';
import type {
  MirrorWrite,
  RestartBook,
  SupervisorEffect,
  SupervisorInput,
  ViewRecord,
} from './supervisorTypes.ts';

export interface ComponentTraits {
  kind: ComponentKind;
  restartable: boolean;
  collector: boolean;
}

export interface SupervisorCore {
  config: TgConfig;
  graph: DependencyGraph;
  coverageConfig: CoverageConfig;
  traits: Record<string, ComponentTraits>;
  idPrefix: string;
  /** Counter of published events (ids are `${idPrefix}:${type}:${seq}`). */
  seq: number;
  restartSeq: number;
  views: Record<string, ViewRecord>;
  beats: Record<string, HeartbeatPayload>;
  /**
   * Time of each process's newest mirrored state. A beat older than it (the registry is read later
   * than Pub/Sub delivers) proves life but is older news for coverage: it is not kept in `beats`.
   */
  mirroredAt: Record<string, number>;
  books: Record<string, RestartBook>;
  coverage: CoverageState;
  /** Gatekeeper client id -> time of its last beat (N for the local share). */
  gatekeeperClients: Record<string, number>;
  /** Restart actor id -> component. */
  restartActors: Record<string, string>;
}

function emptyBook(): RestartBook {
  return {
    history: [],
    token: 0,
    pending: false,
    waiting: false,
    inFlight: false,
    echo: null,
    episode: null,
  };
}

function checkCoverage(coverage: unknown, traits: Record<string, ComponentTraits>): Record<string, string[]> {
  if (coverage === undefined) return {};
  if (typeof coverage !== 'object' || coverage === null || Array.isArray(coverage)) {
    throw new TgError(
      'TG_ERR_CONFIG',
      'coverage must map collector ids to symbol lists; fix: pass { "collector:kis-1": ["005930"] }',
    );
  }
  const out: Record<string, string[]> = {};
  for (const [collector, symbols] of Object.entries(coverage)) {
    if (!traits[collector]?.collector) {
      throw new TgError(
        'TG_ERR_CONFIG',
        `coverage names "${collector}", which is not a collector component; fix: add it with withCollectors(config, ["${collector}"])`,
        { field: `coverage.${collector}` },
      );
    }
    if (!Array.isArray(symbols) || symbols.some((s) => typeof s !== 'string')) {
      throw new TgError('TG_ERR_CONFIG', `coverage of "${collector}" must be a list of symbols`, {
        field: `coverage.${collector}`,
      });
    }
    out[collector] = [...symbols];
  }
  return out;
}

/** Validate everything the supervisor is given; throws a coded TgError naming the problem. */
export function createCore(input: SupervisorInput): SupervisorCore {
  const config = validateConfig(input.config);
  const graph = buildDependencyGraph(config.components);
  const traits: Record<string, ComponentTraits> = {};
  for (const spec of config.components) {
    traits[spec.id] = {
      kind: componentKind(spec),
      restartable: isRestartable(spec),
      collector: isCollectorId(spec.id) && componentKind(spec) === 'process',
    };
  }
  const books: Record<string, RestartBook> = {};
  for (const id of graph.order) books[id] = emptyBook();
  return {
    config,
    graph,
    coverageConfig: {
      coverage: checkCoverage(input.coverage, traits),
      volumes: { ...(input.volumes ?? {}) },
      session: config.session ?? KRX_HOURS,
    },
    traits,
    idPrefix: input.idPrefix ?? `supervisor@${input.now()}`,
    seq: 0,
    restartSeq: 0,
    views: {},
    beats: {},
    mirroredAt: {},
    books,
    coverage: emptyCoverage(),
    gatekeeperClients: {},
    restartActors: {},
  };
}

export type EventDraft = TgEvent extends infer E ? (E extends TgEvent ? Omit<E, 'id'> : never) : never;

/** One handler run: copy-on-write access to the core, and the effects in the order they were asked. */
export class Step {
  readonly core: SupervisorCore;
  readonly effects: SupervisorEffect[] = [];
  private readonly copied = new Set<string>();

  constructor(core: SupervisorCore) {
    this.core = { ...core };
  }

  book(component: string): RestartBook {
    if (!this.copied.has('books')) {
      this.core.books = { ...this.core.books };
      this.copied.add('books');
    }
    if (!this.copied.has(`book:${component}`)) {
      const b = this.core.books[component] ?? emptyBook();
      this.core.books[component] = {
        ...b,
        history: [...b.history],
        echo: b.echo && { ...b.echo },
        episode: b.episode && { ...b.episode },
      };
      this.copied.add(`book:${component}`);
    }
    return this.core.books[component];
  }

  set<K extends 'views' | 'beats' | 'gatekeeperClients' | 'restartActors'>(
    key: K,
    id: string,
    value: SupervisorCore[K][string] | undefined,
  ): void {
    if (!this.copied.has(key)) {
      this.core[key] = { ...this.core[key] } as SupervisorCore[K];
      this.copied.add(key);
    }
    const record = this.core[key] as Record<string, unknown>;
    if (value === undefined) delete record[id];
    else record[id] = value;
  }

  publish(draft: EventDraft): void {
    this.core.seq += 1;
    const event = { ...draft, id: `${this.core.idPrefix}:${draft.type}:${this.core.seq}` } as TgEvent;
    this.effects.push({ kind: 'publish', event });
  }

  mirror(write: MirrorWrite): void {
    this.effects.push({ kind: 'mirror', write });
  }

  toView(component: string, event: HealthViewEvent): void {
    this.effects.push({ kind: 'toView', component, event });
  }

  result(): StepResult {
    return { core: this.core, effects: this.effects };
  }
}

export interface StepResult {
  core: SupervisorCore;
  effects: SupervisorEffect[];
}

export function viewStates(core: SupervisorCore): Record<string, ViewState> {
  const out: Record<string, ViewState> = {};
  for (const [id, v] of Object.entries(core.views)) out[id] = v.state;
  return out;
}

function collectorStatuses(core: SupervisorCore): Record<string, CollectorStatus> {
  const out: Record<string, CollectorStatus> = {};
  for (const collector of Object.keys(core.coverageConfig.coverage)) {
    const v = core.views[collector];
    out[collector] = {
      state: v?.state ?? 'recovering',
      reason: v?.reason ?? 'not seen yet',
      beat: core.beats[collector],
    };
  }
  return out;
}

/** Re-judge a collector's coverage and publish COLLECTOR_DOWN / COLLECTOR_UP in this same step. */
export function coverageStep(s: Step, collector: string, now: number): void {
  if (!(collector in s.core.coverageConfig.coverage)) return;
  const next = evaluateCollector(
    s.core.coverage,
    s.core.coverageConfig,
    collector,
    collectorStatuses(s.core),
    now,
  );
  s.core.coverage = next.state;
  if (next.down) s.publish(next.down);
  if (next.up) s.publish(next.up);
  for (const c of next.closedGaps ?? []) {
    s.publish({ type: 'GAP_CLOSED', gapId: c.gapId, symbol: c.symbol, end: c.end });
  }
}

/** Live gatekeeper clients (beats carrying a mode within the heartbeat timeout), at least 1. */
export function liveGatekeeperClients(core: SupervisorCore, now: number): number {
  const fresh = Object.values(core.gatekeeperClients).filter(
    (at) => at > now - core.config.heartbeatTimeoutMs,
  );
  return Math.max(1, fresh.length);
}

export function gatekeeperModeStep(core: SupervisorCore, mode: 'global' | 'local', now: number): StepResult {
  const s = new Step(core);
  const share = mode === 'global' ? 1 : core.config.gatekeeper.safety / liveGatekeeperClients(core, now);
  s.publish({ type: 'GATEKEEPER_MODE', mode, share, at: now });
  return s.result();
}

/** Process views (the ones judged by heartbeats), in topological order. */
export function processComponents(core: SupervisorCore): string[] {
  return core.graph.order.filter((id) => core.traits[id]?.kind === 'process');
}

export function broadcastStep(
  core: SupervisorCore,
  event: HealthViewEvent,
  to: readonly string[],
): StepResult {
  const s = new Step(core);
  for (const id of to) s.toView(id, event);
  return s.result();
}
