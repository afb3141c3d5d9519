// Typed readers over a parsed config value that know their origin (file path or env var): each
// read either returns the value or throws TG_ERR_CONFIG naming the origin, what was expected and
// how to fix it. Unknown keys are errors, so a typo never falls back to a default.
import type { TgError } from '../../machines/errors.ts';
import { ConfigSource, configError, describeValue, type Origin } from './source.ts';

export class Reader {
  readonly origin: Origin;
  readonly value: unknown;

  constructor(origin: Origin, value: unknown) {
    this.origin = origin;
    this.value = value;
  }

  static root(source: ConfigSource): Reader {
    return new Reader({ kind: 'file', source, path: '' }, source.value);
  }

  static env(name: string, value: string | undefined): Reader {
    return new Reader({ kind: 'env', name }, value);
  }

  get path(): string {
    return this.origin.kind === 'file' ? this.origin.path : this.origin.name;
  }

  present(): boolean {
    return this.value !== undefined && this.value !== null && this.value !== '';
  }

  error(message: string, fix?: string): TgError {
    return configError(this.origin, message, fix);
  }

  expected(what: string, fix: string): never {
    throw this.error(`must be ${what} (got ${describeValue(this.value)})`, fix);
  }

  /** A child of a map reader (only meaningful for file origins). */
  get(key: string): Reader {
    const map = isRecord(this.value) ? this.value : {};
    if (this.origin.kind === 'env') return new Reader(this.origin, undefined);
    const path = this.origin.path ? `${this.origin.path}.${key}` : key;
    return new Reader({ ...this.origin, path }, map[key]);
  }

  /** Check the keys of a map; absent (undefined) counts as an empty map. */
  map(allowed: readonly string[], example: string): Reader {
    if (this.value === undefined || this.value === null) return new Reader(this.origin, {});
    if (!isRecord(this.value)) this.expected('a map', example);
    for (const key of Object.keys(this.value)) {
      if (!allowed.includes(key)) {
        throw this.get(key).error(`is not a known key`, `remove it or use one of ${allowed.join(', ')}`);
      }
    }
    return this;
  }

  keys(): string[] {
    return isRecord(this.value) ? Object.keys(this.value) : [];
  }

  list(example: string): Reader[] {
    if (this.value === undefined || this.value === null) return [];
    if (!Array.isArray(this.value)) this.expected('a list', example);
    const origin = this.origin;
    return this.value.map((item, i) =>
      origin.kind === 'file'
        ? new Reader({ ...origin, path: `${origin.path}[${i}]` }, item)
        : new Reader(origin, item),
    );
  }

  /** A string as written (numbers keep their source text, so 005930 stays 005930). */
  text(): string | undefined {
    if (!this.present()) return undefined;
    if (typeof this.value === 'string') return this.value;
    if (typeof this.value === 'number' && this.origin.kind === 'file') {
      return this.origin.source.sourceOf(this.origin.path) ?? String(this.value);
    }
    return undefined;
  }

  string(what: string, fix: string): string | undefined {
    if (!this.present()) return undefined;
    if (typeof this.value !== 'string') this.expected(what, fix);
    return this.value as string;
  }

  oneOf<T extends string>(choices: readonly T[]): T | undefined {
    if (!this.present()) return undefined;
    if (typeof this.value !== 'string' || !choices.includes(this.value as T)) {
      this.expected(`one of ${choices.join(', ')}`, choices[0]);
    }
    return this.value as T;
  }

  /** A number; from the environment the text is parsed (and must be a plain decimal). */
  number(rule: { min: number; inclusive?: boolean; integer?: boolean; example: string }): number | undefined {
    if (!this.present()) return undefined;
    let v: unknown = this.value;
    if (typeof v === 'string' && this.origin.kind === 'env' && /^\s*[0-9]+(\.[0-9]+)?\s*$/.test(v))
      v = Number(v);
    const ok =
      typeof v === 'number' &&
      Number.isFinite(v) &&
      (rule.inclusive ? v >= rule.min : v > rule.min) &&
      (!rule.integer || Number.isInteger(v));
    if (!ok) {
      const kind = rule.integer ? 'a whole number' : 'a number';
      this.expected(`${kind} ${rule.inclusive ? '>=' : '>'} ${rule.min}`, rule.example);
    }
    return v as number;
  }

  /** A URL with one of the schemes; the text is never echoed (URLs carry passwords). */
  url(schemes: readonly string[], example: string): string | undefined {
    const text = this.string(`a URL (${schemes.join(', ')})`, example);
    if (text === undefined) return undefined;
    let parsed: URL | undefined;
    try {
      parsed = new URL(text);
    } catch {
      parsed = undefined;
    }
    if (!parsed || !schemes.includes(parsed.protocol.replace(/:$/, ''))) {
      throw this.error(`must be a URL starting with ${schemes.map((s) => `${s}://`).join(' or ')}`, example);
    }
    return text;
  }
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The environment value when set (non-empty), else the file's. */
export function pick(file: Reader, env: Record<string, string | undefined>, name: string): Reader {
  const value = env[name];
  return value !== undefined && value !== '' ? Reader.env(name, value) : file;
}
