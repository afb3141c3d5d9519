// Dealing symbols to collectors (DESIGN section 9): by volume rank, each symbol to `redundancy`
// collectors of different brokers, at most the broker's session cap per collector. Symbols left
// without (enough) collectors are reported, never silently dropped.
import type { BrokerName } from '../../machines/types.ts';

export const SESSION_CAPS: Record<BrokerName, number> = { kis: 41, kiwoom: 100 };

export interface CollectorSlot {
  /** 'kis-1' (the component is `collector:kis-1`). */
  name: string;
  broker: BrokerName;
}

export interface DealInput {
  symbols: { code: string; prevVolume: number }[];
  collectors: CollectorSlot[];
  redundancy: number;
  caps?: Partial<Record<BrokerName, number>>;
}

export interface Deal {
  /** Collector name -> its symbols, busiest first. */
  assignments: Map<string, string[]>;
  /** Symbol -> the collectors covering it (in choice order). */
  coverage: Map<string, string[]>;
  /** Symbols no collector covers. */
  uncovered: string[];
  /** Symbols covered by fewer than `redundancy` collectors (but at least one). */
  underCovered: string[];
}

/** Collectors implied by a scenario's collectors block: kis-1..kis-n, then kiwoom-1..kiwoom-m. */
export function collectorSlots(counts: { kis: number; kiwoom: number }): CollectorSlot[] {
  return [
    ...Array.from({ length: counts.kis }, (_, i) => ({ name: `kis-${i + 1}`, broker: 'kis' as const })),
    ...Array.from({ length: counts.kiwoom }, (_, i) => ({
      name: `kiwoom-${i + 1}`,
      broker: 'kiwoom' as const,
    })),
  ];
}

/**
 * Greedy by volume rank: each symbol goes to the collector with the most free slots (ties: the
 * earlier one), then to the freest collector of another broker, until `redundancy` is met. This
 * spreads the busiest symbols across collectors so one crash never takes all of them.
 */
export function dealSymbols(input: DealInput): Deal {
  const caps = { ...SESSION_CAPS, ...input.caps };
  const free = input.collectors.map((c) => caps[c.broker]);
  const assignments = new Map(input.collectors.map((c) => [c.name, [] as string[]]));
  const coverage = new Map<string, string[]>();
  const uncovered: string[] = [];
  const underCovered: string[] = [];
  const ranked = [...input.symbols].sort(
    (a, b) => b.prevVolume - a.prevVolume || a.code.localeCompare(b.code),
  );
  for (const { code } of ranked) {
    const usedBrokers = new Set<BrokerName>();
    const chosen: string[] = [];
    while (chosen.length < input.redundancy) {
      let best = -1;
      for (let i = 0; i < input.collectors.length; i++) {
        if (free[i] <= 0 || usedBrokers.has(input.collectors[i].broker)) continue;
        if (best < 0 || free[i] > free[best]) best = i;
      }
      if (best < 0) break;
      free[best] -= 1;
      usedBrokers.add(input.collectors[best].broker);
      chosen.push(input.collectors[best].name);
      assignments.get(input.collectors[best].name)!.push(code);
    }
    coverage.set(code, chosen);
    if (chosen.length === 0) uncovered.push(code);
    else if (chosen.length < input.redundancy) underCovered.push(code);
  }
  return { assignments, coverage, uncovered, underCovered };
}
