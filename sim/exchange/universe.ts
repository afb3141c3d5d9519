// The simulated symbol universe: real KRX codes at the top of the volume ranking, then plausible
// 6-digit codes down to real small caps. Codes and ranks do not depend on the seed (a scenario may
// name them); prices and previous-session volumes do.
import { TgError } from '../../machines/errors.ts';
import { createRng, type Rng } from '../kernel/rng.ts';
import { onGrid } from './tickSize.ts';

/** Symbols listed on KOSPI + KOSDAQ in the reference full-market day. */
export const FULL_MARKET_SIZE = 2539;
/** Trades of a full-market day (all FULL_MARKET_SIZE symbols). */
export const FULL_MARKET_TRADES_PER_DAY = 10_000_000;
/** Zipf-Mandelbrot shape of trades by rank: weight(r) = 1 / (r + ZIPF_OFFSET) ^ ZIPF_EXPONENT. */
const ZIPF_EXPONENT = 1;
const ZIPF_OFFSET = 2;
const DEFAULT_MEAN_QTY = 20;

export interface SymbolInfo {
  code: string;
  name: string;
  /** 1 = busiest. */
  rank: number;
  /** Previous session's volume in shares (dispatch priority); strictly decreasing with rank. */
  prevVolume: number;
  prevClose: number;
  /** Expected trades in one full session. */
  tradesPerDay: number;
  /** Mean shares per trade. */
  meanQty: number;
}

/** [code, English name, reference price] in volume-rank order. */
const TOP: [string, string, number][] = [
  ['005930', 'Samsung Electronics', 70_000],
  ['000660', 'SK hynix', 200_000],
  ['005935', 'Samsung Electronics Pref', 57_000],
  ['373220', 'LG Energy Solution', 350_000],
  ['207940', 'Samsung Biologics', 1_000_000],
  ['005380', 'Hyundai Motor', 200_000],
  ['000270', 'Kia', 90_000],
  ['068270', 'Celltrion', 180_000],
  ['035420', 'NAVER', 200_000],
  ['105560', 'KB Financial Group', 80_000],
  ['055550', 'Shinhan Financial Group', 50_000],
  ['005490', 'POSCO Holdings', 300_000],
  ['035720', 'Kakao', 40_000],
  ['051910', 'LG Chem', 300_000],
  ['006400', 'Samsung SDI', 250_000],
  ['012330', 'Hyundai Mobis', 250_000],
  ['028260', 'Samsung C&T', 140_000],
  ['066570', 'LG Electronics', 80_000],
  ['003550', 'LG Corp', 75_000],
  ['032830', 'Samsung Life Insurance', 90_000],
  ['086790', 'Hana Financial Group', 60_000],
  ['015760', 'KEPCO', 22_000],
  ['034730', 'SK Inc', 150_000],
  ['017670', 'SK Telecom', 55_000],
  ['096770', 'SK Innovation', 110_000],
  ['011200', 'HMM', 18_000],
  ['010130', 'Korea Zinc', 800_000],
  ['009150', 'Samsung Electro-Mechanics', 130_000],
  ['018260', 'Samsung SDS', 140_000],
  ['259960', 'Krafton', 300_000],
  ['042700', 'Hanmi Semiconductor', 90_000],
  ['247540', 'EcoPro BM', 150_000],
  ['086520', 'EcoPro', 80_000],
  ['196170', 'Alteogen', 350_000],
  ['000100', 'Yuhan', 110_000],
  ['316140', 'Woori Financial Group', 15_000],
  ['033780', 'KT&G', 100_000],
  ['030200', 'KT', 40_000],
  ['003670', 'POSCO Future M', 200_000],
  ['010950', 'S-Oil', 60_000],
];

/** Real small caps at the bottom of the ranking (last entry = least traded). */
const BOTTOM: [string, string, number][] = [
  ['000230', 'Ildong Holdings', 12_000],
  ['000220', 'Yuyu Pharma', 5_000],
  ['000180', 'Sungchang Enterprise', 2_000],
  ['000050', 'Kyungbang', 8_000],
  ['000040', 'KR Motors', 600],
  ['000020', 'Dongwha Pharm', 8_000],
];

interface Listing {
  code: string;
  name: string;
  refPrice?: number;
}

let cachedListings: Listing[] = [];

