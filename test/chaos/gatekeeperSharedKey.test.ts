// Issue 5, shared app key: several OS processes, each with its own gatekeeper client and KIS REST
// client on one app key, call the broker emulator as fast as the gatekeeper grants. The shared bucket
// on redis-gatekeeper must keep the broker's own count within its limit: zero rejections.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it, inject } from 'vitest';
import { startEmulator, type EmulatorHandle } from '../../runtime/emulator/index.ts';
import type { HammerSummary } from './gatekeeperHammer.ts';
import type { AppKeyStats } from './recoveryHarness.ts';

const HAMMER = fileURLToPath(new URL('./gatekeeperHammer.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const LIMIT = 10;
const PROCESSES = 3;
const HAMMER_MS = 5000;

interface Hammer {
  /** Resolves once the process has loaded, connected and warmed up its broker client. */
  ready: Promise<void>;
  go(): void;
  done: Promise<{ code: number | null; summary?: HammerSummary; err: string }>;
}

function hammer(env: Record<string, string>): Hammer {
  const child = spawn(process.execPath, ['--import', 'tsx/esm', HAMMER], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  let markReady = () => {};
  const ready = new Promise<void>((r) => (markReady = r));
  child.stdout.on('data', (c: Buffer) => {
    out += c.toString();
    if (out.startsWith('ready\n')) markReady();
  });
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const done = new Promise<{ code: number | null; summary?: HammerSummary; err: string }>((resolve) =>
    child.once('exit', (code) => {
      markReady();
      const line = out.trim().split('\n').pop();
      let summary: HammerSummary | undefined;
      try {
        summary = line && line !== 'ready' ? (JSON.parse(line) as HammerSummary) : undefined;
      } catch {
        summary = undefined;
      }
      resolve({ code, summary, err });
    }),
  );
  return { ready, go: () => child.stdin.write('go\n'), done };
}

describe('one app key shared by several processes through the gatekeeper', () => {
  let emu: EmulatorHandle | undefined;
  afterAll(async () => {
    await emu?.close();
  });

  it(`${PROCESSES} processes hammering at ${LIMIT}/s get zero rejections and the broker never counts more than ${LIMIT} in any second`, async () => {
    // Every process issues its own KIS token; the emulator's once-a-minute throttle would refuse two.
    emu = await startEmulator({ symbols: 5, rateLimitPerSec: LIMIT, tokenReissueMs: 0 });
    const run = Math.random().toString(36).slice(2, 8);
    const appKey = `shared-key-${run}`;
    const hammers = Array.from({ length: PROCESSES }, (_, i) =>
      hammer({
        HAMMER_CLIENT: `hammer-${i}`,
        HAMMER_LIMIT: String(LIMIT),
        HAMMER_MS: String(HAMMER_MS),
        HAMMER_SYMBOL: emu!.symbols[i % emu!.symbols.length],
        HAMMER_PREFIX: `tg:test:${run}:`,
        HAMMER_APP_KEY: appKey,
        HAMMER_APP_SECRET: 'shared-secret',
        HAMMER_REST_URL: emu!.url,
        HAMMER_REDIS_URL: inject('redisUrl'),
        HAMMER_GATEKEEPER_URL: inject('redisUrl'),
      }),
    );
    // Loading TypeScript takes seconds per process on two cores: all start hammering together.
    await Promise.all(hammers.map((h) => h.ready));
    for (const h of hammers) h.go();
    const results = await Promise.all(hammers.map((h) => h.done));
    for (const r of results) expect(r.code, r.err).toBe(0);
    const summaries = results.map((r) => r.summary!);
    const stats = (
      (await (await fetch(`${emu.url}/_emulator/stats`)).json()) as { appKeys: Record<string, AppKeyStats> }
    ).appKeys[appKey];
    const granted = summaries.reduce((n, s) => n + s.granted, 0);
    console.info(
      `[chaos] shared key: ${PROCESSES} processes, limit ${LIMIT}/s, granted ${granted}, ` +
        `broker requests ${stats?.requests}, rejections ${stats?.rejections}, ` +
        `maxRequestsInAnySecond ${stats?.maxRequestsInAnySecond}, per process ${summaries.map((s) => s.granted).join('/')}`,
    );
    // Every process took part, all at the same time: the limit was contended, not taken in turns.
    for (const s of summaries) {
      expect(s.granted, s.client).toBeGreaterThan(0);
      expect(s.errors, s.client).toEqual([]);
      expect(s.modes.local ?? 0, `${s.client} local grants`).toBe(0);
    }
    const lastStart = Math.max(...summaries.map((s) => s.firstGrantAt!));
    const firstEnd = Math.min(...summaries.map((s) => s.lastGrantAt!));
    // Demand was unbounded (every process always had a waiter): at least two seconds' worth of grants.
    expect(firstEnd - lastStart).toBeGreaterThanOrEqual(1000);
    expect(granted).toBeGreaterThanOrEqual(2 * LIMIT);
    expect(stats.requests).toBe(granted);
    expect(summaries.reduce((n, s) => n + s.rejected, 0)).toBe(0);
    expect(stats.rejections).toBe(0);
    expect(stats.maxRequestsInAnySecond).toBeLessThanOrEqual(LIMIT);
  });
});
