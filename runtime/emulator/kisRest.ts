// KIS REST handlers: POST /oauth2/tokenP (one issue per app key per minute, else 403 EGW00133),
// POST /oauth2/Approval (WebSocket approval_key) and GET inquire-time-itemchartprice (FHKST03010200:
// 30 bars, newest first, at or before FID_INPUT_HOUR_1, today only, rate limited per app key).
import { minuteOf } from '../../machines/marketHours.ts';
import type { Bar } from '../../machines/types.ts';
import type { Clock } from '../../ports/clock.ts';
import {
  decodeKisApprovalRequest,
  decodeKisTokenRequest,
  encodeKisApprovalResponse,
  encodeKisTokenResponse,
  type KisCredentials,
} from '../brokers/kis/auth.ts';
import {
  KIS_BARS_PER_CALL,
  KIS_MINUTE_BARS_TR_ID,
  kisMinuteBarsResponse,
  parseKisMinuteBarsRequest,
} from '../brokers/kis/minuteBars.ts';
import {
  kisExpiredTokenResponse,
  kisRateLimitedResponse,
  kisTokenThrottledResponse,
} from '../brokers/kis/restRejections.ts';
import { header, type HttpResponseSpec } from '../brokers/kis/wire.ts';
import type { Decoded } from '../brokers/errors.ts';
import type { EmulatorAuth } from './auth.ts';
import { okJson, type EmuRequest, type Handler } from './http.ts';
import { KIS_REST_ERRORS, KIS_TOKEN_ERRORS } from './kisErrors.ts';
import type { RateLimits } from './limits.ts';
import type { Market } from './market.ts';

export interface KisRestDeps {
  auth: EmulatorAuth;
  limits: RateLimits;
  market: Market;
  clock: Clock;
}

function credentialsOrError(decoded: Decoded<KisCredentials>): KisCredentials | HttpResponseSpec {
  if (decoded.ok) return decoded.value;
  const reason = decoded.error.reason;
  if (/appkey or/.test(reason)) return KIS_TOKEN_ERRORS.badAppKey();
  return KIS_TOKEN_ERRORS.badGrant(decoded.error.kind === 'bad-field' ? 'grant_type' : 'request body');
}

export function kisTokenHandler(d: KisRestDeps): Handler {
  return (req) => {
    const creds = credentialsOrError(decodeKisTokenRequest(req.body));
    if ('status' in creds) return creds;
    const issued = d.auth.issueKisToken(creds.appKey, creds.appSecret, d.clock.now());
    if (!issued.ok)
      return issued.reason === 'throttled' ? kisTokenThrottledResponse() : KIS_TOKEN_ERRORS.badSecret();
    return okJson(encodeKisTokenResponse({ accessToken: issued.token, expiresAt: issued.expiresAt }));
  };
}

export function kisApprovalHandler(d: KisRestDeps): Handler {
  return (req) => {
    const creds = credentialsOrError(decodeKisApprovalRequest(req.body));
    if ('status' in creds) return creds;
    const issued = d.auth.issueKisApproval(creds.appKey, creds.appSecret, d.clock.now());
    if (!issued.ok) return KIS_TOKEN_ERRORS.badSecret();
    return okJson(encodeKisApprovalResponse(issued.token));
  };
}

/** Headers first, like the gateway: the rate limit counts every request that names an app key. */
function authorize(req: EmuRequest, d: KisRestDeps, now: number): HttpResponseSpec | undefined {
  const appKey = header(req.headers, 'appkey');
  if (appKey) {
    const admission = d.limits.admit('kis', appKey, now);
    if (admission.outcome !== 'ok') return kisRateLimitedResponse(500);
  }
  const bearer = /^bearer\s+(\S+)$/i.exec(header(req.headers, 'authorization') ?? '');
  if (!bearer) return KIS_REST_ERRORS.noBearer();
  // An unknown token (including one issued before an emulator restart) is answered as expired, the
  // code in the reference, so clients re-issue.
  const owner = d.auth.tokenOwner('kis', bearer[1], now);
  if (owner === undefined) return kisExpiredTokenResponse();
  if (appKey !== owner) return KIS_REST_ERRORS.badAppKey();
  if (!d.auth.knownSecret('kis', owner, header(req.headers, 'appsecret') ?? ''))
    return KIS_REST_ERRORS.badSecret();
  if (header(req.headers, 'tr_id') !== KIS_MINUTE_BARS_TR_ID) return KIS_REST_ERRORS.badTrId();
  return undefined;
}

/**
 * The page KIS returns: bars at or before the requested minute, newest first. When the request
 * reaches the current minute and that minute has no trade yet, KIS still lists it first, with the
 * last price and the previous minute's cntg_vol (the documented quirk).
 */
function kisPage(d: KisRestDeps, symbol: string, now: number, atOrBefore: number): Bar[] {
  const bars = d.market.page(symbol, now, atOrBefore, KIS_BARS_PER_CALL).bars;
  const current = minuteOf(now);
  const latest = bars[0];
  if (latest && minuteOf(atOrBefore) >= current && latest.minute < current) {
    const p = latest.close;
    bars.unshift({ symbol, minute: current, open: p, high: p, low: p, close: p, volume: latest.volume });
    bars.length = Math.min(bars.length, KIS_BARS_PER_CALL);
  }
  return bars;
}

export function kisMinuteBarsHandler(d: KisRestDeps): Handler {
  return (req) => {
    const now = d.market.at(d.clock.now());
    const refused = authorize(req, d, now);
    if (refused) return refused;
    const parsed = parseKisMinuteBarsRequest(req.query, req.headers);
    if (!parsed.ok) {
      const field = /^(FID_\w+)/.exec(parsed.error.reason)?.[1] ?? 'FID_INPUT_ISCD';
      return KIS_REST_ERRORS.badInput(field);
    }
    const { symbol, hour } = parsed.value.query;
    const info = d.market.info(symbol);
    if (!info) return KIS_REST_ERRORS.badInput('FID_INPUT_ISCD');
    const day = d.market.day(now);
    const atOrBefore = d.market.timeToday(now, hour);
    const bars = day.open ? kisPage(d, symbol, now, atOrBefore) : [];
    const all = d.market.barsAsOf(symbol, now);
    const last = all[all.length - 1];
    return kisMinuteBarsResponse(bars, {
      prevClose: info.prevClose,
      price: last?.close ?? info.prevClose,
      cumVolume: d.market.cumVolume(symbol, now),
      cumValue: all.reduce((s, b) => s + b.close * b.volume, 0),
      name: info.name,
    });
  };
}
