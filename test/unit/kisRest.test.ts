// KIS REST codecs: token and approval bodies, the FHKST03010200 minute-bar request (query, headers,
// server-side parse) and response (Bar[] <-> output1/output2), and the refusal bodies.
import { describe, expect, it } from 'vitest';
import { kstTime, MINUTE_MS } from '../../machines/marketHours.ts';
import type { Bar } from '../../machines/types.ts';
import {
  buildKisApprovalRequest,
  buildKisTokenRequest,
  decodeKisApprovalRequest,
  decodeKisApprovalResponse,
  decodeKisTokenRequest,
  decodeKisTokenResponse,
  encodeKisApprovalResponse,
  encodeKisTokenResponse,
} from '../../runtime/brokers/kis/auth.ts';
import {
  buildKisMinuteBarsRequest,
  decodeKisMinuteBarsResponse,
  encodeKisMinuteBarsResponse,
  parseKisMinuteBarsRequest,
} from '../../runtime/brokers/kis/minuteBars.ts';
import {
  KIS_EXPIRED_TOKEN_BODY,
  KIS_RATE_LIMIT_BODY,
  kisRateLimitedResponse,
  kisTokenThrottledResponse,
} from '../../runtime/brokers/kis/restRejections.ts';

const CREDS = { appKey: 'PSabcdefghijklmnopqrstuvwxyz0123456', appSecret: 'S'.repeat(180) };

function bars(count: number, from = kstTime('20260302', '09:00')): Bar[] {
  return Array.from({ length: count }, (_, i) => ({
    symbol: '005930',
    minute: from + i * MINUTE_MS,
    open: 70000 + i * 100,
    high: 70500 + i * 100,
    low: 69900 + i * 100,
    close: 70200 + i * 100,
    volume: 1000 + i,
  }));
}

describe('KIS token and approval', () => {
  it('token request: POST /oauth2/tokenP with grant_type, appkey, appsecret', () => {
    const req = buildKisTokenRequest(CREDS);
    expect([req.method, req.path]).toEqual(['POST', '/oauth2/tokenP']);
    expect(JSON.parse(req.body as string)).toEqual({
      grant_type: 'client_credentials',
      appkey: CREDS.appKey,
      appsecret: CREDS.appSecret,
    });
    expect(decodeKisTokenRequest(req.body)).toEqual({ ok: true, value: CREDS });
  });

  it('token response round-trips, expiry as KST "YYYY-MM-DD HH:MM:SS"', () => {
    const expiresAt = kstTime('20260303', '08:59:59');
    const body = encodeKisTokenResponse({ accessToken: 'eyJ0eXAi.abc.def', expiresAt });
    expect(JSON.parse(body)).toEqual({
      access_token: 'eyJ0eXAi.abc.def',
      token_type: 'Bearer',
      expires_in: 86400,
      access_token_token_expired: '2026-03-03 08:59:59',
    });
    expect(decodeKisTokenResponse(body)).toEqual({
      ok: true,
      value: { accessToken: 'eyJ0eXAi.abc.def', tokenType: 'Bearer', expiresInSec: 86400, expiresAt },
    });
  });

  it('approval request names the secret `secretkey`, not `appsecret`, and round-trips', () => {
    const req = buildKisApprovalRequest(CREDS);
    expect(req.path).toBe('/oauth2/Approval');
    const body = JSON.parse(req.body as string);
    expect(body).toEqual({
      grant_type: 'client_credentials',
      appkey: CREDS.appKey,
      secretkey: CREDS.appSecret,
    });
    expect(decodeKisApprovalRequest(req.body)).toEqual({ ok: true, value: CREDS });
    expect(decodeKisApprovalRequest(buildKisTokenRequest(CREDS).body).ok).toBe(false);
  });

  it('approval response round-trips', () => {
    const key = 'k'.repeat(286);
    expect(decodeKisApprovalResponse(encodeKisApprovalResponse(key))).toEqual({
      ok: true,
      value: { approvalKey: key },
    });
  });

  it('a token-throttled body is not mistaken for a token', () => {
    expect(decodeKisTokenResponse(kisTokenThrottledResponse().body).ok).toBe(false);
  });
});

describe('KIS minute-bar request', () => {
  const auth = { accessToken: 'tok', ...CREDS };

  it('builds GET inquire-time-itemchartprice with the five FID parameters and the documented headers', () => {
    const req = buildKisMinuteBarsRequest(
      { symbol: '005930', beforeOrAt: kstTime('20260302', '10:29:30') },
      auth,
    );
    expect(req.method).toBe('GET');
    expect(req.path).toBe('/uapi/domestic-stock/v1/quotations/inquire-time-itemchartprice');
    expect(req.query).toEqual({
      FID_COND_MRKT_DIV_CODE: 'J',
      FID_INPUT_ISCD: '005930',
      FID_INPUT_HOUR_1: '102930',
      FID_PW_DATA_INCU_YN: 'Y',
      FID_ETC_CLS_CODE: '',
    });
    expect(req.headers).toMatchObject({
      authorization: 'Bearer tok',
      appkey: CREDS.appKey,
      appsecret: CREDS.appSecret,
      tr_id: 'FHKST03010200',
      custtype: 'P',
      tr_cont: '',
    });
  });

  it('the emulator parses it back from a URL query and mixed-case headers', () => {
    const req = buildKisMinuteBarsRequest(
      { symbol: '000660', beforeOrAt: kstTime('20260302', '15:30:00') },
      auth,
    );
    const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k.toUpperCase(), v]));
    const parsed = parseKisMinuteBarsRequest(new URLSearchParams(req.query), headers);
    expect(parsed).toEqual({
      ok: true,
      value: {
        query: { symbol: '000660', hour: '153000', market: 'J', includePast: 'Y', etcClsCode: '' },
        auth: { accessToken: 'tok', appKey: CREDS.appKey, appSecret: CREDS.appSecret },
      },
    });
  });

  it('refuses a wrong tr_id or a missing token without echoing secrets', () => {
    const req = buildKisMinuteBarsRequest({ symbol: '005930', beforeOrAt: 0 }, auth);
    const wrongTr = parseKisMinuteBarsRequest(req.query ?? {}, { ...req.headers, tr_id: 'FHKST03010100' });
    expect(wrongTr.ok).toBe(false);
    const noToken = parseKisMinuteBarsRequest(req.query ?? {}, { ...req.headers, authorization: undefined });
    expect(noToken.ok).toBe(false);
    if (!noToken.ok) expect(noToken.error.reason).not.toContain(CREDS.appSecret.slice(0, 20));
  });
});

