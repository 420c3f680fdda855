// Keep-alive requests through a proxy, with the back-end they reach: the client side of
// perf/l7-profile.ts's recipe for instructions per request under callgrind. It serves
// `backendPort` on loopback with the head perf/l7.ts's nginx back-end sends (1 KiB, keep-alive),
// waits for the proxy's port, then sends `warm` and then `count` sequential GETs (no pipelining)
// over 4 kept-alive connections, each read to the end of its response.
//   node --import tsx perf/l7-keepalive-client.ts <proxyPort> <backendPort> <warm> <count> [wrk|browser] [callgrindPid]
// `wrk` sends wrk's request (Host only), `browser` one with a browser's dozen fields. With the pid
// of a callgrind run, the run dumps its counts (callgrind_control -d) after the warm-up and after
// the `count` requests: the second dump (OUT.2) holds those requests alone, start-up, JIT warm-up
// and connection set-up left out. Exits 1 when a response was not a 200 or a connection failed.
import { execFileSync } from 'node:child_process';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

const [port, backendPort, warm, count] = process.argv.slice(2, 6).map(Number);
const style = process.argv[6] ?? 'wrk';
const callgrindPid = process.argv[7];
const CONNECTIONS = 4;
if (!(port > 0) || !(backendPort > 0) || !(warm >= 0) || !(count >= 0) || (style !== 'wrk' && style !== 'browser')) {
  console.error('usage: perf/l7-keepalive-client.ts <proxyPort> <backendPort> <warm> <count> [wrk|browser] [callgrindPid]');
  process.exit(2);
}

const BODY = `${'x'.repeat(1023)}\n`;
const RESPONSE = Buffer.from('HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Sun, 29 Nov 2026 23:00:00 GMT\r\nContent-Type: text/plain\r\n'
  + `Content-Length: ${BODY.length}\r\nConnection: keep-alive\r\n\r\n${BODY}`, 'latin1');
const BROWSER_FIELDS = 'User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\n'
  + 'Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\nAccept-Language: en-GB,en;q=0.5\r\n'
  + 'Accept-Encoding: gzip, deflate, br, zstd\r\nReferer: http://bench.test/index.html\r\nCookie: theme=dark; lang=en\r\n'
  + 'Upgrade-Insecure-Requests: 1\r\nSec-Fetch-Dest: document\r\nSec-Fetch-Mode: navigate\r\nSec-Fetch-Site: same-origin\r\n'
  + 'Priority: u=0, i\r\nConnection: keep-alive\r\n';
const REQUEST = `GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n${style === 'browser' ? BROWSER_FIELDS : ''}\r\n`;

/** The back-end: every complete request head read gets RESPONSE. */
const backend = net.createServer({ noDelay: true }, (s) => {
  let pending = '';
  s.on('data', (d: Buffer) => {
    pending += d.toString('latin1');
    for (let end = pending.indexOf('\r\n\r\n'); end >= 0; end = pending.indexOf('\r\n\r\n')) {
      pending = pending.slice(end + 4);
      s.write(RESPONSE);
    }
  });
  s.on('error', () => {});
});
await new Promise<void>((r) => backend.listen(backendPort, '127.0.0.1', () => r()));

async function connected(): Promise<net.Socket> {
  for (;;) {
    const s = await new Promise<net.Socket | null>((r) => {
      const c = net.connect({ port, host: '127.0.0.1', noDelay: true });
      c.once('connect', () => r(c));
      c.once('error', () => r(null));
    });
    if (s !== null) return s;
    await sleep(500);
  }
}

/** Bytes of the response at the start of `b` (head and Content-Length body), or -1 while its head is incomplete. */
function responseSize(b: Buffer): number {
  const end = b.indexOf('\r\n\r\n');
  if (end < 0) return -1;
  const length = /\r\ncontent-length: *(\d+)/i.exec(b.toString('latin1', 0, end));
  return end + 4 + Number(length?.[1] ?? 0);
}

/** A kept-alive connection's exchange: one request, its response read to the end; true on a 200. */
function exchanger(s: net.Socket): () => Promise<boolean> {
  let got = Buffer.alloc(0);
  let wake: (() => void) | null = null;
  s.on('data', (d: Buffer) => { got = Buffer.concat([got, d]); wake?.(); });
  s.on('close', () => wake?.());
  return async () => {
    s.write(REQUEST);
    let size = -1;
    while ((size < 0 || got.length < size) && !s.destroyed) {
      await new Promise<void>((r) => { wake = r; });
      if (size < 0) size = responseSize(got);
    }
    if (size < 0 || got.length < size || got.toString('latin1', 0, 12) !== 'HTTP/1.1 200') return false;
    got = got.subarray(size);
    return true;
  };
}

/** Sends `n` requests, one at a time on each connection; resolves with the failures. */
async function requests(exchanges: Array<() => Promise<boolean>>, n: number): Promise<number> {
  let started = 0;
  let failed = 0;
  await Promise.all(exchanges.map(async (exchange) => {
    while (started++ < n) if (!(await exchange())) { failed++; return; }
  }));
  return failed;
}

function dump(): void {
  if (callgrindPid !== undefined) execFileSync('callgrind_control', ['-d', callgrindPid], { stdio: 'ignore' });
}

const sockets = await Promise.all(Array.from({ length: CONNECTIONS }, () => connected()));
const exchanges = sockets.map(exchanger);
let failed = await requests(exchanges, warm);
dump();
const t0 = performance.now();
failed += await requests(exchanges, count);
const ms = performance.now() - t0;
dump();
for (const s of sockets) s.destroy();
console.log(`${warm} + ${count} ${style} requests over ${CONNECTIONS} connections, ${failed} failed, ${ms.toFixed(0)} ms for the ${count}`);
backend.close();
process.exit(failed === 0 ? 0 : 1);
