// KRX price grid (the tick table of machines/krxTickSize.ts) and the daily price limits (+-30 % of
// the previous close, snapped onto the grid), so simulated prices are prices the exchange allows.
import { krxTickSize as tickSize } from '../../machines/krxTickSize.ts';

export { tickSize };

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
