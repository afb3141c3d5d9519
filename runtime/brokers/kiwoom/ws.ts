// Kiwoom WebSocket JSON messages keyed by `trnm`: LOGIN (token first), PING (echo unchanged), REG /
// REMOVE (grp_no, refresh, data[{item[], type[]}]), SYSTEM notices and REAL pushes; encoders for both
// sides and never-throwing routers for the client (server messages) and the emulator (client messages).
import type { TickBatch } from '../../../machines/types.ts';
import { asObject, parseJsonObject, redactSecrets, stringField, type DecodeError } from '../errors.ts';
import { parseSigned } from '../kis/wire.ts';
import { KIWOOM_TRADE_TYPE, realFromObject } from './real0b.ts';

export type KiwoomRegTrnm = 'REG' | 'REMOVE';

export function encodeKiwoomLogin(token: string): string {
  return JSON.stringify({ trnm: 'LOGIN', token });
}

export function encodeKiwoomLoginReply(returnCode = 0, returnMsg = ''): string {
  return JSON.stringify({ trnm: 'LOGIN', return_code: returnCode, return_msg: returnMsg });
}

export function encodeKiwoomPing(): string {
  return JSON.stringify({ trnm: 'PING' });
}

/** "수신값 그대로 송신": a PING is answered with the identical text. */
export function kiwoomPingEcho(raw: string): string {
  return raw;
}

export function encodeKiwoomRegister(req: {
  items: readonly string[];
  types?: readonly string[];
  remove?: boolean;
  grpNo?: string;
  refresh?: string;
}): string {
  const data = [{ item: [...req.items], type: [...(req.types ?? [KIWOOM_TRADE_TYPE])] }];
  const grp_no = req.grpNo ?? '1';
  return JSON.stringify(
    req.remove
      ? { trnm: 'REMOVE', grp_no, data }
      : { trnm: 'REG', grp_no, refresh: req.refresh ?? '1', data },
  );
}

export function encodeKiwoomRegReply(trnm: KiwoomRegTrnm, returnCode = 0, returnMsg = ''): string {
  return JSON.stringify({ trnm, return_code: returnCode, return_msg: returnMsg });
}

export function encodeKiwoomSystem(code: string, message: string): string {
  return JSON.stringify({ trnm: 'SYSTEM', code, message });
}

// ---- routers ----

export type KiwoomServerMessage =
  | { kind: 'ticks'; batches: TickBatch[] }
  | { kind: 'ping'; raw: string }
  | { kind: 'login' | 'reg' | 'remove'; ok: boolean; returnCode: number; message: string }
  | { kind: 'system'; code: string; message: string }
  | { kind: 'error'; error: DecodeError };

export type KiwoomClientMessage =
  | { kind: 'login'; token: string }
  | { kind: 'ping'; raw: string }
  | { kind: 'reg' | 'remove'; grpNo: string; refresh: string; items: string[]; types: string[] }
  | { kind: 'error'; error: DecodeError };

const bad = (reason: string): { kind: 'error'; error: DecodeError } => ({
  kind: 'error',
  error: { code: 'TG_ERR_BROKER_FRAME', kind: 'bad-field', reason },
});

function reply(kind: 'login' | 'reg' | 'remove', o: Record<string, unknown>): KiwoomServerMessage {
  const rc = parseSigned(o.return_code);
  if (rc === undefined) return bad(`Kiwoom ${kind.toUpperCase()} reply: return_code missing`);
  return { kind, ok: rc === 0, returnCode: rc, message: redactSecrets(stringField(o, 'return_msg') ?? '') };
}

/** What the live client receives; `day` (YYYYMMDD KST) dates REAL ticks, which carry only a time. */
export function decodeKiwoomServerMessage(text: unknown, options: { day: string }): KiwoomServerMessage {
  const parsed = parseJsonObject(text, 'Kiwoom message');
  if (!parsed.ok) return { kind: 'error', error: parsed.error };
  const o = parsed.value;
  switch (stringField(o, 'trnm')) {
    case 'REAL': {
      const { batches, errors } = realFromObject(o, options.day);
      return errors.length > 0 ? { kind: 'error', error: errors[0] } : { kind: 'ticks', batches };
    }
    case 'PING':
      return { kind: 'ping', raw: text as string };
    case 'LOGIN':
      return reply('login', o);
    case 'REG':
      return reply('reg', o);
    case 'REMOVE':
      return reply('remove', o);
    case 'SYSTEM':
      return {
        kind: 'system',
        code: stringField(o, 'code') ?? '',
        message: redactSecrets(stringField(o, 'message') ?? ''),
      };
    default:
      return bad('Kiwoom message: unknown or missing trnm');
  }
}

function stringList(v: unknown): string[] | undefined {
  return Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : undefined;
}

function registration(kind: 'reg' | 'remove', o: Record<string, unknown>): KiwoomClientMessage {
  if (!Array.isArray(o.data) || o.data.length === 0) return bad(`Kiwoom ${kind.toUpperCase()}: data missing`);
  const items: string[] = [];
  const types: string[] = [];
  for (const entry of o.data) {
    const e = asObject(entry);
    const item = stringList(e?.item);
    const type = stringList(e?.type);
    if (!item || !type) return bad(`Kiwoom ${kind.toUpperCase()}: data entries need item[] and type[]`);
    for (const i of item) if (!items.includes(i)) items.push(i);
    for (const t of type) if (!types.includes(t)) types.push(t);
  }
  return {
    kind,
    grpNo: stringField(o, 'grp_no') ?? '1',
    refresh: stringField(o, 'refresh') ?? '1',
    items,
    types,
  };
}

/** What the emulator receives. */
export function decodeKiwoomClientMessage(text: unknown): KiwoomClientMessage {
  const parsed = parseJsonObject(text, 'Kiwoom client message');
  if (!parsed.ok) return { kind: 'error', error: parsed.error };
  const o = parsed.value;
  switch (stringField(o, 'trnm')) {
    case 'LOGIN': {
      const token = stringField(o, 'token');
      return token ? { kind: 'login', token } : bad('Kiwoom LOGIN: token missing');
    }
    case 'PING':
      return { kind: 'ping', raw: text as string };
    case 'REG':
      return registration('reg', o);
    case 'REMOVE':
      return registration('remove', o);
    default:
      return bad('Kiwoom client message: unknown or missing trnm');
  }
}
