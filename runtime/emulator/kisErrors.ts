// KIS refusals the emulator sends beyond those in the shared codecs (restRejections.ts). Codes and
// words not in shared/reference/brokers.md come from community fixtures and are marked so; the
// token endpoint answers in its own error_code/error_description shape.
import type { HttpResponseSpec } from '../brokers/kis/wire.ts';
import { json } from './http.ts';

/** Token and approval endpoints: HTTP 403 with error_code/error_description (as EGW00133). */
export function kisTokenError(
  code: 'EGW00103' | 'EGW00105' | 'EGW00205',
  description: string,
): HttpResponseSpec {
  return json(403, { error_code: code, error_description: description });
}

export const KIS_TOKEN_ERRORS = {
  // [COMMUNITY] EGW00103 invalid AppKey, EGW00105 invalid AppSecret; EGW00205 for a bad grant.
  badAppKey: () => kisTokenError('EGW00103', '유효하지 않은 AppKey입니다.'),
  badSecret: () => kisTokenError('EGW00105', '유효하지 않은 AppSecret입니다.'),
  badGrant: (why: string) => kisTokenError('EGW00205', `credentials_type이 유효하지 않습니다. (${why})`),
};

/** Quotation endpoints: business errors with rt_cd/msg_cd/msg1 (KIS uses HTTP 500 for auth failures). */
function kisBusinessError(status: number, msgCd: string, msg1: string): HttpResponseSpec {
  return json(status, { rt_cd: '1', msg_cd: msgCd, msg1 });
}

export const KIS_REST_ERRORS = {
  // [COMMUNITY] EGW00205: authorization is not "Bearer <token>".
  noBearer: () => kisBusinessError(500, 'EGW00205', 'credentials_type이 유효하지 않습니다.(Bearer)'),
  // [COMMUNITY] EGW00103 / EGW00105 with HTTP 500.
  badAppKey: () => kisBusinessError(500, 'EGW00103', '유효하지 않은 AppKey입니다.'),
  badSecret: () => kisBusinessError(500, 'EGW00105', '유효하지 않은 AppSecret입니다.'),
  // [COMMUNITY] OPSQ0002 "없는 서비스 코드 입니다": a tr_id this path does not serve.
  badTrId: () => kisBusinessError(500, 'OPSQ0002', '없는 서비스 코드 입니다'),
  // [UNCONFIRMED] code; the wording follows KIS's "INPUT_FIELD_NAME <field>" errors.
  badInput: (field: string) => kisBusinessError(500, 'OPSQ2001', `ERROR : INPUT_FIELD_NAME ${field}`),
};
