// The per-node admin endpoint: GET /status, /metrics, /healthz; POST /purge, /drain, /reload, /server.
// It listens on the node's own address, never on a VIP (a VIP-bound listener would answer on
// whichever node the scheduler picked). Actions need the bearer token when one is configured.
import crypto from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import { canonicalAddress } from '../config/address.js';
import { LbError } from '../errors.js';
import { ADMIN_STATES, type AdminState } from '../l7/admin-state.js';
import { logger } from '../log.js';
import type { Metrics } from './metrics.js';
import type { PurgeRequest, StatusSource } from './status.js';

export interface AdminOptions {
  address: string;
  /** 0 picks a free port (tests). */
  port: number;
  token?: string;
  /** The array's VIPs: the admin endpoint refuses to listen on them. */
  vips: readonly string[];
  source: StatusSource;
  metrics: Metrics;
}

export interface AdminServer {
  readonly address: string;
  readonly port: number;
  readonly url: string;
  close(): Promise<void>;
}

const MAX_BODY = 64 * 1024;

class HttpError extends Error {
  constructor(readonly status: number, message: string) { super(message); }
}

function send(res: http.ServerResponse, status: number, body: unknown, headers: http.OutgoingHttpHeaders = {}): void {
  const text = typeof body === 'string' ? body : `${JSON.stringify(body, null, 2)}\n`;
  res.writeHead(status, {
    'content-type': typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(text);
}

async function readJson(req: http.IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new HttpError(413, 'request body too large');
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') return {};
  let value: unknown;
  try { value = JSON.parse(text); } catch { throw new HttpError(400, 'the body is not JSON'); }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new HttpError(400, 'the body must be a JSON object');
  return value as Record<string, unknown>;
}

/** What a purge takes: an absolute http(s) URL (checked here and by `lbarray purge` before it asks). */
export const PURGE_URL_EXPECTED = 'expected an absolute http(s) URL, e.g. "http://www.example.com/page"';
export function isHttpUrl(v: unknown): v is string {
  if (typeof v !== 'string') return false;
  try { return /^https?:$/.test(new URL(v).protocol); } catch { return false; }
}

function purgeRequest(body: Record<string, unknown>): PurgeRequest {
  const { url, prefix } = body;
  if ((url === undefined) === (prefix === undefined)) throw new HttpError(400, 'give exactly one of "url" or "prefix"');
  const value = url ?? prefix;
  if (!isHttpUrl(value)) throw new HttpError(400, PURGE_URL_EXPECTED);
  return url !== undefined ? { url: url as string } : { prefix: prefix as string };
}

function serverRequest(body: Record<string, unknown>): { pool: string; server: string; state: AdminState } {
  const { pool, server, state } = body;
  if (typeof pool !== 'string' || pool === '') throw new HttpError(400, '"pool" must be a pool name');
  if (typeof server !== 'string' || server === '') throw new HttpError(400, '"server" must be a server as address:port, e.g. "198.18.2.1:8080"');
  if (!ADMIN_STATES.includes(state as AdminState)) throw new HttpError(400, `"state" must be one of ${ADMIN_STATES.join(', ')}`);
  return { pool, server, state: state as AdminState };
}

function tokenMatches(header: string | undefined, token: string): boolean {
  const m = /^Bearer\s+(.+)$/i.exec(header ?? '');
  if (!m) return false;
  const a = crypto.createHash('sha256').update(m[1].trim()).digest();
  const b = crypto.createHash('sha256').update(token).digest();
  return crypto.timingSafeEqual(a, b);
}

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void>;

function routes(opts: AdminOptions): Record<string, Record<string, { action: boolean; handle: Handler }>> {
  const { source, metrics } = opts;
  return {
    '/status': { GET: { action: false, handle: async (_q, res) => send(res, 200, await source.status()) } },
    '/metrics': {
      GET: {
        action: false,
        handle: async (_q, res) => {
          const m = await metrics.scrape();
          send(res, 200, m.body, { 'content-type': m.contentType });
        },
      },
    },
    '/healthz': {
      GET: {
        action: false,
        handle: async (_q, res) => {
          const h = source.health();
          send(res, h.ok ? 200 : 503, h.ok ? 'ok\n' : `unhealthy: ${h.reason ?? 'unknown'}\n`);
        },
      },
    },
    '/purge': {
      POST: {
        action: true,
        handle: async (req, res) => {
          const purge = purgeRequest(await readJson(req));
          send(res, 200, { purged: await source.purge(purge) });
        },
      },
    },
    '/drain': {
      POST: {
        action: true,
        handle: async (req, res) => {
          const body = await readJson(req);
          if (body.drain !== undefined && typeof body.drain !== 'boolean') throw new HttpError(400, '"drain" must be true or false');
          if (body.node !== undefined && typeof body.node !== 'string') throw new HttpError(400, '"node" must be a node id');
          const on = body.drain !== false;
          if (await source.drain(on, body.node) === false) throw new HttpError(404, `there is no node "${String(body.node)}" in the config`);
          send(res, 200, body.node === undefined ? { draining: on } : { node: body.node, draining: on });
        },
      },
    },
    '/server': {
      POST: {
        action: true,
        handle: async (req, res) => {
          const r = serverRequest(await readJson(req));
          if (await source.server(r.pool, r.server, r.state) === false) throw new HttpError(404, `there is no server "${r.server}" in pool "${r.pool}"`);
          send(res, 200, r);
        },
      },
    },
    '/reload': {
      POST: {
        action: true,
        handle: async (_q, res) => {
          const r = await source.reload();
          send(res, r.ok ? 200 : 422, r);
        },
      },
    },
  };
}

/** Refuses addresses that would put the admin endpoint on a VIP (or on every address). */
export function assertAdminAddress(address: string, vips: readonly string[]): void {
  if (net.isIP(address) === 0) throw new LbError('ERR_ADMIN_ADDRESS', `admin address "${address}" is not an IP address.`);
  const a = canonicalAddress(address);
  if (a === '0.0.0.0' || a === '::') {
    throw new LbError('ERR_ADMIN_ADDRESS', `the admin endpoint must listen on the node's own address, not on ${address} (every address, VIP included).`);
  }
  if (vips.some((v) => canonicalAddress(v) === a)) {
    throw new LbError('ERR_ADMIN_ADDRESS', `the admin endpoint must not listen on the VIP ${address}: use the node's own address.`);
  }
}

function listenError(e: NodeJS.ErrnoException, address: string, port: number): LbError {
  const where = `${address} port ${port}`;
  const why: Record<string, string> = {
    EADDRINUSE: `another process already listens on ${where}`,
    EADDRNOTAVAIL: `${address} is not an address of this host`,
    EACCES: `no permission to listen on ${where}`,
  };
  return new LbError('ERR_ADMIN_LISTEN', `admin endpoint cannot listen: ${why[e.code ?? ''] ?? `${e.message} on ${where}`}.`, { cause: e });
}

export async function startAdminServer(opts: AdminOptions): Promise<AdminServer> {
  assertAdminAddress(opts.address, opts.vips);
  const log = logger('admin');
  const table = routes(opts);
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const methods = table[path];
    const route = methods?.[req.method ?? ''];
    const handle = async () => {
      if (!methods) throw new HttpError(404, `no such endpoint ${path}`);
      if (!route) {
        res.setHeader('allow', Object.keys(methods).join(', '));
        throw new HttpError(405, `${req.method} is not allowed on ${path}`);
      }
      if (route.action && opts.token !== undefined && !tokenMatches(req.headers.authorization, opts.token)) {
        res.setHeader('www-authenticate', 'Bearer realm="lbarray"');
        throw new HttpError(401, 'this action needs the admin token (Authorization: Bearer TOKEN)');
      }
      if (route.action) log.info({ path, remote: req.socket.remoteAddress }, 'admin action');
      await route.handle(req, res);
    };
    handle().catch((e: unknown) => {
      if (res.headersSent) { res.destroy(); return; }
      if (e instanceof HttpError) { send(res, e.status, { error: e.message }); return; }
      log.error({ err: e, path }, 'admin request failed');
      send(res, 500, { error: e instanceof Error ? e.message : String(e) });
    });
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e) => reject(listenError(e as NodeJS.ErrnoException, opts.address, opts.port)));
    server.listen({ host: opts.address, port: opts.port }, resolve);
  });
  const port = (server.address() as net.AddressInfo).port;
  const host = opts.address.includes(':') ? `[${opts.address}]` : opts.address;
  log.info({ address: opts.address, port }, 'admin endpoint listening');
  return {
    address: opts.address,
    port,
    url: `http://${host}:${port}`,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
