// Runs the port contracts against the live Redis adapters: the behaviour suites on the shared test
// server, the fault suites on a private server that is really killed and restarted (real time, so
// the suites' virtual-time-only cases are skipped).
import { afterAll, describe, inject } from 'vitest';
import { startRedis, type ServerHandle } from '../infra/servers.ts';
import { eventBusContract } from './eventBus.contract.ts';
import type { MakeHarness } from './harness.ts';
import { heartbeatsContract } from './heartbeats.contract.ts';
import { faultyRedisHarness, redisHarness } from './redisHarness.ts';
import { stateMirrorContract } from './stateMirror.contract.ts';
import { tickBufferContract } from './tickBuffer.contract.ts';
import type { RedisAdapters } from '../../runtime/redis/index.ts';

const url = inject('redisUrl');
const behaviour = { virtualTime: false, faults: false };
const faults = { virtualTime: false, faults: true };

describe('redis adapters', () => {
  eventBusContract(
    'redis',
    redisHarness(url, (p) => p.eventBus),
    behaviour,
  );
  stateMirrorContract(
    'redis',
    redisHarness(url, (p) => p.mirror),
    behaviour,
  );
  heartbeatsContract(
    'redis',
    redisHarness(url, (p) => p.heartbeats),
    behaviour,
  );
  tickBufferContract(
    'redis',
    redisHarness(url, (p) => p.tickBuffer),
    behaviour,
  );
});

describe('redis adapters on a server that dies', () => {
  let server: ServerHandle | undefined;
  afterAll(async () => {
    await server?.destroy();
  });
  /** One private server for all fault suites, started on first use. */
  function faulty<P extends object>(pick: (p: RedisAdapters) => P): MakeHarness<P> {
    return async () => {
      server ??= await startRedis();
      return faultyRedisHarness(server, pick)();
    };
  }
  // The whole contract again (behaviour through the fault wrapper, then the fault cases).
  eventBusContract(
    'redis (killed)',
    faulty((p) => p.eventBus),
    faults,
  );
  stateMirrorContract(
    'redis (killed)',
    faulty((p) => p.mirror),
    faults,
  );
  heartbeatsContract(
    'redis (killed)',
    faulty((p) => p.heartbeats),
    faults,
  );
  tickBufferContract(
    'redis (killed)',
    faulty((p) => p.tickBuffer),
    faults,
  );
});
