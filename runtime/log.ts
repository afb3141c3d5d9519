// Structured logging for live processes: one JSON line per record on stderr. Anything that looks
// like a secret (app keys, secrets, tokens, passwords in URLs) is redacted before it is written.

export interface Logger {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

const SECRET_FIELD = /(secret|token|appkey|app_key|password|approval|authorization)/i;

/** Replace the password part of URLs (redis://:pw@host, postgres://user:pw@host). */
export function redactUrl(text: string): string {
  return text.replace(/(\w+:\/\/)([^:/@\s]*):([^@/\s]+)@/g, '$1$2:***@');
}

/** Values whose field name says secret are replaced; strings have URL passwords removed. */
export function redact(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redactUrl(value);
  if (value instanceof Error)
    return { code: (value as { code?: unknown }).code, message: redactUrl(value.message) };
  if (depth > 4 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = SECRET_FIELD.test(k) ? '***' : redact(v, depth + 1);
  return out;
}

export interface LoggerOptions {
  /** Where lines go; stderr by default. */
  write?: (line: string) => void;
  level?: 'info' | 'warn' | 'error' | 'silent';
}

const ORDER = { info: 0, warn: 1, error: 2, silent: 3 } as const;

export function createLogger(base: Record<string, unknown> = {}, options: LoggerOptions = {}): Logger {
  const write = options.write ?? ((line: string) => process.stderr.write(line + '\n'));
  const min = ORDER[options.level ?? (process.env.TG_LOG_LEVEL as keyof typeof ORDER) ?? 'info'] ?? 0;
  const emit = (level: 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => {
    if (ORDER[level] < min) return;
    const record = {
      t: new Date().toISOString(),
      level,
      msg: redactUrl(msg),
      ...(redact({ ...base, ...fields }) as object),
    };
    write(JSON.stringify(record));
  };
  return {
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (fields) => createLogger({ ...base, ...fields }, options),
  };
}

/** A logger that drops everything (tests, embedded use). */
export const silentLogger: Logger = createLogger({}, { level: 'silent' });
