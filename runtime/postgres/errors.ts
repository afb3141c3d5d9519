// Maps what pg throws to coded TgErrors: an unreachable or restarting server is TG_ERR_DEP_DOWN
// (retry later), a statement past its deadline TG_ERR_TIMEOUT, anything else TG_ERR_STORE with its
// SQLSTATE. Messages never carry the connection URL (it may hold a password).
import { TgError } from '../../machines/errors.ts';
import { redactUrl } from '../log.ts';

export const DEPENDENCY = 'timescaledb';

/** Socket-level failures: the server is gone, restarting, or the network dropped us. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
]);

/** SQLSTATEs that mean "this server cannot serve you right now" rather than "your statement failed". */
const UNAVAILABLE_SQLSTATES = new Set([
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up, recovering)
  '53300', // too_many_connections
]);

/** Messages pg produces without a code when the connection dies or cannot be made. */
const CONNECTION_MESSAGES = [
  /connection terminated/i,
  /timeout exceeded when trying to connect/i,
  /not queryable/i,
  /connection (?:is )?closed/i,
  /server closed the connection/i,
];

/** Deadlock or serialization failure: the whole transaction may simply be run again. */
export function isRetryableConflict(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '40P01' || code === '40001';
}

export interface ErrorContext {
  /** The store operation, e.g. 'store.writeTicks'. */
  op: string;
  /** Our own watchdog cut the connection: whatever pg reports, the call timed out. */
  timedOutAfterMs?: number;
}

export function toStoreError(error: unknown, ctx: ErrorContext): TgError {
  if (error instanceof TgError) return error;
  const e = (error ?? {}) as { code?: unknown; message?: unknown };
  const code = typeof e.code === 'string' ? e.code : undefined;
  const message = redactUrl(typeof e.message === 'string' ? e.message : String(error));
  if (ctx.timedOutAfterMs !== undefined) {
    return new TgError(
      'TG_ERR_TIMEOUT',
      `${DEPENDENCY} did not answer within ${ctx.timedOutAfterMs} ms (${ctx.op})`,
      {
        dependency: DEPENDENCY,
        op: ctx.op,
        timeoutMs: ctx.timedOutAfterMs,
      },
    );
  }
  if (code === '57014' || code === '55P03') {
    return new TgError(
      'TG_ERR_TIMEOUT',
      `${ctx.op}: statement timed out on ${DEPENDENCY} (SQLSTATE ${code})`,
      {
        dependency: DEPENDENCY,
        op: ctx.op,
        sqlstate: code,
      },
    );
  }
  const unavailable =
    (code !== undefined &&
      (NETWORK_CODES.has(code) || UNAVAILABLE_SQLSTATES.has(code) || code.startsWith('08'))) ||
    (code === undefined && CONNECTION_MESSAGES.some((re) => re.test(message)));
  if (unavailable) {
    return new TgError(
      'TG_ERR_DEP_DOWN',
      `${DEPENDENCY} is unreachable (${ctx.op}): ${message}; is it running?`,
      {
        dependency: DEPENDENCY,
        op: ctx.op,
        ...(code ? { cause: code } : {}),
      },
    );
  }
  return new TgError('TG_ERR_STORE', `${ctx.op} failed: ${message}${code ? ` (SQLSTATE ${code})` : ''}`, {
    dependency: DEPENDENCY,
    op: ctx.op,
    ...(code ? { sqlstate: code } : {}),
  });
}
