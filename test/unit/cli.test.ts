// The `tickguard` CLI in process: help, coded errors with exit 2 for bad input and unknown
// commands, and `sim` exit codes driven by a stand-in scenario runner.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadRunnerFrom, main, type RunScenario } from '../../runtime/cli.ts';
import { TgError } from '../../machines/errors.ts';
import { buildReport } from '../../sim/report/expectations.ts';
import { emptyMetrics } from '../../sim/report/metrics.ts';

const SCENARIO = (name: string) => `name: ${name}
seed: 5
market: { symbols: 10, from: "09:00", to: "09:10" }
collectors: { kis: 1 }
faults:
  - { at: "09:05:00", kill: collector:kis-1 }
expect: { ticksLost: 0, completeness: 1.0 }
`;

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    deps: {
      stdout: { write: (s: string) => out.push(s) },
      stderr: { isTTY: false, write: (s: string) => err.push(s) },
    },
    out: () => out.join(''),
    err: () => err.join(''),
  };
}

function scenarioDir(...names: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'tg-cli-'));
  for (const n of names) writeFileSync(join(dir, `${n}.yaml`), SCENARIO(n));
  return dir;
}

/** A runner that reports `ticksLost` per scenario name and records the seeds it was given. */
function fakeRunner(ticksLost: Record<string, number>, seeds: number[] = []): () => Promise<RunScenario> {
  return async () =>
    async (scenario, { seed }) => {
      seeds.push(seed);
      return buildReport({
        scenario: scenario.name,
        seed,
        virtualMs: scenario.market.toMs - scenario.market.fromMs,
        wallMs: 1,
        metrics: { ...emptyMetrics(20), ticksLost: ticksLost[scenario.name] ?? 0 },
        timeline: [],
        expect: scenario.expect,
      });
    };
}

