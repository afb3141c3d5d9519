// tickguard configuration (docs/INTERNALS.md "Config"): the TgConfig type, its defaults, and
// validateConfig, which merges a partial (YAML/scenario overrides) over the defaults and rejects
// bad values with TG_ERR_CONFIG naming the field and what to put there. Pure.
import { buildDependencyGraph } from './dependencyGraph.ts';
import { KRX_HOURS, type SessionHours } from './marketHours.ts';
import {
  POSITIVE_MS,
  checkKeys,
  components,
  fail,
  isObj,
  limits,
  num,
  section,
  session,
  transitAllowance,
} from './configFields.ts';

export type ComponentKind = 'process' | 'infrastructure';

export interface ComponentSpec {
  id: string;
  hardDeps: string[];
  softDeps: string[];
  /** Processes are judged by heartbeats, infrastructure by probes. Default: by id (see componentKind). */
  kind?: ComponentKind;
  /** Whether the supervisor may restart it through ProcessControl. Default: processes only. */
  restartable?: boolean;
}

export interface RestartPolicy {
  maxRestarts: number;
  windowMs: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** Relative spread of each back-off delay: 0.2 means +-20 %. */
  jitter: number;
}

export interface TgConfig {
  heartbeatIntervalMs: number;
  /** Hard ceiling of the failure detector. */
  heartbeatTimeoutMs: number;
  /**
   * Silence allowed before the first beat of a process that is starting (or when the supervisor
   * starts); default heartbeatTimeoutMs. Live processes need seconds to load and connect.
   */
  startTimeoutMs?: number;
  phiThreshold: number;
  phiMinStdDevMs: number;
  acceptableHeartbeatPauseMs: number;
  /** Live subscriptions, market open, no ticks: degraded after half of it, down after all of it. */
  stallTimeoutMs: number;
  restart: RestartPolicy;
  components: ComponentSpec[];
  gatekeeper: {
    safety: number;
    slowCallMs: number;
    probeIntervalMs: number;
    limits: Record<string, { ratePerSec: number; burst: number }>;
    /**
     * Live only: grants are spaced so that `limit + 1` of them span 1000 ms plus this, because the
     * broker counts arrivals and a granted request can arrive late (runtime/gatekeeper/
     * transitAllowance.ts; live default 100 ms). The simulator's broker counts at the grant: unset.
     */
    transitAllowanceMs?: number;
  };
  recovery: { agingMs: number; concurrency: number; boundaryMinutes: number };
  /** Exchange session hours for stall detection; `always: true` for `--market-open always`. */
  session?: SessionHours;
}

/** Ids that are infrastructure (probed, never restarted) unless a spec says otherwise. */
export const INFRASTRUCTURE_IDS: readonly string[] = [
  'redis-main',
  'redis-gatekeeper',
  'timescaledb',
  'broker-rest',
  'broker-ws',
];

export const COLLECTOR_PREFIX = 'collector:';

export function isCollectorId(id: string): boolean {
  return id.startsWith(COLLECTOR_PREFIX);
}

export function componentKind(spec: ComponentSpec): ComponentKind {
  return spec.kind ?? (INFRASTRUCTURE_IDS.includes(spec.id) ? 'infrastructure' : 'process');
}

export function isRestartable(spec: ComponentSpec): boolean {
  return spec.restartable ?? componentKind(spec) === 'process';
}

export function defaultComponents(): ComponentSpec[] {
  return [
    { id: 'redis-main', hardDeps: [], softDeps: [] },
    { id: 'redis-gatekeeper', hardDeps: [], softDeps: [] },
    { id: 'timescaledb', hardDeps: [], softDeps: [] },
    { id: 'broker-rest', hardDeps: [], softDeps: [] },
    { id: 'broker-ws', hardDeps: [], softDeps: [] },
    { id: 'writer', hardDeps: ['redis-main', 'timescaledb'], softDeps: [] },
    { id: 'recovery-worker', hardDeps: ['timescaledb', 'broker-rest'], softDeps: ['redis-gatekeeper'] },
  ];
}

