// The KRX price tick (table in force since 2023-01-25, KOSPI and KOSDAQ alike). Here, in pure
// machines/, because both the live codecs (best quotes) and the simulator's price grid need it.

/** Tick size at a price level. */
export function krxTickSize(price: number): number {
  if (price < 2_000) return 1;
  if (price < 5_000) return 5;
  if (price < 20_000) return 10;
  if (price < 50_000) return 50;
  if (price < 200_000) return 100;
  if (price < 500_000) return 500;
  return 1_000;
}
