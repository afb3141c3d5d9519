// The per-gap back-fill step: one broker request for a chunk of minutes, upsert of its bars as
// source 'backfill', and what the page proves about the chunk. Errors come out coded so the worker
// can tell a rejection (retry later) from an outage (pause) from a broken request (count attempts).
import { TgError, isTgError } from '../machines/errors.ts';
import { evaluatePage, type Chunk, type PageOutcome } from '../machines/recoveryPlan.ts';
import type { BrokerRest } from '../ports/broker.ts';
import type { Clock } from '../ports/clock.ts';
import type { Store } from '../ports/store.ts';
import { withTimeoutExcept } from './timeout.ts';

export interface BackfillDeps {
  clock: Clock;
  brokerRest: BrokerRest;
  store: Store;
  /** A request with no answer after this long counts as the broker being unreachable. */
  requestTimeoutMs: number;
  settleMs: number;
  /** The next rate-limit token, for a broker call that needs more than one HTTP request. */
  permit?: () => Promise<void>;
}

export interface BackfillRequest extends Chunk {
  symbol: string;
}

/** Outages pause the whole worker; they never count against a gap. */
export function isOutage(e: unknown): boolean {
  return isTgError(e, 'TG_ERR_BROKER_DOWN') || isTgError(e, 'TG_ERR_STORE');
}

export async function backfillChunk(deps: BackfillDeps, req: BackfillRequest): Promise<PageOutcome> {
  const fetchedAt = deps.clock.now();
  let page;
  try {
    // Waiting for a further token is queueing, not the broker failing to answer.
    const permit = deps.permit;
    page = await withTimeoutExcept(
      deps.clock,
      deps.requestTimeoutMs,
      (paused) => deps.brokerRest.minuteBars(req.symbol, req.to, permit && (() => paused(permit))),
      'broker',
      'TG_ERR_BROKER_DOWN',
    );
  } catch (e) {
    throw brokerError(e);
  }
  const outcome = evaluatePage(page, req, fetchedAt, deps.settleMs);
  if (outcome.bars.length > 0) {
    try {
      await deps.store.upsertBars(outcome.bars, 'backfill');
    } catch (e) {
      throw storeError(e);
    }
  }
  return outcome;
}

/** Rejections and unreachability keep their codes; anything else from the broker is an HTTP error. */
function brokerError(e: unknown): TgError {
  if (isTgError(e, 'TG_ERR_BROKER_REJECTED') || isTgError(e, 'TG_ERR_BROKER_DOWN')) return e;
  if (isTgError(e, 'TG_ERR_TIMEOUT')) return new TgError('TG_ERR_BROKER_DOWN', e.message, e.details);
  if (isTgError(e)) return new TgError('TG_ERR_BROKER_HTTP', e.message, { ...e.details, cause: e.code });
  return new TgError(
    'TG_ERR_BROKER_HTTP',
    `broker request failed: ${e instanceof Error ? e.message : String(e)}`,
  );
}

export function storeError(e: unknown): TgError {
  if (isTgError(e, 'TG_ERR_STORE')) return e;
  const code = isTgError(e) ? e.code : 'unknown';
  return new TgError('TG_ERR_STORE', `store unavailable: ${e instanceof Error ? e.message : String(e)}`, {
    cause: code,
  });
}
