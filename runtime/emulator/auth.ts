// Credentials the emulator has seen and the tokens it issued: KIS access tokens (one issue per app
// key per minute, the same token for 6 h, valid 24 h), KIS WebSocket approval keys, Kiwoom tokens.
// Any app key is accepted on first use; its secret is remembered only as a hash and must match later.
import { createHash, randomBytes } from 'node:crypto';
import type { BrokerName } from '../../machines/types.ts';

const DAY_MS = 86_400_000;
/** KIS: "calling again within 6 h returns the same token". */
const SAME_TOKEN_MS = 6 * 3600_000;

export type IssueOutcome =
  { ok: true; token: string; expiresAt: number } | { ok: false; reason: 'throttled' | 'bad-secret' };

interface Issued {
  appKey: string;
  expiresAt: number;
}

const digest = (broker: BrokerName, secret: string) =>
  createHash('sha256').update(`${broker}\0${secret}`).digest('hex');
const b64url = (bytes: Buffer | string) => Buffer.from(bytes).toString('base64url');

/** A JWT-shaped opaque token like KIS's "eyJ..." (carries no credential). */
function kisAccessToken(expiresAt: number): string {
  const head = b64url(JSON.stringify({ typ: 'JWT', alg: 'HS256' }));
  const body = b64url(
    JSON.stringify({ sub: 'token', iss: 'tickguard-emulator', exp: Math.floor(expiresAt / 1000) }),
  );
  return `${head}.${body}.${b64url(randomBytes(32))}`;
}

export class EmulatorAuth {
  private readonly reissueMs: number;
  private readonly secrets = new Map<string, string>();
  private readonly tokens = new Map<string, Issued & { broker: BrokerName }>();
  private readonly approvals = new Map<string, Issued>();
  private readonly kisLatest = new Map<string, { token: string; issuedAt: number; expiresAt: number }>();
  private readonly kisLastIssue = new Map<string, number>();
  private readonly kiwoomLatest = new Map<string, { token: string; expiresAt: number }>();

  constructor(kisReissueMs: number) {
    this.reissueMs = kisReissueMs;
  }

  /** First use registers the secret (as a hash); later uses must present the same one. */
  secretMatches(broker: BrokerName, appKey: string, secret: string): boolean {
    const key = `${broker}\0${appKey}`;
    const known = this.secrets.get(key);
    const given = digest(broker, secret);
    if (known === undefined) {
      this.secrets.set(key, given);
      return true;
    }
    return known === given;
  }

  /** Whether the app key has registered a secret (it made a token or approval request before). */
  knownSecret(broker: BrokerName, appKey: string, secret: string): boolean {
    return this.secrets.get(`${broker}\0${appKey}`) === digest(broker, secret);
  }

  issueKisToken(appKey: string, secret: string, now: number): IssueOutcome {
    if (!this.secretMatches('kis', appKey, secret)) return { ok: false, reason: 'bad-secret' };
    const last = this.kisLastIssue.get(appKey);
    if (last !== undefined && now - last < this.reissueMs) return { ok: false, reason: 'throttled' };
    this.kisLastIssue.set(appKey, now);
    const latest = this.kisLatest.get(appKey);
    if (latest && now - latest.issuedAt < SAME_TOKEN_MS && latest.expiresAt > now) {
      return { ok: true, token: latest.token, expiresAt: latest.expiresAt };
    }
    const expiresAt = now + DAY_MS;
    const token = kisAccessToken(expiresAt);
    this.tokens.set(token, { broker: 'kis', appKey, expiresAt });
    this.kisLatest.set(appKey, { token, issuedAt: now, expiresAt });
    return { ok: true, token, expiresAt };
  }

  issueKisApproval(appKey: string, secret: string, now: number): IssueOutcome {
    if (!this.secretMatches('kis', appKey, secret)) return { ok: false, reason: 'bad-secret' };
    // 286 characters, as the reference describes the real key.
    const token = randomBytes(143).toString('hex');
    const expiresAt = now + DAY_MS;
    // A client asking for a key per connect must not grow the table without end.
    if (this.approvals.size >= 10_000)
      for (const [k, a] of this.approvals) if (a.expiresAt <= now) this.approvals.delete(k);
    this.approvals.set(token, { appKey, expiresAt });
    return { ok: true, token, expiresAt };
  }

  issueKiwoomToken(appKey: string, secret: string, now: number): IssueOutcome {
    if (!this.secretMatches('kiwoom', appKey, secret)) return { ok: false, reason: 'bad-secret' };
    const latest = this.kiwoomLatest.get(appKey);
    if (latest && latest.expiresAt - now > DAY_MS / 2) return { ok: true, ...latest };
    const expiresAt = now + DAY_MS;
    const token = b64url(randomBytes(64));
    this.tokens.set(token, { broker: 'kiwoom', appKey, expiresAt });
    this.kiwoomLatest.set(appKey, { token, expiresAt });
    return { ok: true, token, expiresAt };
  }

  /** The app key a live token belongs to; undefined when unknown, expired or of the other broker. */
  tokenOwner(broker: BrokerName, token: string, now: number): string | undefined {
    const t = this.tokens.get(token);
    return t && t.broker === broker && t.expiresAt > now ? t.appKey : undefined;
  }

  /** The app key of a live approval key. */
  approvalOwner(approvalKey: string, now: number): string | undefined {
    const a = this.approvals.get(approvalKey);
    return a && a.expiresAt > now ? a.appKey : undefined;
  }
}
