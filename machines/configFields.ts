// Building blocks of config validation (used by validateConfig in config.ts): typed field readers
// that throw TG_ERR_CONFIG naming the field, the expected value and an example fix. Pure.
import type { ComponentKind, ComponentSpec, TgConfig } from './config.ts';
import { TgError } from './errors.ts';
import type { SessionHours } from './marketHours.ts';

export type Obj = Record<string, unknown>;

export function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Never echo strings (a misplaced secret must not reach an error message); numbers are safe. */
export function shown(v: unknown): string {
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return `a ${typeof v}`;
}

export function fail(field: string, want: string, got: unknown, example: string): never {
  throw new TgError(
    'TG_ERR_CONFIG',
    `config.${field} must be ${want} (got ${shown(got)}); fix: set it to ${example}`,
    { field },
  );
}

export function checkKeys(o: Obj, allowed: readonly string[], where: string): void {
  for (const key of Object.keys(o)) {
    if (!allowed.includes(key)) {
      throw new TgError(
        'TG_ERR_CONFIG',
        `config${where ? `.${where}` : ''} has an unknown key "${key}"; fix: remove it or use one of ${allowed.join(', ')}`,
        { field: where ? `${where}.${key}` : key },
      );
    }
  }
}

export interface NumRule {
  min: number;
  /** Whether `min` itself is allowed. */
  inclusive: boolean;
  max?: number;
  integer?: boolean;
  example: string;
}

export const POSITIVE_MS: NumRule = {
  min: 0,
  inclusive: false,
  example: 'a positive number of milliseconds',
};

export function num(o: Obj, key: string, fallback: number, field: string, rule: NumRule): number {
  const v = o[key];
  if (v === undefined) return fallback;
  const ok =
    typeof v === 'number' &&
    Number.isFinite(v) &&
    (rule.inclusive ? v >= rule.min : v > rule.min) &&
    (rule.max === undefined || v <= rule.max) &&
    (!rule.integer || Number.isInteger(v));
  if (!ok) {
    const range =
      `${rule.integer ? 'an integer' : 'a number'} ${rule.inclusive ? '>=' : '>'} ${rule.min}` +
      (rule.max !== undefined ? ` and <= ${rule.max}` : '');
    fail(field, range, v, rule.example);
  }
  return v as number;
}

export function section(input: Obj, key: string): Obj {
  const v = input[key];
  if (v === undefined) return {};
  if (!isObj(v)) fail(key, 'an object', v, `{ ... } (see docs/INTERNALS.md)`);
  return v as Obj;
}

export function stringList(v: unknown, field: string): string[] {
  if (v === undefined) return [];
  if (!Array.isArray(v) || v.some((d) => typeof d !== 'string' || d.length === 0)) {
    fail(field, 'a list of component ids', v, `e.g. ["redis-main"]`);
  }
  return [...(v as string[])];
}

export function components(v: unknown, fallback: ComponentSpec[]): ComponentSpec[] {
  if (v === undefined) return fallback;
  if (!Array.isArray(v)) fail('components', 'a list of { id, hardDeps, softDeps }', v, 'a list');
  return (v as unknown[]).map((c, i) => {
    const field = `components[${i}]`;
    if (!isObj(c)) fail(field, 'an object { id, hardDeps, softDeps }', c, '{ id: "writer", hardDeps: [] }');
    checkKeys(c, ['id', 'hardDeps', 'softDeps', 'kind', 'restartable'], field);
    if (typeof c.id !== 'string' || c.id.length === 0)
      fail(`${field}.id`, 'a non-empty string', c.id, '"writer"');
    const spec: ComponentSpec = {
      id: c.id as string,
      hardDeps: stringList(c.hardDeps, `${field}.hardDeps`),
      softDeps: stringList(c.softDeps, `${field}.softDeps`),
    };
    if (c.kind !== undefined) {
      if (c.kind !== 'process' && c.kind !== 'infrastructure') {
        fail(`${field}.kind`, '"process" or "infrastructure"', c.kind, '"process"');
      }
      spec.kind = c.kind as ComponentKind;
    }
    if (c.restartable !== undefined) {
      if (typeof c.restartable !== 'boolean')
        fail(`${field}.restartable`, 'true or false', c.restartable, 'true');
      spec.restartable = c.restartable as boolean;
    }
    return spec;
  });
}

export function limits(
  v: unknown,
  fallback: TgConfig['gatekeeper']['limits'],
): TgConfig['gatekeeper']['limits'] {
  if (v === undefined) return { ...fallback };
  if (!isObj(v))
    fail(
      'gatekeeper.limits',
      'an object { broker: { ratePerSec, burst } }',
      v,
      '{ kis: { ratePerSec: 20 } }',
    );
  const out = { ...fallback };
  for (const [broker, limit] of Object.entries(v)) {
    const field = `gatekeeper.limits.${broker}`;
    if (!isObj(limit)) fail(field, 'an object { ratePerSec, burst }', limit, '{ ratePerSec: 20, burst: 1 }');
    checkKeys(limit, ['ratePerSec', 'burst'], field);
    const base = fallback[broker] ?? { ratePerSec: 1, burst: 1 };
    out[broker] = {
      ratePerSec: num(limit, 'ratePerSec', base.ratePerSec, `${field}.ratePerSec`, {
        min: 0,
        inclusive: false,
        example: 'the broker limit in requests per second, e.g. 20',
      }),
      burst: num(limit, 'burst', base.burst, `${field}.burst`, { min: 1, inclusive: true, example: '1' }),
    };
  }
  return out;
}

/** `gatekeeper.transitAllowanceMs` when given (or inherited), as a spread: absent stays absent. */
export function transitAllowance(g: Obj, fallback: number | undefined): { transitAllowanceMs?: number } {
  if (g.transitAllowanceMs === undefined && fallback === undefined) return {};
  return {
    transitAllowanceMs: num(g, 'transitAllowanceMs', fallback ?? 0, 'gatekeeper.transitAllowanceMs', {
      min: 0,
      inclusive: true,
      example: 'milliseconds of grant-to-arrival jitter to allow for, e.g. 100 (0 = exact spacing)',
    }),
  };
}

export function session(v: unknown, fallback: SessionHours): SessionHours {
  if (v === undefined) return { ...fallback };
  if (!isObj(v))
    fail('session', 'an object { openMin, continuousEndMin, closeMin, always? }', v, '{ always: true }');
  checkKeys(v, ['openMin', 'continuousEndMin', 'closeMin', 'always'], 'session');
  const minute: NumRule = {
    min: 0,
    inclusive: true,
    max: 1440,
    example: 'minutes after KST midnight, e.g. 540',
  };
  const out: SessionHours = {
    openMin: num(v, 'openMin', fallback.openMin, 'session.openMin', minute),
    continuousEndMin: num(
      v,
      'continuousEndMin',
      fallback.continuousEndMin,
      'session.continuousEndMin',
      minute,
    ),
    closeMin: num(v, 'closeMin', fallback.closeMin, 'session.closeMin', minute),
  };
  if (v.always !== undefined) {
    if (typeof v.always !== 'boolean') fail('session.always', 'true or false', v.always, 'true');
    out.always = v.always as boolean;
  } else if (fallback.always !== undefined) out.always = fallback.always;
  if (out.closeMin <= out.openMin)
    fail('session.closeMin', `greater than session.openMin (${out.openMin})`, out.closeMin, '930');
  return out;
}
