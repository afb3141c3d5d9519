// The simulator's `gaps` table: the durable gap ledger, idempotent by gap id, listed in id order so
// every reader (recovery worker, report) sees one deterministic order.
import type { Gap, GapStatus } from '../../machines/types.ts';

export type GapPatch = Partial<Pick<Gap, 'status' | 'recoveredUntil' | 'attempts' | 'reason' | 'priority'>>;

export class GapLedger {
  private readonly gaps = new Map<string, Gap>();

  /** Insert unless the id exists (`ON CONFLICT (id) DO NOTHING`); returns whether it was new. */
  open(gap: Gap): boolean {
    if (this.gaps.has(gap.id)) return false;
    this.gaps.set(gap.id, { ...gap });
    return true;
  }

  /**
   * Set the end of an open gap. The first close wins (`WHERE end IS NULL`): a re-delivered close
   * event cannot move an end that was already recorded. Unknown ids are ignored, like an UPDATE
   * that matches no row. The status is left to the recovery worker, which owns it.
   */
  close(id: string, end: number): void {
    const gap = this.gaps.get(id);
    if (gap && gap.end === null) gap.end = end;
  }

  /** Unknown ids are ignored (UPDATE matching no row). */
  update(id: string, patch: GapPatch): void {
    const gap = this.gaps.get(id);
    if (!gap) return;
    if (patch.status !== undefined) gap.status = patch.status;
    if (patch.recoveredUntil !== undefined) gap.recoveredUntil = patch.recoveredUntil;
    if (patch.attempts !== undefined) gap.attempts = patch.attempts;
    if (patch.reason !== undefined) gap.reason = patch.reason;
    if (patch.priority !== undefined) gap.priority = patch.priority;
  }

  get(id: string): Gap | undefined {
    const gap = this.gaps.get(id);
    return gap ? { ...gap } : undefined;
  }

  /** Sorted by id; all gaps when `statuses` is absent, none for an empty list (like `= ANY('{}')`). */
  list(statuses?: GapStatus[]): Gap[] {
    const wanted = statuses ? new Set(statuses) : undefined;
    return [...this.gaps.keys()]
      .sort()
      .map((id) => this.gaps.get(id)!)
      .filter((g) => !wanted || wanted.has(g.status))
      .map((g) => ({ ...g }));
  }

  size(): number {
    return this.gaps.size;
  }
}
