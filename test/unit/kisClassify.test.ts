// classifyBrokerResponse for KIS, plus the broker-independent cases (HTML pages, bad JSON, 5xx,
// secret scrubbing). Kiwoom's codes are covered in kiwoomRest.test.ts.
import { describe, expect, it } from 'vitest';
import { isTgError } from '../../machines/errors.ts';
import { classifyBrokerResponse, redactSecrets } from '../../runtime/brokers/errors.ts';
import { encodeKisTokenResponse } from '../../runtime/brokers/kis/auth.ts';
import {
  KIS_EXPIRED_TOKEN_BODY,
  KIS_RATE_LIMIT_BODY,
  KIS_TOKEN_THROTTLED_BODY,
} from '../../runtime/brokers/kis/restRejections.ts';

const SECRET = 'Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2FycGx5d2FsZG9mcmVk';

describe('classifyBrokerResponse (KIS)', () => {
  it('EGW00201 with HTTP 500 is a rate limit: TG_ERR_BROKER_REJECTED with retryAfterMs 1000', () => {
    const c = classifyBrokerResponse('kis', 500, KIS_RATE_LIMIT_BODY);
    expect(c).toMatchObject({ kind: 'rate-limited', retryAfterMs: 1000, msgCd: 'EGW00201' });
    if (c.kind === 'ok') return;
    expect(isTgError(c.error, 'TG_ERR_BROKER_REJECTED')).toBe(true);
    expect(c.error.details).toMatchObject({
      status: 500,
      msgCd: 'EGW00201',
      retryAfterMs: 1000,
      broker: 'kis',
    });
  });

  it('EGW00201 with HTTP 200 is a rate limit too', () => {
    expect(classifyBrokerResponse('kis', 200, KIS_RATE_LIMIT_BODY).kind).toBe('rate-limited');
  });

  it('a Retry-After header sets the wait', () => {
    const c = classifyBrokerResponse('kis', 500, KIS_RATE_LIMIT_BODY, { retryAfter: '2' });
    expect(c.kind === 'rate-limited' && c.retryAfterMs).toBe(2000);
  });

  it('EGW00123 (expired token) is auth, TG_ERR_BROKER_HTTP', () => {
    const c = classifyBrokerResponse('kis', 500, KIS_EXPIRED_TOKEN_BODY);
    expect(c).toMatchObject({ kind: 'auth', msgCd: 'EGW00123' });
    expect(c.kind !== 'ok' && c.error.code).toBe('TG_ERR_BROKER_HTTP');
  });

  it('EGW00133 (token re-issued too soon, HTTP 403) is auth with a one-minute wait', () => {
    const c = classifyBrokerResponse('kis', 403, KIS_TOKEN_THROTTLED_BODY);
    expect(c).toMatchObject({ kind: 'auth', msgCd: 'EGW00133' });
    expect(c.kind !== 'ok' && c.error.details.retryAfterMs).toBe(60_000);
  });

  it('rt_cd "0" with HTTP 200 is ok and hands over the parsed body', () => {
    const c = classifyBrokerResponse('kis', 200, '{"rt_cd":"0","msg_cd":"MCA00000","output2":[]}');
    expect(c).toEqual({ kind: 'ok', status: 200, body: { rt_cd: '0', msg_cd: 'MCA00000', output2: [] } });
  });

  it('a token response (no rt_cd) with HTTP 200 is ok', () => {
    expect(
      classifyBrokerResponse('kis', 200, encodeKisTokenResponse({ accessToken: 't', expiresAt: 0 })).kind,
    ).toBe('ok');
  });

  it('another business error is broker-error', () => {
    const c = classifyBrokerResponse('kis', 500, '{"rt_cd":"1","msg_cd":"OPSQ0002","msg1":"없는 종목"}');
    expect(c).toMatchObject({ kind: 'broker-error', msgCd: 'OPSQ0002' });
  });
});

describe('classifyBrokerResponse (any broker)', () => {
  it.each(['kis', 'kiwoom'] as const)(
    '%s: an HTML page is html-error-page, whatever the status',
    (broker) => {
      for (const status of [200, 502]) {
        const c = classifyBrokerResponse(
          broker,
          status,
          '<!DOCTYPE html><html><h1>502 Bad Gateway</h1></html>',
        );
        expect(c.kind).toBe('html-error-page');
        expect(c.kind !== 'ok' && c.error.code).toBe('TG_ERR_BROKER_HTTP');
      }
    },
  );

  it('truncated JSON with HTTP 200 is bad-json', () => {
    expect(classifyBrokerResponse('kis', 200, '{"rt_cd":"0","output2":[{"stck_').kind).toBe('bad-json');
  });

  it('an empty or non-JSON body with HTTP 5xx is server-error', () => {
    expect(classifyBrokerResponse('kis', 503, '').kind).toBe('server-error');
    expect(classifyBrokerResponse('kiwoom', 500, 'upstream timeout').kind).toBe('server-error');
  });

  it('a JSON array is not a broker body', () => {
    expect(classifyBrokerResponse('kis', 200, '[1,2]').kind).toBe('bad-json');
  });

  it('HTTP 401 without a broker code is auth', () => {
    expect(classifyBrokerResponse('kis', 401, '{}').kind).toBe('auth');
  });

  it('never puts secrets the broker echoed into the error message', () => {
    const body = JSON.stringify({ rt_cd: '1', msg_cd: 'EGW00103', msg1: `유효하지 않은 AppKey: ${SECRET}` });
    const c = classifyBrokerResponse('kis', 500, body, { secrets: ['PSshortkey'] });
    expect(c.kind).not.toBe('ok');
    if (c.kind === 'ok') return;
    expect(c.error.message).not.toContain(SECRET);
    expect(c.error.message).toContain('[redacted]');
    expect(JSON.stringify(c.error.details)).not.toContain(SECRET);
  });
});

describe('redactSecrets', () => {
  it('scrubs UUID approval keys, long key-like runs and listed secrets, keeps the words', () => {
    const text = `invalid approval : 062f61cb-c756-4b8f-9fab-92113c6fbea4 token ${SECRET} app PSshort1`;
    const out = redactSecrets(text, ['PSshort1']);
    expect(out).toBe('invalid approval : [redacted] token [redacted] app [redacted]');
  });

  it('caps the length', () => {
    expect(redactSecrets('가'.repeat(500)).length).toBeLessThanOrEqual(203);
  });
});
