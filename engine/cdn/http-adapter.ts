// node:http glue for the CDN layer: fetch a page from a back-end with http.request, and answer a
// client's IncomingMessage from a FrontResponse. The L7 proxy has its own framer; this serves
// tests, benchmarks and simple deployments.
import http from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';
import type { CachingRewriter, FetchOrigin, FrontResponse, OriginResponse, PageRequestInfo } from './cache-front.js';
import type { HeaderMap } from './headers.js';

const NOT_FORWARDED = new Set(['if-none-match', 'if-modified-since', 'range', 'if-range', 'connection', 'keep-alive', 'transfer-encoding', 'te', 'upgrade']);

export interface OriginServer {
  host: string;
  port: number;
  /** An https.Agent makes the request over TLS. */
  agent?: http.Agent;
  /** Fields added to (or replacing) the client's, such as X-Forwarded-For. */
  headers?: HeaderMap;
  /** Socket inactivity allowed before the request fails with code ETIMEDOUT. */
  timeoutMs?: number;
}

/** A FetchOrigin for `req` against a back-end at host:port (the client's conditionals dropped). */
export function httpOrigin(req: PageRequestInfo, backend: OriginServer): FetchOrigin {
  const request = backend.agent instanceof https.Agent ? https.request : http.request;
  return (conditional, method = req.method) => new Promise<OriginResponse>((resolve, reject) => {
    const headers: http.OutgoingHttpHeaders = {};
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && !NOT_FORWARDED.has(k)) headers[k] = v;
    for (const added of [backend.headers ?? {}, conditional]) for (const [k, v] of Object.entries(added)) if (v !== undefined) headers[k] = v;
    const r = request({ host: backend.host, port: backend.port, method, path: req.url.pathname + req.url.search, headers, agent: backend.agent }, (res) => {
      resolve({ status: res.statusCode ?? 502, headers: res.headers as HeaderMap, body: res });
    });
    if (backend.timeoutMs !== undefined) {
      r.setTimeout(backend.timeoutMs, () => r.destroy(Object.assign(new Error('The back-end did not answer in time.'), { code: 'ETIMEDOUT' })));
    }
    r.on('error', reject);
    r.end();
  });
}

/** The page request of an incoming client request (`scheme` as the listener terminates it). */
export function pageRequestOf(req: http.IncomingMessage, scheme = 'http'): PageRequestInfo {
  return { method: req.method ?? 'GET', url: new URL(req.url ?? '/', `${scheme}://${req.headers.host ?? 'localhost'}`), headers: req.headers as HeaderMap };
}

export function sendFront(res: http.ServerResponse, front: FrontResponse): void {
  // Framing is node's business here: Content-Length when the body is a Buffer, chunked otherwise.
  for (const [k, v] of Object.entries(front.headers)) if (v !== undefined && !NOT_FORWARDED.has(k)) res.setHeader(k, v);
  res.setHeader('x-cache', front.cache);
  res.statusCode = front.status;
  if (front.body === null) res.end();
  else if (Buffer.isBuffer(front.body)) res.end(front.body);
  else (front.body as Readable).on('error', () => res.destroy()).pipe(res);
}

/** Handles one client request through the cache against one back-end. */
export async function serveThroughCache(caching: CachingRewriter, req: http.IncomingMessage, res: http.ServerResponse, backend: { host: string; port: number; agent?: http.Agent }): Promise<void> {
  const page = pageRequestOf(req);
  try {
    sendFront(res, await caching.handle(page, httpOrigin(page, backend)));
  } catch {
    if (!res.headersSent) { res.statusCode = 502; res.end('bad gateway\n'); } else res.destroy();
  }
}
