// The node-http-proxy side of perf/l7.ts: the library a Node user reaches for first, with a
// keep-alive upstream agent. `https` keeps Node's default session tickets; `httpsFull` has none
// (every handshake is a full one). Argument: JSON { http, https, httpsFull, backendPort, cert, key }.
import { constants } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
// @ts-expect-error http-proxy ships no types
import httpProxy from 'http-proxy';

const a = JSON.parse(process.argv[2]) as { http: number; https: number; httpsFull: number; backendPort: number; cert: string; key: string };
const agent = new http.Agent({ keepAlive: true, maxSockets: 128 });
const proxy = httpProxy.createProxyServer({ target: `http://127.0.0.1:${a.backendPort}`, agent, xfwd: true });
proxy.on('error', (_e: Error, _req: http.IncomingMessage, res: http.ServerResponse) => { res.statusCode = 502; res.end(); });
const handler = (req: http.IncomingMessage, res: http.ServerResponse) => proxy.web(req, res);
const tls = { cert: fs.readFileSync(a.cert), key: fs.readFileSync(a.key) };
http.createServer(handler).listen(a.http, '127.0.0.1');
https.createServer(tls, handler).listen(a.https, '127.0.0.1');
https.createServer({ ...tls, secureOptions: constants.SSL_OP_NO_TICKET }, handler).listen(a.httpsFull, '127.0.0.1');
