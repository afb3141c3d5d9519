// Kiwoom REST refusals as the broker words them: rate limit (HTTP 429, return_code 5, inner code 1700,
// per api-id) and an invalid token (HTTP 200, return_code 3, inner code 8005), for the emulator and tests.
import type { HttpResponseSpec } from '../kis/wire.ts';

const HEADERS = { 'content-type': 'application/json;charset=UTF-8' };
const RATE_LIMIT_TEXT = '허용된 요청 개수를 초과하였습니다';

export function kiwoomRateLimitBody(apiId: string): string {
  return JSON.stringify({
    return_code: 5,
    return_msg: `${RATE_LIMIT_TEXT}[1700:${RATE_LIMIT_TEXT}. API ID=${apiId}]`,
  });
}

export function kiwoomRateLimitedResponse(apiId: string): HttpResponseSpec {
  return { status: 429, headers: { ...HEADERS, 'api-id': apiId }, body: kiwoomRateLimitBody(apiId) };
}

/** Observed on live REST: HTTP 200 with return_code 3 and the real code in brackets. */
export const KIWOOM_INVALID_TOKEN_BODY = JSON.stringify({
  return_code: 3,
  return_msg: '인증에 실패했습니다[8005:Token이 유효하지 않습니다]',
});

export function kiwoomInvalidTokenResponse(apiId: string): HttpResponseSpec {
  return { status: 200, headers: { ...HEADERS, 'api-id': apiId }, body: KIWOOM_INVALID_TOKEN_BODY };
}
