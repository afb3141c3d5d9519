// Scenario file parser (DESIGN section 9): YAML text -> validated Scenario. Every error is
// TG_ERR_SCENARIO "file:line field: expected ..., got ...". The sections are checked here, fault
// entries by faultEntry.ts and expectations by expectEntry.ts.
import { kstTime } from '../../machines/marketHours.ts';
import { checkMetricPath } from '../report/metricPaths.ts';
import { parseFault } from './faultEntry.ts';
import { parseExpectations } from './expectEntry.ts';
import { collectorSlots } from './deal.ts';
import {
  FIXED_TARGETS,
  type BrokerSpec,
  type CollectorsSpec,
  type MarketSpec,
  type Scenario,
} from './types.ts';
import { clockField, durationField } from './fields.ts';
import { parseDate } from './units.ts';
import { readYaml, type Field } from './yamlReader.ts';

/** A Monday with an ordinary KRX session; used when `market.date` is absent. */
export const DEFAULT_SCENARIO_DATE = '2025-06-02';

const FIXED_COMPONENTS = new Set<string>(FIXED_TARGETS);
const TOP_KEYS = ['name', 'seed', 'market', 'collectors', 'broker', 'config', 'faults', 'expect'];

export function parseScenario(text: string, file = 'scenario.yaml'): Scenario {
  const root = readYaml(text, file);
  const top = root.map('a scenario map (name, seed, market, collectors, ...)', TOP_KEYS);
  const name = top.get('name').string('a scenario name');
  const seed = top.has('seed') ? top.get('seed').integer(0, 'an integer seed >= 0') : 1;
  const market = parseMarket(top.get('market'));
  const collectors = parseCollectors(top.get('collectors'));
  const broker = parseBroker(top.get('broker'));
  const config = top.has('config') ? parseConfig(top.get('config')) : {};
  const targets = new Set(collectors.names.map((n) => `collector:${n}`));
  const faults = top.has('faults')
    ? top
        .get('faults')
        .list('a list of faults')
        .map((f, i) => parseFault(f, i, { market, collectors: targets }))
    : [];
  const components = (id: string) => targets.has(id) || FIXED_COMPONENTS.has(id);
  const expect = top.has('expect')
    ? parseExpectations(top.get('expect'), (p) => checkMetricPath(p, components))
    : [];
  return { name, seed, file, market, collectors, broker, config, faults, expect };
}

function parseMarket(field: Field): MarketSpec {
  const m = field.map('a map { symbols, from, to, date? }', ['symbols', 'from', 'to', 'date']);
  const symField: Field = m.get('symbols');
  let symbols: MarketSpec['symbols'];
  if (symField.isSeq()) {
    const seen = new Set<string>();
    const list = symField.list('a list of symbols').map((f: Field) => {
      const code = f.scalarText();
      if (code === undefined || !/^\d{6}$/.test(code)) f.expected('a 6-digit KRX code such as 005930');
      if (seen.has(code)) f.error(`symbol ${code} is listed twice`);
      seen.add(code);
      return code;
    });
    if (list.length === 0) symField.expected('at least one symbol');
    symbols = { list };
  } else {
    symbols = { count: symField.integer(1, 'a symbol count (positive integer) or a list of 6-digit codes') };
  }
  const dateField: Field = m.get('date');
  let date = DEFAULT_SCENARIO_DATE;
  if (dateField.present()) {
    const parsed = parseDate(dateField.string('a date "YYYY-MM-DD"'));
    if (!parsed) dateField.expected('a date "YYYY-MM-DD"');
    const dow = new Date(`${parsed}T00:00:00Z`).getUTCDay();
    if (dow === 0 || dow === 6) dateField.error(`${parsed} is a weekend; the exchange is closed`);
    date = parsed;
  }
  const from = clockField(m.get('from'));
  const to = clockField(m.get('to'));
  if (to.secondsOfDay <= from.secondsOfDay) m.get('to').error(`must be after market.from (${from.hhmmss})`);
  return {
    symbols,
    from: from.hhmmss,
    to: to.hhmmss,
    date,
    fromMs: kstTime(date, from.hhmmss),
    toMs: kstTime(date, to.hhmmss),
  };
}

function parseCollectors(field: Field): CollectorsSpec {
  const c = field.map('a map { kis, kiwoom, redundancy }', ['kis', 'kiwoom', 'redundancy']);
  const kis = c.has('kis') ? c.get('kis').integer(0) : 0;
  const kiwoom = c.has('kiwoom') ? c.get('kiwoom').integer(0) : 0;
  const redundancy = c.has('redundancy') ? c.get('redundancy').integer(1) : 1;
  if (kis + kiwoom === 0) field.error('expected at least one collector (kis: n or kiwoom: n)');
  const brokers = (kis > 0 ? 1 : 0) + (kiwoom > 0 ? 1 : 0);
  if (redundancy > brokers) {
    c.get('redundancy').error(
      `redundancy ${redundancy} needs collectors of ${redundancy} different brokers, the scenario has ${brokers}`,
    );
  }
  const names = collectorSlots({ kis, kiwoom }).map((slot) => slot.name);
  return { kis, kiwoom, redundancy, names };
}

function parseBroker(field: Field): BrokerSpec {
  const spec: BrokerSpec = { rateLimitPerSec: 20, barsPerRequest: 30, reject: 'kis' };
  if (!field.present()) return spec;
  const b = field.map('a map { rateLimitPerSec, barsPerRequest, reject, sanctions? }', [
    'rateLimitPerSec',
    'barsPerRequest',
    'reject',
    'sanctions',
  ]);
  if (b.has('rateLimitPerSec')) {
    const rate = b.get('rateLimitPerSec').number('a positive number of requests per second');
    if (rate <= 0) b.get('rateLimitPerSec').expected('a positive number of requests per second');
    spec.rateLimitPerSec = rate;
  }
  if (b.has('barsPerRequest')) spec.barsPerRequest = b.get('barsPerRequest').integer(1);
  if (b.has('reject')) {
    const rejectField: Field = b.get('reject');
    const reject = rejectField.string('kis or http429');
    if (reject !== 'kis' && reject !== 'http429') rejectField.expected('kis or http429');
    spec.reject = reject;
  }
  if (b.has('sanctions')) {
    const s = b
      .get('sanctions')
      .map('a map { banAfterRejections, banFor }', ['banAfterRejections', 'banFor']);
    spec.sanctions = {
      banAfterRejections: s.get('banAfterRejections').integer(1),
      banForMs: durationField(s.get('banFor')),
    };
  }
  return spec;
}

function parseConfig(field: Field): Record<string, unknown> {
  field.map('a map of tickguard config overrides');
  return field.toJS() as Record<string, unknown>;
}
