// Live KIS minute bars (BrokerRest): 주식당일분봉조회 FHKST03010200 with FID_INPUT_HOUR_1 = the KST
// minute containing `beforeOrAt`, up to 30 bars newest first, today only. An expired token (EGW00123)
// is refreshed once; rate limits, outages and broken bodies come out as the port's coded errors.
import {
  KRX_HOURS,
  kstDay,
  kstMidnight,
  minuteOf,
  MINUTE_MS,
  type SessionHours,
} from '../../../machines/marketHours.ts';
import type { Bar } from '../../../machines/types.ts';
import type { BrokerRest, MinuteBarPage } from '../../../ports/broker.ts';
import type { Clock } from '../../../ports/clock.ts';
import type { Logger } from '../../log.ts';
import { callWithToken } from '../restCall.ts';
import type { TokenCache } from '../tokenCache.ts';
import { buildKisMinuteBarsRequest, decodeKisMinuteBarsResponse, KIS_BARS_PER_CALL } from './minuteBars.ts';

export interface KisRestClientOptions {
  restUrl: string;
  appKey: string;
  appSecret: string;
  token: TokenCache;
  clock: Clock;
  timeoutMs: number;
  log: Logger;
  /** Where the session starts (a page reaching it is the last); KRX hours by default. */
  sessionHours?: SessionHours;
  fetch?: typeof fetch;
}

/** The first minute of the session of the day containing `t`. */
export function sessionStartMinute(t: number, hours: SessionHours = KRX_HOURS): number {
  return kstMidnight(t) + (hours.always ? 0 : hours.openMin * MINUTE_MS);
}

export class KisRestClient implements BrokerRest {
  readonly broker = 'kis' as const;
  readonly appKey: string;
  private readonly o: KisRestClientOptions;

  constructor(o: KisRestClientOptions) {
    this.o = o;
    this.appKey = o.appKey;
  }

  async minuteBars(symbol: string, beforeOrAt: number): Promise<MinuteBarPage> {
    const target = minuteOf(beforeOrAt);
    // The endpoint serves today only: an earlier day has nothing to give.
    if (kstDay(target) < kstDay(this.o.clock.now())) return { bars: [], exhausted: true };
    const raw = await this.fetchPage(symbol, target);
    const day = kstDay(target);
    const bars = raw.filter((b) => b.minute <= target && kstDay(b.minute) === day);
    const oldest = bars[bars.length - 1]?.minute;
    const exhausted =
      raw.length < KIS_BARS_PER_CALL ||
      (oldest !== undefined && oldest <= sessionStartMinute(target, this.o.sessionHours));
    return { bars, exhausted };
  }

  /** One request, plus one more with a fresh token when KIS says the token expired (EGW00123). */
  private async fetchPage(symbol: string, target: number): Promise<Bar[]> {
    const o = this.o;
    const page = await callWithToken(
      { ...o, broker: 'kis', secrets: [o.appKey, o.appSecret] },
      {
        build: (accessToken) =>
          buildKisMinuteBarsRequest(
            { symbol, beforeOrAt: target },
            { accessToken, appKey: o.appKey, appSecret: o.appSecret },
          ),
        tokenRefused: (cls) => cls.kind === 'auth' && cls.msgCd === 'EGW00123',
        refreshMessage: 'broker token expired, refreshing',
        decode: (reply) => decodeKisMinuteBarsResponse(reply.text, symbol),
      },
    );
    return page.bars;
  }
}
