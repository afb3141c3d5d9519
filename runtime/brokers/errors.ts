// Broker failures as data: the DecodeError every KIS/Kiwoom decoder returns instead of throwing, and
// classifyBrokerResponse, which sorts an HTTP status + body into ok / rate-limited / auth / ... with a
// coded TgError whose text never carries app secrets, tokens or approval keys.
import { TgError, type TgErrorCode } from '../../machines/errors.ts';
import type { BrokerName } from '../../machines/types.ts';

/** Stable categories for counters; `reason` is the human text. */
export type DecodeErrorKind =
  | 'empty'
  | 'html'
  | 'bad-json'
  | 'shape'
  | 'truncated'
  | 'field-count'
  | 'record-count'
  | 'bad-field'
  | 'encrypted'
  | 'unknown-tr'
  | 'broker-error';

export interface DecodeError {
  /** TG_ERR_BROKER_FRAME for malformed input; a REST body carrying a broker error keeps its class's code. */
  code: TgErrorCode;
  kind: DecodeErrorKind;
  reason: string;
}

export type Decoded<T> = { ok: true; value: T } | { ok: false; error: DecodeError };

export function frameError(kind: DecodeErrorKind, reason: string): DecodeError {
  return { code: 'TG_ERR_BROKER_FRAME', kind, reason };
}

export function fail<T>(kind: DecodeErrorKind, reason: string): Decoded<T> {
  return { ok: false, error: frameError(kind, reason) };
}

export function toTgError(e: DecodeError, details: Record<string, unknown> = {}): TgError {
  return new TgError(e.code, e.reason, { kind: e.kind, ...details });
}

export function looksLikeHtml(text: string): boolean {
  const head = text.trimStart().slice(0, 512).toLowerCase();
  return head.startsWith('<') || head.includes('<html') || head.includes('<!doctype');
}

/**
 * Parses a JSON object body. Every way it can go wrong (empty, HTML error page, truncated JSON, a
 * non-object) is a coded error, so callers never wrap JSON.parse in try/catch themselves.
 */
export function parseJsonObject(text: unknown, what: string): Decoded<Record<string, unknown>> {
  if (typeof text !== 'string' || text.trim() === '') return fail('empty', `${what}: empty message`);
  if (looksLikeHtml(text)) return fail('html', `${what}: HTML page instead of JSON`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return fail('bad-json', `${what}: not valid JSON (${text.length} chars, truncated or garbled)`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return fail('shape', `${what}: expected a JSON object`);
  }
  return { ok: true, value: value as Record<string, unknown> };
}

/** `v` as a plain object, or undefined (null, arrays and primitives are not). */
export function asObject(v: unknown): Record<string, unknown> | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v)
    ? (v as Record<string, unknown>)
    : undefined;
}

/** Nested object field, or undefined when absent or not an object. */
export function objectField(
  o: Record<string, unknown> | undefined,
  key: string,
): Record<string, unknown> | undefined {
  return asObject(o?.[key]);
}

/** String field; numbers are accepted and stringified (brokers are not consistent about it). */
export function stringField(o: Record<string, unknown> | undefined, key: string): string | undefined {
  const v = o?.[key];
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return undefined;
}

// Long base64/hex/JWT-like runs and UUIDs: app keys and secrets, tokens, approval keys. Brokers echo
// some of them back (KIS OPSP0011 "invalid approval : <key>"), so broker text is scrubbed too.
const SECRETISH = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[A-Za-z0-9+/_\-.=]{24,}/gi;

/** Broker-provided text made safe for logs and error messages. */
export function redactSecrets(text: string, secrets: readonly string[] = [], maxLength = 200): string {
  let out = text;
  for (const s of secrets) if (s.length >= 4) out = out.split(s).join('[redacted]');
  out = out.replace(SECRETISH, '[redacted]').replace(/\p{Cc}/gu, ' ');
  return out.length > maxLength ? `${out.slice(0, maxLength)}...` : out;
}

// ---- classification of REST responses ----

