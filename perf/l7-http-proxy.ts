// The node-http-proxy side of perf/l7.ts: the library a Node user reaches for first, with a
// keep-alive upstream agent. Argument: JSON { http, https, backendPort, cert, key }.
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
// @ts-expect-error http-proxy ships no types
import httpProxy from 'http-proxy';

const a = JSON.parse(process.argv[2]) as { http: number; https: number; backendPort: number; cert: string; key: string };
const agent = new http.Agent({ keepAlive: true, maxSockets: 128 });
const proxy = httpProxy.createProxyServer({ target: `http://127.0.0.1:${a.backendPort}`, agent, xfwd: true });
proxy.on('error', (_e: Error, _req: http.IncomingMessage, res: http.ServerResponse) => { res.statusCode = 502; res.end(); });
const handler = (req: http.IncomingMessage, res: http.ServerResponse) => proxy.web(req, res);
http.createServer(handler).listen(a.http, '127.0.0.1');
https.createServer({ cert: fs.readFileSync(a.cert), key: fs.readFileSync(a.key) }, handler).listen(a.https, '127.0.0.1');
