// gatekeeper.transitAllowanceMs: how much grant-to-arrival jitter the live bucket spaces grants for
// (the broker counts arrivals). Absent in the simulator, 100 ms by default live, set per deployment.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../machines/config.ts';
import { loadConfig } from '../../runtime/config/index.ts';
import { spacedForTransit } from '../../runtime/gatekeeper/index.ts';

function file(text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'tg-transit-')), 'c.yaml');
  writeFileSync(path, text);
  return path;
}

describe('gatekeeper.transitAllowanceMs', () => {
  it('is absent in the simulator config: its broker counts a request when it is granted', () => {
    expect(validateConfig({}).gatekeeper.transitAllowanceMs).toBeUndefined();
    expect(validateConfig({ gatekeeper: { transitAllowanceMs: 0 } }).gatekeeper.transitAllowanceMs).toBe(0);
  });

  it('is rejected when negative, naming the field', () => {
    expect(() => validateConfig({ gatekeeper: { transitAllowanceMs: -5 } })).toThrow(
      /gatekeeper\.transitAllowanceMs must be a number >= 0/,
    );
  });

  it('defaults to 100 ms in live configs and can be set in the tuning section', () => {
    expect(loadConfig({ env: {} }).tuning.gatekeeper.transitAllowanceMs).toBe(100);
    const tuned = loadConfig({ env: {}, file: file('tuning:\n  gatekeeper:\n    transitAllowanceMs: 20\n') });
    expect(tuned.tuning.gatekeeper.transitAllowanceMs).toBe(20);
    const line = file('tuning:\n  gatekeeper:\n    transitAllowanceMs: fast\n');
    expect(() => loadConfig({ env: {}, file: line })).toThrow(
      /c\.yaml:3 tuning\.gatekeeper\.transitAllowanceMs/,
    );
  });

  it('spaces limit + 1 grants over 1000 ms plus the allowance', () => {
    const limit = { ratePerSec: 20, burst: 1 };
    const spaced = spacedForTransit(limit, 100);
    expect((20 * 1000) / spaced.ratePerSec).toBeCloseTo(1100, 9);
    expect(spacedForTransit(limit, 0)).toEqual(limit);
  });
});