describe('KIS minute-bar response', () => {
  it('round-trips Bar[] newest first, all values strings', () => {
    const page = bars(5);
    const body = encodeKisMinuteBarsResponse(page, { prevClose: 69000, name: '삼성전자' });
    const json = JSON.parse(body);
    expect(json.rt_cd).toBe('0');
    expect(Object.keys(json.output1).sort()).toEqual(
      [
        'acml_tr_pbmn',
        'acml_vol',
        'hts_kor_isnm',
        'prdy_ctrt',
        'prdy_vrss',
        'prdy_vrss_sign',
        'stck_prdy_clpr',
        'stck_prpr',
      ].sort(),
    );
    expect(json.output2[0]).toMatchObject({
      stck_bsop_date: '20260302',
      stck_cntg_hour: '090400',
      stck_prpr: '70600',
    });
    for (const row of json.output2) for (const v of Object.values(row)) expect(typeof v).toBe('string');
    const decoded = decodeKisMinuteBarsResponse(body, '005930');
    expect(decoded.ok && decoded.value.bars).toEqual([...page].reverse());
    expect(decoded.ok && decoded.value.snapshot).toMatchObject({
      prevClose: 69000,
      price: 70600,
      name: '삼성전자',
    });
  });

  it('holds at most 30 rows, the newest ones', () => {
    const body = encodeKisMinuteBarsResponse(bars(45));
    const decoded = decodeKisMinuteBarsResponse(body, '005930');
    expect(decoded.ok && decoded.value.bars.length).toBe(30);
    expect(decoded.ok && decoded.value.bars[29].minute).toBe(bars(45)[15].minute);
  });

  it('skips all-blank padding rows', () => {
    const json = JSON.parse(encodeKisMinuteBarsResponse(bars(2)));
    json.output2.push(Object.fromEntries(Object.keys(json.output2[0]).map((k) => [k, ''])));
    const decoded = decodeKisMinuteBarsResponse(JSON.stringify(json), '005930');
    expect(decoded.ok && decoded.value.bars.length).toBe(2);
  });

  it('rejects the whole page when one row is broken', () => {
    const json = JSON.parse(encodeKisMinuteBarsResponse(bars(3)));
    json.output2[1].stck_hgpr = '70,600';
    const decoded = decodeKisMinuteBarsResponse(JSON.stringify(json), '005930');
    expect(decoded).toMatchObject({ ok: false, error: { code: 'TG_ERR_BROKER_FRAME', kind: 'bad-field' } });
  });

  it('a rate-limit body decodes to a TG_ERR_BROKER_REJECTED error, not to an empty page', () => {
    const decoded = decodeKisMinuteBarsResponse(KIS_RATE_LIMIT_BODY, '005930');
    expect(decoded).toMatchObject({
      ok: false,
      error: { code: 'TG_ERR_BROKER_REJECTED', kind: 'broker-error' },
    });
  });

  it('an expired-token body decodes to TG_ERR_BROKER_HTTP', () => {
    expect(decodeKisMinuteBarsResponse(KIS_EXPIRED_TOKEN_BODY, '005930')).toMatchObject({
      ok: false,
      error: { code: 'TG_ERR_BROKER_HTTP' },
    });
  });
});

describe('KIS refusal bodies', () => {
  it('rate limit: HTTP 500 with rt_cd 1, EGW00201 and the broker message', () => {
    const res = kisRateLimitedResponse();
    expect(res.status).toBe(500);
    expect(JSON.parse(res.body)).toEqual({
      rt_cd: '1',
      msg_cd: 'EGW00201',
      msg1: '초당 거래건수를 초과하였습니다.',
    });
    expect(kisRateLimitedResponse(200).status).toBe(200);
  });

  it('expired token: EGW00123; token throttled: HTTP 403 with error_code/error_description', () => {
    expect(JSON.parse(KIS_EXPIRED_TOKEN_BODY)).toEqual({
      rt_cd: '1',
      msg_cd: 'EGW00123',
      msg1: '기간이 만료된 token 입니다.',
    });
    const throttled = kisTokenThrottledResponse();
    expect(throttled.status).toBe(403);
    expect(JSON.parse(throttled.body)).toEqual({
      error_code: 'EGW00133',
      error_description: '접근토큰 발급 잠시 후 다시 시도하세요(1분당 1회)',
    });
  });
});
