// The `tickguard` command line (DESIGN section 9): `--help` and `sim` for now; the live process
// commands are listed but answer with a coded "not yet available" error. Exit codes: 0 ok,
// 1 an expectation failed, 2 bad input or nothing could run.
import { existsSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { TgError, isTgError } from '../machines/errors.ts';
import { checkExpectations } from '../sim/report/expectations.ts';
import { writeHtmlReport } from '../sim/report/html.ts';
import { writeJsonReport } from '../sim/report/json.ts';
import { emptyMetrics } from '../sim/report/metrics.ts';
import { createProgress, type ProgressStream } from '../sim/report/progress.ts';
import { renderTable } from '../sim/report/table.ts';
import type { FailedExpectation, Report } from '../sim/report/types.ts';
import { loadScenarios } from '../sim/scenario/load.ts';
import type { Scenario } from '../sim/scenario/types.ts';

export interface RunOptions {
  seed: number;
  /** Fraction (0..1) of the scenario's virtual time done; for the TTY progress line. */
  onProgress?: (fraction: number) => void;
}
export type RunScenario = (scenario: Scenario, options: RunOptions) => Promise<Report>;

export interface CliDeps {
  stdout?: { write(text: string): unknown };
  stderr?: ProgressStream;
  /** Where `sim` gets its runner; default: sim/world/runScenario.ts. */
  loadRunner?: () => Promise<RunScenario>;
}

const LATER = [
  'supervisor',
  'collector',
  'writer',
  'recovery-worker',
  'broker-emulator',
  'up',
  'status',
  'health',
];

export const HELP = `tickguard: keeps a Korean-equities tick pipeline alive through cascading failures

Usage: tickguard <command> [options]

Commands:
  sim [FILES|DIRS...] [--seed N] [--json FILE] [--html FILE]
        Run failure scenarios in the deterministic simulator (default: scenarios/;
        directories contribute all *.yaml files). Prints a table; exit 1 when an
        expectation fails, 2 on bad input.
  supervisor                         (later) the supervisor process
  collector --name NAME              (later) one broker collector (kis, kiwoom, ...)
  writer                             (later) Redis streams -> PostgreSQL
  recovery-worker                    (later) gap ledger -> broker REST back-fill
  broker-emulator --port P --seed S --symbols N [--rate-limit R] [--market-open always]
                                     (later) KIS/Kiwoom emulator over the exchange model
  up                                 (later) every process as local child processes
  status                             (later) every actor's state from the mirror
  health COMPONENT                   (later) exit 0/1 for Docker healthchecks

Options:
  -h, --help   show this help
`;

export async function main(argv: string[], deps: CliDeps = {}): Promise<number> {
  const stdout = deps.stdout ?? process.stdout;
  const stderr = deps.stderr ?? process.stderr;
  const fail = (e: unknown): number => {
    const message = e instanceof Error ? e.message : String(e);
    stderr.write(`tickguard: ${message}\n`);
    return 2;
  };
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    stdout.write(HELP);
    return 0;
  }
  if (command === 'sim') {
    try {
      return await sim(rest, { stdout, stderr, loadRunner: deps.loadRunner ?? defaultRunner });
    } catch (e) {
      return fail(e);
    }
  }
  if (LATER.includes(command)) {
    return fail(
      new TgError('TG_ERR_USAGE', `"${command}" is not yet available in this build; see tickguard --help`),
    );
  }
  return fail(new TgError('TG_ERR_USAGE', `unknown command "${command}"; see tickguard --help`));
}

interface SimArgs {
  paths: string[];
  seed?: number;
  json?: string;
  html?: string;
  help: boolean;
}

