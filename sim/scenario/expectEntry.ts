// The `expect:` block: metric path -> bound. A bare number is a lower bound for completeness and an
// upper bound for everything else; `{ min }`, `{ max }`, `{ min, max }` are explicit; `none` or
// [] mean zero (invariantViolations); timeToFullRecoveryMs also takes
// `{ maxRatioToLowerBound: 1.1, slackMs?: 500 }`.
import { LOWER_BOUND_METRICS } from '../report/metricPaths.ts';
import type { Expectation } from './types.ts';
import type { Field, MapReader } from './yamlReader.ts';

export function parseExpectations(
  field: Field,
  checkPath: (path: string) => string | undefined,
): Expectation[] {
  const block: MapReader = field.map('a map of metric: bound');
  return block.keys().map((metric) => {
    const keyField = block.keyField(metric)!;
    const problem = checkPath(metric);
    if (problem) keyField.error(problem);
    return parseBound(block.get(metric), metric, keyField.line());
  });
}

function parseBound(value: Field, metric: string, line: number): Expectation {
  const text = value.scalarText();
  if (typeof value.scalarValue() === 'number') {
    const n = value.number();
    return LOWER_BOUND_METRICS.has(metric) ? { metric, min: n, line } : { metric, max: n, line };
  }
  if (text === 'none' || (value.isSeq() && value.list('a list').length === 0))
    return { metric, max: 0, line };
  if (!value.isMap()) value.expected('a number, { min: n }, { max: n } or none');
  if (metric === 'timeToFullRecoveryMs' && value.map('a bound').keys().includes('maxRatioToLowerBound')) {
    const m = value.map('{ maxRatioToLowerBound, slackMs? }', ['maxRatioToLowerBound', 'slackMs']);
    const ratio = m.get('maxRatioToLowerBound').number('a ratio >= 1');
    if (ratio < 1) m.get('maxRatioToLowerBound').expected('a ratio >= 1');
    const slackMs = m.has('slackMs') ? m.get('slackMs').integer(0, 'a whole number of ms >= 0') : 0;
    return { metric, maxRatioToLowerBound: ratio, slackMs, line };
  }
  const m = value.map('{ min: n } and/or { max: n }', ['min', 'max']);
  const e: Expectation = { metric, line };
  if (m.has('min')) e.min = m.get('min').number();
  if (m.has('max')) e.max = m.get('max').number();
  if (e.min === undefined && e.max === undefined) value.expected('{ min: n } and/or { max: n }');
  if (e.min !== undefined && e.max !== undefined && e.min > e.max)
    value.error(`min ${e.min} exceeds max ${e.max}`);
  return e;
}
