// The health view machine under SimulatedClock: heartbeat silence (only as evidence from the
// registry), exits and starts, self-reported states, collector stalls and lost sockets, probes of
// infrastructure, and the failed state (entered on command, left only after a clean window).
import { describe, expect, it } from 'vitest';
import { startView, testConfig } from './supervisorHarness.ts';

describe('health view of a process', () => {
  it('reports its first state and every change to the parent, with from, to and reason', () => {
    const v = startView();
    v.run(2000);
    v.clock.set(2200);
    v.send({ type: 'PROCESS_EXITED', at: 2200 });
    expect(v.parent.events.map((e) => [e.from, e.to, e.reason, e.initial])).toEqual([
      ['recovering', 'recovering', 'awaiting first heartbeat', true],
      ['recovering', 'healthy', 'heartbeat', false],
      ['healthy', 'down', 'exited', false],
    ]);
    expect(v.parent.events[2]).toMatchObject({ type: 'VIEW_CHANGED', component: 'writer', at: 2200 });
  });

  it('marks a process that stops beating down within 3 s of its death (1 s beats, 500 ms reads)', () => {
    const v = startView();
    v.run(30_000);
    const diedAt = 30_000; // its last beat
    v.run(40_000, (t) => t <= diedAt);
    const down = v.parent.events.find((e) => e.to === 'down')!;
    expect(down.reason).toBe('heartbeat-timeout');
    expect(down.at - diedAt).toBeLessThanOrEqual(3000);
    expect(down.at - diedAt).toBeGreaterThan(1500);
  });

  it('rides out a short pause (a GC stall) without leaving healthy', () => {
    const v = startView();
    v.run(20_000);
    v.run(30_000, (t) => t !== 21_000); // one beat late by a second
    expect(v.parent.events.map((e) => e.to)).toEqual(['recovering', 'healthy']);
  });

  it('arms one suspicion timer per heartbeat, never a polling loop', () => {
    const v = startView();
    v.run(10_000);
    expect(v.clock.live.size).toBe(1);
    const armedBefore = v.clock.armed;
    v.run(15_000);
    expect(v.clock.armed - armedBefore).toBe(5); // five beats, five timers, no timers for reads
  });

  it('does not declare silence while blind (no registry read), and re-syncs with fresh history', () => {
    const v = startView();
    v.run(10_000);
    // Blind from 10 s to 30 s: no beats and no reads (the registry lives on redis-main).
    for (let t = 10_500; t <= 30_000; t += 500) v.clock.set(t);
    expect(v.state()).toBe('healthy');
    v.send({ type: 'RESYNC', at: 30_000 });
    expect(v.view.getSnapshot().context.facts.det.intervals).toEqual([]);
    v.run(40_000, (t) => t >= 31_000);
    expect(v.parent.events.map((e) => e.to)).toEqual(['recovering', 'healthy']);
  });

  it('still finds a process that died during blindness, soon after sight returns', () => {
    const v = startView();
    v.run(10_000);
    for (let t = 10_500; t <= 30_000; t += 500) v.clock.set(t);
    v.send({ type: 'RESYNC', at: 30_000 });
    v.run(40_000, () => false);
    const down = v.parent.events.find((e) => e.to === 'down')!;
    expect(down.at - 30_000).toBeLessThanOrEqual(3500);
  });

  it('goes down at once on exit, ignores the dead process, and recovers through a start', () => {
    const v = startView();
    v.run(5000);
    v.clock.set(5100);
    v.send({ type: 'PROCESS_EXITED', at: 5100 });
    expect(v.state()).toBe('down');
    v.beat(5000); // a stale copy of the last beat
    expect(v.state()).toBe('down');
    v.clock.set(5300);
    v.send({ type: 'PROCESS_STARTED', at: 5300 });
    expect(v.state()).toBe('recovering');
    v.run(7000, (t) => t >= 6000);
    expect(v.state()).toBe('healthy');
  });

  it('gives a started process heartbeatTimeoutMs for its first beat', () => {
    const v = startView();
    v.send({ type: 'PROCESS_STARTED', at: 0 });
    v.run(4500, () => false);
    expect(v.state()).toBe('recovering');
    v.run(6000, () => false);
    expect(v.state()).toBe('down');
  });

  it('follows ordered restarts and failed ones', () => {
    const v = startView();
    v.run(3000);
    v.send({ type: 'RESTARTING', at: 3000 });
    expect(v.parent.events.at(-1)).toMatchObject({ to: 'recovering', reason: 'restart ordered' });
    v.send({ type: 'RESTART_FAILED', at: 3000, reason: 'TG_ERR_DEP_DOWN' });
    expect(v.parent.events.at(-1)).toMatchObject({ to: 'down', reason: 'restart failed: TG_ERR_DEP_DOWN' });
  });

  it('takes self-reported states from beats and newer mirror entries; a living "down" is degraded', () => {
    const v = startView();
    v.run(3000);
    v.run(
      4000,
      () => true,
      () => ({ state: 'degraded' }),
    );
    expect(v.state()).toBe('degraded');
    v.send({ type: 'STATE_MIRRORED', state: 'healthy', at: 3500 }); // older than the last beat
    expect(v.state()).toBe('degraded');
    v.clock.set(4200);
    v.send({ type: 'STATE_MIRRORED', state: 'healthy', at: 4200 });
    expect(v.state()).toBe('healthy');
    v.run(
      6000,
      () => true,
      () => ({ state: 'down' }),
    );
    expect(v.parent.events.at(-1)).toMatchObject({ to: 'degraded', reason: 'reports down' });
  });

  it('keeps a mirrored state newer than a beat that arrives after it (the registry is read late)', () => {
    const v = startView();
    v.run(3000);
    v.clock.set(3800);
    v.send({ type: 'STATE_MIRRORED', state: 'degraded', at: 3700 });
    expect(v.state()).toBe('degraded');
    v.beat(3500); // sent before the component degraded, read after its mirror entry
    v.send({ type: 'REGISTRY_READ', at: 3800 });
    expect(v.state()).toBe('degraded');
    v.clock.set(4000);
    v.beat(4000); // a beat newer than the mirror entry speaks for the component again
    expect(v.state()).toBe('healthy');
  });
});

