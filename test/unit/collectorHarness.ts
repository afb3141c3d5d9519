// Test helpers for the collector and writer suites: step XState's SimulatedClock deadline by
// deadline with microtask flushes in between, a scriptable fake BrokerWs, and tick-batch builders.
import type { AnyStateMachine, SimulatedClock } from 'xstate';
import { TgError } from '../../machines/errors.ts';
import { kstTime } from '../../machines/marketHours.ts';
import type { BrokerName, TickBatch } from '../../machines/types.ts';
import type { BrokerWs, BrokerWsHandlers, SubscribeResult } from '../../ports/broker.ts';

/** Lets every pending promise continuation run. */
export function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

type Timeouts = Map<number, { start: number; timeout: number }>;

/** Advance to `target`, firing each timer at its own deadline (SimulatedClock would fire chained ones late). */
export async function advanceTo(clock: SimulatedClock, target: number): Promise<void> {
  const timeouts = (clock as unknown as { timeouts: Timeouts }).timeouts;
  await flush();
  for (;;) {
    let next = Infinity;
    for (const t of timeouts.values()) next = Math.min(next, t.start + t.timeout);
    if (next > target) break;
    clock.set(Math.max(next, clock.now()));
    await flush();
  }
  if (target > clock.now()) clock.set(target);
  await flush();
}

export function advance(clock: SimulatedClock, ms: number): Promise<void> {
  return advanceTo(clock, clock.now() + ms);
}

/** A weekday inside continuous trading: 2025-03-04 (Tue) 10:00 KST. */
export const SESSION_10AM = kstTime('20250304', '10:00');
/** The same day after the close. */
export const AFTER_CLOSE = kstTime('20250304', '16:00');

export class FakeBrokerWs implements BrokerWs {
  readonly broker: BrokerName;
  /** Broker-side cap on registrations. */
  cap = 41;
  /** Symbol -> broker code for symbols the broker refuses. */
  refuse: Record<string, string> = {};
  failConnects = 0;
  connects = 0;
  closes = 0;
  subscribeCalls: string[][] = [];
  private handlers: BrokerWsHandlers | undefined;

  constructor(broker: BrokerName = 'kis') {
    this.broker = broker;
  }

  async connect(handlers: BrokerWsHandlers): Promise<void> {
    this.connects += 1;
    if (this.failConnects > 0) {
      this.failConnects -= 1;
      throw new TgError('TG_ERR_BROKER_DOWN', 'broker unreachable');
    }
    this.handlers = handlers;
  }

  async subscribe(symbols: string[]): Promise<SubscribeResult> {
    if (!this.handlers) throw new TgError('TG_ERR_BROKER_DOWN', 'not connected');
    this.subscribeCalls.push([...symbols]);
    const accepted: string[] = [];
    const rejected: Record<string, string> = {};
    for (const s of symbols) {
      if (this.refuse[s]) rejected[s] = this.refuse[s];
      else if (accepted.length >= this.cap) rejected[s] = 'OPSP0008 MAX SUBSCRIBE OVER';
      else accepted.push(s);
    }
    return { accepted, rejected };
  }

  async unsubscribe(): Promise<void> {}

  async close(): Promise<void> {
    if (this.handlers) this.closes += 1;
    this.handlers = undefined;
  }

  isConnected(): boolean {
    return this.handlers !== undefined;
  }

  /** Deliver batches to the connected client (dropped when nobody is connected, like a dead socket). */
  deliver(batches: unknown): void {
    this.handlers?.onBatches(batches as TickBatch[]);
  }

  badFrame(reason: string): void {
    this.handlers?.onBadFrame?.(reason);
  }

  /** The broker kicks the session. */
  kick(reason: string): void {
    const h = this.handlers;
    this.handlers = undefined;
    h?.onClose(reason);
  }
}

/** Consecutive ticks of one symbol continuing at cumulative volume `fromCum`, volume 1..n cycling. */
export function tickRun(
  symbol: string,
  fromCum: number,
  n: number,
  ts0: number,
  day = '20250304',
): TickBatch {
  const ts: number[] = [];
  const cumVolume: number[] = [];
  const price: number[] = [];
  const volume: number[] = [];
  let cum = fromCum;
  for (let i = 0; i < n; i++) {
    const v = (i % 3) + 1;
    cum += v;
    ts.push(ts0 + i * 10);
    cumVolume.push(cum);
    price.push(70_000 + (i % 5) * 100);
    volume.push(v);
  }
  return { symbol, day, ts, cumVolume, price, volume };
}

/** The cumulative volume after a batch (where the next continuous batch starts). */
export function endCum(batch: TickBatch): number {
  return batch.cumVolume[batch.cumVolume.length - 1];
}

interface GraphNode {
  path: string[];
  states: Record<string, GraphNode>;
  after: { eventType: string }[];
}

function nodesOf(machine: AnyStateMachine): GraphNode[] {
  const out: GraphNode[] = [];
  const walk = (node: GraphNode): void => {
    out.push(node);
    for (const child of Object.values(node.states)) walk(child);
  };
  walk(machine.root as unknown as GraphNode);
  return out;
}

/** Dotted paths of every atomic state node ('degraded.spooling.waiting', ...), sorted. */
export function atomicStatePaths(machine: AnyStateMachine): string[] {
  return nodesOf(machine)
    .filter((n) => Object.keys(n.states).length === 0)
    .map((n) => n.path.join('.'))
    .sort();
}

/** The `xstate.after.*` events of every delayed transition, so a graph walk can fire timers. */
export function delayEvents(machine: AnyStateMachine): { type: string }[] {
  return nodesOf(machine).flatMap((n) => n.after.map((t) => ({ type: t.eventType })));
}
