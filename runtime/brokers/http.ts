// The one HTTP path of the live broker clients: fetch with a deadline and a body size limit, then a
// classification that never throws a raw error (HTML error pages and 5xx outages count as the broker
// being down, truncated JSON as an HTTP error) and never puts a secret into an error message.
import { TgError } from '../../machines/errors.ts';
import type { BrokerName } from '../../machines/types.ts';
import type { Clock } from '../../ports/clock.ts';
import { classifyBrokerResponse, type BrokerResponseClass } from './errors.ts';
import type { HttpRequestSpec } from './kis/wire.ts';

export const DEFAULT_REQUEST_TIMEOUT_MS = 5000;
export const DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024;

export interface HttpReply {
  status: number;
  /** Lower-case names. */
  headers: Record<string, string>;
  text: string;
}

export interface HttpOptions {
  broker: BrokerName;
  clock: Clock;
  timeoutMs: number;
  maxBodyBytes?: number;
  /** Injected in tests; global fetch otherwise. */
  fetch?: typeof fetch;
}

/** `base` + `spec.path` + `spec.query`; a trailing slash on the base is tolerated. */
export function requestUrl(base: string, spec: HttpRequestSpec): string {
  const url = new URL(base.replace(/\/+$/, '') + spec.path);
  for (const [k, v] of Object.entries(spec.query ?? {})) url.searchParams.set(k, v);
  return url.toString();
}

function down(broker: BrokerName, what: string, details: Record<string, unknown> = {}): TgError {
  return new TgError('TG_ERR_BROKER_DOWN', `${broker} REST ${what}`, { broker, ...details });
}

/** The system error code under a fetch failure (ECONNREFUSED, ENOTFOUND...), never its free text. */
function causeCode(e: unknown): string {
  const cause = (e as { cause?: { code?: unknown; name?: unknown } } | undefined)?.cause;
  const code = cause?.code ?? cause?.name ?? (e as { name?: unknown } | undefined)?.name;
  return typeof code === 'string' && /^[\w.-]{1,40}$/.test(code) ? code : 'network error';
}

async function readLimited(res: Response, limit: number, broker: BrokerName): Promise<string> {
  const declared = Number(res.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > limit) {
    await res.body?.cancel().catch(() => {});
    throw new TgError('TG_ERR_BROKER_HTTP', `${broker} REST response larger than ${limit} bytes`, {
      broker,
      status: res.status,
      kind: 'too-large',
    });
  }
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      throw new TgError('TG_ERR_BROKER_HTTP', `${broker} REST response larger than ${limit} bytes`, {
        broker,
        status: res.status,
        kind: 'too-large',
      });
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Sends `spec` to `base`. Unreachable, reset or no complete answer within `timeoutMs` (headers and
 * body together) -> TG_ERR_BROKER_DOWN; a body over the limit -> TG_ERR_BROKER_HTTP.
 */
export async function httpRequest(base: string, spec: HttpRequestSpec, o: HttpOptions): Promise<HttpReply> {
  const controller = new AbortController();
  let timedOut = false;
  const timer = o.clock.setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, o.timeoutMs);
  try {
    let res: Response;
    try {
      res = await (o.fetch ?? fetch)(requestUrl(base, spec), {
        method: spec.method,
        headers: spec.headers,
        body: spec.body,
        signal: controller.signal,
        redirect: 'manual',
      });
    } catch (e) {
      if (timedOut)
        throw down(o.broker, `did not answer within ${o.timeoutMs} ms`, { timeoutMs: o.timeoutMs });
      throw down(o.broker, `unreachable (${causeCode(e)})`, { cause: causeCode(e) });
    }
    let text: string;
    try {
      text = await readLimited(res, o.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES, o.broker);
    } catch (e) {
      if (e instanceof TgError) throw e;
      if (timedOut)
        throw down(o.broker, `response not complete within ${o.timeoutMs} ms`, { timeoutMs: o.timeoutMs });
      throw down(o.broker, `connection lost mid-response (${causeCode(e)})`, { cause: causeCode(e) });
    }
    const headers: Record<string, string> = {};
    res.headers.forEach((v, k) => (headers[k.toLowerCase()] = v));
    return { status: res.status, headers, text };
  } finally {
    o.clock.clearTimeout(timer);
  }
}

/**
 * classifyBrokerResponse, with the live client's view of outages: an HTML error page or a 5xx with
 * no broker verdict means the broker (or its gateway) is down, not that our request was wrong.
 */
export function classifyReply(
  broker: BrokerName,
  reply: HttpReply,
  secrets: readonly string[],
): BrokerResponseClass {
  const cls = classifyBrokerResponse(broker, reply.status, reply.text, {
    retryAfter: reply.headers['retry-after'],
    secrets,
  });
  if (cls.kind !== 'html-error-page' && cls.kind !== 'server-error') return cls;
  const prefix = `${cls.error.code}: `;
  const text = cls.error.message.startsWith(prefix)
    ? cls.error.message.slice(prefix.length)
    : cls.error.message;
  return { ...cls, error: new TgError('TG_ERR_BROKER_DOWN', text, cls.error.details) };
}

/** The error of a non-ok class (for callers that only care about failing). */
export function replyError(cls: BrokerResponseClass): TgError | undefined {
  return cls.kind === 'ok' ? undefined : cls.error;
}
