// Routing of any KIS WebSocket text frame: server -> client (data frames, PINGPONG, control replies)
// for the live client, and client -> server (subscribe, PINGPONG echo) for the emulator. Never throws.
import type { TickBatch } from '../../../machines/types.ts';
import { frameError, objectField, parseJsonObject, stringField, type DecodeError } from '../errors.ts';
import { decodeH0stcnt0Frame } from './h0stcnt0Decode.ts';
import {
  controlFromObject,
  pingpongFromObject,
  subscribeFromObject,
  KIS_PINGPONG,
  type KisControlReply,
  type KisSubscribeRequest,
} from './wsControl.ts';

export type KisServerMessage =
  | { kind: 'ticks'; batches: TickBatch[] }
  /** Answer by sending `raw` back (or a pong frame carrying it). */
  | { kind: 'pingpong'; datetime: string; raw: string }
  | { kind: 'control'; reply: KisControlReply }
  | { kind: 'error'; error: DecodeError };

export type KisClientMessage =
  | { kind: 'subscribe'; request: KisSubscribeRequest }
  | { kind: 'unsubscribe'; request: KisSubscribeRequest }
  | { kind: 'pingpong'; datetime: string }
  | { kind: 'error'; error: DecodeError };

const isDataFrame = (text: string) => /^[0-9]\|/.test(text);

/** What the live client receives. */
export function decodeKisServerMessage(text: unknown): KisServerMessage {
  if (typeof text !== 'string' || text.length === 0)
    return { kind: 'error', error: frameError('empty', 'empty message') };
  if (isDataFrame(text)) {
    const { batches, errors } = decodeH0stcnt0Frame(text);
    return errors.length > 0 ? { kind: 'error', error: errors[0] } : { kind: 'ticks', batches };
  }
  const parsed = parseJsonObject(text, 'KIS message');
  if (!parsed.ok) return { kind: 'error', error: parsed.error };
  if (stringField(objectField(parsed.value, 'header'), 'tr_id') === KIS_PINGPONG) {
    const ping = pingpongFromObject(parsed.value);
    return ping.ok
      ? { kind: 'pingpong', datetime: ping.value.datetime, raw: text }
      : { kind: 'error', error: ping.error };
  }
  const reply = controlFromObject(parsed.value);
  return reply.ok ? { kind: 'control', reply: reply.value } : { kind: 'error', error: reply.error };
}

/** What the emulator receives. */
export function decodeKisClientMessage(text: unknown): KisClientMessage {
  const parsed = parseJsonObject(text, 'KIS client message');
  if (!parsed.ok) return { kind: 'error', error: parsed.error };
  if (stringField(objectField(parsed.value, 'header'), 'tr_id') === KIS_PINGPONG) {
    const ping = pingpongFromObject(parsed.value);
    return ping.ok
      ? { kind: 'pingpong', datetime: ping.value.datetime }
      : { kind: 'error', error: ping.error };
  }
  const req = subscribeFromObject(parsed.value);
  if (!req.ok) return { kind: 'error', error: req.error };
  return { kind: req.value.subscribe ? 'subscribe' : 'unsubscribe', request: req.value };
}
