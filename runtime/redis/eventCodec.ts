// Wire format of lifecycle events on the Pub/Sub channel and the durable log: plain JSON. Decoding
// never throws; anything that is not a recognisable event comes back undefined for the caller to count.
import type { TgEvent } from '../../machines/types.ts';

const EVENT_TYPES: ReadonlySet<string> = new Set<TgEvent['type']>([
  'COLLECTOR_DOWN',
  'COLLECTOR_UP',
  'COMPONENT_STATE',
  'GATEKEEPER_MODE',
  'GAP_RECOVERED',
  'GAP_OPENED',
  'GAP_CLOSED',
]);

export function encodeEvent(event: TgEvent): string {
  return JSON.stringify(event);
}

export function decodeEvent(text: string | null | undefined): TgEvent | undefined {
  if (typeof text !== 'string') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const e = parsed as { type?: unknown; id?: unknown };
  if (typeof e.type !== 'string' || !EVENT_TYPES.has(e.type) || typeof e.id !== 'string') return undefined;
  return parsed as TgEvent;
}
