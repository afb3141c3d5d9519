// KRX session calendar (all times KST = UTC+9, no daylight saving): continuous trading 09:00-15:20,
// closing call auction 15:20-15:30. Pure; used by the stall detector and the exchange model.

export const KST_OFFSET_MS = 9 * 3600_000;
export const MINUTE_MS = 60_000;

export interface SessionHours {
  /** Minutes after KST midnight. */
  openMin: number;
  continuousEndMin: number;
  closeMin: number;
  /** Trade around the clock (`--market-open always`). */
  always?: boolean;
}

export const KRX_HOURS: SessionHours = {
  openMin: 9 * 60,
  continuousEndMin: 15 * 60 + 20,
  closeMin: 15 * 60 + 30,
};

/** Epoch ms of KST midnight of the day containing `t`. */
export function kstMidnight(t: number): number {
  return Math.floor((t + KST_OFFSET_MS) / 86_400_000) * 86_400_000 - KST_OFFSET_MS;
}

/** 'YYYYMMDD' trading day (KST) of epoch ms `t`. */
export function kstDay(t: number): string {
  const d = new Date(kstMidnight(t) + KST_OFFSET_MS);
  return `${d.getUTCFullYear()}${String(d.getUTCMonth() + 1).padStart(2, '0')}${String(d.getUTCDate()).padStart(2, '0')}`;
}

/** Epoch ms for a KST day 'YYYYMMDD' (or 'YYYY-MM-DD') and a time 'HH:MM[:SS]'. */
export function kstTime(day: string, hhmmss: string): number {
  const digits = day.replace(/-/g, '');
  const [h, m, s = '0'] = hhmmss.split(':');
  const utc = Date.UTC(+digits.slice(0, 4), +digits.slice(4, 6) - 1, +digits.slice(6, 8), +h, +m, +s);
  return utc - KST_OFFSET_MS;
}

/** Whether the exchange is trading at `t` (weekends are closed unless `always`). */
export function isSessionOpen(t: number, hours: SessionHours = KRX_HOURS): boolean {
  if (hours.always) return true;
  const local = new Date(t + KST_OFFSET_MS);
  const dow = local.getUTCDay();
  if (dow === 0 || dow === 6) return false;
  const min = local.getUTCHours() * 60 + local.getUTCMinutes();
  return min >= hours.openMin && min < hours.closeMin;
}

/**
 * Whether trades print continuously at `t`: the session is open and the closing call auction
 * (continuousEndMin..closeMin, which prints only at the close) has not begun. Stall alarms use this.
 */
export function isContinuousTrading(t: number, hours: SessionHours = KRX_HOURS): boolean {
  if (hours.always) return true;
  if (!isSessionOpen(t, hours)) return false;
  return (t - kstMidnight(t)) / MINUTE_MS < hours.continuousEndMin;
}

/** Start (epoch ms) of the minute containing `t`. */
export function minuteOf(t: number): number {
  return Math.floor(t / MINUTE_MS) * MINUTE_MS;
}
