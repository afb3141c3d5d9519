// Faults injected through POST /_emulator/faults: `drop-ws` (every WebSocket closed, new ones refused),
// `rest-down` (REST answers like an outage: HTTP 503 HTML page), `slow` (REST delayed by byMs), each
// for `forMs` on the emulator's clock. A new fault of a kind replaces the running one; forMs 0 ends it.
import type { Clock } from '../../ports/clock.ts';
import { asObject, parseJsonObject } from '../brokers/errors.ts';

export type FaultKind = 'drop-ws' | 'rest-down' | 'slow';

export interface FaultRequest {
  kind: FaultKind;
  forMs: number;
  byMs?: number;
}

interface Running {
  until: number;
  byMs: number;
  timer: unknown;
}

const KINDS: readonly FaultKind[] = ['drop-ws', 'rest-down', 'slow'];
const MAX_MS = 24 * 3600_000;

/** The admin body to a fault, or the reason it is refused (never throws). */
export function parseFaultRequest(
  body: string,
): { ok: true; fault: FaultRequest } | { ok: false; reason: string } {
  const parsed = parseJsonObject(body, 'fault request');
  if (!parsed.ok) return { ok: false, reason: parsed.error.reason };
  const o = asObject(parsed.value) ?? {};
  const kind = o.kind as FaultKind;
  if (!KINDS.includes(kind)) return { ok: false, reason: `kind must be one of ${KINDS.join(', ')}` };
  const forMs = o.forMs;
  if (typeof forMs !== 'number' || !Number.isFinite(forMs) || forMs < 0 || forMs > MAX_MS)
    return { ok: false, reason: `forMs must be a number of milliseconds in 0..${MAX_MS}` };
  const fault: FaultRequest = { kind, forMs };
  if (kind === 'slow') {
    const byMs = o.byMs;
    if (typeof byMs !== 'number' || !Number.isFinite(byMs) || byMs < 0 || byMs > 600_000)
      return { ok: false, reason: 'slow needs byMs, a number of milliseconds in 0..600000' };
    fault.byMs = byMs;
  } else if (o.byMs !== undefined) {
    return { ok: false, reason: `byMs applies to slow only, not ${kind}` };
  }
  return { ok: true, fault };
}

export class Faults {
  private readonly clock: Clock;
  private readonly onDropWs: () => void;
  private readonly running = new Map<FaultKind, Running>();

  constructor(clock: Clock, onDropWs: () => void) {
    this.clock = clock;
    this.onDropWs = onDropWs;
  }

  start(fault: FaultRequest): { kind: FaultKind; until: number } {
    this.end(fault.kind);
    const now = this.clock.now();
    if (fault.forMs === 0) return { kind: fault.kind, until: now };
    const timer = this.clock.setTimeout(() => this.running.delete(fault.kind), fault.forMs);
    this.running.set(fault.kind, { until: now + fault.forMs, byMs: fault.byMs ?? 0, timer });
    if (fault.kind === 'drop-ws') this.onDropWs();
    return { kind: fault.kind, until: now + fault.forMs };
  }

  restDown(): boolean {
    return this.running.has('rest-down');
  }

  wsDown(): boolean {
    return this.running.has('drop-ws');
  }

  slowByMs(): number {
    return this.running.get('slow')?.byMs ?? 0;
  }

  active(): { kind: FaultKind; until: number }[] {
    return [...this.running].map(([kind, r]) => ({ kind, until: r.until }));
  }

  close(): void {
    for (const kind of [...this.running.keys()]) this.end(kind);
  }

  private end(kind: FaultKind): void {
    const r = this.running.get(kind);
    if (!r) return;
    this.clock.clearTimeout(r.timer);
    this.running.delete(kind);
  }
}
