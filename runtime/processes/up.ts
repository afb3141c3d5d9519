// `tickguard up`: the whole pipeline on one machine. The writer, the recovery worker and every
// collector run as child processes (`node bin/tickguard.js ...` with the same config); the
// supervisor runs here with the child-process ProcessControl, so it restarts what dies. Ctrl-C
// stops the supervisor first (no restarts during shutdown), then the children.
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LiveConfig } from '../config/index.ts';
import type { Logger } from '../log.ts';
import { createChildProcessControl, type ChildSpec } from '../processControl/children.ts';
import type { Service } from './service.ts';
import { startSupervisorProcess } from './supervisor.ts';

export const BIN = fileURLToPath(new URL('../../bin/tickguard.js', import.meta.url));

/** The child processes of `up`, keyed by component id. */
export function upChildren(config: LiveConfig, configFile: string | undefined): Record<string, ChildSpec> {
  const withConfig = (args: string[]) =>
    configFile ? [BIN, ...args, '--config', resolve(configFile)] : [BIN, ...args];
  const children: Record<string, ChildSpec> = { writer: { args: withConfig(['writer']) } };
  if (config.backfillBroker) children['recovery-worker'] = { args: withConfig(['recovery-worker']) };
  for (const c of config.collectors) children[c.id] = { args: withConfig(['collector', '--name', c.name]) };
  return children;
}

export async function startUp(
  config: LiveConfig,
  log: Logger,
  fatal: (error: unknown) => void,
  options: { stopGraceMs?: number } = {},
): Promise<Service> {
  const children = upChildren(config, config.file);
  const control = createChildProcessControl({ children, log: log.child({ part: 'children' }) });
  const supervisor = await startSupervisorProcess(config, log, fatal, { processControl: control });
  control.startAll();
  return {
    readyFields: { ...supervisor.readyFields, children: Object.keys(children) },
    async stop() {
      await supervisor.stop();
      await control.stopAll(options.stopGraceMs ?? 8000);
    },
  };
}
