// The typed form of a scenario file (DESIGN section 9): what the parser produces and the world
// wiring consumes. Times are kept both as written ("HH:MM:SS" KST) and as epoch ms of the day.

export const FAULT_KINDS = ['kill', 'hang', 'down', 'slow', 'flap', 'drop'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];
/** Kinds after expansion: a flap becomes alternating `down` intervals. */
export type ConcreteFaultKind = Exclude<FaultKind, 'flap'>;

/** Targets other than collectors (DESIGN section 9). */
export const FIXED_TARGETS = [
  'writer',
  'recovery-worker',
  'supervisor',
  'redis-main',
  'redis-gatekeeper',
  'timescaledb',
  'broker-rest',
  'broker-ws',
] as const;
/** 'collector:kis-1', or one of FIXED_TARGETS. */
export type FaultTarget = string;

export interface Repeat {
  everyMs: number;
  forMs: number;
}

/** One entry of `faults:` as written (validated). */
export interface FaultSpec {
  /** Position in the file's `faults` list. */
  index: number;
  /** 1-based line of the entry in the file. */
  line: number;
  at: string;
  atMs: number;
  kind: FaultKind;
  target: FaultTarget;
  /** hang, down, slow, flap, drop: how long the fault lasts. */
  forMs?: number;
  /** slow: added latency. */
  byMs?: number;
  /** flap: length of each down (and each up) phase. */
  everyMs?: number;
  /** drop: fraction of messages lost. */
  ratio?: number;
  repeat?: Repeat;
}

/** A fault interval on the timeline, after `repeat` and `flap` expansion. */
export interface ConcreteFault {
  at: number;
  /** Absent for `kill` (instantaneous). */
  until?: number;
  kind: ConcreteFaultKind;
  target: FaultTarget;
  params: { byMs?: number; ratio?: number };
  /** The `faults` entry it came from. */
  source: number;
}

/**
 * An expectation on a report metric. A bare number in the file means a lower bound for
 * `completeness` and an upper bound for everything else (latencies, counts).
 */
export interface Expectation {
  /** Dotted metric path: 'completeness', 'detectionLatencyMs.p99', 'restarts.writer.supervisor'. */
  metric: string;
  min?: number;
  max?: number;
  /** timeToFullRecoveryMs only: actual <= ratio * timeToFullRecoveryLowerBoundMs + slackMs. */
  maxRatioToLowerBound?: number;
  slackMs?: number;
  /** 1-based line in the file, for messages. */
  line?: number;
}

export interface MarketSpec {
  /** `{ count }` for the n busiest symbols, `{ list }` for named codes. */
  symbols: { count: number } | { list: string[] };
  /** 'HH:MM:SS' KST, as normalised from the file. */
  from: string;
  to: string;
  /** 'YYYY-MM-DD'. */
  date: string;
  fromMs: number;
  toMs: number;
}

export interface CollectorsSpec {
  kis: number;
  kiwoom: number;
  redundancy: number;
  /** 'kis-1', ..., 'kiwoom-1', ... (targets are `collector:${name}`). */
  names: string[];
}

export interface BrokerSpec {
  rateLimitPerSec: number;
  barsPerRequest: number;
  reject: 'kis' | 'http429';
  sanctions?: { banAfterRejections: number; banForMs: number };
}

export interface Scenario {
  name: string;
  seed: number;
  /** The file it came from (for messages), if any. */
  file?: string;
  market: MarketSpec;
  collectors: CollectorsSpec;
  broker: BrokerSpec;
  /** Overrides of the tickguard config (validated by the world wiring with validateConfig). */
  config: Record<string, unknown>;
  faults: FaultSpec[];
  expect: Expectation[];
}
