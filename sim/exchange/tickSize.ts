// KRX price grid (tick sizes in force since 2023-01-25, KOSPI and KOSDAQ alike) and the daily
// price limits (+-30 % of the previous close), so simulated prices are prices the exchange allows.

/** Tick size for a price level. */
export function tickSize(price: number): number {
  if (price < 2_000) return 1;
  if (price < 5_000) return 5;
  if (price < 20_000) return 10;
  if (price < 50_000) return 50;
  if (price < 200_000) return 100;
  if (price < 500_000) return 500;
  return 1_000;
}

/** Next price up the grid. */
export function tickUp(price: number): number {
  return price + tickSize(price);
}

/** Next price down the grid: the step is the tick size of the band just below. */
export function tickDown(price: number): number {
  return price <= 1 ? 1 : price - tickSize(price - 1);
}

/** Round a price down onto the grid. */
export function onGrid(price: number): number {
  const p = Math.max(1, Math.floor(price));
  const size = tickSize(p);
  return p - (p % size);
}

export interface PriceLimits {
  lower: number;
  upper: number;
}

/** Daily limits: previous close +-30 %, snapped inside the band onto the grid. */
export function priceLimits(prevClose: number): PriceLimits {
  const upper = onGrid(prevClose * 1.3);
  let lower = onGrid(prevClose * 0.7);
  if (lower < prevClose * 0.7) lower = tickUp(lower);
  return { lower: Math.max(1, lower), upper };
}
