// The broker emulator (DESIGN section 9): KIS and Kiwoom REST + WebSocket dialects on one port, driven
// by the simulator's exchange model on the emulator's clock, with per-app-key rate limits, session caps
// and an admin API. startEmulator for tests and embedding; brokerEmulatorCommand for the CLI.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { TgError, isTgError } from '../../machines/errors.ts';
import { buildUniverse } from '../../sim/exchange/universe.ts';
import { createRng } from '../../sim/kernel/rng.ts';
import { KIS_APPROVAL_PATH, KIS_TOKEN_PATH } from '../brokers/kis/auth.ts';
import { KIS_MINUTE_BARS_PATH } from '../brokers/kis/minuteBars.ts';
import { KIWOOM_TOKEN_PATH } from '../brokers/kiwoom/auth.ts';
import { KIWOOM_CHART_PATH } from '../brokers/kiwoom/minuteChart.ts';
import { createLogger } from '../log.ts';
import { adminHandler } from './admin.ts';
import { EmulatorAuth } from './auth.ts';
import { Faults } from './faults.ts';
import { createRequestHandler, type Handler } from './http.ts';
import { kisApprovalHandler, kisMinuteBarsHandler, kisTokenHandler } from './kisRest.ts';
import { kiwoomChartHandler, kiwoomTokenHandler } from './kiwoomRest.ts';
import { RateLimits } from './limits.ts';
import { Market } from './market.ts';
import { EMULATOR_USAGE, parseEmulatorArgs, resolveOptions, type EmulatorOptions } from './options.ts';
import { WsHub } from './wsHub.ts';

export type { EmulatorOptions, MarketOpen } from './options.ts';
export { parseEmulatorArgs } from './options.ts';

export interface EmulatorHandle {
  /** http://HOST:PORT, both brokers' REST. */
  url: string;
  /** ws://HOST:PORT; KIS on / (or /tryitout), Kiwoom on /api/dostk/websocket. */
  wsUrl: string;
  port: number;
  /** The universe, busiest first. */
  symbols: string[];
  close(): Promise<void>;
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const failed = (e: NodeJS.ErrnoException) =>
      reject(
        new TgError(
          'TG_ERR_CONFIG',
          `broker emulator cannot listen on ${host}:${port} (${e.code ?? e.message})`,
          {
            port,
            host,
          },
        ),
      );
    server.once('error', failed);
    server.listen(port, host, () => {
      server.off('error', failed);
      resolve();
    });
  });
}

export async function startEmulator(options: EmulatorOptions = {}): Promise<EmulatorHandle> {
  const o = resolveOptions(options);
  const { clock, log } = o;
  const rng = createRng(o.seed);
  const universe = buildUniverse(typeof o.symbols === 'number' ? { count: o.symbols } : { list: o.symbols }, {
    rng: rng.fork('universe'),
  });
  const market = new Market(
    {
      universe,
      rng: rng.fork('exchange'),
      mode: o.marketOpen,
      historyMinutes: o.historyMinutes,
      activity: o.activity,
    },
    clock.now(),
  );
  const auth = new EmulatorAuth(o.tokenReissueMs);
  const limits = new RateLimits({ kis: o.rateLimitPerSec, kiwoom: o.kiwoomRateLimitPerSec });
  const hub: WsHub = new WsHub({
    market,
    auth,
    faults: () => faults,
    clock,
    log,
    tickIntervalMs: o.tickIntervalMs,
    pingIntervalMs: o.pingIntervalMs,
  });
  const faults = new Faults(clock, () => hub.dropAll());
  const kis = { auth, limits, market, clock };
  const kiwoom = { ...kis, barsPerPage: o.kiwoomBarsPerPage };
  const broker = new Map<string, Handler>([
    [`POST ${KIS_TOKEN_PATH}`, kisTokenHandler(kis)],
    [`POST ${KIS_APPROVAL_PATH}`, kisApprovalHandler(kis)],
    [`GET ${KIS_MINUTE_BARS_PATH}`, kisMinuteBarsHandler(kis)],
    [`POST ${KIWOOM_TOKEN_PATH}`, kiwoomTokenHandler(kiwoom)],
    [`POST ${KIWOOM_CHART_PATH}`, kiwoomChartHandler(kiwoom)],
  ]);
  const admin = adminHandler({ market, limits, faults, hub, clock, log });
  const server = createServer(createRequestHandler({ broker, admin }, { faults, clock, log }));
  server.on('upgrade', (req, socket, head) => hub.upgrade(req, socket, head));
  server.on('clientError', (_e, socket) => {
    if (socket.writable)
      socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    else socket.destroy();
  });
  await listen(server, o.port, o.host);
  hub.start();
  const port = (server.address() as AddressInfo).port;
  const shown =
    o.host === '0.0.0.0' || o.host === '::' ? '127.0.0.1' : o.host.includes(':') ? `[${o.host}]` : o.host;
  log.info('broker emulator listening', { port, symbols: universe.length, marketOpen: o.marketOpen });
  let closing: Promise<void> | undefined;
  return {
    url: `http://${shown}:${port}`,
    wsUrl: `ws://${shown}:${port}`,
    port,
    symbols: universe.map((s) => s.code),
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        hub.close();
        faults.close();
        server.close(() => resolve());
        server.closeAllConnections();
      })),
  };
}

export interface EmulatorCommandDeps {
  stdout?: { write(text: string): unknown };
  stderr?: { write(text: string): unknown };
  /** Ends the command like SIGTERM (tests). */
  signal?: AbortSignal;
}

/** `tickguard broker-emulator ...`: runs until SIGTERM/SIGINT; 0 after a clean stop, 2 on bad input. */
export async function brokerEmulatorCommand(args: string[], deps: EmulatorCommandDeps = {}): Promise<number> {
  const stdout = deps.stdout ?? process.stdout;
  const stderr = deps.stderr ?? process.stderr;
  if (args.includes('--help') || args.includes('-h')) {
    stdout.write(`Usage: ${EMULATOR_USAGE}\n`);
    return 0;
  }
  let handle: EmulatorHandle;
  try {
    const options = parseEmulatorArgs(args);
    const log = createLogger(
      { component: 'broker-emulator' },
      { write: (line) => stderr.write(`${line}\n`) },
    );
    handle = await startEmulator({ ...options, log });
  } catch (e) {
    if (!isTgError(e)) throw e;
    stderr.write(`tickguard: ${e.message}\n`);
    return 2;
  }
  stdout.write(
    `broker-emulator listening: rest ${handle.url} ws ${handle.wsUrl} (KIS ws /, Kiwoom ws /api/dostk/websocket, ` +
      `admin ${handle.url}/_emulator/) symbols ${handle.symbols.length}\n`,
  );
  let stop = () => {};
  await new Promise<void>((resolve) => {
    stop = () => resolve();
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
    deps.signal?.addEventListener('abort', stop, { once: true });
    if (deps.signal?.aborted) stop();
  });
  process.off('SIGTERM', stop);
  process.off('SIGINT', stop);
  await handle.close();
  return 0;
}
