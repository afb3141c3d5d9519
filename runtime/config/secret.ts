// Secrets (broker app keys and secrets) from an environment variable, a file (Docker secrets) or,
// for the emulator and demos only, the config file itself. A Secret never prints itself: String(),
// JSON and util.inspect all give '***', and only reveal() hands the value to the broker client.
import { readFileSync } from 'node:fs';
import { inspect } from 'node:util';
import { Reader, isRecord } from './readers.ts';

export class Secret {
  /** 'env KIS_APP_KEY', 'file /run/secrets/kis_app_key', 'config x.yaml:12', or 'unset'. */
  readonly from: string;
  readonly #value: string | undefined;

  constructor(value: string | undefined, from: string) {
    this.#value = value;
    this.from = from;
  }

  get isSet(): boolean {
    return this.#value !== undefined && this.#value !== '';
  }

  /** The value itself, for the broker client only. Never log it. */
  reveal(): string {
    return this.#value ?? '';
  }

  toString(): string {
    return '***';
  }

  toJSON(): string {
    return this.isSet ? '***' : '(unset)';
  }

  [inspect.custom](): string {
    return `Secret(${this.from})`;
  }
}

export const SECRET_FORMS = 'a string, { env: VAR_NAME } or { file: /path/to/secret }';

/**
 * Resolve a secret field: the override variable wins when set, then the field (`"value"`,
 * `{ env: NAME }`, `{ file: PATH }`), else unset. A file that cannot be read is a config error.
 */
export function readSecret(
  field: Reader,
  env: Record<string, string | undefined>,
  overrideVar: string | undefined,
): Secret {
  if (overrideVar !== undefined && env[overrideVar])
    return new Secret(env[overrideVar], `env ${overrideVar}`);
  if (!field.present()) return new Secret(undefined, 'unset');
  if (typeof field.value === 'string' || typeof field.value === 'number') {
    return new Secret(
      field.text(),
      field.origin.kind === 'file' ? field.origin.source.where(field.path) : 'config',
    );
  }
  if (!isRecord(field.value)) field.expected(SECRET_FORMS, `{ env: ${overrideVar ?? 'MY_SECRET'} }`);
  const ref = field.map(['env', 'file'], `{ env: ${overrideVar ?? 'MY_SECRET'} }`);
  const name = ref.get('env').string('an environment variable name', 'KIS_APP_KEY');
  const file = ref.get('file').string('a file path', '/run/secrets/kis_app_key');
  if ((name === undefined) === (file === undefined)) {
    throw field.error('must name exactly one of env or file', `{ env: ${overrideVar ?? 'MY_SECRET'} }`);
  }
  if (name !== undefined) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      throw ref.get('env').error('must be an environment variable name', 'KIS_APP_KEY');
    }
    return new Secret(env[name] || undefined, `env ${name}`);
  }
  try {
    return new Secret(readFileSync(file!, 'utf8').replace(/\r?\n$/, ''), `file ${file}`);
  } catch (e) {
    const code = (e as { code?: string }).code ?? 'unreadable';
    throw ref.get('file').error(`cannot be read (${code}: ${file})`, 'point it at a readable file');
  }
}
