// Shapes of Redis stream replies (RESP2 arrays) turned into plain objects, defensively: a reply we
// do not understand yields nothing rather than an exception deep inside a reader.

export interface RawStreamEntry {
  id: string;
  /** Field -> value; null for an entry deleted while pending (XCLAIM/XAUTOCLAIM on Redis 6.2). */
  fields: Record<string, string> | null;
}

function fieldsOf(value: unknown): Record<string, string> | null {
  if (!Array.isArray(value)) return null;
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < value.length; i += 2) out[String(value[i])] = String(value[i + 1]);
  return out;
}

export function entriesOf(value: unknown): RawStreamEntry[] {
  if (!Array.isArray(value)) return [];
  const out: RawStreamEntry[] = [];
  for (const item of value) {
    if (!Array.isArray(item) || item.length < 1) continue;
    out.push({ id: String(item[0]), fields: fieldsOf(item[1]) });
  }
  return out;
}

/** XREADGROUP ... STREAMS k1 k2 ...: entries per stream key, in the reply's order. */
export function streamsOf(reply: unknown): { key: string; entries: RawStreamEntry[] }[] {
  if (!Array.isArray(reply)) return [];
  const out: { key: string; entries: RawStreamEntry[] }[] = [];
  for (const item of reply) {
    if (!Array.isArray(item) || item.length < 2) continue;
    out.push({ key: String(item[0]), entries: entriesOf(item[1]) });
  }
  return out;
}

/** XAUTOCLAIM: the next cursor ('0-0' when the pending list was scanned to its end) and entries. */
export function autoClaimOf(reply: unknown): { cursor: string; entries: RawStreamEntry[] } {
  if (!Array.isArray(reply) || reply.length < 2) return { cursor: '0-0', entries: [] };
  return { cursor: String(reply[0]), entries: entriesOf(reply[1]) };
}

/** XPENDING key group (summary form): the count of pending entries. */
export function pendingCountOf(reply: unknown): number {
  return Array.isArray(reply) ? Number(reply[0]) || 0 : 0;
}

/** XINFO GROUPS: one record per group with its name, pending count, lag and last delivered id. */
export function groupsOf(
  reply: unknown,
): { name: string; pending: number; lag: number | null; lastDeliveredId: string }[] {
  if (!Array.isArray(reply)) return [];
  return reply.filter(Array.isArray).map((flat: unknown[]) => {
    const f: Record<string, unknown> = {};
    for (let i = 0; i + 1 < flat.length; i += 2) f[String(flat[i])] = flat[i + 1];
    const lag = f['lag'];
    return {
      name: String(f['name']),
      pending: Number(f['pending']) || 0,
      lag: lag === null || lag === undefined ? null : Number(lag),
      lastDeliveredId: String(f['last-delivered-id'] ?? '0-0'),
    };
  });
}

/** MULTI/pipeline results: the replies, or the first command error thrown. */
export function repliesOf(results: [Error | null, unknown][] | null): unknown[] {
  if (!results) throw new Error('transaction aborted');
  return results.map(([error, reply]) => {
    if (error) throw error;
    return reply;
  });
}
