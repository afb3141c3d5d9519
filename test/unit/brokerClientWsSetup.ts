// Shared setup of the live KIS and Kiwoom WebSocket client tests: a scripted HTTP (token) server and
// WebSocket server, and the broker ports of one app key pointed at them, all closed after the test.
import { createBrokerPorts, TokenRegistry, type BrokerPortsOptions } from '../../runtime/brokers/index.ts';
import {
  APP_KEY,
  realClockForTests,
  SECRET,
  startHttp,
  startWs,
  type HttpScript,
  type useCleanups,
} from './brokerClientHarness.ts';

type Cleanups = ReturnType<typeof useCleanups>;

/** The token server, then the WebSocket server (arguments as startWs). */
export async function startServers(
  cleanups: Cleanups,
  script: HttpScript,
  ...ws: Parameters<typeof startWs>
) {
  const http = await startHttp(script);
  const wsServer = await startWs(...ws);
  cleanups(
    () => http.close(),
    () => wsServer.close(),
  );
  return { http, ws: wsServer };
}

/** Ports of the test app key with a real clock and a token registry of their own. */
export function livePorts(
  cleanups: Cleanups,
  o: Pick<BrokerPortsOptions, 'broker' | 'restUrl' | 'wsUrl'> & Partial<BrokerPortsOptions>,
) {
  const ports = createBrokerPorts({
    appKey: APP_KEY,
    appSecret: SECRET,
    clock: realClockForTests,
    tokens: new TokenRegistry(),
    ...o,
  });
  cleanups(() => ports.ws.close());
  return ports;
}
