// Issuing KIS credentials over REST: the access token (POST /oauth2/tokenP; HTTP 403 EGW00133 when
// asked more than once a minute, which becomes a coded rejection with retryAfterMs so the token cache
// cools down) and the WebSocket approval key (POST /oauth2/Approval, valid 24 h).
import { TgError } from '../../../machines/errors.ts';
import type { Clock } from '../../../ports/clock.ts';
import { TOKEN_REISSUE_WAIT_MS, toTgError } from '../errors.ts';
import { sendClassified } from '../restCall.ts';
import type { IssuedToken } from '../tokenCache.ts';
import {
  buildKisApprovalRequest,
  buildKisTokenRequest,
  decodeKisApprovalResponse,
  decodeKisTokenResponse,
  type KisCredentials,
} from './auth.ts';

export const KIS_APPROVAL_LIFETIME_MS = 24 * 3600_000;

export interface KisIssueOptions {
  restUrl: string;
  credentials: KisCredentials;
  clock: Clock;
  timeoutMs: number;
  fetch?: typeof fetch;
}

async function post(o: KisIssueOptions, spec: ReturnType<typeof buildKisTokenRequest>) {
  const { reply, cls } = await sendClassified({ ...o, broker: 'kis' }, spec, [
    o.credentials.appKey,
    o.credentials.appSecret,
  ]);
  if (cls.kind === 'ok') return reply;
  if (cls.kind === 'auth' && cls.msgCd === 'EGW00133') {
    throw new TgError('TG_ERR_BROKER_REJECTED', 'kis: access token issue throttled (1 per minute)', {
      broker: 'kis',
      status: cls.status,
      msgCd: cls.msgCd,
      retryAfterMs: TOKEN_REISSUE_WAIT_MS,
    });
  }
  throw cls.error;
}

export async function issueKisAccessToken(o: KisIssueOptions): Promise<IssuedToken> {
  const reply = await post(o, buildKisTokenRequest(o.credentials));
  const token = decodeKisTokenResponse(reply.text);
  if (!token.ok) throw toTgError({ ...token.error, code: 'TG_ERR_BROKER_HTTP' }, { status: reply.status });
  // The shorter of the two statements of expiry wins.
  const byLifetime = o.clock.now() + token.value.expiresInSec * 1000;
  return { value: token.value.accessToken, expiresAt: Math.min(token.value.expiresAt, byLifetime) };
}

export async function issueKisApprovalKey(o: KisIssueOptions): Promise<IssuedToken> {
  const reply = await post(o, buildKisApprovalRequest(o.credentials));
  const key = decodeKisApprovalResponse(reply.text);
  if (!key.ok) throw toTgError({ ...key.error, code: 'TG_ERR_BROKER_HTTP' }, { status: reply.status });
  return { value: key.value.approvalKey, expiresAt: o.clock.now() + KIS_APPROVAL_LIFETIME_MS };
}
