// Maps whatever ioredis throws to tickguard's coded errors: connection trouble and a server that
// cannot serve (loading, out of memory, read-only replica) are TG_ERR_DEP_DOWN, silence is
// TG_ERR_TIMEOUT, anything else (unexpected replies, our bugs) TG_ERR_INTERNAL. Messages never
// include the URL (it may hold a password).
import { TgError, isTgError } from '../../machines/errors.ts';

/** Server replies meaning "this server cannot serve you now": callers fall back as if it were down. */
const UNAVAILABLE_REPLIES = [
  'LOADING',
  'BUSY',
  'MASTERDOWN',
  'READONLY',
  'OOM',
  'TRYAGAIN',
  'NOAUTH',
  'WRONGPASS',
];

export function replyCode(error: unknown): string | undefined {
  if (!(error instanceof Error) || error.name !== 'ReplyError') return undefined;
  const code = error.message.split(' ', 1)[0];
  // A MULTI refused because a queued command was (e.g. OOM): the cause is that command's error.
  const previous = (error as { previousErrors?: unknown[] }).previousErrors;
  if (code === 'EXECABORT' && Array.isArray(previous) && previous.length > 0) {
    return replyCode(previous[0]) ?? code;
  }
  return code;
}

export function toTgError(error: unknown, dependency: string, op: string, timeoutMs: number): TgError {
  if (isTgError(error)) return error;
  const e = error instanceof Error ? error : new Error(String(error));
  if (e.message === 'Command timed out') {
    return new TgError('TG_ERR_TIMEOUT', `${dependency} did not answer within ${timeoutMs} ms (${op})`, {
      dependency,
      op,
      timeoutMs,
    });
  }
  const reply = replyCode(e);
  const cause = reply ?? String((e as { code?: unknown }).code ?? e.name);
  if ((reply !== undefined && UNAVAILABLE_REPLIES.includes(reply)) || isConnectionTrouble(e)) {
    return new TgError('TG_ERR_DEP_DOWN', `${dependency} is unavailable (${op}: ${cause})`, {
      dependency,
      op,
      cause,
    });
  }
  // A reply error we did not expect, or a bug of ours: retrying would not help, so not DEP_DOWN.
  return new TgError('TG_ERR_INTERNAL', `${dependency} ${op} failed: ${e.message.slice(0, 200)}`, {
    dependency,
    op,
    cause,
  });
}

const SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/** ioredis' ways of saying the socket is gone or not yet there (we run without an offline queue). */
function isConnectionTrouble(e: Error): boolean {
  const code = (e as { code?: unknown }).code;
  return (
    e.name === 'MaxRetriesPerRequestError' ||
    (typeof code === 'string' && SOCKET_CODES.has(code)) ||
    /^(Stream isn't writeable|Connection is closed|connect ETIMEDOUT|Socket timeout)/.test(e.message)
  );
}
