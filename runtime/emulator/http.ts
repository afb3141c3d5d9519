// The emulator's HTTP front: reads the body (bounded), routes admin paths straight through and broker
// paths through the REST faults (outage page, delay), and turns any handler failure into a 500 JSON
// body, so no request can crash the server. Handlers return HttpResponseSpec from the codecs.
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { Clock } from '../../ports/clock.ts';
import type { HttpResponseSpec } from '../brokers/kis/wire.ts';
import type { Logger } from '../log.ts';
import type { Faults } from './faults.ts';

export interface EmuRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: string;
}

export type Handler = (req: EmuRequest) => HttpResponseSpec | Promise<HttpResponseSpec>;

export interface Routes {
  /** Broker REST: `${METHOD} ${path}` -> handler. */
  broker: Map<string, Handler>;
  /** Everything under /_emulator/ (never affected by faults). */
  admin: Handler;
}

const MAX_BODY_BYTES = 1024 * 1024;
export const ADMIN_PREFIX = '/_emulator/';

export function json(status: number, value: unknown, headers: Record<string, string> = {}): HttpResponseSpec {
  return {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
    body: JSON.stringify(value),
  };
}

/** 200 with an already encoded JSON body. */
export function okJson(body: string, headers: Record<string, string> = {}): HttpResponseSpec {
  return { status: 200, headers: { 'content-type': 'application/json; charset=utf-8', ...headers }, body };
}

/** What a load balancer in front of a broken broker returns: an HTML page, not JSON. */
export function outagePage(): HttpResponseSpec {
  return {
    status: 503,
    headers: { 'content-type': 'text/html; charset=utf-8' },
    body:
      '<!DOCTYPE html><html><head><title>503 Service Temporarily Unavailable</title></head>' +
      '<body><center><h1>503 Service Temporarily Unavailable</h1></center><hr><center>nginx</center></body></html>',
  };
}

function send(res: ServerResponse, spec: HttpResponseSpec): void {
  if (res.headersSent || res.destroyed) return;
  const body = Buffer.from(spec.body, 'utf8');
  res.writeHead(spec.status, { ...spec.headers, 'content-length': String(body.length) });
  res.end(body);
}

function readBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        resolve(undefined);
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', () => resolve(undefined));
  });
}

export function createRequestHandler(
  routes: Routes,
  deps: { faults: Faults; clock: Clock; log: Logger },
): (req: IncomingMessage, res: ServerResponse) => void {
  const sleep = (ms: number) => new Promise<void>((r) => deps.clock.setTimeout(r, ms));
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://emulator.invalid');
    const body = await readBody(req);
    if (body === undefined)
      return send(res, json(413, { error: `body larger than ${MAX_BODY_BYTES} bytes` }));
    const request: EmuRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      body,
    };
    if (url.pathname.startsWith(ADMIN_PREFIX)) return send(res, await routes.admin(request));
    if (deps.faults.restDown()) return send(res, outagePage());
    const slow = deps.faults.slowByMs();
    if (slow > 0) await sleep(slow);
    const handler = routes.broker.get(`${request.method} ${url.pathname}`);
    if (!handler) {
      const known = [...routes.broker.keys()].some((k) => k.endsWith(` ${url.pathname}`));
      return send(
        res,
        known
          ? json(405, { error: `method ${request.method} not allowed on ${url.pathname}` })
          : json(404, { error: `no such path ${url.pathname}` }),
      );
    }
    send(res, await handler(request));
  };
  return (req, res) => {
    handle(req, res).catch((e: unknown) => {
      deps.log.error('emulator request failed', { path: req.url?.split('?')[0], error: e });
      send(res, json(500, { error: 'internal emulator error' }));
    });
  };
}