function parseSimArgs(args: string[]): SimArgs {
  const out: SimArgs = { paths: [], help: false };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const value = () => {
      const v = args[++i];
      if (v === undefined || v.startsWith('--')) throw new TgError('TG_ERR_USAGE', `${arg} needs a value`);
      return v;
    };
    if (arg === '--help' || arg === '-h') out.help = true;
    else if (arg === '--seed') {
      const v = value();
      if (!/^\d+$/.test(v))
        throw new TgError('TG_ERR_USAGE', `--seed expects a whole number >= 0, got "${v}"`);
      out.seed = Number(v);
    } else if (arg === '--json') out.json = value();
    else if (arg === '--html') out.html = value();
    else if (arg.startsWith('-'))
      throw new TgError('TG_ERR_USAGE', `unknown option ${arg} for sim; see tickguard --help`);
    else out.paths.push(arg);
  }
  if (out.paths.length === 0) out.paths.push('scenarios');
  return out;
}

/** Load `runScenario` from a module file; coded errors when it is absent or exports no runner. */
export async function loadRunnerFrom(moduleUrl: URL): Promise<RunScenario> {
  const path = fileURLToPath(moduleUrl);
  const shown = relative(process.cwd(), path) || path;
  if (!existsSync(path)) {
    throw new TgError(
      'TG_ERR_INTERNAL',
      `the simulator world (${shown}) is not part of this build yet, so scenarios cannot run`,
    );
  }
  const mod = (await import(pathToFileURL(path).href)) as { runScenario?: unknown };
  if (typeof mod.runScenario !== 'function') {
    throw new TgError('TG_ERR_INTERNAL', `${shown} does not export runScenario()`);
  }
  return mod.runScenario as RunScenario;
}

function defaultRunner(): Promise<RunScenario> {
  return loadRunnerFrom(new URL('../sim/world/runScenario.ts', import.meta.url));
}

async function sim(args: string[], deps: Required<CliDeps>): Promise<number> {
  const opts = parseSimArgs(args);
  if (opts.help) {
    deps.stdout.write(HELP);
    return 0;
  }
  const scenarios = loadScenarios(opts.paths);
  const run = await deps.loadRunner();
  const progress = createProgress(scenarios.length, deps.stderr);
  const reports: Report[] = [];
  for (const [i, scenario] of scenarios.entries()) {
    progress.start(i, scenario.name);
    const seed = opts.seed ?? scenario.seed;
    let report: Report;
    const started = performance.now();
    try {
      report = await run(scenario, { seed, onProgress: progress.update });
      // The runner may measure its own wall time; otherwise the CLI's measurement stands in.
      if (!report.wallMs) report = { ...report, wallMs: Math.round(performance.now() - started) };
    } catch (e) {
      if (isTgError(e, 'TG_ERR_SCENARIO') || isTgError(e, 'TG_ERR_CONFIG')) {
        progress.done();
        throw e;
      }
      report = crashedReport(scenario, seed, e);
    }
    reports.push(sealed(report, scenario));
  }
  progress.done();
  deps.stdout.write(renderTable(reports));
  if (opts.json) writeJsonReport(opts.json, reports);
  if (opts.html) writeHtmlReport(opts.html, reports);
  return reports.every((r) => r.passed) ? 0 : 1;
}

/** The runner's verdict plus the scenario's own expectations, so the exit code never trusts one side. */
function sealed(report: Report, scenario: Scenario): Report {
  const failures: FailedExpectation[] = [...report.failedExpectations];
  for (const f of checkExpectations(scenario.expect, report.metrics)) {
    if (!failures.some((g) => g.message === f.message)) failures.push(f);
  }
  return { ...report, failedExpectations: failures, passed: report.passed && failures.length === 0 };
}

function crashedReport(scenario: Scenario, seed: number, e: unknown): Report {
  const message = e instanceof Error ? e.message : String(e);
  return {
    scenario: scenario.name,
    seed,
    virtualMs: 0,
    wallMs: 0,
    passed: false,
    failedExpectations: [
      { metric: 'run', bound: 'completes', actual: null, message: `the run crashed: ${message}` },
    ],
    metrics: emptyMetrics(scenario.broker.rateLimitPerSec),
    timeline: [],
  };
}
