// What each collector covers and how busy each symbol is. Volumes (dispatch priority, "top N")
// come from the store's symbols table when it answers, else from the config's `symbols` map, else
// from the built-in KRX reference ranking (the same codes the broker emulator trades). The
// supervisor and the collectors resolve with this one function, so they agree on coverage.
import { buildUniverse } from '../../sim/exchange/universe.ts';
import { createRng } from '../../sim/kernel/rng.ts';
import type { CollectorSettings, LiveConfig } from '../config/index.ts';
import type { Logger } from '../log.ts';
import { withDeadline } from './redisWiring.ts';

export interface Coverage {
  /** Collector id -> symbols, busiest first for ranked selections. */
  coverage: Record<string, string[]>;
  volumes: Map<string, number>;
  /** Where the ranking came from: 'store', 'config' or 'reference'. */
  rankedBy: 'store' | 'config' | 'reference';
}

const STORE_WAIT_MS = 3000;

export async function resolveCoverage(
  config: LiveConfig,
  volumesFromStore: (() => Promise<Map<string, number>>) | undefined,
  log: Logger,
  collectors: CollectorSettings[] = config.collectors,
): Promise<Coverage> {
  let stored = new Map<string, number>();
  if (volumesFromStore) {
    try {
      stored = await withDeadline(volumesFromStore(), STORE_WAIT_MS, 'the symbols table');
    } catch (e) {
      log.warn('symbol volumes unavailable from the store; using the config', {
        error: e instanceof Error ? e.message : String(e),
      });
    }
  }
  const volumes = new Map([...config.symbolVolumes, ...stored]);
  const rankedBy = stored.size > 0 ? 'store' : config.symbolVolumes.size > 0 ? 'config' : 'reference';
  const needed = Math.max(0, ...collectors.map((c) => (c.symbols.kind === 'ranks' ? c.symbols.to : 0)));
  if (rankedBy === 'reference') {
    // Only the order matters for priority: the reference ranking's volumes stand in.
    for (const [code, volume] of referenceRanking(needed)) if (!volumes.has(code)) volumes.set(code, volume);
  }
  const ranking = [...volumes].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([code]) => code);
  if (needed > 0 && ranking.length < needed) {
    log.warn('fewer ranked symbols than collectors ask for', { ranked: ranking.length, needed, rankedBy });
  }
  const coverage: Record<string, string[]> = {};
  for (const c of collectors) {
    coverage[c.id] =
      c.symbols.kind === 'list' ? [...c.symbols.symbols] : ranking.slice(c.symbols.from - 1, c.symbols.to);
  }
  return { coverage, volumes, rankedBy };
}

/** KRX codes by volume rank; codes and ranks do not depend on the seed (sim/exchange/universe.ts). */
function referenceRanking(count: number): [string, number][] {
  if (count < 1) return [];
  const universe = buildUniverse({ count }, { rng: createRng(1) });
  return universe.map((s) => [s.code, universe.length - s.rank + 1]);
}
