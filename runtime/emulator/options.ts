// Options of the broker emulator (startEmulator and `tickguard broker-emulator` flags): defaults,
// validation with coded errors, and the CLI flag parser.
import { TgError, type TgErrorCode } from '../../machines/errors.ts';
import type { Clock } from '../../ports/clock.ts';
import { realClock } from '../clock.ts';
import { silentLogger, type Logger } from '../log.ts';

export type MarketOpen = 'always' | 'krx';

export interface EmulatorOptions {
  /** 0 = a free port. */
  port?: number;
  host?: string;
  seed?: number;
  /** The N busiest KRX symbols, or these codes. */
  symbols?: number | string[];
  /** KIS REST requests per second per app key (default 20). */
  rateLimitPerSec?: number;
  /** Kiwoom ka10080 requests per second per app key (default 5). */
  kiwoomRateLimitPerSec?: number;
  /** 'always' (default): trades at any hour; 'krx': real KST time and the KRX session. */
  marketOpen?: MarketOpen;
  /** How often trades are handed to WebSocket sessions (default 100 ms). */
  tickIntervalMs?: number;
  // ---- additive knobs (not part of the CLI contract) ----
  /** Market and protocol time. Default realClock; tests may pass a faster clock. */
  clock?: Clock;
  /** 'always' only: minutes of trading already done when the emulator starts (default 90). */
  historyMinutes?: number;
  /** Multiplier on every symbol's trade rate (default 1 = a calibrated KRX day). */
  activity?: number;
  /** KIS PINGPONG and Kiwoom PING period (default 10 000 ms). */
  pingIntervalMs?: number;
  /** Rows per ka10080 page (default 900). */
  kiwoomBarsPerPage?: number;
  /** KIS token issues per app key: at most one per this window (default 60 000 ms). */
  tokenReissueMs?: number;
  log?: Logger;
}

export interface ResolvedOptions {
  port: number;
  host: string;
  seed: number;
  symbols: number | string[];
  rateLimitPerSec: number;
  kiwoomRateLimitPerSec: number;
  marketOpen: MarketOpen;
  tickIntervalMs: number;
  clock: Clock;
  historyMinutes: number;
  activity: number;
  pingIntervalMs: number;
  kiwoomBarsPerPage: number;
  tokenReissueMs: number;
  log: Logger;
}

const DEFAULTS = {
  port: 0,
  host: '127.0.0.1',
  seed: 1,
  symbols: 100,
  rateLimitPerSec: 20,
  kiwoomRateLimitPerSec: 5,
  marketOpen: 'always' as MarketOpen,
  tickIntervalMs: 100,
  historyMinutes: 90,
  activity: 1,
  pingIntervalMs: 10_000,
  kiwoomBarsPerPage: 900,
  tokenReissueMs: 60_000,
};

function check(ok: boolean, code: TgErrorCode, message: string): void {
  if (!ok) throw new TgError(code, message);
}

const isInt = (v: unknown, min: number, max = Number.MAX_SAFE_INTEGER): boolean =>
  typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
const isPositive = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v) && v > 0;

