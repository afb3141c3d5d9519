// Two supervisor processes for availability (DESIGN section 2): the one holding tg:lease:supervisor
// acts, the other stands by and publishes nothing. SIGKILL the leader: the standby claims the lapsed
// lease and leads (a larger fencing token), then detects a collector SIGKILL and publishes its
// COLLECTOR_DOWN. SIGTERM a leader: it releases the lease, so a standby leads within one renewal.
// A supervisor restarted in place keeps its lease.
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, inject, it } from 'vitest';
import { startEmulator, type EmulatorHandle } from '../../runtime/emulator/index.ts';
import { COLLECTOR, Pipeline, eventOf, isReady, timeOf, waitState } from './datapathHarness.ts';
import type { LogLine, TgProcess } from './processes.ts';

let emu: EmulatorHandle;
let db: pg.Pool;
let p: Pipeline;

beforeAll(async () => {
  emu = await startEmulator({ symbols: 10, marketOpen: 'always' });
  db = new pg.Pool({ connectionString: inject('databaseUrl'), max: 2 });
});

afterAll(async () => {
  await p?.dispose(db);
  await emu?.close();
  await db?.end();
});

const leading = (l: LogLine) => l.msg === 'supervisor leading';
const published = (proc: TgProcess) => proc.lines.map(eventOf).filter((e) => e !== undefined);

describe('supervisor failover through the Redis lease', () => {
  it('a standby takes over from a SIGKILLed leader and detects the next collector failure; SIGTERM hands over at once', async ({
    expect,
    onTestFailed,
  }) => {
    const redisUrl = inject('redisUrl');
    p = new Pipeline({
      tag: 'ha',
      redisUrl,
      gatekeeperUrl: redisUrl,
      databaseUrl: inject('databaseUrl'),
      emu,
      symbols: emu.symbols.slice(0, 2),
    });
    onTestFailed(() => console.log(`[supervisor failover] process logs: ${p.dump()}`));
    // Each supervisor keeps its outbox on its own disk, as on separate hosts.
    const own = (name: string) => ({ TG_SPOOL_DIR: join(p.dir, name) });

    // Restarted in place (same host, same outbox directory: what Docker's restart policy does), a
    // supervisor is the lease's owner still and leads at once instead of waiting for it to lapse.
    let a = p.start('supervisor', own('a'));
    const first = await a.waitFor(isReady, 40_000);
    expect(first).toMatchObject({ role: 'leader' });
    await a.kill('SIGKILL');
    a = p.start('supervisor', own('a'));
    const ready = await a.waitFor(isReady, 40_000);
    expect(ready).toMatchObject({ role: 'leader', leaseFence: first.leaseFence });
    const b = p.start('supervisor', own('b'));
    expect(await b.waitFor(isReady, 40_000)).toMatchObject({ role: 'standby' });
    const col = p.start('collector');
    await col.waitFor(isReady, 40_000);
    await waitState(col, (s) => s === 'healthy', 0, 40_000);
    await a.waitFor((l) => eventOf(l)?.type === 'COMPONENT_STATE', 20_000);
    expect(published(b)).toEqual([]); // the standby watches, it does not act

    // The leader dies: its lease lapses after heartbeatTimeoutMs (5 s) and the standby claims it.
    const killA = Date.now();
    await a.kill('SIGKILL');
    const took = await b.waitFor(leading, 15_000);
    const takeoverMs = timeOf(took) - killA;
    expect(Number(took.fence)).toBeGreaterThan(Number(ready.leaseFence));
    expect(takeoverMs).toBeLessThanOrEqual(5000 + 1000 + 2000);

    // The new leader sees the collector fail and says so.
    await b.waitFor((l) => eventOf(l)?.type === 'COMPONENT_STATE', 20_000);
    const killCol = Date.now();
    await col.kill('SIGKILL');
    const down = await b.waitFor(
      (l) => eventOf(l)?.type === 'COLLECTOR_DOWN' && eventOf(l)?.collector === COLLECTOR,
      20_000,
    );
    const detectionMs = timeOf(down) - killCol;

    // A graceful stop releases the lease: a third supervisor leads within about one renewal.
    const c = p.start('supervisor', own('c'));
    expect(await c.waitFor(isReady, 40_000)).toMatchObject({ role: 'standby' });
    const stopB = Date.now();
    await b.kill('SIGTERM');
    const handed = await c.waitFor(leading, 10_000);
    const handoverMs = timeOf(handed) - stopB;
    expect(handoverMs).toBeLessThan(5000); // well inside the lease ttl: it did not lapse, it was released
    await p.stop();
    console.log(
      `[supervisor failover] SIGKILL -> standby leading ${takeoverMs} ms (fence ${String(ready.leaseFence)} -> ${String(took.fence)}), ` +
        `collector SIGKILL -> COLLECTOR_DOWN by the new leader ${detectionMs} ms, SIGTERM -> next leader ${handoverMs} ms`,
    );
  });
});
