// Kiwoom REST codecs: au10001 token, ka10080 minute chart (request, paging headers, signed rows) and
// the refusals (429 + return_code 5 [1700], return_code 3 [8005]) as classifyBrokerResponse sees them.
import { describe, expect, it } from 'vitest';
import { kstTime, MINUTE_MS } from '../../machines/marketHours.ts';
import type { Bar } from '../../machines/types.ts';
import { classifyBrokerResponse } from '../../runtime/brokers/errors.ts';
import {
  buildKiwoomTokenRequest,
  decodeKiwoomTokenRequest,
  decodeKiwoomTokenResponse,
  encodeKiwoomTokenResponse,
} from '../../runtime/brokers/kiwoom/auth.ts';
import {
  buildKiwoomMinuteChartRequest,
  decodeKiwoomMinuteChartResponse,
  encodeKiwoomMinuteChartResponse,
  parseKiwoomMinuteChartRequest,
} from '../../runtime/brokers/kiwoom/minuteChart.ts';
import {
  KIWOOM_INVALID_TOKEN_BODY,
  kiwoomInvalidTokenResponse,
  kiwoomRateLimitBody,
  kiwoomRateLimitedResponse,
} from '../../runtime/brokers/kiwoom/restRejections.ts';

const CREDS = { appKey: 'kiwoom-app-key', secretKey: 'kiwoom-secret-key' };

function bars(count: number): Bar[] {
  const from = kstTime('20250917', '13:00');
  return Array.from({ length: count }, (_, i) => ({
    symbol: '005930',
    minute: from + i * MINUTE_MS,
    open: 78850 + i * 50,
    high: 78900 + i * 50,
    low: 78800 + i * 50,
    close: 78800 + i * 50,
    volume: 7913 + i,
  }));
}

describe('Kiwoom token (au10001)', () => {
  it('request: POST /oauth2/token with appkey and secretkey; round-trips', () => {
    const req = buildKiwoomTokenRequest(CREDS);
    expect([req.method, req.path]).toEqual(['POST', '/oauth2/token']);
    expect(JSON.parse(req.body as string)).toEqual({
      grant_type: 'client_credentials',
      appkey: CREDS.appKey,
      secretkey: CREDS.secretKey,
    });
    expect(decodeKiwoomTokenRequest(req.body)).toEqual({ ok: true, value: CREDS });
  });

  it('response: token, bearer, expires_dt YYYYMMDDHHMMSS (KST), return_code 0; round-trips', () => {
    const expiresAt = kstTime('20260303', '09:00:00');
    const body = encodeKiwoomTokenResponse({ token: 'WQJCwyqInph', expiresAt });
    expect(JSON.parse(body)).toEqual({
      expires_dt: '20260303090000',
      token_type: 'bearer',
      token: 'WQJCwyqInph',
      return_code: 0,
      return_msg: '정상적으로 처리되었습니다',
    });
    expect(decodeKiwoomTokenResponse(body)).toEqual({
      ok: true,
      value: { token: 'WQJCwyqInph', tokenType: 'bearer', expiresAt },
    });
  });
});

