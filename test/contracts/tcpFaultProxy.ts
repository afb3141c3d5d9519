// A TCP proxy in front of a real server that can really fail: `refuse` closes the port and cuts every
// connection (a dead server), `stall` keeps connections open but forwards nothing (a black hole),
// `accept` serves again on the same port. Lets live adapters run the fault contract for real.
import { createServer, connect, type Server, type Socket } from 'node:net';

export interface FaultProxy {
  port: number;
  refuse(): void;
  stall(): void;
  accept(): void;
  close(): Promise<void>;
}

export async function startFaultProxy(targetPort: number, targetHost = '127.0.0.1'): Promise<FaultProxy> {
  const sockets = new Set<Socket>();
  let stalled = false;
  let server: Server | undefined;
  let port = 0;

  const track = (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => s.destroy());
  };
  const onConnection = (client: Socket) => {
    if (stalled) {
      track(client);
      return;
    }
    const upstream = connect(targetPort, targetHost);
    track(client);
    track(upstream);
    const forward = (from: Socket, to: Socket) =>
      from.on('data', (chunk) => {
        if (!stalled) to.write(chunk);
      });
    forward(client, upstream);
    forward(upstream, client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  };
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const srv = createServer(onConnection);
      srv.once('error', reject);
      srv.listen(port, '127.0.0.1', () => {
        const addr = srv.address();
        port = typeof addr === 'object' && addr ? addr.port : port;
        resolve();
      });
      server = srv;
    });
  const cutAll = () => {
    for (const s of sockets) s.destroy();
    sockets.clear();
  };
  await listen();

  return {
    get port() {
      return port;
    },
    refuse() {
      stalled = false;
      server?.close();
      server = undefined;
      cutAll();
    },
    stall() {
      stalled = true;
    },
    accept() {
      stalled = false;
      if (!server) listen().catch(() => undefined); // a lost port shows up as refused connections
    },
    async close() {
      const srv = server;
      server = undefined;
      cutAll();
      if (srv) await new Promise<void>((resolve) => srv.close(() => resolve()));
    },
  };
}
