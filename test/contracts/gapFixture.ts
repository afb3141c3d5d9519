// A ledger row for store contract tests: an open gap of collector:kis-1 on symbol S from `start`,
// with any field overridden.
import type { Gap } from '../../machines/types.ts';

export function gapFixture(start: number): (id: string, extra?: Partial<Gap>) => Gap {
  return (id, extra = {}) => ({
    id,
    collector: 'collector:kis-1',
    symbol: 'S',
    start,
    end: null,
    status: 'open',
    priority: 1000,
    recoveredUntil: start,
    attempts: 0,
    reason: null,
    ...extra,
  });
}
