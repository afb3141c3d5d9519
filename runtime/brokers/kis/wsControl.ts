// KIS WebSocket JSON messages: subscribe/unsubscribe requests (tr_type "1"/"2"), the OPSP control
// replies (rt_cd "0" = success, anything else = failure) and the server's PINGPONG keep-alive.
import { fail, objectField, parseJsonObject, redactSecrets, stringField, type Decoded } from '../errors.ts';
import { H0STCNT0 } from './h0stcnt0Fields.ts';
import { kstCompact } from './wire.ts';

export const KIS_CUSTTYPE_PERSONAL = 'P';
export const KIS_PINGPONG = 'PINGPONG';

export interface KisSubscribeRequest {
  approvalKey: string;
  custtype: string;
  /** tr_type "1" registers, "2" releases. */
  subscribe: boolean;
  trId: string;
  trKey: string;
}

export function encodeKisSubscribe(req: {
  approvalKey: string;
  trKey: string;
  trId?: string;
  subscribe?: boolean;
  custtype?: string;
}): string {
  return JSON.stringify({
    header: {
      approval_key: req.approvalKey,
      custtype: req.custtype ?? KIS_CUSTTYPE_PERSONAL,
      tr_type: req.subscribe === false ? '2' : '1',
      'content-type': 'utf-8',
    },
    body: { input: { tr_id: req.trId ?? H0STCNT0, tr_key: req.trKey } },
  });
}

export function subscribeFromObject(o: Record<string, unknown>): Decoded<KisSubscribeRequest> {
  const header = objectField(o, 'header');
  const input = objectField(objectField(o, 'body') ?? {}, 'input');
  if (!header || !input) return fail('shape', 'KIS subscribe: header or body.input missing');
  const trType = stringField(header, 'tr_type');
  if (trType !== '1' && trType !== '2') return fail('bad-field', 'KIS subscribe: tr_type must be "1" or "2"');
  const approvalKey = stringField(header, 'approval_key');
  if (!approvalKey) return fail('bad-field', 'KIS subscribe: approval_key missing');
  const trId = stringField(input, 'tr_id');
  const trKey = stringField(input, 'tr_key');
  if (!trId || !trKey) return fail('bad-field', 'KIS subscribe: body.input.tr_id or tr_key missing');
  const custtype = stringField(header, 'custtype') ?? KIS_CUSTTYPE_PERSONAL;
  return { ok: true, value: { approvalKey, custtype, subscribe: trType === '1', trId, trKey } };
}

export function decodeKisSubscribe(text: unknown): Decoded<KisSubscribeRequest> {
  const parsed = parseJsonObject(text, 'KIS subscribe');
  return parsed.ok ? subscribeFromObject(parsed.value) : parsed;
}

// ---- control replies ----

export type KisControlKind =
  | 'subscribed'
  | 'unsubscribed'
  | 'already-subscribed'
  | 'not-subscribed'
  | 'internal-error'
  | 'max-subscribe-over'
  | 'appkey-in-use';

export const KIS_CONTROL: Record<KisControlKind, { msgCd: string; msg1: string; rtCd: string }> = {
  subscribed: { msgCd: 'OPSP0000', msg1: 'SUBSCRIBE SUCCESS', rtCd: '0' },
  unsubscribed: { msgCd: 'OPSP0001', msg1: 'UNSUBSCRIBE SUCCESS', rtCd: '0' },
  'already-subscribed': { msgCd: 'OPSP0002', msg1: 'ALREADY IN SUBSCRIBE', rtCd: '1' },
  'not-subscribed': { msgCd: 'OPSP0003', msg1: 'UNSUBSCRIBE ERROR(not found!)', rtCd: '1' },
  'internal-error': { msgCd: 'OPSP0007', msg1: 'SUBSCRIBE INTERNAL ERROR', rtCd: '1' },
  'max-subscribe-over': { msgCd: 'OPSP0008', msg1: 'MAX SUBSCRIBE OVER', rtCd: '1' },
  'appkey-in-use': { msgCd: 'OPSP8996', msg1: 'ALREADY IN USE appkey', rtCd: '9' },
};