export type BrokerResponseKind =
  'ok' | 'rate-limited' | 'auth' | 'server-error' | 'html-error-page' | 'bad-json' | 'broker-error';

export type BrokerResponseClass =
  | { kind: 'ok'; status: number; body: Record<string, unknown> }
  | { kind: 'rate-limited'; status: number; retryAfterMs: number; msgCd?: string; error: TgError }
  | {
      kind: 'auth' | 'server-error' | 'html-error-page' | 'bad-json' | 'broker-error';
      status: number;
      msgCd?: string;
      error: TgError;
    };

export interface ClassifyOptions {
  /** The Retry-After header, when the transport has one (seconds). */
  retryAfter?: string | null;
  /** Exact secret values to scrub from any text (app key, secret, token) on top of the pattern. */
  secrets?: readonly string[];
}

/** Both brokers meter per second: one second is the broker's own window. */
export const DEFAULT_RETRY_AFTER_MS = 1000;
/** KIS EGW00133: one token issue per minute. */
export const TOKEN_REISSUE_WAIT_MS = 60_000;

const KIS_RATE_LIMIT = 'EGW00201';
const KIS_AUTH_CODES = new Set(['EGW00123', 'EGW00133']);
const KIWOOM_RATE_LIMIT_TEXT = '허용된 요청 개수를 초과';
const KIWOOM_RATE_LIMIT = '1700';
const KIWOOM_BATCH_TOO_LARGE = '1634';
const KIWOOM_INVALID_TOKEN = '8005';

interface BusinessError {
  kind: 'rate-limited' | 'auth' | 'broker-error' | 'ok' | 'unknown';
  msgCd?: string;
  text?: string;
  retryAfterMs?: number;
}

function kisBusiness(body: Record<string, unknown>): BusinessError {
  const msgCd = stringField(body, 'msg_cd') ?? stringField(body, 'error_code');
  const text = stringField(body, 'msg1') ?? stringField(body, 'error_description');
  const rtCd = stringField(body, 'rt_cd');
  if (msgCd === KIS_RATE_LIMIT || text?.includes('초당 거래건수를 초과')) {
    return { kind: 'rate-limited', msgCd: msgCd ?? KIS_RATE_LIMIT, text };
  }
  if (msgCd && KIS_AUTH_CODES.has(msgCd)) {
    return {
      kind: 'auth',
      msgCd,
      text,
      retryAfterMs: msgCd === 'EGW00133' ? TOKEN_REISSUE_WAIT_MS : undefined,
    };
  }
  if (rtCd !== undefined) return rtCd === '0' ? { kind: 'ok' } : { kind: 'broker-error', msgCd, text };
  return { kind: 'unknown', msgCd, text };
}