describe('health view of a collector', () => {
  const collector = () =>
    startView({
      component: 'collector:kis-1',
      collector: true,
      config: testConfig({ stallTimeoutMs: 10_000 }),
    });

  it('is degraded while its broker socket is down (a live process with a dead socket)', () => {
    const v = collector();
    v.run(
      3000,
      () => true,
      (t) => ({ brokerConnected: true, lastTickAt: { A: t } }),
    );
    v.run(
      5000,
      () => true,
      () => ({ brokerConnected: false, lastTickAt: { A: 3000 } }),
    );
    expect(v.parent.events.at(-1)).toMatchObject({ to: 'degraded', reason: 'broker-ws-lost' });
    v.run(
      60_000,
      () => true,
      () => ({ brokerConnected: false, lastTickAt: { A: 3000 } }),
    );
    expect(v.state()).toBe('degraded'); // reconnecting is the collector's job, not a restart
  });

  it('is degraded after half the stall timeout without ticks, then down', () => {
    const v = collector();
    v.run(
      3000,
      () => true,
      (t) => ({ brokerConnected: true, lastTickAt: { A: t } }),
    );
    v.run(
      20_000,
      () => true,
      () => ({ brokerConnected: true, lastTickAt: { A: 3000 } }),
    );
    const tos = v.parent.events.map((e) => `${e.at}:${e.to}:${e.reason}`);
    expect(tos).toContain('8000:degraded:stalled');
    expect(tos).toContain('13000:down:stalled');
  });

  it('recovers from a stall when ticks flow again', () => {
    const v = collector();
    v.run(
      3000,
      () => true,
      (t) => ({ brokerConnected: true, lastTickAt: { A: t } }),
    );
    v.run(
      9000,
      () => true,
      () => ({ brokerConnected: true, lastTickAt: { A: 3000 } }),
    );
    expect(v.state()).toBe('degraded');
    v.run(
      11_000,
      () => true,
      (t) => ({ brokerConnected: true, lastTickAt: { A: t } }),
    );
    expect(v.state()).toBe('healthy');
  });
});

describe('health view of infrastructure', () => {
  const infra = () => startView({ component: 'redis-main', kind: 'infrastructure' });

  it('starts healthy, is degraded on one failed probe and down on two in a row', () => {
    const v = infra();
    expect(v.state()).toBe('healthy');
    v.send({ type: 'PROBE_FAILED', at: 1000, reason: 'ECONNREFUSED' });
    expect(v.state()).toBe('degraded');
    v.send({ type: 'PROBE_OK', at: 2000 });
    expect(v.state()).toBe('healthy');
    v.send({ type: 'PROBE_FAILED', at: 3000, reason: 'ECONNREFUSED' });
    v.send({ type: 'PROBE_FAILED', at: 3250, reason: 'ECONNREFUSED' });
    expect(v.parent.events.at(-1)).toMatchObject({ to: 'down', reason: 'ECONNREFUSED' });
  });

  it('passes through recovering after an outage and needs two good probes to be healthy', () => {
    const v = infra();
    v.send({ type: 'PROBE_FAILED', at: 1000, reason: 'x' });
    v.send({ type: 'PROBE_FAILED', at: 1250, reason: 'x' });
    v.send({ type: 'PROBE_OK', at: 2000 });
    expect(v.state()).toBe('recovering');
    v.send({ type: 'PROBE_FAILED', at: 3000, reason: 'x' });
    expect(v.state()).toBe('down');
    v.send({ type: 'PROBE_OK', at: 4000 });
    v.send({ type: 'PROBE_OK', at: 5000 });
    expect(v.state()).toBe('healthy');
  });

  it('is not judged by heartbeats or their absence', () => {
    const v = infra();
    v.run(30_000, () => false);
    expect(v.state()).toBe('healthy');
  });
});

describe('failed', () => {
  it('is entered on command and left only after restart.windowMs of uninterrupted life', () => {
    const v = startView({ config: testConfig({ restart: { windowMs: 10_000 } }) });
    v.run(2000);
    v.send({ type: 'FAIL', at: 2000, reason: 'restart intensity exceeded' });
    expect(v.parent.events.at(-1)).toMatchObject({ to: 'failed', reason: 'restart intensity exceeded' });
    v.run(8000);
    v.clock.set(8100);
    v.send({ type: 'PROCESS_EXITED', at: 8100 }); // crash loop continues: the window starts over
    v.send({ type: 'PROCESS_STARTED', at: 8200 });
    v.run(18_000);
    expect(v.state()).toBe('failed');
    v.run(20_000);
    expect(v.state()).toBe('healthy');
  });

  it('is left at once on an operator reset', () => {
    const v = startView();
    v.run(2000);
    v.send({ type: 'FAIL', at: 2000, reason: 'restart intensity exceeded' });
    v.send({ type: 'RESET', at: 2100 });
    expect(v.state()).toBe('healthy');
  });
});