const KIND_BY_CODE = new Map(
  Object.entries(KIS_CONTROL).map(([kind, c]) => [c.msgCd, kind as KisControlKind] as const),
);

export interface KisControlReply {
  trId: string;
  trKey: string;
  encrypt: string;
  rtCd: string;
  /** rt_cd === "0". OPSP0002 (already subscribed) is not ok, yet the subscription is live. */
  ok: boolean;
  msgCd: string;
  /** Scrubbed of keys: KIS echoes the approval key in some replies (OPSP0011). */
  msg1: string;
  kind: KisControlKind | 'other';
  /** OPSP0000 only: AES-256 iv (16 chars) and key (32 chars) for this tr_id's encrypted frames. */
  output?: { iv: string; key: string };
}

export function encodeKisControlReply(
  kind: KisControlKind,
  at: { trId?: string; trKey?: string; iv?: string; key?: string } = {},
): string {
  const c = KIS_CONTROL[kind];
  const kicked = kind === 'appkey-in-use';
  const body: Record<string, unknown> = { rt_cd: c.rtCd, msg_cd: c.msgCd, msg1: c.msg1 };
  if (kind === 'subscribed') {
    body.output = { iv: at.iv ?? '0123456789abcdef', key: at.key ?? 'tickguardemulatorkey0123456789ab' };
  }
  return JSON.stringify({
    header: {
      tr_id: at.trId ?? (kicked ? '(null)' : H0STCNT0),
      tr_key: at.trKey ?? '',
      encrypt: 'N',
    },
    body,
  });
}

export function controlFromObject(o: Record<string, unknown>): Decoded<KisControlReply> {
  const header = objectField(o, 'header') ?? {};
  const body = objectField(o, 'body');
  if (!body) return fail('shape', 'KIS control reply: body missing');
  const rtCd = stringField(body, 'rt_cd');
  const msgCd = stringField(body, 'msg_cd');
  if (rtCd === undefined || msgCd === undefined)
    return fail('bad-field', 'KIS control reply: rt_cd or msg_cd missing');
  const out = objectField(body, 'output');
  const iv = stringField(out, 'iv');
  const key = stringField(out, 'key');
  return {
    ok: true,
    value: {
      trId: stringField(header, 'tr_id') ?? '',
      trKey: stringField(header, 'tr_key') ?? '',
      encrypt: stringField(header, 'encrypt') ?? 'N',
      rtCd,
      ok: rtCd === '0',
      msgCd,
      msg1: redactSecrets(stringField(body, 'msg1') ?? ''),
      kind: KIND_BY_CODE.get(msgCd) ?? 'other',
      ...(iv !== undefined && key !== undefined ? { output: { iv, key } } : {}),
    },
  };
}

export function decodeKisControlReply(text: unknown): Decoded<KisControlReply> {
  const parsed = parseJsonObject(text, 'KIS control reply');
  return parsed.ok ? controlFromObject(parsed.value) : parsed;
}

// ---- PINGPONG: the client answers with the same text (PYKIS) or a pong frame carrying it (OTA) ----

export function encodeKisPingpong(at: number): string {
  return JSON.stringify({ header: { tr_id: KIS_PINGPONG, datetime: kstCompact(at) } });
}

export function pingpongFromObject(o: Record<string, unknown>): Decoded<{ datetime: string }> {
  const header = objectField(o, 'header');
  if (stringField(header, 'tr_id') !== KIS_PINGPONG) return fail('shape', 'not a KIS PINGPONG');
  return { ok: true, value: { datetime: stringField(header, 'datetime') ?? '' } };
}

export function decodeKisPingpong(text: unknown): Decoded<{ datetime: string }> {
  const parsed = parseJsonObject(text, 'KIS PINGPONG');
  return parsed.ok ? pingpongFromObject(parsed.value) : parsed;
}

/** The reply to a PINGPONG: the identical text. */
export function kisPingpongEcho(text: string): string {
  return text;
}
