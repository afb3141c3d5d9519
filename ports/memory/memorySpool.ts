// In-memory Spool: the collector's local disk file while redis-main is down. The object models the
// file, not the process: it outlives a killed collector, so the simulator keeps one per collector.
import type { TickBatch } from '../../machines/types.ts';
import type { Spool } from '../tickBuffer.ts';
import { throughGate, type DependencyGate, type MemoryAdapterOptions } from './dependencyGate.ts';

export class MemorySpool implements Spool {
  private readonly gate: DependencyGate | undefined;
  private batches: TickBatch[] = [];
  private appendedBatches = 0;

  /** `clock` is accepted for symmetry with the other adapters; a gate can model a full or failed disk. */
  constructor(options: Partial<MemoryAdapterOptions> = {}) {
    this.gate = options.gate;
  }

  append(batches: TickBatch[]): Promise<void> {
    return throughGate(this.gate, 'spool.append', () => {
      for (const b of batches) this.batches.push(b);
      this.appendedBatches += batches.length;
    });
  }

  readAll(): Promise<TickBatch[]> {
    return throughGate(this.gate, 'spool.readAll', () => [...this.batches]);
  }

  clear(): Promise<void> {
    return throughGate(this.gate, 'spool.clear', () => {
      this.batches = [];
    });
  }

  /** Number of spooled batches (what `readAll` would return). */
  size(): Promise<number> {
    return throughGate(this.gate, 'spool.size', () => this.batches.length);
  }

  /** Ticks currently spooled (inspection, not part of the port). */
  tickCount(): number {
    let n = 0;
    for (const b of this.batches) n += b.cumVolume.length;
    return n;
  }

  /** Batches ever appended, including cleared ones. */
  totalAppended(): number {
    return this.appendedBatches;
  }
}

/** One spool per collector name, kept by the simulator across process kills and restarts. */
export class MemorySpools {
  private readonly spools = new Map<string, MemorySpool>();
  private readonly options: Partial<MemoryAdapterOptions>;

  constructor(options: Partial<MemoryAdapterOptions> = {}) {
    this.options = options;
  }

  for(collector: string): MemorySpool {
    let s = this.spools.get(collector);
    if (!s) {
      s = new MemorySpool(this.options);
      this.spools.set(collector, s);
    }
    return s;
  }

  names(): string[] {
    return [...this.spools.keys()].sort();
  }
}
