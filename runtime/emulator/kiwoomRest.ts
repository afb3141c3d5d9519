// Kiwoom REST handlers: POST /oauth2/token (au10001: appkey/secretkey -> token, expires_dt) and
// POST /api/dostk/chart with api-id ka10080 (minute bars newest first, signed prices, cont-yn/next-key
// paging, HTTP 429 beyond the per-app-key rate). Business errors are HTTP 200 with return_code != 0.
import type { Clock } from '../../ports/clock.ts';
import { decodeKiwoomTokenRequest, encodeKiwoomTokenResponse } from '../brokers/kiwoom/auth.ts';
import {
  KIWOOM_MINUTE_CHART_API_ID,
  encodeKiwoomMinuteChartResponse,
  parseKiwoomMinuteChartRequest,
} from '../brokers/kiwoom/minuteChart.ts';
import { kiwoomInvalidTokenResponse, kiwoomRateLimitedResponse } from '../brokers/kiwoom/restRejections.ts';
import { header, kstCompact, parseKstCompact, type HttpResponseSpec } from '../brokers/kis/wire.ts';
import { MINUTE_MS } from '../../machines/marketHours.ts';
import type { EmulatorAuth } from './auth.ts';
import { json, okJson, type Handler } from './http.ts';
import type { RateLimits } from './limits.ts';
import type { Market } from './market.ts';

export interface KiwoomRestDeps {
  auth: EmulatorAuth;
  limits: RateLimits;
  market: Market;
  clock: Clock;
  barsPerPage: number;
}

const JSON_TYPE = 'application/json;charset=UTF-8';

/** A business refusal: HTTP 200, return_code != 0, the inner code (if any) in brackets. */
function refusal(returnCode: number, message: string, apiId?: string): HttpResponseSpec {
  return json(
    200,
    { return_code: returnCode, return_msg: message },
    { 'content-type': JSON_TYPE, ...(apiId ? { 'api-id': apiId } : {}) },
  );
}

export function kiwoomTokenHandler(d: KiwoomRestDeps): Handler {
  return (req) => {
    const creds = decodeKiwoomTokenRequest(req.body);
    if (!creds.ok) return refusal(2, `입력 값이 올바르지 않습니다 (${creds.error.reason})`);
    const issued = d.auth.issueKiwoomToken(creds.value.appKey, creds.value.secretKey, d.clock.now());
    if (!issued.ok) return refusal(3, 'App Key와 Secret Key 검증에 실패했습니다');
    return okJson(encodeKiwoomTokenResponse({ token: issued.token, expiresAt: issued.expiresAt }), {
      'content-type': JSON_TYPE,
    });
  };
}

export function kiwoomChartHandler(d: KiwoomRestDeps): Handler {
  const apiId = KIWOOM_MINUTE_CHART_API_ID;
  return (req) => {
    const now = d.market.at(d.clock.now());
    const given = header(req.headers, 'api-id');
    if (given !== apiId)
      return refusal(2, `이 URI가 지원하지 않는 API ID입니다 (api-id ${given ?? 'missing'})`);
    const bearer = /^bearer\s+(\S+)$/i.exec(header(req.headers, 'authorization') ?? '');
    const appKey = bearer ? d.auth.tokenOwner('kiwoom', bearer[1], now) : undefined;
    if (appKey === undefined) return kiwoomInvalidTokenResponse(apiId);
    // Kiwoom meters per api-id; ka10080 is the only limited one served here, so per app key it is.
    if (d.limits.admit('kiwoom', appKey, now).outcome !== 'ok') return kiwoomRateLimitedResponse(apiId);
    const parsed = parseKiwoomMinuteChartRequest(req.headers, req.body);
    if (!parsed.ok) return refusal(2, `입력 값이 올바르지 않습니다 (${parsed.error.reason})`, apiId);
    const { query } = parsed.value;
    if (query.ticScope !== '1') return refusal(2, 'tic_scope: the emulator serves 1-minute bars only', apiId);
    const symbol = query.symbol.replace(/_(NX|AL)$/, '');
    const info = d.market.info(symbol);
    if (!info) return refusal(2, '종목정보가 없습니다[1902:종목정보가 없습니다]', apiId);
    let upTo = now;
    if (query.nextKey !== undefined) {
      const t = parseKstCompact(query.nextKey);
      if (t === undefined || t > now) return refusal(2, 'next-key가 올바르지 않습니다', apiId);
      upTo = t;
    }
    const page = d.market.page(symbol, now, upTo, d.barsPerPage);
    const oldest = page.bars[page.bars.length - 1];
    const newest = page.bars[0];
    const more = !page.exhausted && oldest !== undefined;
    const cumVolume = newest
      ? d.market
          .barsAsOf(symbol, now)
          .filter((b) => b.minute <= newest.minute)
          .reduce((s, b) => s + b.volume, 0)
      : 0;
    return encodeKiwoomMinuteChartResponse(page.bars, {
      symbol: query.symbol,
      prevClose: info.prevClose,
      more,
      nextKey: more ? kstCompact(oldest.minute - MINUTE_MS) : '',
      cumVolume,
    });
  };
}