describe('Kiwoom ka10080 minute chart', () => {
  it('first request: api-id ka10080, cont-yn N, body stk_cd/tic_scope/upd_stkpc_tp', () => {
    const req = buildKiwoomMinuteChartRequest({ symbol: '005930', ticScope: '1', adjusted: true }, 'tok');
    expect([req.method, req.path]).toEqual(['POST', '/api/dostk/chart']);
    expect(req.headers).toMatchObject({
      'api-id': 'ka10080',
      authorization: 'Bearer tok',
      'cont-yn': 'N',
      'next-key': '',
    });
    expect(JSON.parse(req.body as string)).toEqual({ stk_cd: '005930', tic_scope: '1', upd_stkpc_tp: '1' });
  });

  it('continuation request carries cont-yn Y and next-key; the emulator parses both', () => {
    const req = buildKiwoomMinuteChartRequest(
      { symbol: '005930', ticScope: '1', adjusted: true, nextKey: 'NK1' },
      'tok',
    );
    expect(req.headers).toMatchObject({ 'cont-yn': 'Y', 'next-key': 'NK1' });
    expect(parseKiwoomMinuteChartRequest(req.headers, req.body)).toEqual({
      ok: true,
      value: { query: { symbol: '005930', ticScope: '1', adjusted: true, nextKey: 'NK1' }, token: 'tok' },
    });
  });

  it('the emulator refuses a request without api-id ka10080', () => {
    const req = buildKiwoomMinuteChartRequest({ symbol: '005930', ticScope: '1', adjusted: true }, 'tok');
    expect(parseKiwoomMinuteChartRequest({ ...req.headers, 'api-id': 'ka10081' }, req.body).ok).toBe(false);
  });

  it('response rows are newest first, cur_prc signed against the previous close, cntr_tm YYYYMMDDHHMMSS', () => {
    const res = encodeKiwoomMinuteChartResponse(bars(2), {
      symbol: '005930',
      prevClose: 79400,
      more: true,
      nextKey: 'NK2',
    });
    expect(res.headers).toMatchObject({ 'cont-yn': 'Y', 'next-key': 'NK2', 'api-id': 'ka10080' });
    const json = JSON.parse(res.body);
    expect(json.return_code).toBe(0);
    expect(json.stk_min_pole_chart_qry[0]).toMatchObject({
      cur_prc: '-78850',
      trde_qty: '7914',
      cntr_tm: '20250917130100',
      open_pric: '-78900',
      high_pric: '-78950',
      low_pric: '-78850',
      pred_pre: '-550',
      pred_pre_sig: '5',
    });
  });

  it('round-trips Bar[] with the paging state', () => {
    const page = bars(4);
    const res = encodeKiwoomMinuteChartResponse(page, {
      symbol: '005930',
      prevClose: 70000,
      more: true,
      nextKey: 'K',
    });
    expect(decodeKiwoomMinuteChartResponse(res.body, res.headers)).toEqual({
      ok: true,
      value: { symbol: '005930', bars: [...page].reverse(), more: true, nextKey: 'K' },
    });
    const last = encodeKiwoomMinuteChartResponse(page, { symbol: '005930' });
    expect(decodeKiwoomMinuteChartResponse(last.body, last.headers)).toMatchObject({
      ok: true,
      value: { more: false, nextKey: '' },
    });
  });

  it('tolerates the doubled sign seen in live rows and rejects a page with a broken row', () => {
    const json = JSON.parse(encodeKiwoomMinuteChartResponse(bars(2), { symbol: '005930' }).body);
    json.stk_min_pole_chart_qry[0].cur_prc = '--78850';
    const ok = decodeKiwoomMinuteChartResponse(JSON.stringify(json));
    expect(ok.ok && ok.value.bars[0].close).toBe(78850);
    json.stk_min_pole_chart_qry[1].cntr_tm = '2025091713';
    expect(decodeKiwoomMinuteChartResponse(JSON.stringify(json))).toMatchObject({
      ok: false,
      error: { kind: 'bad-field' },
    });
  });

  it('a rate-limit body is TG_ERR_BROKER_REJECTED, not an empty page', () => {
    expect(decodeKiwoomMinuteChartResponse(kiwoomRateLimitBody('ka10080'))).toMatchObject({
      ok: false,
      error: { code: 'TG_ERR_BROKER_REJECTED' },
    });
  });
});

describe('Kiwoom refusals and their classification', () => {
  it('429 body: return_code 5 with the 1700 message naming the api-id', () => {
    const res = kiwoomRateLimitedResponse('ka10080');
    expect(res.status).toBe(429);
    expect(JSON.parse(res.body)).toEqual({
      return_code: 5,
      return_msg: '허용된 요청 개수를 초과하였습니다[1700:허용된 요청 개수를 초과하였습니다. API ID=ka10080]',
    });
    const c = classifyBrokerResponse('kiwoom', res.status, res.body);
    expect(c).toMatchObject({ kind: 'rate-limited', msgCd: '1700', retryAfterMs: 1000 });
    expect(c.kind !== 'ok' && c.error.code).toBe('TG_ERR_BROKER_REJECTED');
  });

  it('return_code 5 with [1700] is a rate limit even with HTTP 200', () => {
    expect(classifyBrokerResponse('kiwoom', 200, kiwoomRateLimitBody('ka10080')).kind).toBe('rate-limited');
  });

  it('return_code 5 with [1634] (batch too large, same wording) is not a rate limit', () => {
    const body = JSON.stringify({
      return_code: 5,
      return_msg: '허용된 요청 개수를 초과하였습니다[1634:허용된 요청 개수를 초과하였습니다]',
    });
    expect(classifyBrokerResponse('kiwoom', 200, body)).toMatchObject({
      kind: 'broker-error',
      msgCd: '1634',
    });
  });

  it('invalid token: HTTP 200, return_code 3, [8005] is auth; so are return_code 8005 and the WebSocket form', () => {
    const res = kiwoomInvalidTokenResponse('ka10080');
    expect([res.status, res.body]).toEqual([200, KIWOOM_INVALID_TOKEN_BODY]);
    expect(classifyBrokerResponse('kiwoom', 200, res.body)).toMatchObject({ kind: 'auth', msgCd: '8005' });
    expect(classifyBrokerResponse('kiwoom', 200, '{"return_code":8005,"return_msg":"token"}').kind).toBe(
      'auth',
    );
    const ws = '{"return_code":3,"return_msg":"[CODE=8005, MESSAGE=Token이 유효하지 않습니다]"}';
    expect(classifyBrokerResponse('kiwoom', 200, ws).kind).toBe('auth');
  });

  it('a plain 429 without a body is still a rate limit', () => {
    expect(classifyBrokerResponse('kiwoom', 429, '').kind).toBe('rate-limited');
  });

  it('return_code 0 is ok; another code (1902 no such stock) is broker-error', () => {
    expect(classifyBrokerResponse('kiwoom', 200, '{"return_code":0,"stk_min_pole_chart_qry":[]}').kind).toBe(
      'ok',
    );
    const body = '{"return_code":2,"return_msg":"조회할 자료가 없습니다[1902:종목 정보가 없습니다]"}';
    expect(classifyBrokerResponse('kiwoom', 200, body)).toMatchObject({
      kind: 'broker-error',
      msgCd: '1902',
    });
  });
});
