// The REST call of both live broker clients: send through httpRequest and classify the reply with the
// credentials kept out of any error; with an access token, one retry on a fresh token when the dialect
// says the token was refused, and a body that fails to decode coded TG_ERR_BROKER_HTTP, not FRAME.
import type { BrokerName } from '../../machines/types.ts';
import type { Clock } from '../../ports/clock.ts';
import type { Logger } from '../log.ts';
import { toTgError, type BrokerResponseClass, type Decoded } from './errors.ts';
import { classifyReply, httpRequest, type HttpReply } from './http.ts';
import type { HttpRequestSpec } from './kis/wire.ts';
import type { TokenCache } from './tokenCache.ts';

export interface RestTarget {
  broker: BrokerName;
  restUrl: string;
  clock: Clock;
  timeoutMs: number;
  fetch?: typeof fetch;
}

/** One request and its class; `secrets` are redacted from the class's error text. */
export async function sendClassified(
  o: RestTarget,
  spec: HttpRequestSpec,
  secrets: readonly string[],
): Promise<{ reply: HttpReply; cls: BrokerResponseClass }> {
  const reply = await httpRequest(o.restUrl, spec, {
    broker: o.broker,
    clock: o.clock,
    timeoutMs: o.timeoutMs,
    fetch: o.fetch,
  });
  return { reply, cls: classifyReply(o.broker, reply, secrets) };
}

export interface TokenCallOptions extends RestTarget {
  token: TokenCache;
  log: Logger;
  /** App key and secret; the token of each attempt is added. */
  secrets: readonly string[];
}

export interface TokenCall<T> {
  build(token: string): HttpRequestSpec;
  /** The broker refused the token itself (expired, invalid): a new one is worth one more try. */
  tokenRefused(cls: BrokerResponseClass): boolean;
  /** What the log says when it refreshes. */
  refreshMessage: string;
  decode(reply: HttpReply): Decoded<T>;
}

/** `call` with the cached token, retried once with a fresh token; every failure a coded TgError. */
export async function callWithToken<T>(o: TokenCallOptions, call: TokenCall<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    const token = await o.token.get();
    const { reply, cls } = await sendClassified(o, call.build(token), [...o.secrets, token]);
    if (call.tokenRefused(cls) && attempt === 0) {
      o.log.info(call.refreshMessage, { broker: o.broker });
      o.token.invalidate(token);
      continue;
    }
    if (cls.kind !== 'ok') throw cls.error;
    const decoded = call.decode(reply);
    if (!decoded.ok) {
      const code = decoded.error.code === 'TG_ERR_BROKER_FRAME' ? 'TG_ERR_BROKER_HTTP' : decoded.error.code;
      throw toTgError({ ...decoded.error, code }, { broker: o.broker, status: reply.status });
    }
    return decoded.value;
  }
}
