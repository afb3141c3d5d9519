// Broker credentials that must be issued rarely (KIS allows one access token a minute and notifies
// the user on every issue): one cached value reused until near expiry, concurrent callers share one
// in-flight issue, a throttle rejection starts a cool-down that no caller can break, and the value
// may be persisted to a 0600 file so a restarted process reuses it.
import { createHash } from 'node:crypto';
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { TgError, isTgError } from '../../machines/errors.ts';
import type { Clock } from '../../ports/clock.ts';

export interface IssuedToken {
  value: string;
  /** Epoch ms after which the broker refuses it. */
  expiresAt: number;
}

export interface TokenCacheOptions {
  /** For messages only ('kis access token'). */
  name: string;
  /** One request to the broker; a TG_ERR_BROKER_REJECTED with details.retryAfterMs starts a cool-down. */
  issue: () => Promise<IssuedToken>;
  clock: Clock;
  /** Re-issue this long before expiry; default 10 minutes. */
  refreshMarginMs?: number;
  /** Persist here (mode 0600); entries are keyed by `fingerprint`, so one file can serve many keys. */
  file?: string;
  /** Identifies the credentials (hash of broker, URL, app key, secret); required with `file`. */
  fingerprint?: string;
}

export const DEFAULT_REFRESH_MARGIN_MS = 10 * 60_000;

/** A non-reversible identifier of a credential set, safe to write to disk and logs. */
export function credentialFingerprint(...parts: string[]): string {
  return createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 32);
}

interface FileEntry {
  token: string;
  expiresAt: number;
}

async function readEntries(file: string): Promise<Record<string, FileEntry>> {
  try {
    const parsed: unknown = JSON.parse(await readFile(file, 'utf8'));
    const entries = (parsed as { entries?: unknown } | null)?.entries;
    return entries && typeof entries === 'object' && !Array.isArray(entries)
      ? (entries as Record<string, FileEntry>)
      : {};
  } catch {
    return {};
  }
}

export class TokenCache {
  private readonly o: TokenCacheOptions;
  private readonly margin: number;
  private current: IssuedToken | undefined;
  private inFlight: Promise<string> | undefined;
  private fileLoaded = false;
  private coolDownUntil = 0;
  private lastRejection: TgError | undefined;
  private issued = 0;
  /** Values the broker refused: a file copy of one of them is not trusted again. */
  private readonly refused = new Set<string>();

  constructor(o: TokenCacheOptions) {
    if (o.file && !o.fingerprint)
      throw new TgError('TG_ERR_INTERNAL', `${o.name}: a token file needs a fingerprint`);
    this.o = o;
    this.margin = o.refreshMarginMs ?? DEFAULT_REFRESH_MARGIN_MS;
  }

  /** Requests sent to the broker so far (tests, stats). */
  issueCount(): number {
    return this.issued;
  }

  /** A usable value: cached, from the file, or freshly issued (one request however many callers). */
  get(): Promise<string> {
    if (this.usable(this.current)) return Promise.resolve(this.current!.value);
    this.inFlight ??= this.refresh().finally(() => (this.inFlight = undefined));
    return this.inFlight;
  }

  /** The broker said `value` expired or is invalid: the next get() issues anew (once, not per caller). */
  invalidate(value: string): void {
    this.refused.add(value);
    if (this.current?.value === value) this.current = undefined;
  }

  private usable(t: IssuedToken | undefined): boolean {
    return t !== undefined && !this.refused.has(t.value) && this.o.clock.now() < t.expiresAt - this.margin;
  }

  private async refresh(): Promise<string> {
    if (!this.fileLoaded) {
      this.fileLoaded = true;
      const fromFile = await this.loadFile();
      if (this.usable(fromFile)) return (this.current = fromFile!).value;
    }
    const wait = this.coolDownUntil - this.o.clock.now();
    if (wait > 0) throw this.coolingDown(wait);
    let token: IssuedToken;
    try {
      this.issued += 1;
      token = await this.o.issue();
    } catch (e) {
      if (isTgError(e, 'TG_ERR_BROKER_REJECTED')) {
        const retryAfterMs = Number(e.details.retryAfterMs) > 0 ? Number(e.details.retryAfterMs) : 60_000;
        this.coolDownUntil = this.o.clock.now() + retryAfterMs;
        this.lastRejection = e;
        // Another process sharing the file may have won the issue we were refused.
        const fromFile = await this.loadFile();
        if (this.usable(fromFile)) return (this.current = fromFile!).value;
      }
      throw e;
    }
    this.refused.delete(token.value);
    this.current = token;
    await this.saveFile(token).catch(() => {});
    return token.value;
  }

  private coolingDown(waitMs: number): TgError {
    const details = this.lastRejection?.details ?? {};
    return new TgError('TG_ERR_BROKER_REJECTED', `${this.o.name}: issue throttled, retry in ${waitMs} ms`, {
      ...details,
      retryAfterMs: waitMs,
    });
  }

  private async loadFile(): Promise<IssuedToken | undefined> {
    if (!this.o.file) return undefined;
    const entry = (await readEntries(this.o.file))[this.o.fingerprint!];
    if (!entry || typeof entry.token !== 'string' || typeof entry.expiresAt !== 'number') return undefined;
    return { value: entry.token, expiresAt: entry.expiresAt };
  }

  private async saveFile(token: IssuedToken): Promise<void> {
    const file = this.o.file;
    if (!file) return;
    await mkdir(dirname(file), { recursive: true, mode: 0o700 });
    const entries = await readEntries(file);
    const now = this.o.clock.now();
    for (const [k, v] of Object.entries(entries)) if (!(v?.expiresAt > now)) delete entries[k];
    entries[this.o.fingerprint!] = { token: token.value, expiresAt: token.expiresAt };
    const tmp = `${file}.${process.pid}.${Math.floor(now)}.tmp`;
    await writeFile(tmp, JSON.stringify({ version: 1, entries }), { mode: 0o600 });
    await chmod(tmp, 0o600);
    await rename(tmp, file);
  }
}

/** Caches shared by every client of one process, by credential fingerprint and purpose. */
export class TokenRegistry {
  private readonly caches = new Map<string, TokenCache>();

  get(key: string, make: () => TokenCache): TokenCache {
    let cache = this.caches.get(key);
    if (!cache) this.caches.set(key, (cache = make()));
    return cache;
  }
}

export const processTokens = new TokenRegistry();
