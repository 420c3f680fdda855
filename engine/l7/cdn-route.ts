// A GET or HEAD of a route with a `cdn` block leaves the byte-forwarding exchange of
// connection.ts: the route's RouteCdn serves it (the node's shared page cache, 304s, HTML
// rewritten in the client's coding), fetching from the chosen back-end with node's HTTP client,
// since the cache needs the page as a stream it can buffer, decode and re-encode. Routes without
// `cdn` never reach this file.
import http from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import type { Readable } from 'node:stream';
import { httpOrigin } from '../cdn/http-adapter.js';
import { headerMapOf, type FetchOrigin, type FrontResponse, type HeaderMap, type PageRequestInfo, type RouteCdn } from '../cdn/index.js';
import type { BackendPool, ServerRuntime } from './backend-pool.js';
import { forwardingFields, type ForwardInfo } from './forward-head.js';
import type { HeaderRules } from './header-rules.js';
import type { RequestHead } from './http/parser.js';
import { poolDefaults } from './types.js';

export interface CdnExchange {
  req: RequestHead;
  fwd: ForwardInfo;
  pool: BackendPool;
  server: ServerRuntime;
  /** Persistence fields for the response (a Set-Cookie line), as the pool chose them. */
  addHeaders: string;
  socket: net.Socket;
  onPassive(pool: string, server: string, kind: 'error' | '5xx'): void;
  /** The status sent to the client (0 until a head was sent), for the access log. */
  status: number;
  /** Fields the back-end request gains (the service's request rules already marked in `req` the fields they drop). */
  requestFields: ReadonlyArray<readonly [string, string]>;
  /** The service's response rules, if any. */
  responseRules: HeaderRules | undefined;
}

/** Sent (keep the connection or close it), cut mid-body, or nothing sent: answer with this status. */
export type CdnOutcome = 'keep' | 'close' | 'cut' | 502 | 504;

/** Keep-alive agents to the back-ends, one per server and worker. */
export class OriginAgents {
  private readonly agents = new Map<ServerRuntime, http.Agent>();

  of(pool: BackendPool, server: ServerRuntime): http.Agent {
    let a = this.agents.get(server);
    if (a === undefined) {
      const o = pool.options;
      // The same limits as the proxy's own upstream pools.
      const maxIdle = o.maxIdlePerServer ?? poolDefaults.maxIdlePerServer;
      const common = { keepAlive: maxIdle > 0, maxSockets: o.maxConnectionsPerServer ?? poolDefaults.maxConnectionsPerServer, maxFreeSockets: Math.max(1, maxIdle) };
      a = o.tls === undefined ? new http.Agent(common)
        : new https.Agent({ ...common, servername: o.tls.servername, ca: o.tls.ca, rejectUnauthorized: o.tls.rejectUnauthorized ?? false });
      this.agents.set(server, a);
    }
    return a;
  }

  close(): void {
    for (const a of this.agents.values()) a.destroy();
    this.agents.clear();
  }
}

// Not forwarded to the back-end, nor to the client (the proxy restates framing itself).
const HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization']);

export class CdnRoute {
  constructor(readonly cdn: RouteCdn, private readonly agents: OriginAgents) {}

  /** Requests this route serves through the CDN layer: bodiless GET and HEAD. */
  takes(req: RequestHead): boolean {
    return (req.method === 'GET' || req.method === 'HEAD') && req.upgrade === undefined && req.contentLength <= 0 && !req.chunked;
  }

  async serve(x: CdnExchange): Promise<CdnOutcome> {
    const page = pageRequestOf(x.req, x.fwd, x.requestFields);
    const target = x.pool.options.servers[x.server.index];
    const fetch = httpOrigin(page, {
      host: target.host, port: target.port, agent: this.agents.of(x.pool, x.server), timeoutMs: x.pool.responseTimeoutMs,
    });
    const pool = x.pool.options.name;
    const origin: FetchOrigin = async (conditional, method) => {
      try {
        const res = await fetch(conditional, method);
        if (res.status >= 500) x.onPassive(pool, x.server.id, '5xx');
        return res;
      } catch (e) {
        x.onPassive(pool, x.server.id, 'error');
        throw e;
      }
    };
    let front: FrontResponse;
    try {
      front = await this.cdn.serve(page, origin);
    } catch (e) {
      return (e as { code?: string }).code === 'ETIMEDOUT' ? 504 : 502;
    }
    return sendFront(x, front);
  }
}