export function defaultConfig(): TgConfig {
  return {
    heartbeatIntervalMs: 1000,
    heartbeatTimeoutMs: 5000,
    phiThreshold: 8,
    phiMinStdDevMs: 100,
    acceptableHeartbeatPauseMs: 500,
    stallTimeoutMs: 30_000,
    restart: { maxRestarts: 5, windowMs: 60_000, backoffBaseMs: 200, backoffMaxMs: 10_000, jitter: 0.2 },
    components: defaultComponents(),
    gatekeeper: {
      safety: 0.8,
      slowCallMs: 100,
      probeIntervalMs: 1000,
      limits: { kis: { ratePerSec: 20, burst: 1 }, kiwoom: { ratePerSec: 5, burst: 1 } },
    },
    recovery: { agingMs: 60_000, concurrency: 4, boundaryMinutes: 2 },
    session: { ...KRX_HOURS },
  };
}

/** 'kis-1' or 'collector:kis-1' -> 'collector:kis-1'. */
export function collectorId(name: string): string {
  return isCollectorId(name) ? name : `${COLLECTOR_PREFIX}${name}`;
}

/** Adds one collector component per name (hard: broker-ws, soft: redis-main); existing ids are kept. */
export function withCollectors(config: TgConfig, names: readonly string[]): TgConfig {
  const known = new Set(config.components.map((c) => c.id));
  const added: ComponentSpec[] = [];
  for (const name of names) {
    const id = collectorId(name);
    if (known.has(id)) continue;
    known.add(id);
    added.push({ id, hardDeps: ['broker-ws'], softDeps: ['redis-main'] });
  }
  return { ...config, components: [...config.components, ...added] };
}

const TOP_KEYS = [
  'heartbeatIntervalMs',
  'heartbeatTimeoutMs',
  'startTimeoutMs',
  'phiThreshold',
  'phiMinStdDevMs',
  'acceptableHeartbeatPauseMs',
  'stallTimeoutMs',
  'restart',
  'components',
  'gatekeeper',
  'recovery',
  'session',
] as const;

/**
 * Merge `input` (a partial config: nested sections merge key by key, `components` replaces the
 * list) over `base` (defaultConfig()) and validate the result, dependency graph included.
 */