describe('tickguard CLI', () => {
  it('prints help listing sim and the live commands', async () => {
    const t = io();
    expect(await main(['--help'], t.deps)).toBe(0);
    expect(t.out()).toMatch(/sim \[FILES\|DIRS\.\.\.\] \[--seed N\] \[--json FILE\] \[--html FILE\]/);
    for (const cmd of [
      'supervisor',
      'collector --name',
      'writer',
      'recovery-worker',
      'broker-emulator',
      'up',
      'status',
      'health',
    ]) {
      expect(t.out()).toContain(cmd);
    }
    expect(t.out()).not.toContain('(later)');
    expect(await main([], io().deps)).toBe(0);
  });

  it('answers unknown commands and unknown options of live commands with a coded error and exit 2', async () => {
    const t = io();
    expect(await main(['frobnicate'], t.deps)).toBe(2);
    expect(t.err()).toBe('tickguard: TG_ERR_USAGE: unknown command "frobnicate"; see tickguard --help\n');
    const live = io();
    expect(await main(['supervisor', '--frobnicate'], live.deps)).toBe(2);
    expect(live.err()).toContain('TG_ERR_USAGE: supervisor: unknown option --frobnicate');
  });

  it('exits 2 with the coded scenario error for a bad scenario file', async () => {
    const dir = scenarioDir('ok');
    writeFileSync(join(dir, 'zz-bad.yaml'), SCENARIO('bad').replace('"09:05:00"', '"9am"'));
    const t = io();
    expect(await main(['sim', dir], { ...t.deps, loadRunner: fakeRunner({}) })).toBe(2);
    expect(t.err()).toMatch(
      /^tickguard: TG_ERR_SCENARIO: .*zz-bad\.yaml:6 faults\[0\]\.at: expected "HH:MM:SS" KST, got "9am"\n$/,
    );
  });

  it('exits 2 on bad options and missing paths', async () => {
    const cases = [
      ['sim', '--seed', 'abc'],
      ['sim', '--json'],
      ['sim', '--fast'],
      ['sim', '/nonexistent/scenarios'],
    ];
    for (const argv of cases) {
      const t = io();
      expect(await main(argv, { ...t.deps, loadRunner: fakeRunner({}) })).toBe(2);
      expect(t.err()).toMatch(/^tickguard: TG_ERR_(USAGE|SCENARIO): /);
    }
  });

  it('exits 0 when every expectation holds, and passes --seed to every scenario', async () => {
    const seeds: number[] = [];
    const t = io();
    const dir = scenarioDir('alpha', 'beta');
    expect(await main(['sim', dir, '--seed', '42'], { ...t.deps, loadRunner: fakeRunner({}, seeds) })).toBe(
      0,
    );
    expect(seeds).toEqual([42, 42]);
    expect(t.out()).toMatch(/alpha\s+yes/);
    expect(t.out()).toContain('2/2 scenarios passed');
    const own: number[] = [];
    await main(['sim', dir], { ...io().deps, loadRunner: fakeRunner({}, own) });
    expect(own).toEqual([5, 5]);
  });

  it('exits 1 naming the scenario and expectation that failed, and writes --json and --html', async () => {
    const dir = scenarioDir('alpha', 'beta');
    const json = join(dir, 'out.json');
    const html = join(dir, 'out.html');
    const t = io();
    const code = await main(['sim', dir, '--json', json, '--html', html], {
      ...t.deps,
      loadRunner: fakeRunner({ beta: 3 }),
    });
    expect(code).toBe(1);
    expect(t.out()).toContain('FAIL beta: ticksLost = 3, expected <= 0');
    const written = JSON.parse(readFileSync(json, 'utf8'));
    expect(written.map((r: { scenario: string; passed: boolean }) => [r.scenario, r.passed])).toEqual([
      ['alpha', true],
      ['beta', false],
    ]);
    expect(readFileSync(html, 'utf8')).toContain('ticksLost = 3, expected &lt;= 0');
  });

  it('re-checks the scenario expectations even if the runner says passed', async () => {
    const dir = scenarioDir('alpha');
    const lying =
      async (): Promise<RunScenario> =>
      async (scenario, { seed }) => ({
        scenario: scenario.name,
        seed,
        virtualMs: 0,
        wallMs: 0,
        passed: true,
        failedExpectations: [],
        metrics: { ...emptyMetrics(20), completeness: 0.5 },
        timeline: [],
      });
    const t = io();
    expect(await main(['sim', dir], { ...t.deps, loadRunner: lying })).toBe(1);
    expect(t.out()).toContain('FAIL alpha: completeness = 0.5, expected >= 1');
  });

  it('counts a crashed run as failed (exit 1) but a scenario-config error as bad input (exit 2)', async () => {
    const dir = scenarioDir('alpha');
    const crash = async (): Promise<RunScenario> => async () => {
      throw new Error('boom');
    };
    const t = io();
    expect(await main(['sim', dir], { ...t.deps, loadRunner: crash })).toBe(1);
    expect(t.out()).toContain('FAIL alpha: the run crashed: boom');
    const badConfig = async (): Promise<RunScenario> => async () => {
      throw new TgError('TG_ERR_CONFIG', 'config.heartbeatIntervalMs must be positive');
    };
    const u = io();
    expect(await main(['sim', dir], { ...u.deps, loadRunner: badConfig })).toBe(2);
    expect(u.err()).toContain('TG_ERR_CONFIG: config.heartbeatIntervalMs must be positive');
  });

  it('reports a coded error (exit 2) when the simulator world cannot be loaded', async () => {
    const dir = scenarioDir('alpha');
    const absent = pathToFileURL(join(dir, 'runScenario.ts'));
    const t = io();
    expect(await main(['sim', dir], { ...t.deps, loadRunner: () => loadRunnerFrom(absent) })).toBe(2);
    expect(t.err()).toMatch(
      /TG_ERR_INTERNAL: the simulator world \(.*runScenario\.ts\) is not part of this build yet/,
    );
    const noExport = join(dir, 'empty.mjs');
    writeFileSync(noExport, 'export const nothing = 1;\n');
    await expect(loadRunnerFrom(pathToFileURL(noExport))).rejects.toThrow(
      /empty\.mjs does not export runScenario\(\)/,
    );
    const good = join(dir, 'good.mjs');
    writeFileSync(good, 'export async function runScenario() { return null; }\n');
    expect(typeof (await loadRunnerFrom(pathToFileURL(good)))).toBe('function');
  });
});