/** Kiwoom nests the real code in the message: `...[1700:...]` (REST) or `[CODE=8005, ...]` (WebSocket). */
export function kiwoomInnerCode(message: string | undefined): string | undefined {
  if (!message) return undefined;
  return /\[(\d{3,6}):/.exec(message)?.[1] ?? /CODE=(\d{3,6})/.exec(message)?.[1];
}

function kiwoomBusiness(body: Record<string, unknown>): BusinessError {
  const rc = stringField(body, 'return_code');
  const text = stringField(body, 'return_msg');
  const inner = kiwoomInnerCode(text);
  const msgCd = inner ?? rc;
  if (inner === KIWOOM_INVALID_TOKEN || rc === KIWOOM_INVALID_TOKEN)
    return { kind: 'auth', msgCd: '8005', text };
  if (
    inner !== KIWOOM_BATCH_TOO_LARGE &&
    (inner === KIWOOM_RATE_LIMIT || text?.includes(KIWOOM_RATE_LIMIT_TEXT))
  ) {
    return { kind: 'rate-limited', msgCd: inner ?? KIWOOM_RATE_LIMIT, text };
  }
  if (rc !== undefined)
    return rc.trim() !== '' && Number(rc) === 0 ? { kind: 'ok' } : { kind: 'broker-error', msgCd, text };
  return { kind: 'unknown', msgCd, text };
}

function retryAfterMs(header: string | null | undefined): number {
  const secs = header ? Number(header.trim()) : NaN;
  return Number.isFinite(secs) && secs > 0 ? Math.round(secs * 1000) : DEFAULT_RETRY_AFTER_MS;
}

const DESCRIPTIONS: Record<Exclude<BrokerResponseKind, 'ok'>, string> = {
  'rate-limited': 'rate limit exceeded',
  auth: 'authentication refused',
  'server-error': 'server error',
  'html-error-page': 'HTML error page instead of JSON',
  'bad-json': 'response body is not valid JSON',
  'broker-error': 'request refused',
};

/**
 * Sorts a REST response. Rate limits (KIS EGW00201, usually HTTP 500; Kiwoom HTTP 429 or
 * return_code 5 with [1700:...]) give TG_ERR_BROKER_REJECTED with `retryAfterMs`; everything else
 * that is not ok gives TG_ERR_BROKER_HTTP. The body decides before the status, because KIS reports
 * business errors with HTTP 500.
 */
export function classifyBrokerResponse(
  broker: BrokerName,
  status: number,
  bodyText: string,
  options: ClassifyOptions = {},
): BrokerResponseClass {
  const secrets = options.secrets ?? [];
  const make = (
    kind: Exclude<BrokerResponseKind, 'ok'>,
    extra: { msgCd?: string; text?: string; retryAfterMs?: number } = {},
  ): BrokerResponseClass => {
    const code: TgErrorCode = kind === 'rate-limited' ? 'TG_ERR_BROKER_REJECTED' : 'TG_ERR_BROKER_HTTP';
    // Codes are short identifiers; anything else the body put there is not repeated.
    const msgCd = extra.msgCd && /^[\w-]{1,16}$/.test(extra.msgCd) ? extra.msgCd : undefined;
    const said = extra.text ? `: ${redactSecrets(extra.text, secrets)}` : '';
    const message = `${broker}: ${DESCRIPTIONS[kind]} (HTTP ${status}${msgCd ? `, ${msgCd}` : ''})${said}`;
    const details: Record<string, unknown> = { broker, status, kind };
    if (msgCd) details.msgCd = msgCd;
    if (extra.retryAfterMs !== undefined) details.retryAfterMs = extra.retryAfterMs;
    const error = new TgError(code, message, details);
    if (kind === 'rate-limited') {
      return { kind, status, retryAfterMs: extra.retryAfterMs ?? DEFAULT_RETRY_AFTER_MS, msgCd, error };
    }
    return { kind, status, msgCd, error };
  };
  const text = typeof bodyText === 'string' ? bodyText : '';
  if (status === 429) {
    const parsed = parseJsonObject(text, broker);
    const biz = parsed.ok ? (broker === 'kis' ? kisBusiness : kiwoomBusiness)(parsed.value) : undefined;
    return make('rate-limited', {
      msgCd: biz?.msgCd,
      text: biz?.text,
      retryAfterMs: retryAfterMs(options.retryAfter),
    });
  }
  if (looksLikeHtml(text)) return make('html-error-page');
  const parsed = parseJsonObject(text, broker);
  if (!parsed.ok) {
    if (status >= 500 || (parsed.error.kind === 'empty' && status >= 400)) return make('server-error');
    return make('bad-json');
  }
  const biz = (broker === 'kis' ? kisBusiness : kiwoomBusiness)(parsed.value);
  const said = { msgCd: biz.msgCd, text: biz.text };
  switch (biz.kind) {
    case 'rate-limited':
      return make('rate-limited', { ...said, retryAfterMs: retryAfterMs(options.retryAfter) });
    case 'auth':
      return make('auth', { ...said, retryAfterMs: biz.retryAfterMs });
    case 'broker-error':
      return make(status >= 500 && !biz.msgCd ? 'server-error' : 'broker-error', said);
    case 'ok':
    case 'unknown':
      if (status >= 200 && status < 300) return { kind: 'ok', status, body: parsed.value };
      if (status === 401 || status === 403) return make('auth', said);
      return make(status >= 500 ? 'server-error' : 'broker-error', said);
  }
}
