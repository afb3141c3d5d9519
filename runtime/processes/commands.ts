// The live commands of the CLI (DESIGN section 9): parse options, load the config, then run a
// process (supervisor, collector, writer, recovery-worker, up) until a signal, or answer once
// (status, health, config). Exit codes: 0 ok, 1 unhealthy or fatal, 2 bad config or usage.
import { TgError } from '../../machines/errors.ts';
import {
  loadConfig,
  printableConfig,
  requireBroker,
  requireCollector,
  requireUrl,
  type LiveConfig,
} from '../config/index.ts';
import { createLogger, type Logger } from '../log.ts';
import { parseArgs } from './args.ts';
import type { Service } from './service.ts';
import type { StartingBeat } from './startingBeat.ts';

export interface CommandIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  env?: Record<string, string | undefined>;
}

export const LIVE_COMMANDS = [
  'supervisor',
  'collector',
  'writer',
  'recovery-worker',
  'up',
  'status',
  'health',
  'config',
] as const;

type Start = (
  config: LiveConfig,
  log: Logger,
  fatal: (e: unknown) => void,
  name: string | undefined,
  starting: StartingBeat | undefined,
) => Promise<Service>;

async function starter(command: string): Promise<Start> {
  switch (command) {
    case 'supervisor': {
      const { startSupervisorProcess } = await import('./supervisor.ts');
      return (config, log, fatal) => startSupervisorProcess(config, log, fatal);
    }
    case 'collector': {
      const { startCollectorProcess } = await import('./collector.ts');
      return (config, log, fatal, name, starting) =>
        startCollectorProcess(config, name, log, fatal, starting);
    }
    case 'writer': {
      const { startWriterProcess } = await import('./writer.ts');
      return (config, log, fatal, _name, starting) => startWriterProcess(config, log, fatal, starting);
    }
    case 'recovery-worker': {
      const { startRecoveryWorkerProcess } = await import('./recoveryWorker.ts');
      return (config, log, fatal, _name, starting) =>
        startRecoveryWorkerProcess(config, log, fatal, starting);
    }
    default: {
      const { startUp } = await import('./up.ts');
      return (config, log, fatal) => startUp(config, log, fatal);
    }
  }
}

/** What each process cannot start without (the collector's broker is checked with its settings). */
function preflight(command: string, config: LiveConfig): void {
  requireUrl(config, 'redis.url');
  if (command !== 'collector') requireUrl(config, 'database.url');
  if (command === 'recovery-worker' || command === 'supervisor' || command === 'up') {
    requireUrl(config, 'redis.gatekeeperUrl');
  }
  if (command === 'recovery-worker' || (command === 'up' && config.backfillBroker)) {
    if (!config.backfillBroker) {
      throw new TgError(
        'TG_ERR_CONFIG',
        'the recovery worker needs a broker to back-fill from; fix: configure brokers.kis (or brokers.kiwoom) with restUrl and keys',
        { field: 'brokers' },
      );
    }
    requireBroker(config, config.backfillBroker, 'rest');
  }
  if (command === 'up') for (const c of config.collectors) requireBroker(config, c.broker, 'ws', c);
}

/** Runs one live command; throws TgError for usage and config errors (the CLI prints them, exit 2). */
export async function runLiveCommand(command: string, args: string[], io: CommandIo): Promise<number> {
  const env = io.env ?? process.env;
  if (command === 'health') {
    const parsed = parseArgs('health', args, { positional: 1 });
    const component = parsed.positional[0];
    if (!component)
      throw new TgError(
        'TG_ERR_USAGE',
        'health: name a COMPONENT (writer, recovery-worker, supervisor, collector:NAME, ...)',
      );
    const config = loadConfig({ file: parsed.config, env });
    const { checkHealth } = await import('./health.ts');
    const verdict = await checkHealth(config, component);
    io.stdout.write(`${verdict.component}: ${verdict.ok ? 'ok' : 'unhealthy'} (${verdict.why})\n`);
    return verdict.ok ? 0 : 1;
  }
  if (command === 'status') {
    const parsed = parseArgs('status', args, { switches: ['json'] });
    const config = loadConfig({ file: parsed.config, env });
    const { readStatus, renderStatus } = await import('./status.ts');
    const rows = await readStatus(config);
    io.stdout.write(
      parsed.options.json ? JSON.stringify({ actors: rows }, null, 2) + '\n' : renderStatus(rows, Date.now()),
    );
    return 0;
  }
  if (command === 'config') {
    const parsed = parseArgs('config', args, { switches: ['print'] });
    const config = loadConfig({ file: parsed.config, env });
    io.stdout.write(JSON.stringify(printableConfig(config), null, 2) + '\n');
    return 0;
  }
  const parsed = parseArgs(command, args, { valued: command === 'collector' ? ['name'] : [] });
  const config = loadConfig({ file: parsed.config, env });
  // Usage and config mistakes are answered before anything starts (exit 2, plain message).
  let component: string = command;
  if (command === 'collector') {
    const settings = requireCollector(config, parsed.options.name);
    component = settings.id;
    requireBroker(config, settings.broker, 'ws', settings);
  }
  preflight(command, config);
  const log = createLogger({ component });
  log.info('starting', { pid: process.pid, config: config.file ?? null });
  // Supervised components beat while they load and connect, so a slow start is not a death.
  const supervised = command === 'collector' || command === 'writer' || command === 'recovery-worker';
  const starting = supervised
    ? (await import('./startingBeat.ts')).beatWhileStarting(config, component, log)
    : undefined;
  const start = await starter(command);
  const { runService } = await import('./service.ts');
  return runService({
    component,
    log,
    start: async (fatal) => {
      try {
        return await start(config, log, fatal, parsed.options.name, starting);
      } finally {
        await starting?.stop();
      }
    },
  });
}
