// Live broker ports: createBrokerPorts builds the KIS or Kiwoom REST and WebSocket clients of one app
// key, sharing one token cache per credential set across the process (and optionally a 0600 token
// file across restarts), so a token is issued once and reused until near expiry.
import { TgError } from '../../machines/errors.ts';
import type { SessionHours } from '../../machines/marketHours.ts';
import type { BrokerRest, BrokerWs } from '../../ports/broker.ts';
import type { Clock } from '../../ports/clock.ts';
import { realClock } from '../clock.ts';
import { silentLogger, type Logger } from '../log.ts';
import { DEFAULT_REQUEST_TIMEOUT_MS } from './http.ts';
import { KisRestClient } from './kis/restClient.ts';
import { issueKisAccessToken, issueKisApprovalKey } from './kis/tokens.ts';
import { KisWsClient } from './kis/wsClient.ts';
import { issueKiwoomToken, KiwoomRestClient } from './kiwoom/restClient.ts';
import { KiwoomWsClient } from './kiwoom/wsClient.ts';
import {
  credentialFingerprint,
  processTokens,
  TokenCache,
  TokenRegistry,
  type IssuedToken,
} from './tokenCache.ts';
import type { WsCounters } from './wsCommon.ts';

export { TokenCache, TokenRegistry } from './tokenCache.ts';

export interface BrokerPortsOptions {
  broker: 'kis' | 'kiwoom';
  restUrl: string;
  wsUrl: string;
  appKey: string;
  /** KIS appsecret / Kiwoom secretkey. */
  appSecret: string;
  clock?: Clock;
  /** Per REST request, headers and body together; default 5000. */
  requestTimeoutMs?: number;
  log?: Logger;
  /** Persist issued tokens here (mode 0600) so a restarted process reuses them. */
  tokenFile?: string;
  /** Token caches to share; default: one registry for the whole process. */
  tokens?: TokenRegistry;
  /** WebSocket open deadline and control-reply deadline; default 2 x requestTimeoutMs. */
  connectTimeoutMs?: number;
  /** No WebSocket frame for this long: the connection is dead; default 30000. */
  idleTimeoutMs?: number;
  /** Where a KIS page is known to reach the session start; KRX hours by default. */
  sessionHours?: SessionHours;
  /** Injected in tests; global fetch otherwise. */
  fetch?: typeof fetch;
}

export interface BrokerPortsStats {
  badFrames: number;
  reconnects: number;
  /** Access-token (and KIS approval-key) requests this process sent for this credential set. */
  tokenIssues: number;
}

export interface BrokerPorts {
  rest: BrokerRest;
  ws: BrokerWs;
  stats(): BrokerPortsStats;
  /**
   * REST only: issue (or load) the access token and open a connection now, so the first rate-limited
   * request goes out the moment it is granted instead of paying for them after its grant (which let
   * it arrive late, behind requests granted after it). Never rejects; resolves false if it failed.
   */
  warmUp(): Promise<boolean>;
}

/** Token first, then one plain GET on the REST origin (no app key: the broker does not count it). */
function warmUpRest(token: TokenCache, restUrl: string, timeoutMs: number, fetcher?: typeof fetch) {
  return async (): Promise<boolean> => {
    try {
      await token.get();
      const res = await (fetcher ?? fetch)(restUrl, { signal: AbortSignal.timeout(timeoutMs) });
      await res.body?.cancel().catch(() => {});
      return true;
    } catch {
      return false;
    }
  };
}

function validate(o: BrokerPortsOptions): void {
  const bad = (what: string) =>
    new TgError('TG_ERR_CONFIG', `${o.broker} broker: ${what}`, { broker: o.broker });
  if (o.broker !== 'kis' && o.broker !== 'kiwoom') throw bad(`unknown broker (kis or kiwoom)`);
  for (const [name, url, schemes] of [
    ['restUrl', o.restUrl, ['http:', 'https:']],
    ['wsUrl', o.wsUrl, ['ws:', 'wss:']],
  ] as const) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw bad(`${name} is not a URL`);
    }
    if (!(schemes as readonly string[]).includes(parsed.protocol))
      throw bad(`${name} must use ${schemes.join(' or ')}`);
  }
  if (!o.appKey) throw bad('appKey is empty');
  if (!o.appSecret) throw bad('appSecret is empty');
}

export function createBrokerPorts(o: BrokerPortsOptions): BrokerPorts {
  validate(o);
  const clock = o.clock ?? realClock;
  const log = o.log ?? silentLogger;
  const timeoutMs = o.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  const connectTimeoutMs = o.connectTimeoutMs ?? 2 * timeoutMs;
  const registry = o.tokens ?? processTokens;
  const fingerprint = credentialFingerprint(o.broker, o.restUrl.replace(/\/+$/, ''), o.appKey, o.appSecret);
  const counters: WsCounters = { badFrames: 0, reconnects: 0 };
  const cache = (purpose: string, issue: () => Promise<IssuedToken>, persist: boolean): TokenCache =>
    registry.get(
      `${purpose}:${fingerprint}`,
      () =>
        new TokenCache({
          name: `${o.broker} ${purpose}`,
          issue,
          clock,
          file: persist ? o.tokenFile : undefined,
          fingerprint: `${purpose}:${fingerprint}`,
        }),
    );
  const issueOptions = { restUrl: o.restUrl, clock, timeoutMs, fetch: o.fetch };
  const wsOptions = {
    clock,
    log,
    counters,
    connectTimeoutMs,
    replyTimeoutMs: connectTimeoutMs,
    idleTimeoutMs: o.idleTimeoutMs,
  };

  if (o.broker === 'kis') {
    const credentials = { appKey: o.appKey, appSecret: o.appSecret };
    const token = cache('access-token', () => issueKisAccessToken({ ...issueOptions, credentials }), true);
    const approval = cache(
      'approval-key',
      () => issueKisApprovalKey({ ...issueOptions, credentials }),
      false,
    );
    return {
      rest: new KisRestClient({
        ...credentials,
        restUrl: o.restUrl,
        token,
        clock,
        timeoutMs,
        log,
        sessionHours: o.sessionHours,
        fetch: o.fetch,
      }),
      ws: new KisWsClient({ ...wsOptions, wsUrl: o.wsUrl, approval }),
      stats: () => ({ ...counters, tokenIssues: token.issueCount() + approval.issueCount() }),
      warmUp: warmUpRest(token, o.restUrl, timeoutMs, o.fetch),
    };
  }
  const secretKey = o.appSecret;
  const token = cache(
    'access-token',
    () => issueKiwoomToken({ ...issueOptions, appKey: o.appKey, secretKey }),
    true,
  );
  return {
    rest: new KiwoomRestClient({
      restUrl: o.restUrl,
      appKey: o.appKey,
      secretKey,
      token,
      clock,
      timeoutMs,
      log,
      fetch: o.fetch,
    }),
    ws: new KiwoomWsClient({ ...wsOptions, wsUrl: o.wsUrl, token }),
    stats: () => ({ ...counters, tokenIssues: token.issueCount() }),
    warmUp: warmUpRest(token, o.restUrl, timeoutMs, o.fetch),
  };
}
