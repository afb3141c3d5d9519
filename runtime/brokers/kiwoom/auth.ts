// Kiwoom au10001 token bodies (POST /oauth2/token with appkey/secretkey; the reply carries `token`,
// `expires_dt` YYYYMMDDHHMMSS KST and return_code 0), request and response both ways.
import { fail, parseJsonObject, stringField, type Decoded } from '../errors.ts';
import { excerpt, kstCompact, parseKstCompact, parseSigned, type HttpRequestSpec } from '../kis/wire.ts';

export const KIWOOM_TOKEN_PATH = '/oauth2/token';
export const KIWOOM_TOKEN_API_ID = 'au10001';
const GRANT = 'client_credentials';
const OK_MSG = '정상적으로 처리되었습니다';

export interface KiwoomCredentials {
  appKey: string;
  secretKey: string;
}

export function buildKiwoomTokenRequest(creds: KiwoomCredentials): HttpRequestSpec {
  return {
    method: 'POST',
    path: KIWOOM_TOKEN_PATH,
    headers: { 'content-type': 'application/json;charset=UTF-8', 'api-id': KIWOOM_TOKEN_API_ID },
    body: JSON.stringify({ grant_type: GRANT, appkey: creds.appKey, secretkey: creds.secretKey }),
  };
}

export function decodeKiwoomTokenRequest(body: unknown): Decoded<KiwoomCredentials> {
  const parsed = parseJsonObject(body, 'Kiwoom token request');
  if (!parsed.ok) return parsed;
  if (stringField(parsed.value, 'grant_type') !== GRANT)
    return fail('bad-field', `Kiwoom token request: grant_type must be ${GRANT}`);
  const appKey = stringField(parsed.value, 'appkey');
  const secretKey = stringField(parsed.value, 'secretkey');
  if (!appKey || !secretKey) return fail('bad-field', 'Kiwoom token request: appkey or secretkey missing');
  return { ok: true, value: { appKey, secretKey } };
}

export interface KiwoomToken {
  token: string;
  tokenType: string;
  /** Epoch ms of expires_dt. */
  expiresAt: number;
}

export function encodeKiwoomTokenResponse(token: { token: string; expiresAt: number }): string {
  return JSON.stringify({
    expires_dt: kstCompact(token.expiresAt),
    token_type: 'bearer',
    token: token.token,
    return_code: 0,
    return_msg: OK_MSG,
  });
}

/** Only for bodies `classifyBrokerResponse` found ok: a refusal here is a shape error. */
export function decodeKiwoomTokenResponse(body: unknown): Decoded<KiwoomToken> {
  const parsed = parseJsonObject(body, 'Kiwoom token response');
  if (!parsed.ok) return parsed;
  const o = parsed.value;
  if (o.return_code !== undefined && parseSigned(o.return_code) !== 0) {
    return fail('broker-error', `Kiwoom token response: return_code ${excerpt(o.return_code)}`);
  }
  const token = stringField(o, 'token');
  const expiresAt = parseKstCompact(o.expires_dt);
  if (!token || expiresAt === undefined)
    return fail('bad-field', 'Kiwoom token response: token or expires_dt malformed');
  return { ok: true, value: { token, tokenType: stringField(o, 'token_type') ?? 'bearer', expiresAt } };
}
