// Small formatting helpers shared by the terminal table and the HTML page.
import { KST_OFFSET_MS } from '../../machines/marketHours.ts';
import type { Metrics } from './types.ts';

/** "09:10:00.250" KST for a virtual epoch ms. */
export function kstClock(t: number): string {
  const d = new Date(t + KST_OFFSET_MS);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}`;
}

/** "850ms", "2.5s", "1m05s"; "-" for null. */
export function ms(value: number | null): string {
  if (value === null) return '-';
  if (value < 1000) return `${Math.round(value)}ms`;
  if (value < 60_000) return `${(value / 1000).toFixed(1)}s`;
  const m = Math.floor(value / 60_000);
  const s = Math.round((value % 60_000) / 1000);
  return `${m}m${String(s).padStart(2, '0')}s`;
}

export function ratio(value: number): string {
  return value === 1 ? '1.0' : value.toFixed(4);
}

/** "1m05s / 1m00s (1.08x)" */
export function recoveryVsBound(m: Metrics): string {
  const actual = m.timeToFullRecoveryMs;
  const bound = m.timeToFullRecoveryLowerBoundMs;
  if (actual === null) return `never / ${ms(bound)}`;
  const factor = bound > 0 ? ` (${(actual / bound).toFixed(2)}x)` : '';
  return `${ms(actual)} / ${ms(bound)}${factor}`;
}

/** "sup 3 plat 1" summed over components. */
export function restartsSummary(m: Metrics): string {
  let sup = 0;
  let plat = 0;
  for (const r of Object.values(m.restarts)) {
    sup += r.supervisor;
    plat += r.platform;
  }
  return `sup ${sup} plat ${plat}`;
}
