// TgConfig: defaults, per-name collectors, and validateConfig's merge and coded errors (each names the
// field or dependency at fault and what to do about it).
import { describe, expect, it } from 'vitest';
import {
  componentKind,
  defaultConfig,
  isRestartable,
  validateConfig,
  withCollectors,
  type TgConfig,
} from '../../machines/config.ts';
import { TgError } from '../../machines/errors.ts';

function errorOf(fn: () => unknown): TgError {
  try {
    fn();
  } catch (e) {
    if (e instanceof TgError) return e;
    throw e;
  }
  throw new Error('expected a TgError, nothing was thrown');
}

describe('defaultConfig', () => {
  it('has the documented defaults and the dependency graph of DESIGN section 1', () => {
    const c = defaultConfig();
    expect(c.heartbeatIntervalMs).toBe(1000);
    expect(c.heartbeatTimeoutMs).toBe(5000);
    expect(c.phiThreshold).toBe(8);
    expect(c.restart).toEqual({
      maxRestarts: 5,
      windowMs: 60_000,
      backoffBaseMs: 200,
      backoffMaxMs: 10_000,
      jitter: 0.2,
    });
    const byId = Object.fromEntries(c.components.map((x) => [x.id, x]));
    expect(byId.writer.hardDeps).toEqual(['redis-main', 'timescaledb']);
    expect(byId['recovery-worker']).toMatchObject({
      hardDeps: ['timescaledb', 'broker-rest'],
      softDeps: ['redis-gatekeeper'],
    });
    expect(Object.keys(byId)).toEqual(
      expect.arrayContaining(['redis-main', 'redis-gatekeeper', 'timescaledb', 'broker-rest', 'broker-ws']),
    );
  });

  it('treats infrastructure as probed and not restartable, processes as restartable', () => {
    const c = defaultConfig();
    const redis = c.components.find((x) => x.id === 'redis-main')!;
    const writer = c.components.find((x) => x.id === 'writer')!;
    expect([componentKind(redis), isRestartable(redis)]).toEqual(['infrastructure', false]);
    expect([componentKind(writer), isRestartable(writer)]).toEqual(['process', true]);
  });

  it('returns a fresh object each time (callers may mutate their copy)', () => {
    const a = defaultConfig();
    a.restart.maxRestarts = 99;
    expect(defaultConfig().restart.maxRestarts).toBe(5);
  });
});

describe('withCollectors', () => {
  it('adds one collector per name with broker-ws hard and redis-main soft, accepting bare or prefixed names', () => {
    const c = withCollectors(defaultConfig(), ['kis-1', 'collector:kiwoom-1']);
    const added = c.components.filter((x) => x.id.startsWith('collector:'));
    expect(added).toEqual([
      { id: 'collector:kis-1', hardDeps: ['broker-ws'], softDeps: ['redis-main'] },
      { id: 'collector:kiwoom-1', hardDeps: ['broker-ws'], softDeps: ['redis-main'] },
    ]);
  });

  it('does not duplicate a collector that is already configured', () => {
    const once = withCollectors(defaultConfig(), ['kis-1']);
    expect(withCollectors(once, ['kis-1']).components).toHaveLength(once.components.length);
  });
});