/** Defaults filled in; anything out of range is a coded error (`code` says whose input it was). */
export function resolveOptions(
  o: EmulatorOptions = {},
  code: TgErrorCode = 'TG_ERR_CONFIG',
): ResolvedOptions {
  const r: ResolvedOptions = {
    ...DEFAULTS,
    clock: realClock,
    log: silentLogger,
    ...Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)),
  };
  check(isInt(r.port, 0, 65_535), code, `port must be 0..65535 (0 = any free port), got ${r.port}`);
  check(typeof r.host === 'string' && r.host !== '', code, 'host must be a non-empty string');
  check(isInt(r.seed, 0), code, `seed must be a whole number >= 0, got ${r.seed}`);
  if (typeof r.symbols === 'number') {
    check(isInt(r.symbols, 1, 5000), code, `symbols must be 1..5000 or a list of codes, got ${r.symbols}`);
  } else {
    check(
      Array.isArray(r.symbols) && r.symbols.length > 0 && r.symbols.every((s) => /^\d{6}$/.test(s)),
      code,
      'symbols must be a count or a non-empty list of 6-digit KRX codes',
    );
  }
  check(isPositive(r.rateLimitPerSec), code, `rate limit must be > 0 per second, got ${r.rateLimitPerSec}`);
  check(
    isPositive(r.kiwoomRateLimitPerSec),
    code,
    `Kiwoom rate limit must be > 0 per second, got ${r.kiwoomRateLimitPerSec}`,
  );
  check(
    r.marketOpen === 'always' || r.marketOpen === 'krx',
    code,
    `market-open must be "always" or "krx", got "${r.marketOpen}"`,
  );
  check(
    isInt(r.tickIntervalMs, 1, 60_000),
    code,
    `tick interval must be 1..60000 ms, got ${r.tickIntervalMs}`,
  );
  check(isInt(r.historyMinutes, 0, 1440), code, `history must be 0..1440 minutes, got ${r.historyMinutes}`);
  check(isPositive(r.activity), code, `activity must be > 0, got ${r.activity}`);
  check(isInt(r.pingIntervalMs, 10), code, `ping interval must be >= 10 ms, got ${r.pingIntervalMs}`);
  check(isInt(r.kiwoomBarsPerPage, 1, 10_000), code, `Kiwoom page size must be 1..10000`);
  check(isInt(r.tokenReissueMs, 0), code, `token re-issue window must be >= 0 ms`);
  return r;
}

export const EMULATOR_USAGE =
  'tickguard broker-emulator --port P --seed S --symbols N|CODE,CODE [--rate-limit R] ' +
  '[--kiwoom-rate-limit R] [--market-open always|krx] [--host H] [--tick-interval MS] ' +
  '[--history-minutes N] [--activity X]';

/** `tickguard broker-emulator` flags to options; bad flags are TG_ERR_USAGE errors. */
export function parseEmulatorArgs(args: readonly string[]): EmulatorOptions {
  const o: EmulatorOptions = {};
  const usage = (message: string) => new TgError('TG_ERR_USAGE', `${message}; usage: ${EMULATOR_USAGE}`);
  const number = (flag: string, v: string, whole: boolean): number => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n) || (whole && !Number.isInteger(n)))
      throw usage(`${flag} expects ${whole ? 'a whole number' : 'a number'}, got "${v}"`);
    return n;
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const eq = arg.indexOf('=');
    const flag = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    const value = (): string => {
      if (eq > 0 && arg.startsWith('--')) return arg.slice(eq + 1);
      const v = args[++i];
      if (v === undefined || v.startsWith('--')) throw usage(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--port':
        o.port = number(flag, value(), true);
        break;
      case '--host':
        o.host = value();
        break;
      case '--seed':
        o.seed = number(flag, value(), true);
        break;
      case '--symbols': {
        const v = value();
        o.symbols = /^\d+$/.test(v) && v.length < 6 ? Number(v) : v.split(',').map((s) => s.trim());
        break;
      }
      case '--rate-limit':
        o.rateLimitPerSec = number(flag, value(), false);
        break;
      case '--kiwoom-rate-limit':
        o.kiwoomRateLimitPerSec = number(flag, value(), false);
        break;
      case '--market-open':
        o.marketOpen = value() as MarketOpen;
        break;
      case '--tick-interval':
        o.tickIntervalMs = number(flag, value(), true);
        break;
      case '--history-minutes':
        o.historyMinutes = number(flag, value(), true);
        break;
      case '--activity':
        o.activity = number(flag, value(), false);
        break;
      default:
        throw usage(`unknown option "${arg}" for broker-emulator`);
    }
  }
  resolveOptions(o, 'TG_ERR_USAGE');
  return o;
}
