// Lower bound of the time to full recovery, from an ideal scheduler:
//   requests: each gap's minutes minute(start)..minute(end) in chunks of `barsPerRequest`;
//   release(chunk) = max(last minute of the chunk + 60 s, start of the fault that opened the gap)
//     (a minute is fetchable once completed; nobody can know of a gap before its fault began);
//   service: chunks in release order, one request every 1000 / rateLimitPerSec ms, zero latency:
//     issue(1) = release(1), issue(i) = max(release(i), issue(i-1) + 1000 / rateLimitPerSec);
//   an issue time that falls while broker REST is unreachable moves to the end of that outage;
//   lower bound = max(0, issue(last) + minimum broker latency - end of the last fault)
//   (0 when there is no gap): the last bar cannot be stored before its response arrives.
import { MINUTE_MS, minuteOf } from '../../machines/marketHours.ts';

export interface GapInterval {
  symbol: string;
  /** Epoch ms; the gap's minutes are minute(start)..minute(end) inclusive. */
  start: number;
  end: number;
  /** Start of the fault that opened it (defaults to `start`). */
  faultStart?: number;
}

export interface LowerBoundInput {
  /** Recoverable gaps only (unrecoverable minutes are not waited for). */
  gaps: GapInterval[];
  barsPerRequest: number;
  rateLimitPerSec: number;
  /** End of the last fault (epoch ms). */
  lastFaultEnd: number;
  /** The broker's fastest response (ms); default 0. */
  minLatencyMs?: number;
  /** Intervals [from, to) in which broker REST could not answer any request. */
  unavailable?: { from: number; to: number }[];
}

function whenAvailable(t: number, unavailable: { from: number; to: number }[]): number {
  let moved = t;
  for (const u of unavailable) if (moved >= u.from && moved < u.to) moved = u.to;
  return moved;
}

export interface LowerBound {
  lowerBoundMs: number;
  /** Requests the ideal scheduler needs. */
  requests: number;
  /** When it issues the last one (epoch ms); null without gaps. */
  idealFinish: number | null;
}

export function recoveryLowerBound(input: LowerBoundInput): LowerBound {
  const releases: number[] = [];
  for (const gap of input.gaps) {
    const first = minuteOf(gap.start);
    const last = minuteOf(gap.end);
    const notBefore = gap.faultStart ?? gap.start;
    for (let chunkStart = first; chunkStart <= last; chunkStart += input.barsPerRequest * MINUTE_MS) {
      const chunkLast = Math.min(last, chunkStart + (input.barsPerRequest - 1) * MINUTE_MS);
      releases.push(Math.max(chunkLast + MINUTE_MS, notBefore));
    }
  }
  if (releases.length === 0) return { lowerBoundMs: 0, requests: 0, idealFinish: null };
  releases.sort((a, b) => a - b);
  const interval = 1000 / input.rateLimitPerSec;
  const unavailable = [...(input.unavailable ?? [])].sort((a, b) => a.from - b.from);
  let issue = -Infinity;
  for (const release of releases) issue = whenAvailable(Math.max(release, issue + interval), unavailable);
  const finish = issue + (input.minLatencyMs ?? 0);
  return {
    lowerBoundMs: Math.max(0, Math.ceil(finish - input.lastFaultEnd)),
    requests: releases.length,
    idealFinish: issue,
  };
}