/** The first `count` listings in rank order (at least the full market), codes fixed across seeds. */
function listings(count: number): Listing[] {
  const want = Math.max(count, FULL_MARKET_SIZE);
  if (cachedListings.length >= want) return cachedListings;
  const fixed = new Set([...TOP, ...BOTTOM].map(([code]) => code));
  const rng = createRng('krx-listing-codes');
  const middle: Listing[] = [];
  const seen = new Set<string>();
  const middleCount = want - TOP.length - BOTTOM.length;
  while (middle.length < middleCount) {
    // KRX short codes: six digits, ordinary shares end in 0.
    const code = String((100 + rng.int(49_900)) * 10).padStart(6, '0');
    if (fixed.has(code) || seen.has(code)) continue;
    seen.add(code);
    middle.push({ code, name: `KRX ${code}` });
  }
  const toListing = ([code, name, refPrice]: [string, string, number]): Listing => ({ code, name, refPrice });
  cachedListings = [...TOP.map(toListing), ...middle, ...BOTTOM.map(toListing)];
  return cachedListings;
}

/** Every code of the full market (or more), busiest first. */
export function marketCodes(count: number = FULL_MARKET_SIZE): string[] {
  return listings(count)
    .slice(0, Math.max(count, 0))
    .map((l) => l.code);
}

function zipfWeight(rank: number): number {
  return 1 / Math.pow(rank + ZIPF_OFFSET, ZIPF_EXPONENT);
}

let fullMarketWeight = 0;
function totalWeight(): number {
  if (fullMarketWeight === 0) {
    for (let r = 1; r <= FULL_MARKET_SIZE; r++) fullMarketWeight += zipfWeight(r);
  }
  return fullMarketWeight;
}

export type UniverseSpec = { count: number } | { list: string[] };

export interface UniverseOptions {
  /** Prices and previous volumes are drawn from this stream (e.g. `createRng(seed).fork('universe')`). */
  rng: Rng;
  /** Trades of a full-market day; a smaller universe takes its ranks' share. */
  fullMarketTradesPerDay?: number;
  meanQty?: number;
}

/**
 * The symbols of a scenario. `{ count: n }` takes the n busiest; `{ list }` keeps the named codes
 * (unknown but well-formed codes rank after the full market, in the given order). Result is in
 * rank order.
 */
export function buildUniverse(spec: UniverseSpec, options: UniverseOptions): SymbolInfo[] {
  const total = options.fullMarketTradesPerDay ?? FULL_MARKET_TRADES_PER_DAY;
  const meanQty = options.meanQty ?? DEFAULT_MEAN_QTY;
  const rng = options.rng;
  let chosen: { listing: Listing; rank: number }[];
  if ('count' in spec) {
    if (!Number.isInteger(spec.count) || spec.count < 1) {
      throw new TgError('TG_ERR_SCENARIO', `symbol count must be a positive integer, got ${spec.count}`);
    }
    chosen = listings(spec.count)
      .slice(0, spec.count)
      .map((listing, i) => ({ listing, rank: i + 1 }));
  } else {
    const all = listings(FULL_MARKET_SIZE);
    const rankOf = new Map(all.map((l, i) => [l.code, i + 1]));
    let extra = all.length;
    chosen = [];
    for (const code of new Set(spec.list)) {
      if (!/^\d{6}$/.test(code)) {
        throw new TgError('TG_ERR_SCENARIO', `symbol "${code}" is not a 6-digit KRX code`);
      }
      const rank = rankOf.get(code);
      if (rank !== undefined) chosen.push({ listing: all[rank - 1], rank });
      else chosen.push({ listing: { code, name: `KRX ${code}` }, rank: ++extra });
    }
    chosen.sort((a, b) => a.rank - b.rank);
  }
  const infos: SymbolInfo[] = chosen.map(({ listing, rank }) => {
    const own = rng.fork(listing.code);
    const refPrice = listing.refPrice ?? Math.exp(Math.log(1_000) + own.next() * Math.log(150));
    const prevClose = onGrid(refPrice * (0.9 + 0.2 * own.next()));
    const tradesPerDay = (total * zipfWeight(rank)) / totalWeight();
    return { code: listing.code, name: listing.name, rank, prevVolume: 0, prevClose, tradesPerDay, meanQty };
  });
  // Previous volumes: expected shares with noise, then re-sorted so rank order and volume order agree.
  const volumes = infos
    .map((s) => Math.max(1, Math.round(s.tradesPerDay * s.meanQty * (0.85 + 0.3 * rng.next()))))
    .sort((a, b) => b - a);
  for (let i = 0; i < infos.length; i++) {
    infos[i].prevVolume = Math.max(volumes[i], infos.length - i);
  }
  for (let i = infos.length - 2; i >= 0; i--) {
    if (infos[i].prevVolume <= infos[i + 1].prevVolume) infos[i].prevVolume = infos[i + 1].prevVolume + 1;
  }
  return infos;
}
