// Scenario value syntax: durations ("800ms", "10s", "2m", "1h", "1m30s") and KST clock times
// ("09:10" or "09:10:00"). Each parser returns undefined on bad input; the caller words the error.

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Milliseconds of a duration like "10s" or "1m30s"; undefined when malformed or not positive. */
export function parseDuration(text: string): number | undefined {
  const trimmed = text.trim();
  if (!/^(\d+(\.\d+)?(ms|s|m|h))+$/.test(trimmed)) return undefined;
  let total = 0;
  for (const part of trimmed.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g))
    total += Number(part[1]) * UNIT_MS[part[2]];
  return total > 0 ? Math.round(total) : undefined;
}

/** "HH:MM[:SS]" within a day (00:00:00-24:00:00), normalised to "HH:MM:SS"; undefined when malformed. */
export function parseClock(text: string): { hhmmss: string; secondsOfDay: number } | undefined {
  const m = /^(\d{1,2}):(\d{2})(?::(\d{2}))?$/.exec(text.trim());
  if (!m) return undefined;
  const [h, min, s] = [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
  if (min > 59 || s > 59 || h > 24 || (h === 24 && (min > 0 || s > 0))) return undefined;
  const pad = (n: number) => String(n).padStart(2, '0');
  return { hhmmss: `${pad(h)}:${pad(min)}:${pad(s)}`, secondsOfDay: h * 3600 + min * 60 + s };
}

/** A calendar date "YYYY-MM-DD" that exists; undefined otherwise. */
export function parseDate(text: string): string | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text.trim());
  if (!m) return undefined;
  const d = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3]));
  if (d.getUTCFullYear() !== +m[1] || d.getUTCMonth() !== +m[2] - 1 || d.getUTCDate() !== +m[3])
    return undefined;
  return text.trim();
}

/** Human form of a duration for messages: 1500 -> "1.5s", 120000 -> "2m". */
export function formatDuration(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms >= 1000) return `${ms / 1000}s`;
  return `${ms}ms`;
}
