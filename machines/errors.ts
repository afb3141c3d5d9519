// Coded errors: every failure a user can cause or see carries a stable TG_ERR_* code and says what to fix.

export type TgErrorCode =
  | 'TG_ERR_CONFIG'
  | 'TG_ERR_DEP_UNKNOWN'
  | 'TG_ERR_DEP_CYCLE'
  | 'TG_ERR_SCENARIO'
  | 'TG_ERR_BROKER_REJECTED'
  | 'TG_ERR_BROKER_FRAME'
  | 'TG_ERR_BROKER_HTTP'
  | 'TG_ERR_BROKER_DOWN'
  | 'TG_ERR_DEP_DOWN'
  | 'TG_ERR_TIMEOUT'
  | 'TG_ERR_RATE_LIMITED'
  | 'TG_ERR_STORE'
  | 'TG_ERR_USAGE'
  | 'TG_ERR_INTERNAL';

export class TgError extends Error {
  readonly code: TgErrorCode;
  readonly details: Record<string, unknown>;

  constructor(code: TgErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(`${code}: ${message}`);
    this.name = 'TgError';
    this.code = code;
    this.details = details;
  }
}

export function isTgError(e: unknown, code?: TgErrorCode): e is TgError {
  return e instanceof TgError && (code === undefined || e.code === code);
}
