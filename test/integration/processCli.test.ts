// The live commands' answers that need no running pipeline, in process through the CLI: a bad
// config exits 2 with the coded error naming file:line and field, an unknown collector exits 2,
// `status` exits 2 when redis-main is unreachable, `health` exits 1 then; the child-process
// ProcessControl reports starts and exits and restarts with SIGKILL; `config` prints no secrets.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, inject } from 'vitest';
import { main } from '../../runtime/cli.ts';
import { silentLogger } from '../../runtime/log.ts';
import { createChildProcessControl } from '../../runtime/processControl/children.ts';
import { createNoProcessControl } from '../../runtime/processControl/none.ts';

const dir = mkdtempSync(join(tmpdir(), 'tg-cli-live-'));
function configFile(text: string): string {
  const path = join(dir, `c${Math.random().toString(36).slice(2, 8)}.yaml`);
  writeFileSync(path, text);
  return path;
}

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

const DEAD_REDIS = 'redis://127.0.0.1:1';

describe('live commands without a pipeline', () => {
  it('exits 2 on a bad config with file:line, field and a fix, before starting anything', async () => {
    const file = configFile(`redis: { url: ${DEAD_REDIS} }\ntuning:\n  heartbeatIntervalMs: fast\n`);
    const t = io();
    expect(await main(['writer', '--config', file], t.deps)).toBe(2);
    expect(t.err()).toMatch(/TG_ERR_CONFIG: .*\.yaml:3 tuning\.heartbeatIntervalMs must be a number/);
    const typo = io();
    expect(
      await main(['status', '--config', configFile(`redis: { urll: ${DEAD_REDIS} }\n`)], typo.deps),
    ).toBe(2);
    expect(typo.err()).toMatch(/:1 redis\.urll is not a known key/);
  });

  it('exits 2 for a collector name the config does not have, listing the configured ones', async () => {
    const file = configFile(`redis: { url: ${DEAD_REDIS} }
brokers: { kis: { restUrl: "http://127.0.0.1:1", wsUrl: "ws://127.0.0.1:1", appKey: k, appSecret: s } }
collectors: [{ name: kis-1, broker: kis, symbols: ["005930"] }]
`);
    const t = io();
    expect(await main(['collector', '--name', 'kis-9', '--config', file], t.deps)).toBe(2);
    expect(t.err()).toContain('collector "kis-9" is not in the config\'s collectors (configured: kis-1)');
    const none = io();
    expect(await main(['collector', '--config', file], none.deps)).toBe(2);
    expect(none.err()).toContain('TG_ERR_USAGE: collector: --name NAME is required');
    const keyless = io();
    const noKey = configFile(
      `redis: { url: ${DEAD_REDIS} }
brokers: { kis: { restUrl: "http://127.0.0.1:1", wsUrl: "ws://127.0.0.1:1", appKey: { env: TG_TEST_NO_SUCH_KEY }, appSecret: s } }
collectors: [{ name: kis-1, broker: kis, symbols: ["005930"] }]
`,
    );
    expect(await main(['collector', '--name', 'kis-1', '--config', noKey], keyless.deps)).toBe(2);
    expect(keyless.err()).toMatch(
      /TG_ERR_CONFIG: brokers\.kis\.appKey \(env TG_TEST_NO_SUCH_KEY\) is not set \(needed by collector kis-1\).*KIS_APP_KEY/,
    );
  });

  it('status exits 2 and health exits 1 when redis-main is unreachable', async () => {
    const file = configFile(`redis: { url: ${DEAD_REDIS} }\n`);
    const status = io();
    expect(await main(['status', '--config', file], status.deps)).toBe(2);
    expect(status.err()).toMatch(/TG_ERR_DEP_DOWN: redis-main \(redis:\/\/127\.0\.0\.1:1\) cannot be read/);
    const health = io();
    expect(await main(['health', 'writer', '--config', file], health.deps)).toBe(1);
    expect(health.out()).toMatch(/^writer: unhealthy \(cannot read redis-main/);
  });

  it('status on an empty mirror exits 0 and says nothing runs', async () => {
    const file = configFile(
      `redis: { url: "${inject('redisUrl')}", prefix: "tg:test:empty${Date.now()}:" }\n`,
    );
    const t = io();
    expect(await main(['status', '--config', file], t.deps)).toBe(0);
    expect(t.out()).toContain('no actor has mirrored a state yet');
  });

  it('config prints the effective configuration without secrets', async () => {
    const file = configFile(`brokers:
  kis: { restUrl: "http://h:1", wsUrl: "ws://h:1", appKey: TOPSECRETKEY, appSecret: { env: TG_TEST_SECRET } }
database: { url: "postgres://u:pw123secret@db/x" }
`);
    process.env.TG_TEST_SECRET = 'ENVSECRETVALUE';
    const t = io();
    expect(await main(['config', '--config', file], t.deps)).toBe(0);
    delete process.env.TG_TEST_SECRET;
    const printed = JSON.parse(t.out());
    expect(printed.brokers.kis.appSecret).toBe('*** (env TG_TEST_SECRET)');
    expect(t.out()).not.toMatch(/TOPSECRETKEY|ENVSECRETVALUE|pw123secret/);
  });
});

describe('ProcessControl variants', () => {
  it('children: reports started and exited, and a restart SIGKILLs and spawns again', async () => {
    const control = createChildProcessControl({
      children: { sleeper: { args: ['-e', 'setTimeout(() => {}, 60000)'] } },
      log: silentLogger,
    });
    const events: string[] = [];
    control.onLifecycle((e) => events.push(`${e.component}:${e.kind}`));
    control.startAll();
    await waitFor(() => events.includes('sleeper:started'));
    const first = control.pid('sleeper');
    await control.restart('sleeper');
    await waitFor(() => events.length >= 3);
    expect(events).toEqual(['sleeper:started', 'sleeper:exited', 'sleeper:started']);
    expect(control.pid('sleeper')).not.toBe(first);
    await expect(control.restart('nobody')).rejects.toThrow(/TG_ERR_CONFIG: cannot restart nobody/);
    await control.stopAll(2000);
    expect(events.at(-1)).toBe('sleeper:exited');
  });

  it('none: sees no lifecycle and refuses restarts with a coded reason', async () => {
    const control = createNoProcessControl();
    const events: unknown[] = [];
    control.onLifecycle((e) => events.push(e));
    await expect(control.restart('writer')).rejects.toThrow(
      /cannot restart writer: this supervisor has no process control/,
    );
    expect(events).toEqual([]);
  });
});

async function waitFor(cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
