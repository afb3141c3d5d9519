// Regression found by the data-path chaos tests (a spurious COLLECTOR_DOWN while a collector started
// under load): a collector whose broker connect outlasts one heartbeat beats once while connecting
// and once while subscribing. The supervisor judged coverage on the new beat before its view had
// seen it, so "degraded, broker lost" plus "connected" covered for an instant, then the view said
// `recovering` and a COLLECTOR_DOWN with gaps went out for a collector that never failed. Likewise
// a first beat sent while connecting but read from the registry after the mirrored "healthy".
import { describe, expect, it } from 'vitest';
import type { HealthState, TgEvent } from '../../machines/types.ts';
import { drive, flush, startSupervisorMachine, testConfig } from '../unit/supervisorHarness.ts';

const COLLECTOR = 'collector:kis-1';

function rig() {
  const r = startSupervisorMachine({ config: testConfig({}, ['kis-1']), coverage: { [COLLECTOR]: ['A'] } });
  const beat = async (at: number, state: HealthState, brokerConnected: boolean, liveSince?: number) => {
    r.clock.set(at);
    r.send({
      type: 'HEARTBEAT',
      payload: { component: COLLECTOR, at, state, brokerConnected, lastTickAt: {}, liveSince },
    });
    r.send({ type: 'REGISTRY_READ', at });
    await flush();
  };
  const types = () => r.published.map((e: TgEvent) => e.type).filter((t) => t !== 'COMPONENT_STATE');
  return { r, beat, types };
}

describe('a collector that connects slowly', () => {
  it('is not declared down while it starts (a beat while connecting, then one while subscribing)', async () => {
    const { beat, types } = rig();
    await beat(1000, 'recovering', false);
    await beat(2000, 'recovering', true);
    await beat(3000, 'healthy', true, 2500);
    expect(types()).toEqual([]);
  });

  it('is not declared down when its first beat (sent while connecting) is read after its mirrored "healthy"', async () => {
    const { r, beat, types } = rig();
    const send = async (at: number, e: Parameters<typeof r.send>[0]) => {
      r.clock.set(at);
      r.send(e);
      await flush();
    };
    r.clock.set(500);
    r.send({ type: 'HEARTBEAT', payload: { component: COLLECTOR, at: 500, state: 'recovering' } }); // starting beat
    await send(600, { type: 'REGISTRY_READ', at: 600 });
    await send(1900, { type: 'STATE_MIRRORED', component: COLLECTOR, state: 'healthy', at: 1860 });
    // Its first own beat, written at 1730 while it connected, read only now.
    r.clock.set(2400);
    r.send({
      type: 'HEARTBEAT',
      payload: {
        component: COLLECTOR,
        at: 1730,
        state: 'recovering',
        brokerConnected: false,
        lastTickAt: {},
      },
    });
    await send(2500, { type: 'REGISTRY_READ', at: 2500 });
    await beat(3000, 'healthy', true, 1860);
    expect(types()).toEqual([]);
  });

  it('gets one COLLECTOR_DOWN when its broker connection drops, and one COLLECTOR_UP once it is live again, not while it subscribes', async () => {
    const { r, beat, types } = rig();
    await drive(r, 3000, { symbols: { [COLLECTOR]: ['A'] } });
    await beat(4000, 'down', false);
    await beat(5000, 'recovering', true);
    expect(types()).toEqual(['COLLECTOR_DOWN']);
    await beat(6000, 'healthy', true, 5500);
    expect(types()).toEqual(['COLLECTOR_DOWN', 'COLLECTOR_UP']);
    const up = r.published.find((e) => e.type === 'COLLECTOR_UP');
    expect(up).toMatchObject({ gapEnd: 5500, closed: [{ symbol: 'A', end: 5500 }] });
  });
});
