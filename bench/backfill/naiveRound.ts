// The baseline: what a user of the KIS sample code does to fill the same gaps. One request at a time
// with a fixed sleep of 1000 / limit ms after each answer; the same KIS REST client, its own app key
// (its own rate-limit window at the emulator). Fetches only: it keeps no ledger and stores nothing, so
// it is the baseline's best case.
import { createBrokerPorts } from '../../runtime/brokers/index.ts';
import { realClock } from '../../runtime/clock.ts';
import { pagesOf, type GapSet } from './gaps.ts';
import { emulatorKeyStats, recordingRest, statsSince, type Call, type KeyStats } from './recorder.ts';

export interface NaiveResult {
  /** First request to the last answer (ms). */
  elapsedMs: number;
  calls: Call[];
  emulator: KeyStats;
  failed: number;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function runNaiveRound(
  o: {
    emulatorUrl: string;
    emulatorWsUrl: string;
    appKey: string;
    ratePerSec: number;
    requestTimeoutMs: number;
  },
  gapSet: GapSet,
): Promise<NaiveResult> {
  const broker = createBrokerPorts({
    broker: 'kis',
    restUrl: o.emulatorUrl,
    wsUrl: o.emulatorWsUrl,
    appKey: o.appKey,
    appSecret: `${o.appKey}-secret`,
    clock: realClock,
    requestTimeoutMs: o.requestTimeoutMs,
  });
  // Token first, like the worker (the sample scripts also fetch it before their loop).
  await broker.rest.minuteBars(gapSet.gaps[0].symbol, gapSet.gaps[0].end);
  await sleep(1100);
  const before = await emulatorKeyStats(o.emulatorUrl, o.appKey);
  const rest = recordingRest(broker.rest);
  // Busiest symbol first, the order the worker's priority gives.
  const pages = [...gapSet.gaps].sort((a, b) => b.priority - a.priority).flatMap(pagesOf);
  let failed = 0;
  for (const [i, page] of pages.entries()) {
    try {
      await rest.minuteBars(page.symbol, page.to);
    } catch {
      failed++; // the sample code logs and moves on
    }
    if (i < pages.length - 1) await sleep(1000 / o.ratePerSec);
  }
  const after = await emulatorKeyStats(o.emulatorUrl, o.appKey);
  const first = rest.calls[0].sentAt;
  const last = Math.max(...rest.calls.map((c) => c.doneAt));
  return { elapsedMs: last - first, calls: rest.calls, emulator: statsSince(before, after), failed };
}
