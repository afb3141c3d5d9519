// The admin API for tests and demos (DESIGN section 9), never affected by faults:
// GET  /_emulator/truth/bars?symbol=005930  completed minute bars so far (numbers, minute in +09:00)
// GET  /_emulator/stats                     ticks sent and per-app-key request statistics
// POST /_emulator/faults                    {"kind": "drop-ws"|"rest-down"|"slow", "forMs", "byMs"?}
// GET  /_emulator/symbols                   the universe, busiest first (code, name, prevVolume, ...)
// GET  /_emulator/health                    liveness, the market day and running faults
import type { Clock } from '../../ports/clock.ts';
import type { Logger } from '../log.ts';
import { parseFaultRequest, type Faults } from './faults.ts';
import { ADMIN_PREFIX, json, type Handler } from './http.ts';
import type { RateLimits } from './limits.ts';
import { kstIso, type Market } from './market.ts';
import type { WsHub } from './wsHub.ts';

export interface AdminDeps {
  market: Market;
  limits: RateLimits;
  faults: Faults;
  hub: WsHub;
  clock: Clock;
  log: Logger;
}

const bad = (status: number, error: string) => json(status, { error });

export function adminHandler(d: AdminDeps): Handler {
  const routes: Record<string, Handler> = {
    'GET truth/bars': (req) => {
      const symbol = req.query.get('symbol');
      if (!symbol || !/^\d{6}$/.test(symbol))
        return bad(400, 'query parameter symbol must be a 6-digit code');
      if (!d.market.info(symbol)) return bad(404, `symbol ${symbol} is not in the emulated universe`);
      const bars = d.market.completedBars(symbol, d.clock.now());
      return json(
        200,
        bars.map((b) => ({
          minute: kstIso(b.minute),
          open: b.open,
          high: b.high,
          low: b.low,
          close: b.close,
          volume: b.volume,
        })),
      );
    },
    'GET stats': () => json(200, { ticksSent: d.hub.ticksSent, appKeys: d.limits.stats() }),
    'POST faults': (req) => {
      const parsed = parseFaultRequest(req.body);
      if (!parsed.ok) return bad(400, parsed.reason);
      const started = d.faults.start(parsed.fault);
      d.log.info('emulator fault', {
        kind: parsed.fault.kind,
        forMs: parsed.fault.forMs,
        byMs: parsed.fault.byMs,
      });
      return json(200, { kind: started.kind, until: new Date(started.until).toISOString() });
    },
    'GET symbols': () =>
      json(
        200,
        d.market.symbols().map((s) => ({
          symbol: s.code,
          name: s.name,
          rank: s.rank,
          prevVolume: s.prevVolume,
          prevClose: s.prevClose,
        })),
      ),
    'GET health': () => {
      const now = d.clock.now();
      const day = d.market.day(now);
      return json(200, {
        ok: true,
        now: new Date(now).toISOString(),
        day: day.day,
        sessionOpen: day.open,
        sessions: d.hub.sessionCount(),
        faults: d.faults.active().map((f) => ({ kind: f.kind, until: new Date(f.until).toISOString() })),
      });
    },
  };
  return (req) => {
    const route = req.path.slice(ADMIN_PREFIX.length).replace(/\/$/, '');
    const handler = routes[`${req.method} ${route}`];
    if (handler) return handler(req);
    const exists = Object.keys(routes).some((k) => k.endsWith(` ${route}`));
    return exists
      ? bad(405, `method ${req.method} not allowed on ${req.path}`)
      : bad(404, `no admin path ${req.path}`);
  };
}
