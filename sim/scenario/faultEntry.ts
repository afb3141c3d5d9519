// One `faults:` entry: `{ at, <kind>: <target>, for?, by?, every?, ratio?, repeat? }`, checked
// against DESIGN section 9 (kinds, targets, required parameters) and the market window.
import { FAULT_KINDS, FIXED_TARGETS, type FaultKind, type FaultSpec, type MarketSpec } from './types.ts';
import { formatDuration } from './units.ts';
import { clockField, durationField } from './fields.ts';
import type { Field, MapReader } from './yamlReader.ts';

/** Parameters each kind takes (besides `at`, the kind key and `repeat`); `for` is required when listed. */
const PARAMS: Record<FaultKind, string[]> = {
  kill: [],
  hang: ['for'],
  down: ['for'],
  slow: ['by', 'for'],
  flap: ['every', 'for'],
  drop: ['ratio', 'for'],
};

/** Targets a kind may hit when it cannot hit every target. */
const ONLY: Partial<Record<FaultKind, string[]>> = {
  slow: ['redis-main', 'redis-gatekeeper', 'timescaledb', 'broker-rest'],
  drop: ['broker-ws'],
};

export interface FaultContext {
  market: MarketSpec;
  /** 'collector:kis-1', ... as implied by the collectors block. */
  collectors: Set<string>;
}

export function parseFault(field: Field, index: number, ctx: FaultContext): FaultSpec {
  const allKeys = ['at', ...FAULT_KINDS, 'for', 'by', 'every', 'ratio', 'repeat'];
  const f: MapReader = field.map('a fault map such as { at: "09:10:00", kill: collector:kis-1 }', allKeys);
  const kinds = FAULT_KINDS.filter((k) => f.keys().includes(k));
  if (kinds.length !== 1) {
    field.error(
      kinds.length === 0
        ? `expected one fault kind (${FAULT_KINDS.join(', ')}) naming a target`
        : `expected exactly one fault kind, got ${kinds.join(' and ')}`,
    );
  }
  const kind = kinds[0];
  for (const key of ['for', 'by', 'every', 'ratio']) {
    if (f.keys().includes(key) && !PARAMS[kind].includes(key)) {
      f.keyField(key)!.error(
        `"${key}" does not apply to ${kind} (it takes: ${PARAMS[kind].join(', ') || 'no parameters'})`,
      );
    }
  }
  const target = parseTarget(f.get(kind), kind, ctx);
  const atField = f.get('at');
  const at = clockField(atField);
  const atMs = ctx.market.fromMs + (at.secondsOfDay - secondsOf(ctx.market.from)) * 1000;
  if (atMs < ctx.market.fromMs || atMs >= ctx.market.toMs) {
    atField.error(`${at.hhmmss} is outside the market window ${ctx.market.from}-${ctx.market.to}`);
  }
  const spec: FaultSpec = { index, line: field.line(), at: at.hhmmss, atMs, kind, target };
  if (PARAMS[kind].includes('for')) spec.forMs = durationField(f.get('for'));
  if (kind === 'slow') spec.byMs = durationField(f.get('by'));
  if (kind === 'flap') {
    spec.everyMs = durationField(f.get('every'));
    if (spec.everyMs >= spec.forMs!)
      f.get('every').error(`must be shorter than for (${formatDuration(spec.forMs!)})`);
  }
  if (kind === 'drop') {
    const ratio = f.get('ratio').number('a ratio in (0, 1]');
    if (!(ratio > 0 && ratio <= 1)) f.get('ratio').expected('a ratio in (0, 1]');
    spec.ratio = ratio;
  }
  const lastEnd = (start: number) => start + (spec.forMs ?? 0);
  if (f.has('repeat')) {
    const r = f.get('repeat').map('a map { every, for }', ['every', 'for']);
    spec.repeat = { everyMs: durationField(r.get('every')), forMs: durationField(r.get('for')) };
    if (spec.forMs !== undefined && spec.repeat.everyMs <= spec.forMs) {
      r.get('every').error(
        `must be longer than the fault's own for (${formatDuration(spec.forMs)}) so repeats do not overlap`,
      );
    }
    const lastStart = atMs + Math.ceil(spec.repeat.forMs / spec.repeat.everyMs - 1) * spec.repeat.everyMs;
    if (lastEnd(lastStart) > ctx.market.toMs) {
      r.get('for').error(`the last repeat would end after market.to ${ctx.market.to}`);
    }
  } else if (lastEnd(atMs) > ctx.market.toMs) {
    f.get('for').error(`the fault would end after market.to ${ctx.market.to}`);
  }
  return spec;
}

function parseTarget(field: Field, kind: FaultKind, ctx: FaultContext): string {
  const target = field.string('a target such as collector:kis-1 or redis-main');
  if (target.startsWith('collector:')) {
    if (!ctx.collectors.has(target)) {
      const known = [...ctx.collectors].join(', ');
      field.error(`unknown collector "${target}" (the collectors block defines: ${known})`);
    }
  } else if (!(FIXED_TARGETS as readonly string[]).includes(target)) {
    field.error(`unknown target "${target}" (expected collector:NAME, ${FIXED_TARGETS.join(', ')})`);
  }
  const only = ONLY[kind];
  if (only && !only.includes(target)) field.error(`${kind} applies to ${only.join(', ')}, not ${target}`);
  return target;
}

function secondsOf(hhmmss: string): number {
  const [h, m, s] = hhmmss.split(':').map(Number);
  return h * 3600 + m * 60 + s;
}
