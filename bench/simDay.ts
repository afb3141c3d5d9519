// Benchmark: the full-market trading day scenario (2,539 symbols, 62 KIS sessions, 09:00-15:31)
// through the whole simulator. Prints wall time and the virtual/wall ratio, and, as a baseline
// measured in the same run, the exchange model alone generating the same day (the floor any
// simulator of this day pays). Run: npx tsx bench/simDay.ts [scenario.yaml]
import { performance } from 'node:perf_hooks';
import { loadScenarioFile } from '../sim/scenario/load.ts';
import { runScenario } from '../sim/world/runScenario.ts';
import { buildUniverse } from '../sim/exchange/universe.ts';
import { ExchangeModel } from '../sim/exchange/exchange.ts';
import { createRng } from '../sim/kernel/rng.ts';

const file = process.argv[2] ?? 'scenarios/full-day/full-market-day.yaml';
const scenario = loadScenarioFile(file);

const t0 = performance.now();
const rng = createRng(scenario.seed);
const exchange = new ExchangeModel({
  rng: rng.fork('exchange'),
  day: scenario.market.date,
  symbols: buildUniverse(scenario.market.symbols, { rng: rng.fork('universe') }),
});
let ticks = 0;
for (let t = scenario.market.fromMs; t <= scenario.market.toMs; t += 5000) {
  for (const batch of exchange.advance(t)) ticks += batch.ts.length;
}
const exchangeMs = performance.now() - t0;

const report = await runScenario(scenario, {
  onProgress: (f) => process.stderr.write(`\r${(f * 100).toFixed(0)}% `),
});
process.stderr.write('\n');
const virtualMs = report.virtualMs;
console.log(`scenario            ${report.scenario} (${file})`);
console.log(`trades              ${ticks}`);
console.log(`baseline: exchange  ${(exchangeMs / 1000).toFixed(1)} s wall`);
console.log(
  `simulator           ${(report.wallMs / 1000).toFixed(1)} s wall for ${(virtualMs / 3_600_000).toFixed(2)} h virtual`,
);
console.log(`virtual/wall        ${(virtualMs / report.wallMs).toFixed(0)}x`);
console.log(`simulator/baseline  ${(report.wallMs / exchangeMs).toFixed(1)}x`);
console.log(`target              under 30 s wall: ${report.wallMs < 30_000 ? 'met' : 'NOT met'}`);
console.log(
  `passed              ${report.passed}${report.passed ? '' : ` (${report.failedExpectations.map((f) => f.message).join('; ')})`}`,
);