describe('validateConfig', () => {
  it('returns the defaults for an empty or missing input', () => {
    expect(validateConfig(undefined)).toEqual(defaultConfig());
    expect(validateConfig({})).toEqual(defaultConfig());
  });

  it('merges nested sections key by key over the defaults', () => {
    const c = validateConfig({
      heartbeatIntervalMs: 500,
      restart: { maxRestarts: 3 },
      gatekeeper: { limits: { kis: { ratePerSec: 2 } } },
    });
    expect(c.heartbeatIntervalMs).toBe(500);
    expect(c.restart).toEqual({ ...defaultConfig().restart, maxRestarts: 3 });
    expect(c.gatekeeper.limits.kis).toEqual({ ratePerSec: 2, burst: 1 });
    expect(c.gatekeeper.limits.kiwoom).toEqual(defaultConfig().gatekeeper.limits.kiwoom);
  });

  it('accepts a full config it produced (idempotent)', () => {
    const c: TgConfig = withCollectors(defaultConfig(), ['kis-1']);
    expect(validateConfig(c)).toEqual(c);
  });

  it.each([
    ['heartbeatIntervalMs', { heartbeatIntervalMs: -1000 }],
    ['heartbeatIntervalMs', { heartbeatIntervalMs: 0 }],
    ['restart.windowMs', { restart: { windowMs: -5 } }],
    ['stallTimeoutMs', { stallTimeoutMs: 'soon' }],
    ['restart.maxRestarts', { restart: { maxRestarts: 2.5 } }],
    ['gatekeeper.safety', { gatekeeper: { safety: 1.5 } }],
  ])('rejects a bad %s with TG_ERR_CONFIG naming the field and a fix', (field, input) => {
    const e = errorOf(() => validateConfig(input));
    expect(e.code).toBe('TG_ERR_CONFIG');
    expect(e.message).toContain(`config.${field}`);
    expect(e.message).toMatch(/fix:/);
    expect(e.details.field).toBe(field);
  });

  it('rejects a heartbeat timeout not longer than the interval', () => {
    const e = errorOf(() => validateConfig({ heartbeatIntervalMs: 1000, heartbeatTimeoutMs: 800 }));
    expect(e.code).toBe('TG_ERR_CONFIG');
    expect(e.message).toMatch(/heartbeatTimeoutMs .*greater than heartbeatIntervalMs/);
  });

  it('rejects an unknown key (a typo) and says which keys exist', () => {
    const e = errorOf(() => validateConfig({ heartbeatIntervalMS: 1000 }));
    expect(e.code).toBe('TG_ERR_CONFIG');
    expect(e.message).toContain('"heartbeatIntervalMS"');
    expect(e.message).toContain('heartbeatIntervalMs');
  });

  it('never echoes a string value into the error (it might be a misplaced secret)', () => {
    const e = errorOf(() => validateConfig({ stallTimeoutMs: 'hunter2-secret' }));
    expect(e.message).not.toContain('hunter2');
    expect(e.message).toContain('a string');
  });

  it('rejects an unknown dependency with TG_ERR_DEP_UNKNOWN naming the component and the missing name', () => {
    const components = [
      ...defaultConfig().components,
      { id: 'collector:kis-1', hardDeps: ['broker-wss'], softDeps: [] },
    ];
    const e = errorOf(() => validateConfig({ components }));
    expect(e.code).toBe('TG_ERR_DEP_UNKNOWN');
    expect(e.message).toContain('"collector:kis-1"');
    expect(e.message).toContain('"broker-wss"');
    expect(e.details).toMatchObject({ component: 'collector:kis-1', dependency: 'broker-wss' });
  });

  it('rejects a dependency cycle with TG_ERR_DEP_CYCLE naming the path', () => {
    const components = [
      { id: 'a', hardDeps: ['b'], softDeps: [] },
      { id: 'b', hardDeps: [], softDeps: ['c'] },
      { id: 'c', hardDeps: ['a'], softDeps: [] },
    ];
    const e = errorOf(() => validateConfig({ components }));
    expect(e.code).toBe('TG_ERR_DEP_CYCLE');
    expect(e.message).toContain('a -> b -> c -> a');
  });

  it('rejects a component given twice', () => {
    const e = errorOf(() =>
      validateConfig({
        components: [
          { id: 'w', hardDeps: [] },
          { id: 'w', hardDeps: [] },
        ],
      }),
    );
    expect(e.code).toBe('TG_ERR_CONFIG');
    expect(e.message).toContain('"w" is listed twice');
  });

  it('reads the session calendar, including around-the-clock trading', () => {
    expect(validateConfig({ session: { always: true } }).session).toMatchObject({
      openMin: 540,
      always: true,
    });
    expect(errorOf(() => validateConfig({ session: { openMin: 600, closeMin: 500 } })).details.field).toBe(
      'session.closeMin',
    );
  });
});
