// Bad scenario files: each error is TG_ERR_SCENARIO naming file:line, the field path and what was
// expected, so a user can fix the file without reading code.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isTgError } from '../../machines/errors.ts';
import { loadScenarios } from '../../sim/scenario/load.ts';
import { parseScenario } from '../../sim/scenario/parse.ts';

const BASE = `name: bad
seed: 1
market: { symbols: 50, from: "09:00", to: "09:30" }
collectors: { kis: 2, kiwoom: 1 }
faults:
  - { at: "09:05:00", kill: collector:kis-1 }
expect: { completeness: 1.0 }
`;

function errorOf(text: string): string {
  try {
    parseScenario(text, 'bad.yaml');
  } catch (e) {
    expect(isTgError(e, 'TG_ERR_SCENARIO')).toBe(true);
    return (e as Error).message;
  }
  throw new Error('expected the scenario to be rejected');
}

const withLine = (line: number, replacement: string) =>
  BASE.split('\n')
    .map((l, i) => (i === line - 1 ? replacement : l))
    .join('\n');

describe('scenario errors', () => {
  it('accepts the base file (so every case below fails for its own reason)', () => {
    expect(parseScenario(BASE, 'bad.yaml').faults).toHaveLength(1);
  });

  it('reports a bad time with file, line, field path and the expected form', () => {
    expect(errorOf(withLine(6, '  - { at: "9am", kill: collector:kis-1 }'))).toBe(
      'TG_ERR_SCENARIO: bad.yaml:6 faults[0].at: expected "HH:MM:SS" KST, got "9am"',
    );
  });

  it('reports a value of the wrong type', () => {
    expect(errorOf(withLine(2, 'seed: seven'))).toBe(
      'TG_ERR_SCENARIO: bad.yaml:2 seed: expected an integer seed >= 0, got "seven"',
    );
    expect(errorOf(withLine(3, 'market: { symbols: 50, from: 9, to: "09:30" }'))).toBe(
      'TG_ERR_SCENARIO: bad.yaml:3 market.from: expected "HH:MM:SS" KST, got 9',
    );
    expect(errorOf(withLine(4, 'collectors: [kis, kiwoom]'))).toBe(
      'TG_ERR_SCENARIO: bad.yaml:4 collectors: expected a map { kis, kiwoom, redundancy }, got a list',
    );
  });

  it('reports an unknown target, naming the collectors that exist', () => {
    expect(errorOf(withLine(6, '  - { at: "09:05:00", kill: collector:kis-9 }'))).toBe(
      'TG_ERR_SCENARIO: bad.yaml:6 faults[0].kill: unknown collector "collector:kis-9" (the collectors block defines: collector:kis-1, collector:kis-2, collector:kiwoom-1)',
    );
    expect(errorOf(withLine(6, '  - { at: "09:05:00", down: postgres, for: 1m }'))).toMatch(
      /^TG_ERR_SCENARIO: bad\.yaml:6 faults\[0\]\.down: unknown target "postgres" \(expected collector:NAME, writer, /,
    );
  });

  it('reports an unknown key with the keys that are allowed', () => {
    expect(errorOf(BASE.replace('seed: 1', 'seed: 1\nsymbols: 10'))).toBe(
      'TG_ERR_SCENARIO: bad.yaml:3 symbols: unknown key "symbols" (expected one of: name, seed, market, collectors, broker, config, faults, expect)',
    );
    expect(errorOf(withLine(6, '  - { at: "09:05:00", kill: collector:kis-1, for: 1m }'))).toBe(
      'TG_ERR_SCENARIO: bad.yaml:6 faults[0].for: "for" does not apply to kill (it takes: no parameters)',
    );
  });

  it('reports missing fields and fault parameters', () => {
    expect(errorOf(withLine(3, 'market: { symbols: 50, from: "09:00" }'))).toBe(
      'TG_ERR_SCENARIO: bad.yaml:3 market.to: missing, expected "HH:MM:SS" KST',
    );
    expect(errorOf(withLine(6, '  - { at: "09:05:00", hang: collector:kis-1 }'))).toBe(
      'TG_ERR_SCENARIO: bad.yaml:6 faults[0].for: missing, expected a duration such as 800ms, 10s, 2m or 1h',
    );
    expect(errorOf(withLine(6, '  - { at: "09:05:00", slow: timescaledb, by: fast, for: 1m }'))).toBe(
      'TG_ERR_SCENARIO: bad.yaml:6 faults[0].by: expected a duration such as 800ms, 10s, 2m or 1h, got "fast"',
    );
  });

  it('reports faults that do not fit the market window or each other', () => {
    expect(errorOf(withLine(6, '  - { at: "10:00:00", kill: collector:kis-1 }'))).toBe(
      'TG_ERR_SCENARIO: bad.yaml:6 faults[0].at: 10:00:00 is outside the market window 09:00:00-09:30:00',
    );
    expect(errorOf(withLine(6, '  - { at: "09:25:00", down: redis-main, for: 10m }'))).toBe(
      'TG_ERR_SCENARIO: bad.yaml:6 faults[0].for: the fault would end after market.to 09:30:00',
    );
    expect(
      errorOf(
        withLine(6, '  - { at: "09:05:00", down: redis-main, for: 10s, repeat: { every: 5s, for: 1m } }'),
      ),
    ).toBe(
      "TG_ERR_SCENARIO: bad.yaml:6 faults[0].repeat.every: must be longer than the fault's own for (10s) so repeats do not overlap",
    );
    expect(errorOf(withLine(6, '  - { at: "09:05:00", drop: redis-main, ratio: 0.1, for: 1m }'))).toBe(
      'TG_ERR_SCENARIO: bad.yaml:6 faults[0].drop: drop applies to broker-ws, not redis-main',
    );
    expect(errorOf(withLine(6, '  - { at: "09:05:00", kill: writer, down: writer, for: 1m }'))).toBe(
      'TG_ERR_SCENARIO: bad.yaml:6 faults[0]: expected exactly one fault kind, got kill and down',
    );
  });

  it('reports impossible collector redundancy and unknown metrics in expect', () => {
    expect(errorOf(withLine(4, 'collectors: { kis: 2, redundancy: 2 }'))).toBe(
      'TG_ERR_SCENARIO: bad.yaml:4 collectors.redundancy: redundancy 2 needs collectors of 2 different brokers, the scenario has 1',
    );
    expect(errorOf(withLine(7, 'expect: { completenes: 1.0 }'))).toMatch(
      /^TG_ERR_SCENARIO: bad\.yaml:7 expect\.completenes: unknown metric \(known: completeness, /,
    );
    expect(errorOf(withLine(7, 'expect: { detectionLatencyMs: 3000 }'))).toBe(
      'TG_ERR_SCENARIO: bad.yaml:7 expect.detectionLatencyMs: use detectionLatencyMs.p50, detectionLatencyMs.p99, detectionLatencyMs.max',
    );
    expect(errorOf(withLine(7, 'expect: { restarts.collector:kis-7.total: 0 }'))).toBe(
      'TG_ERR_SCENARIO: bad.yaml:7 expect.restarts.collector:kis-7.total: unknown component "collector:kis-7"',
    );
  });

  it('reports YAML syntax errors with their line', () => {
    expect(errorOf(withLine(6, '  - { at: "09:05:00", kill: collector:kis-1'))).toMatch(
      /^TG_ERR_SCENARIO: bad\.yaml:[67] YAML syntax: /,
    );
  });

  it('names the file when loading from disk, and rejects duplicate scenario names', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tg-scenarios-'));
    writeFileSync(join(dir, 'a.yaml'), BASE);
    writeFileSync(join(dir, 'b.yml'), BASE);
    writeFileSync(join(dir, 'notes.txt'), 'ignored');
    expect(() => loadScenarios([dir])).toThrow(/b\.yml: scenario name "bad" is also used by .*a\.yaml/);
    writeFileSync(join(dir, 'b.yml'), withLine(2, 'seed: -1'));
    expect(() => loadScenarios([dir])).toThrow(/b\.yml:2 seed: expected an integer seed >= 0, got -1/);
    expect(() => loadScenarios([join(dir, 'missing.yaml')])).toThrow(
      /missing\.yaml: no such file or directory/,
    );
  });
});
