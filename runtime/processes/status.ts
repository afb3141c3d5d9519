// `tickguard status [--json]`: every actor's state from the mirror on redis-main (the components'
// own states and the supervisor's views of them, `view:<id>`), with the age of its last heartbeat.
// Exit 0; exit 2 with a coded message when redis-main cannot be read.
import { TgError } from '../../machines/errors.ts';
import type { HeartbeatPayload } from '../../machines/types.ts';
import type { MirroredState } from '../../ports/stateMirror.ts';
import type { LiveConfig } from '../config/index.ts';
import { redactUrl } from '../log.ts';
import { openRedis, withDeadline } from './redisWiring.ts';

const READ_DEADLINE_MS = 3000;

export interface StatusRow {
  actor: string;
  state: string;
  detail: string;
  /** ISO time of the state's last change (mirror `at`). */
  since: string;
  reason: string | null;
  /** Epoch ms of the last live heartbeat, null when none (views and dead processes). */
  lastBeatAt: number | null;
}

export async function readStatus(config: LiveConfig): Promise<StatusRow[]> {
  const redis = openRedis(config, 'status');
  try {
    const [states, beats] = await withDeadline(
      Promise.all([redis.mirror.all(), redis.heartbeats.live()]),
      READ_DEADLINE_MS,
      'redis-main',
    );
    return rows(states, beats);
  } catch (e) {
    throw new TgError(
      'TG_ERR_DEP_DOWN',
      `redis-main (${redactUrl(config.redis.url ?? '')}) cannot be read: ${e instanceof Error ? e.message : String(e)}`,
      { dependency: 'redis-main' },
    );
  } finally {
    await withDeadline(redis.close(), 1000, 'close').catch(() => {});
  }
}

function rows(states: MirroredState[], beats: HeartbeatPayload[]): StatusRow[] {
  const lastBeat = new Map(beats.map((b) => [b.component, b.at]));
  const order = (actor: string) => (actor === 'supervisor' ? 0 : actor.startsWith('view:') ? 2 : 1);
  return states
    .map((s) => ({
      actor: s.actor,
      state: s.state,
      detail: s.detail,
      since: new Date(s.at).toISOString(),
      reason: s.reason ?? null,
      lastBeatAt: lastBeat.get(s.actor) ?? null,
    }))
    .sort((a, b) => order(a.actor) - order(b.actor) || a.actor.localeCompare(b.actor));
}

export function renderStatus(rows: StatusRow[], now: number): string {
  if (rows.length === 0) return 'no actor has mirrored a state yet (is anything running?)\n';
  const header = ['ACTOR', 'STATE', 'DETAIL', 'SINCE', 'BEAT', 'REASON'];
  const table = rows.map((r) => [
    r.actor,
    r.state,
    r.detail,
    r.since,
    r.lastBeatAt === null ? '-' : `${((now - r.lastBeatAt) / 1000).toFixed(1)}s ago`,
    r.reason ?? '',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(header), ...table.map(line)].join('\n') + '\n';
}
