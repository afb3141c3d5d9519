// Who acts among several processes of one role (supervisors for availability): the lease holder
// leads; the others stand by, claim the lease every renewal interval and lead once it is free. A
// leader that finds the lease held by another steps down at once. While redis-main cannot answer,
// every process keeps its role (a standby cannot take a lease nobody can grant) and a process that
// starts without an answer leads: a lone supervisor must work through a redis-main outage. (Logs
// say `fence`, not token: fields named like tokens are redacted as secrets.)
import { hostname } from 'node:os';
import type { Logger } from '../log.ts';
import type { LeaseClaim } from '../redis/index.ts';

/** What a leader runs; stopped when it steps down or the process stops. */
export interface Leading {
  stop(): void;
}

export interface LeaseLike {
  readonly owner: string;
  claim(): Promise<LeaseClaim>;
  release(): Promise<boolean>;
}

export interface LeadershipOptions {
  lease: LeaseLike;
  renewEveryMs: number;
  /** Start acting; `token` is the fencing token (undefined when leading without an answer). */
  lead(token: number | undefined): Leading;
  log: Logger;
}

export interface Leadership {
  role(): 'leader' | 'standby';
  fields(): Record<string, unknown>;
  stop(): Promise<void>;
}

/**
 * A supervisor's identity in the lease: its host and its outbox directory, both stable across
 * restarts (a container keeps its hostname), so a supervisor restarted by Docker renews its own lease
 * at once instead of standing by until it lapses; two supervisors never share an outbox directory.
 */
export function leaseOwner(spoolDir: string): string {
  return `${hostname()}:${spoolDir}`.replace(/\|/g, '_');
}

export async function startLeadership(o: LeadershipOptions): Promise<Leadership> {
  const { lease, log } = o;
  let leading: Leading | undefined;
  let token: number | undefined;
  let holder: string | undefined;
  let stopped = false;
  let claiming: Promise<void> = Promise.resolve();

  const apply = (claim: LeaseClaim | 'no answer', starting: boolean) => {
    if (stopped) return;
    if (claim === 'no answer') {
      if (starting && !leading) {
        log.warn('supervisor leading without a lease: redis-main does not answer', { owner: lease.owner });
        leading = o.lead(undefined);
      }
      return;
    }
    if (claim.held) {
      if (!leading) {
        token = claim.token;
        holder = undefined;
        log.info('supervisor leading', { owner: lease.owner, fence: token });
        leading = o.lead(token);
      } else if (token !== claim.token) {
        // The lease lapsed (a long pause, or redis-main lost it) and was free again: a new token.
        token = claim.token;
        log.info('supervisor lease renewed with a new fencing token', { fence: token });
      }
      return;
    }
    holder = claim.holder;
    if (leading) {
      log.warn('supervisor stepping down: another supervisor holds the lease', { holder, fence: token });
      leading.stop();
      leading = undefined;
      token = undefined;
    } else if (starting) {
      log.info('supervisor standby', { owner: lease.owner, holder, leaseMsLeft: claim.ttlMs });
    }
  };

  let inFlight = false;
  const claimOnce = (starting: boolean): Promise<void> => {
    if (inFlight) return claiming; // a slow redis-main: one claim at a time
    inFlight = true;
    claiming = lease
      .claim()
      .then(
        (claim) => apply(claim, starting),
        () => apply('no answer', starting),
      )
      .finally(() => (inFlight = false));
    return claiming;
  };

  await claimOnce(true);
  const timer = setInterval(() => void claimOnce(false), o.renewEveryMs);
  return {
    role: () => (leading ? 'leader' : 'standby'),
    fields: () => ({
      role: leading ? 'leader' : 'standby',
      leaseOwner: lease.owner,
      ...(token !== undefined ? { leaseFence: token } : {}),
      ...(holder !== undefined && !leading ? { leaseHolder: holder } : {}),
    }),
    async stop() {
      stopped = true;
      clearInterval(timer);
      await claiming;
      const wasLeading = leading !== undefined;
      leading?.stop();
      leading = undefined;
      // Hand over at once instead of making a standby wait out the lease.
      if (wasLeading) await lease.release().catch(() => false);
    },
  };
}
