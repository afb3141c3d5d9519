// The `tickguard` command line (DESIGN section 9): `sim`, the live processes and their tools
// (runtime/processes/commands.ts, loaded only when used), and `broker-emulator`. Exit codes: 0 ok,
// 1 an expectation failed / unhealthy / fatal error, 2 bad input, bad config or nothing could run.
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

const ONE_SHOT = ['status', 'health', 'config'];
const LIVE = ['supervisor', 'collector', 'writer', 'recovery-worker', 'up', 'status', 'health', 'config'];

export const HELP = `tickguard: keeps a Korean-equities tick pipeline alive through cascading failures

Usage: tickguard <command> [options]

Commands:
  sim [FILES|DIRS...] [--seed N] [--json FILE] [--html FILE]
        Run failure scenarios in the deterministic simulator (default: scenarios/;
        directories contribute all *.yaml files). Prints a table; exit 1 when an
        expectation fails, 2 on bad input.
  supervisor                         the supervisor process (restarts are left to Docker)
  collector --name NAME              one broker collector from the config's collectors
  writer                             Redis tick streams -> PostgreSQL
  recovery-worker                    gap ledger -> broker REST back-fill
  up                                 writer, recovery worker and collectors as child
                                     processes, supervised from this process; Ctrl-C stops all
  status [--json]                    every actor's state from the mirror (exit 2: redis-main
                                     unreachable)
  health COMPONENT                   exit 0 when COMPONENT (writer, collector:NAME or NAME,
                                     recovery-worker, supervisor, redis-main, ...) beats and is
                                     healthy, degraded or recovering; 1 otherwise
  config [--print]                   print the effective configuration (secrets redacted)
  broker-emulator --port P --seed S --symbols N [--rate-limit R] [--market-open always]
                                     KIS/Kiwoom emulator over the exchange model
                                     (broker-emulator --help lists every option)

Options of the live commands:
  --config FILE   the YAML configuration (default: env TG_CONFIG; see examples/local.yaml).
                  Environment overrides: REDIS_URL, GATEKEEPER_REDIS_URL, DATABASE_URL,
                  KIS_REST_URL, KIS_WS_URL, KIS_APP_KEY, KIS_APP_SECRET, KIWOOM_REST_URL,
                  KIWOOM_WS_URL, KIWOOM_APP_KEY, KIWOOM_SECRET_KEY, KIS_RATE_LIMIT_PER_SEC,
                  KIWOOM_RATE_LIMIT_PER_SEC, TG_REDIS_PREFIX, TG_DATABASE_SCHEMA, TG_SPOOL_DIR,
                  TG_HEARTBEAT_INTERVAL_MS, TG_HEARTBEAT_TIMEOUT_MS, TG_START_TIMEOUT_MS,
                  TG_MARKET_OPEN, TG_LOG_LEVEL
  -h, --help      show this help

Processes log JSON lines on stderr ({"msg":"ready",...} once started) and stop on SIGTERM/SIGINT.
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
  if (command === 'broker-emulator') {
    try {
      const { brokerEmulatorCommand } = await import('./emulator/index.ts');
      return await brokerEmulatorCommand(rest);
    } catch (e) {
      return fail(e);
    }
  }
  if (LIVE.includes(command)) {
    if (rest.includes('--help') || rest.includes('-h')) {
      stdout.write(HELP);
      return 0;
    }
    let code: number;
    try {
      const { runLiveCommand } = await import('./processes/commands.ts');
      code = await runLiveCommand(command, rest, { stdout, stderr: stderr as { write(t: string): unknown } });
    } catch (e) {
      code = fail(e);
    }
    // A one-shot answer (a healthcheck) must not wait for a client library's reconnect timers.
    if (ONE_SHOT.includes(command) && deps.stdout === undefined) {
      setTimeout(() => process.exit(code), 50).unref();
    }
    return code;
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
