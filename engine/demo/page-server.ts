// A back-end web server for the demo: real pages that link static objects (so the CDN rewriting
// shows), a health path, and a slow streaming download (the long-lived connections that must
// survive a failover). Run in a back-end's namespace:
//   page-server ID PORT [PORT...]
// Listens on :: (IPv4 and IPv6) on each port and prints "listening" once all are bound.
import http from 'node:http';

const [id = 'be', ...portArgs] = process.argv.slice(2);
const ports = portArgs.map(Number).filter((p) => Number.isInteger(p) && p > 0 && p < 65536);
if (ports.length === 0) {
  process.stderr.write('usage: page-server ID PORT [PORT...]\n');
  process.exit(2);
}

function page(host: string, path: string): string {
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>${id} ${path}</title>
<link rel="stylesheet" href="/static/site.css">
<script src="/static/app.js"></script></head>
<body><h1>Served by ${id} for ${host}</h1>
<img src="/img/logo.png" srcset="/img/logo.png 1x, /img/logo@2x.png 2x" alt="logo">
<p><a href="/about">about</a> · <a href="/static/private/report.pdf">report</a></p>
</body></html>
`;
}

// A download that trickles for `seconds`: one chunk every 100 ms, so the connection stays open
// (and is counted as reset if anything on the path drops it).
function stream(res: http.ServerResponse, seconds: number): void {
  res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'X-Server': id });
  const chunk = Buffer.alloc(1024, 'x');
  const end = Date.now() + seconds * 1000;
  const timer = setInterval(() => {
    if (Date.now() >= end) { clearInterval(timer); res.end(); return; }
    res.write(chunk);
  }, 100);
  res.on('close', () => clearInterval(timer));
}

const handler: http.RequestListener = (req, res) => {
  const url = new URL(req.url ?? '/', 'http://backend');
  const host = req.headers.host ?? '';
  if (url.pathname === '/healthz') { res.writeHead(200, { 'Content-Type': 'text/plain' }); res.end('ok\n'); return; }
  if (url.pathname === '/stream') { stream(res, Math.min(Number(url.searchParams.get('seconds') ?? 10), 600)); return; }
  if (url.pathname.startsWith('/static/') || url.pathname.startsWith('/img/')) {
    res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Cache-Control': 'max-age=60', 'X-Server': id });
    res.end(Buffer.alloc(512, 's'));
    return;
  }
  const body = page(host, url.pathname);
  res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'max-age=5', 'X-Server': id });
  res.end(body);
};

let bound = 0;
for (const port of ports) {
  const server = http.createServer({ keepAliveTimeout: 30_000 }, handler);
  server.listen({ port, host: '::', ipv6Only: false }, () => {
    if (++bound === ports.length) process.stdout.write(`listening ${ports.join(',')}\n`);
  });
}
process.on('SIGTERM', () => process.exit(0));