/**
 * The request as the back-end gets it: the client's fields (hop-by-hop ones dropped) with the
 * forwarding fields, so a Vary naming X-Forwarded-Proto or Forwarded tells pages apart as it should.
 */
function pageRequestOf(req: RequestHead, fwd: ForwardInfo, extra: ReadonlyArray<readonly [string, string]>): PageRequestInfo {
  const names: string[] = [];
  const values: string[] = [];
  for (let i = 0; i < req.names.length; i++) {
    if (!req.hop.includes(i)) { names.push(req.names[i]); values.push(req.values[i]); }
  }
  for (const [name, value] of extra) { names.push(name); values.push(value); }
  const headers = { ...headerMapOf(names, values), ...forwardingFields(req, fwd) };
  return { method: req.method, url: new URL(req.target, `${fwd.proto}://${req.host || 'localhost'}`), headers };
}

function fieldLines(headers: HeaderMap, skip: (name: string) => boolean): string {
  let out = '';
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined || skip(k)) continue;
    for (const one of Array.isArray(v) ? v : [v]) out += `${k}: ${one}\r\n`;
  }
  return out;
}

/** Frames a FrontResponse onto the client socket; resolves when the last byte is written. */
async function sendFront(x: CdnExchange, front: FrontResponse): Promise<CdnOutcome> {
  const { req, socket } = x;
  const body = front.body;
  const stream = body !== null && !Buffer.isBuffer(body) ? body : null;
  x.status = front.status;
  const bodiless = req.method === 'HEAD' || front.status === 204 || front.status === 304 || front.status < 200;
  // A stream whose length the back-end stated keeps it; otherwise chunked (1.1) or close-delimited (1.0).
  const length = bodiless ? undefined : Buffer.isBuffer(body) ? String(body.length) : front.headers['content-length'];
  const chunked = stream !== null && !bodiless && length === undefined && req.minor === 1;
  const close = !req.keepAlive || (stream !== null && !bodiless && length === undefined && !chunked);
  let head = `HTTP/1.1 ${front.status} ${http.STATUS_CODES[front.status] ?? 'Unknown'}\r\n`;
  const rules = x.responseRules;
  head += fieldLines(front.headers, (n) => HOP.has(n) || n === 'x-cache' || (n === 'content-length' && !bodiless) || rules?.drops(n) === true);
  if (length !== undefined) head += `content-length: ${String(length)}\r\n`;
  if (chunked) head += 'transfer-encoding: chunked\r\n';
  if (close) head += 'connection: close\r\n';
  else if (req.minor === 0) head += 'connection: keep-alive\r\n';
  head += `x-cache: ${front.cache}\r\n${x.addHeaders}${rules?.lines ?? ''}${x.fwd.via}\r\n`;
  if (stream === null || bodiless) {
    stream?.resume();
    socket.write(Buffer.isBuffer(body) && !bodiless ? Buffer.concat([Buffer.from(head, 'latin1'), body]) : Buffer.from(head, 'latin1'));
    return close ? 'close' : 'keep';
  }
  socket.write(head, 'latin1');
  try {
    await copyBody(stream, socket, chunked);
  } catch {
    return 'cut';
  }
  return close ? 'close' : 'keep';
}

async function copyBody(body: Readable, socket: net.Socket, chunked: boolean): Promise<void> {
  for await (const chunk of body) {
    const c = chunk as Buffer;
    if (socket.destroyed) { body.destroy(); throw new Error('The client went away.'); }
    if (c.length === 0) continue;
    let ok: boolean;
    if (chunked) {
      socket.cork();
      socket.write(`${c.length.toString(16)}\r\n`);
      socket.write(c);
      ok = socket.write('\r\n');
      socket.uncork();
    } else ok = socket.write(c);
    if (!ok) await drained(socket);
  }
  if (chunked) socket.write('0\r\n\r\n');
}

function drained(socket: net.Socket): Promise<void> {
  return new Promise((resolve) => {
    const done = () => { socket.off('drain', done); socket.off('close', done); resolve(); };
    socket.on('drain', done);
    socket.on('close', done);
  });
}
