// Live Kiwoom minute bars (BrokerRest) and token issue: ka10080 pages newest first from now, so the
// client follows cont-yn/next-key until it holds a full page (30) of bars at or before the asked
// minute or the broker has no older page. An invalid token (8005) is refreshed once per request.
import { TgError } from '../../../machines/errors.ts';
import { minuteOf } from '../../../machines/marketHours.ts';
import type { Bar } from '../../../machines/types.ts';
import type { BrokerRest, MinuteBarPage } from '../../../ports/broker.ts';
import type { Clock } from '../../../ports/clock.ts';
import type { Logger } from '../../log.ts';
import { toTgError } from '../errors.ts';
import { callWithToken, sendClassified } from '../restCall.ts';
import type { IssuedToken, TokenCache } from '../tokenCache.ts';
import { buildKiwoomTokenRequest, decodeKiwoomTokenResponse } from './auth.ts';
import {
  buildKiwoomMinuteChartRequest,
  decodeKiwoomMinuteChartResponse,
  type KiwoomChartPage,
} from './minuteChart.ts';

/** Bars handed back per call, like KIS: the recovery worker asks in 30-minute chunks. */
export const KIWOOM_BARS_PER_CALL = 30;
/** A request that needs more pages than this is refused rather than run on forever. */
export const KIWOOM_MAX_PAGES = 40;

export interface KiwoomRestClientOptions {
  restUrl: string;
  appKey: string;
  secretKey: string;
  token: TokenCache;
  clock: Clock;
  timeoutMs: number;
  log: Logger;
  fetch?: typeof fetch;
}

export async function issueKiwoomToken(o: {
  restUrl: string;
  appKey: string;
  secretKey: string;
  clock: Clock;
  timeoutMs: number;
  fetch?: typeof fetch;
}): Promise<IssuedToken> {
  const { reply, cls } = await sendClassified(
    { ...o, broker: 'kiwoom' },
    buildKiwoomTokenRequest({ appKey: o.appKey, secretKey: o.secretKey }),
    [o.appKey, o.secretKey],
  );
  if (cls.kind !== 'ok') throw cls.error;
  const token = decodeKiwoomTokenResponse(reply.text);
  if (!token.ok) throw toTgError({ ...token.error, code: 'TG_ERR_BROKER_HTTP' }, { status: reply.status });
  return { value: token.value.token, expiresAt: token.value.expiresAt };
}

export class KiwoomRestClient implements BrokerRest {
  readonly broker = 'kiwoom' as const;
  readonly appKey: string;
  private readonly o: KiwoomRestClientOptions;

  constructor(o: KiwoomRestClientOptions) {
    this.o = o;
    this.appKey = o.appKey;
  }

  async minuteBars(symbol: string, beforeOrAt: number, permit?: () => Promise<void>): Promise<MinuteBarPage> {
    const target = minuteOf(beforeOrAt);
    const found = new Map<number, Bar>();
    let nextKey: string | undefined;
    for (let pages = 0; pages < KIWOOM_MAX_PAGES; pages++) {
      // Every page is a request the broker counts: each one after the first needs its own token.
      if (pages > 0) {
        if (!permit) {
          throw new TgError(
            'TG_ERR_BROKER_HTTP',
            'kiwoom ka10080: the minute is beyond the first page and no rate-limit permit was given for more requests',
            { broker: 'kiwoom', symbol },
          );
        }
        await permit();
      }
      const page = await this.fetchPage(symbol, nextKey);
      for (const b of page.bars) if (b.minute <= target && !found.has(b.minute)) found.set(b.minute, b);
      const atOrBefore = [...found.values()].sort((a, b) => b.minute - a.minute);
      if (atOrBefore.length > KIWOOM_BARS_PER_CALL)
        return { bars: atOrBefore.slice(0, KIWOOM_BARS_PER_CALL), exhausted: false };
      if (!page.more) return { bars: atOrBefore, exhausted: true };
      if (atOrBefore.length === KIWOOM_BARS_PER_CALL) return { bars: atOrBefore, exhausted: false };
      if (page.nextKey === '' || page.nextKey === nextKey) {
        throw new TgError('TG_ERR_BROKER_HTTP', 'kiwoom ka10080: cont-yn Y without a usable next-key', {
          broker: 'kiwoom',
          symbol,
        });
      }
      nextKey = page.nextKey;
    }
    // Handing back a partial page would let the caller take missing minutes for minutes without trades.
    throw new TgError(
      'TG_ERR_BROKER_HTTP',
      `kiwoom ka10080: more than ${KIWOOM_MAX_PAGES} pages to reach the minute`,
      {
        broker: 'kiwoom',
        symbol,
      },
    );
  }

  /** One page, plus one more try with a fresh token when Kiwoom refuses the token (8005). */
  private fetchPage(symbol: string, nextKey: string | undefined): Promise<KiwoomChartPage> {
    const o = this.o;
    return callWithToken(
      { ...o, broker: 'kiwoom', secrets: [o.appKey, o.secretKey] },
      {
        build: (token) =>
          buildKiwoomMinuteChartRequest({ symbol, ticScope: '1', adjusted: true, nextKey }, token),
        tokenRefused: (cls) => cls.kind === 'auth',
        refreshMessage: 'broker token refused, refreshing',
        decode: (reply) => decodeKiwoomMinuteChartResponse(reply.text, reply.headers, symbol),
      },
    );
  }
}
