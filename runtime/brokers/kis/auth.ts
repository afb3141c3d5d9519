// KIS auth bodies: the access token (POST /oauth2/tokenP, appsecret) and the WebSocket approval key
// (POST /oauth2/Approval, which names the same secret `secretkey`). Requests and responses both ways.
import { fail, parseJsonObject, stringField, type Decoded } from '../errors.ts';
import { kstDashed, parseKstDashed, parseUnsigned, type HttpRequestSpec } from './wire.ts';

export const KIS_TOKEN_PATH = '/oauth2/tokenP';
export const KIS_APPROVAL_PATH = '/oauth2/Approval';
export const KIS_TOKEN_LIFETIME_SEC = 86_400;
const GRANT = 'client_credentials';
const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8' };

export interface KisCredentials {
  appKey: string;
  appSecret: string;
}

export function buildKisTokenRequest(creds: KisCredentials): HttpRequestSpec {
  return {
    method: 'POST',
    path: KIS_TOKEN_PATH,
    headers: { ...JSON_HEADERS },
    body: JSON.stringify({ grant_type: GRANT, appkey: creds.appKey, appsecret: creds.appSecret }),
  };
}

function credentials(
  text: unknown,
  what: string,
  secretField: 'appsecret' | 'secretkey',
): Decoded<KisCredentials> {
  const parsed = parseJsonObject(text, what);
  if (!parsed.ok) return parsed;
  if (stringField(parsed.value, 'grant_type') !== GRANT)
    return fail('bad-field', `${what}: grant_type must be ${GRANT}`);
  const appKey = stringField(parsed.value, 'appkey');
  const appSecret = stringField(parsed.value, secretField);
  if (!appKey || !appSecret) return fail('bad-field', `${what}: appkey or ${secretField} missing`);
  return { ok: true, value: { appKey, appSecret } };
}

export function decodeKisTokenRequest(body: unknown): Decoded<KisCredentials> {
  return credentials(body, 'KIS token request', 'appsecret');
}

export interface KisToken {
  accessToken: string;
  tokenType: string;
  expiresInSec: number;
  /** Epoch ms of access_token_token_expired (KST wall time on the wire). */
  expiresAt: number;
}

export function encodeKisTokenResponse(token: {
  accessToken: string;
  expiresAt: number;
  expiresInSec?: number;
}): string {
  return JSON.stringify({
    access_token: token.accessToken,
    token_type: 'Bearer',
    expires_in: token.expiresInSec ?? KIS_TOKEN_LIFETIME_SEC,
    access_token_token_expired: kstDashed(token.expiresAt),
  });
}

export function decodeKisTokenResponse(body: unknown): Decoded<KisToken> {
  const parsed = parseJsonObject(body, 'KIS token response');
  if (!parsed.ok) return parsed;
  const o = parsed.value;
  const accessToken = stringField(o, 'access_token');
  if (!accessToken) return fail('bad-field', 'KIS token response: access_token missing');
  const expiresInSec = parseUnsigned(o.expires_in);
  const expiresAt = parseKstDashed(o.access_token_token_expired);
  if (expiresInSec === undefined || expiresAt === undefined) {
    return fail('bad-field', 'KIS token response: expires_in or access_token_token_expired malformed');
  }
  return {
    ok: true,
    value: { accessToken, tokenType: stringField(o, 'token_type') ?? 'Bearer', expiresInSec, expiresAt },
  };
}

// ---- WebSocket approval key ----

export function buildKisApprovalRequest(creds: KisCredentials): HttpRequestSpec {
  return {
    method: 'POST',
    path: KIS_APPROVAL_PATH,
    headers: { ...JSON_HEADERS },
    body: JSON.stringify({ grant_type: GRANT, appkey: creds.appKey, secretkey: creds.appSecret }),
  };
}

/** `appSecret` is read from the body's `secretkey` field. */
export function decodeKisApprovalRequest(body: unknown): Decoded<KisCredentials> {
  return credentials(body, 'KIS approval request', 'secretkey');
}

export function encodeKisApprovalResponse(approvalKey: string): string {
  return JSON.stringify({ approval_key: approvalKey });
}

export function decodeKisApprovalResponse(body: unknown): Decoded<{ approvalKey: string }> {
  const parsed = parseJsonObject(body, 'KIS approval response');
  if (!parsed.ok) return parsed;
  const approvalKey = stringField(parsed.value, 'approval_key');
  return approvalKey
    ? { ok: true, value: { approvalKey } }
    : fail('bad-field', 'KIS approval response: approval_key missing');
}
