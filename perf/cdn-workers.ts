// Threads of the cache benchmark: `backend` serves the page; `front` is a minimal HTTP server
// rewriting through a CachingRewriter whose cache is in this thread or, with `shared`, in the
// main thread (the production layout: workers ask the main thread by message).
import http from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { CachingRewriter } from '../engine/cdn/cache-front.js';
import { PageCacheClient } from '../engine/cdn/cache-channel.js';
import { PageCache, rulesHash, type PageCacheApi } from '../engine/cdn/page-cache.js';
import { serveThroughCache } from '../engine/cdn/http-adapter.js';
import { compilePolicy, type RewriteRules } from '../engine/cdn/url-policy.js';

type Job =
  | { role: 'backend'; page: Uint8Array }
  | { role: 'front'; backendPort: number; rules: RewriteRules; port?: MessagePort };

const job = workerData as Job;
let server: http.Server;
if (job.role === 'backend') {
  const page = Buffer.from(job.page);
  server = http.createServer((req, res) => {
    // /cached/* may be stored for a minute; /uncached/* never.
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': page.length,
      'cache-control': req.url?.startsWith('/cached/') ? 'max-age=60' : 'no-store' });
    res.end(page);
  });
} else {
  const hash = rulesHash([job.rules]);
  let cache: PageCacheApi;
  if (job.port !== undefined) cache = new PageCacheClient(job.port);
  else { const local = new PageCache({ maxBytes: 64 << 20 }); local.setConfigHash(hash); cache = local; }
  const caching = new CachingRewriter({ cache, policy: compilePolicy(job.rules), rules: hash });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const backend = { host: '127.0.0.1', port: job.backendPort, agent };
  server = http.createServer((req, res) => void serveThroughCache(caching, req, res, backend));
}
server.keepAliveTimeout = 30_000;
server.listen(0, '127.0.0.1');
await once(server, 'listening');
parentPort!.postMessage({ port: (server.address() as AddressInfo).port });