export function validateConfig(input: unknown, base: TgConfig = defaultConfig()): TgConfig {
  if (input === undefined || input === null) input = {};
  if (!isObj(input)) fail('(root)', 'an object', input, '{ heartbeatIntervalMs: 1000, ... }');
  checkKeys(input, TOP_KEYS, '');
  const r = section(input, 'restart');
  checkKeys(r, ['maxRestarts', 'windowMs', 'backoffBaseMs', 'backoffMaxMs', 'jitter'], 'restart');
  const g = section(input, 'gatekeeper');
  checkKeys(g, ['safety', 'slowCallMs', 'probeIntervalMs', 'limits', 'transitAllowanceMs'], 'gatekeeper');
  const rc = section(input, 'recovery');
  checkKeys(rc, ['agingMs', 'concurrency', 'boundaryMinutes'], 'recovery');

  const config: TgConfig = {
    heartbeatIntervalMs: num(
      input,
      'heartbeatIntervalMs',
      base.heartbeatIntervalMs,
      'heartbeatIntervalMs',
      POSITIVE_MS,
    ),
    heartbeatTimeoutMs: num(
      input,
      'heartbeatTimeoutMs',
      base.heartbeatTimeoutMs,
      'heartbeatTimeoutMs',
      POSITIVE_MS,
    ),
    phiThreshold: num(input, 'phiThreshold', base.phiThreshold, 'phiThreshold', {
      min: 0,
      inclusive: false,
      max: 300,
      example: 'a positive number, e.g. 8',
    }),
    phiMinStdDevMs: num(input, 'phiMinStdDevMs', base.phiMinStdDevMs, 'phiMinStdDevMs', POSITIVE_MS),
    acceptableHeartbeatPauseMs: num(
      input,
      'acceptableHeartbeatPauseMs',
      base.acceptableHeartbeatPauseMs,
      'acceptableHeartbeatPauseMs',
      { min: 0, inclusive: true, example: 'zero or a positive number of milliseconds, e.g. 500' },
    ),
    stallTimeoutMs: num(input, 'stallTimeoutMs', base.stallTimeoutMs, 'stallTimeoutMs', POSITIVE_MS),
    restart: {
      maxRestarts: num(r, 'maxRestarts', base.restart.maxRestarts, 'restart.maxRestarts', {
        min: 0,
        inclusive: true,
        integer: true,
        example: 'a whole number of restarts, e.g. 5',
      }),
      windowMs: num(r, 'windowMs', base.restart.windowMs, 'restart.windowMs', POSITIVE_MS),
      backoffBaseMs: num(
        r,
        'backoffBaseMs',
        base.restart.backoffBaseMs,
        'restart.backoffBaseMs',
        POSITIVE_MS,
      ),
      backoffMaxMs: num(r, 'backoffMaxMs', base.restart.backoffMaxMs, 'restart.backoffMaxMs', POSITIVE_MS),
      jitter: num(r, 'jitter', base.restart.jitter, 'restart.jitter', {
        min: 0,
        inclusive: true,
        max: 0.99,
        example: 'a fraction between 0 and 0.99, e.g. 0.2',
      }),
    },
    components: components(input.components, base.components),
    gatekeeper: {
      safety: num(g, 'safety', base.gatekeeper.safety, 'gatekeeper.safety', {
        min: 0,
        inclusive: false,
        max: 1,
        example: 'a fraction of the limit, e.g. 0.8',
      }),
      slowCallMs: num(g, 'slowCallMs', base.gatekeeper.slowCallMs, 'gatekeeper.slowCallMs', POSITIVE_MS),
      probeIntervalMs: num(
        g,
        'probeIntervalMs',
        base.gatekeeper.probeIntervalMs,
        'gatekeeper.probeIntervalMs',
        POSITIVE_MS,
      ),
      limits: limits(g.limits, base.gatekeeper.limits),
      ...transitAllowance(g, base.gatekeeper.transitAllowanceMs),
    },
    recovery: {
      agingMs: num(rc, 'agingMs', base.recovery.agingMs, 'recovery.agingMs', POSITIVE_MS),
      concurrency: num(rc, 'concurrency', base.recovery.concurrency, 'recovery.concurrency', {
        min: 1,
        inclusive: true,
        integer: true,
        example: 'a whole number of parallel gap jobs, e.g. 4',
      }),
      boundaryMinutes: num(rc, 'boundaryMinutes', base.recovery.boundaryMinutes, 'recovery.boundaryMinutes', {
        min: 0,
        inclusive: true,
        integer: true,
        example: '2',
      }),
    },
    session: session(input.session, base.session ?? KRX_HOURS),
  };
  const startTimeoutMs =
    input.startTimeoutMs === undefined && base.startTimeoutMs === undefined
      ? undefined
      : num(
          input,
          'startTimeoutMs',
          base.startTimeoutMs ?? config.heartbeatTimeoutMs,
          'startTimeoutMs',
          POSITIVE_MS,
        );
  if (startTimeoutMs !== undefined) config.startTimeoutMs = startTimeoutMs;
  if (config.heartbeatTimeoutMs <= config.heartbeatIntervalMs) {
    fail(
      'heartbeatTimeoutMs',
      `greater than heartbeatIntervalMs (${config.heartbeatIntervalMs})`,
      config.heartbeatTimeoutMs,
      `at least ${config.heartbeatIntervalMs * 3}`,
    );
  }
  if (config.restart.backoffMaxMs < config.restart.backoffBaseMs) {
    fail(
      'restart.backoffMaxMs',
      `at least restart.backoffBaseMs (${config.restart.backoffBaseMs})`,
      config.restart.backoffMaxMs,
      String(config.restart.backoffBaseMs * 50),
    );
  }
  buildDependencyGraph(config.components);
  return config;
}
