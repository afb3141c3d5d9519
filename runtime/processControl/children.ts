// ProcessControl over local child processes (`tickguard up`): each component is `node
// bin/tickguard.js <command>`; a restart is SIGKILL (if still running) then spawn again, and every
// child start and exit is reported as a lifecycle event, like Docker events in a compose setup.
import { spawn, type ChildProcess } from 'node:child_process';
import { TgError } from '../../machines/errors.ts';
import type { ComponentId } from '../../machines/types.ts';
import type { ProcessControl } from '../../ports/processControl.ts';
import type { Logger } from '../log.ts';

export interface ChildSpec {
  /** Arguments after the executable, e.g. [bin, 'collector', '--name', 'kis-1', '--config', F]. */
  args: string[];
}

export interface ChildProcessControlOptions {
  children: Record<ComponentId, ChildSpec>;
  /** Default process.execPath. */
  command?: string;
  env?: NodeJS.ProcessEnv;
  log: Logger;
  now?: () => number;
}

type LifecycleEvent = { component: ComponentId; kind: 'exited' | 'started'; at: number };

export interface ChildProcessControl extends ProcessControl {
  /** Start every child that is not running. */
  startAll(): void;
  /** SIGTERM every child, SIGKILL whatever is left after graceMs. */
  stopAll(graceMs: number): Promise<void>;
  pid(component: ComponentId): number | undefined;
}

export function createChildProcessControl(o: ChildProcessControlOptions): ChildProcessControl {
  const now = o.now ?? Date.now;
  const running = new Map<ComponentId, ChildProcess>();
  const handlers = new Set<(e: LifecycleEvent) => void>();
  let stopping = false;
  const notify = (e: LifecycleEvent) => {
    for (const h of [...handlers]) h(e);
  };

  const exitOf = (child: ChildProcess): Promise<void> =>
    child.exitCode !== null || child.signalCode !== null
      ? Promise.resolve()
      : new Promise((resolve) => child.once('exit', () => resolve()));

  function start(component: ComponentId): void {
    const spec = o.children[component];
    const child = spawn(o.command ?? process.execPath, spec.args, {
      env: o.env ?? process.env,
      // The IPC channel closes when `up` dies, even by SIGKILL: the child then stops (no orphans).
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    running.set(component, child);
    child.once('spawn', () => {
      o.log.info('child started', { component, pid: child.pid });
      notify({ component, kind: 'started', at: now() });
    });
    child.once('error', (e) => o.log.error('child failed to start', { component, error: e.message }));
    child.once('exit', (code, signal) => {
      if (running.get(component) === child) running.delete(component);
      o.log.info('child exited', { component, pid: child.pid, code, signal });
      notify({ component, kind: 'exited', at: now() });
    });
  }

  function known(component: ComponentId): void {
    if (!(component in o.children)) {
      throw new TgError(
        'TG_ERR_CONFIG',
        `cannot restart ${component}: not one of this up's processes (${Object.keys(o.children).join(', ')})`,
        { component },
      );
    }
  }

  return {
    async restart(component) {
      known(component);
      if (stopping) throw new TgError('TG_ERR_DEP_DOWN', `not restarting ${component}: shutting down`);
      const child = running.get(component);
      if (child) {
        child.kill('SIGKILL');
        await exitOf(child);
      }
      if (stopping) return;
      o.log.info('restarting child', { component });
      start(component);
    },
    onLifecycle(handler) {
      handlers.add(handler);
      return () => handlers.delete(handler);
    },
    startAll() {
      for (const component of Object.keys(o.children)) if (!running.has(component)) start(component);
    },
    async stopAll(graceMs) {
      stopping = true;
      const children = [...running.values()];
      for (const c of children) c.kill('SIGTERM');
      const timer = setTimeout(() => children.forEach((c) => c.kill('SIGKILL')), graceMs);
      await Promise.all(children.map(exitOf));
      clearTimeout(timer);
    },
    pid: (component) => running.get(component)?.pid,
  };
}
