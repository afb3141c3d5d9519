// KIS REST refusals exactly as the broker words them, for the emulator to send and tests to feed the
// client: rate limit EGW00201 (HTTP 500, clients accept 200 too), expired token EGW00123, and token
// re-issue throttling EGW00133 (HTTP 403, which uses error_code/error_description instead of msg_cd).
import type { HttpResponseSpec } from './wire.ts';

const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8' };

export const KIS_RATE_LIMIT_BODY = JSON.stringify({
  rt_cd: '1',
  msg_cd: 'EGW00201',
  msg1: '초당 거래건수를 초과하였습니다.',
});

export const KIS_EXPIRED_TOKEN_BODY = JSON.stringify({
  rt_cd: '1',
  msg_cd: 'EGW00123',
  msg1: '기간이 만료된 token 입니다.',
});

export const KIS_TOKEN_THROTTLED_BODY = JSON.stringify({
  error_code: 'EGW00133',
  error_description: '접근토큰 발급 잠시 후 다시 시도하세요(1분당 1회)',
});

/** `status` 500 as most often observed; some fixtures show 200. */
export function kisRateLimitedResponse(status: 500 | 200 = 500): HttpResponseSpec {
  return { status, headers: { ...JSON_HEADERS }, body: KIS_RATE_LIMIT_BODY };
}

/** The HTTP status is unconfirmed; one fixture shows 500. */
export function kisExpiredTokenResponse(status = 500): HttpResponseSpec {
  return { status, headers: { ...JSON_HEADERS }, body: KIS_EXPIRED_TOKEN_BODY };
}

export function kisTokenThrottledResponse(): HttpResponseSpec {
  return { status: 403, headers: { ...JSON_HEADERS }, body: KIS_TOKEN_THROTTLED_BODY };
}
