// L7 benchmark: lbarray's L7 node against nginx (proxy_pass + upstream keepalive), HAProxy and
// node-http-proxy, in the same run, with the same back-end (nginx answering 1 KiB), the same
// load generator (wrk) and the same core count (each proxy pinned to one CPU with taskset and
// given one worker/thread; wrk and the back-end on the other CPU).
//
//   node --import tsx perf/l7.ts [--duration 5] [--connections 64] [--rounds 3] [--only lbarray,nginx]
//
// Needs Debian's wrk, nginx and haproxy (apt-get install -y wrk nginx haproxy) and openssl.
// Prints a table with ratios and writes perf/results/l7-<timestamp>.json.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const opt = (name: string, dflt: string) => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1] : dflt; };
const duration = Number(opt('duration', '5'));
const connections = Number(opt('connections', '64'));
const only = opt('only', 'lbarray,nginx,haproxy,node-http-proxy').split(',');
const rounds = Number(opt('rounds', '3'));
const cpus = os.availableParallelism();
const proxyCpu = String(cpus - 1);
const loadCpu = cpus > 1 ? '0' : '0';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lbarray-l7-bench-'));
const children: ChildProcess[] = [];
process.on('exit', () => { for (const c of children) c.kill('SIGKILL'); fs.rmSync(dir, { recursive: true, force: true }); });

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const p = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return p;
}

async function waitPort(port: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise<boolean>((r) => { const c = net.connect(port, '127.0.0.1'); c.on('connect', () => { c.destroy(); r(true); }); c.on('error', () => r(false)); });
    if (ok) return;
    await sleep(50);
  }
  throw new Error(`nothing listens on ${port}`);
}

function start(cpu: string, cmd: string, argv: string[]): ChildProcess {
  const c = spawn('taskset', ['-c', cpu, cmd, ...argv], { stdio: ['ignore', 'ignore', 'inherit'] });
  children.push(c);
  return c;
}

async function stop(c: ChildProcess): Promise<void> {
  if (c.exitCode !== null) return;
  c.kill('SIGTERM');
  await Promise.race([new Promise((r) => c.once('exit', r)), sleep(2000)]);
  c.kill('SIGKILL');
}

// One ECDSA P-256 certificate for every TLS listener (same handshake cost for all).
const cert = path.join(dir, 'cert.pem');
const key = path.join(dir, 'key.pem');
execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1', '-subj', '/CN=bench.test',
  '-keyout', key, '-out', cert], { stdio: 'ignore' });
fs.writeFileSync(path.join(dir, 'combined.pem'), fs.readFileSync(cert, 'utf8') + fs.readFileSync(key, 'utf8'));

function nginxConf(name: string, body: string): string {
  const f = path.join(dir, `${name}.conf`);
  fs.writeFileSync(f, `daemon off; master_process off; worker_processes 1; pid ${dir}/${name}.pid; error_log ${dir}/${name}.err warn;
events { worker_connections 4096; }
http { access_log off; client_body_temp_path ${dir}; proxy_temp_path ${dir}; fastcgi_temp_path ${dir}; uwsgi_temp_path ${dir}; scgi_temp_path ${dir};
${body} }\n`);
  return f;
}

interface Result { name: string; keepAliveRps: number; p99Ms: number; tlsHandshakesPerSec: number }

function wrk(url: string, extra: string[] = []): { rps: number; p99Ms: number } {
  const out = execFileSync('taskset', ['-c', loadCpu, 'wrk', '-t1', `-c${connections}`, `-d${duration}s`, '--latency', ...extra, url], { encoding: 'utf8' });
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0);
  const m = /\s99%\s+([\d.]+)(us|ms|s)\b/.exec(out);
  const p99Ms = m === null ? NaN : Number(m[1]) * (m[2] === 'us' ? 0.001 : m[2] === 's' ? 1000 : 1);
  if (/Non-2xx or 3xx responses/.test(out) || /Socket errors:.*(read|write|timeout) [1-9]/.test(out)) process.stderr.write(`wrk reported errors for ${url}:\n${out}\n`);
  return { rps, p99Ms };
}

async function main(): Promise<void> {
  const backendPort = await freePort();
  const backend = start(loadCpu, 'nginx', ['-c', nginxConf('backend', `server { listen 127.0.0.1:${backendPort}; keepalive_requests 1000000;
    location / { default_type text/plain; return 200 '${'x'.repeat(1023)}\n'; } }`)]);
  await waitPort(backendPort);

  const runs: Array<{ name: string; launch: (http: number, https: number) => Promise<ChildProcess> }> = [
    { name: 'lbarray', launch: async (http, https) => start(proxyCpu, process.execPath, ['--import', 'tsx', path.join(here, 'l7-lbarray.ts'),
      JSON.stringify({ http, https, backendPort, cert, key })]) },
    { name: 'nginx', launch: async (http, https) => start(proxyCpu, 'nginx', ['-c', nginxConf('proxy', `upstream be { server 127.0.0.1:${backendPort}; keepalive 128; }
      server { listen 127.0.0.1:${http}; listen 127.0.0.1:${https} ssl; ssl_certificate ${cert}; ssl_certificate_key ${key}; keepalive_requests 1000000;
      location / { proxy_pass http://be; proxy_http_version 1.1; proxy_set_header Connection ""; } }`)]) },
    { name: 'haproxy', launch: async (http, https) => {
      const f = path.join(dir, 'haproxy.cfg');
      fs.writeFileSync(f, `global\n  nbthread 1\n  maxconn 4000\n  tune.ssl.default-dh-param 2048\ndefaults\n  mode http\n  timeout connect 5s\n  timeout client 30s\n  timeout server 30s\n  option http-keep-alive\n`
        + `frontend fe\n  bind 127.0.0.1:${http}\n  bind 127.0.0.1:${https} ssl crt ${dir}/combined.pem\n  default_backend be\n`
        + `backend be\n  http-reuse always\n  server s1 127.0.0.1:${backendPort}\n`);
      return start(proxyCpu, 'haproxy', ['-f', f, '-db']);
    } },
    { name: 'node-http-proxy', launch: async (http, https) => start(proxyCpu, process.execPath, ['--import', 'tsx', path.join(here, 'l7-http-proxy.ts'),
      JSON.stringify({ http, https, backendPort, cert, key })]) },
  ];

  // Several rounds, the order rotated each round; each figure is the median over rounds, so a
  // burst of load from elsewhere on a shared machine hits every proxy alike.
  const samples = new Map<string, Result[]>();
  const chosen = runs.filter((x) => only.includes(x.name));
  for (let round = 0; round < rounds; round++) {
    for (let k = 0; k < chosen.length; k++) {
      const r = chosen[(k + round) % chosen.length];
      const http = await freePort();
      const https = await freePort();
      const child = await r.launch(http, https);
      await waitPort(http);
      await waitPort(https);
      wrk(`http://127.0.0.1:${http}/`, ['-d1s']); // warm-up (JIT, upstream connections)
      const ka = wrk(`http://127.0.0.1:${http}/`);
      const tls = wrk(`https://127.0.0.1:${https}/`, ['-H', 'Connection: close']);
      const res = { name: r.name, keepAliveRps: Math.round(ka.rps), p99Ms: ka.p99Ms, tlsHandshakesPerSec: Math.round(tls.rps) };
      samples.set(r.name, [...(samples.get(r.name) ?? []), res]);
      process.stderr.write(`round ${round + 1} ${r.name}: ${res.keepAliveRps} req/s, p99 ${ka.p99Ms} ms, ${res.tlsHandshakesPerSec} TLS handshakes/s\n`);
      await stop(child);
    }
  }
  const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
  const results: Result[] = chosen.map((r) => {
    const xs = samples.get(r.name)!;
    return { name: r.name, keepAliveRps: Math.round(median(xs.map((x) => x.keepAliveRps))), p99Ms: +median(xs.map((x) => x.p99Ms)).toFixed(2),
      tlsHandshakesPerSec: Math.round(median(xs.map((x) => x.tlsHandshakesPerSec))) };
  });
  await stop(backend);

  const by = (n: string) => results.find((r) => r.name === n);
  const lb = by('lbarray');
  const ng = by('nginx');
  const nhp = by('node-http-proxy');
  const ratios = lb === undefined ? {} : {
    rpsVsNginx: ng && +(lb.keepAliveRps / ng.keepAliveRps).toFixed(3),
    rpsVsHaproxy: by('haproxy') && +(lb.keepAliveRps / by('haproxy')!.keepAliveRps).toFixed(3),
    rpsVsNodeHttpProxy: nhp && +(lb.keepAliveRps / nhp.keepAliveRps).toFixed(3),
    p99VsNginx: ng && +(lb.p99Ms / ng.p99Ms).toFixed(3),
    tlsHandshakesVsNginx: ng && +(lb.tlsHandshakesPerSec / ng.tlsHandshakesPerSec).toFixed(3),
  };
  const targets = { rpsVsNginx: '>= 1.0', rpsVsNodeHttpProxy: '>= 4.0', tlsHandshakesVsNginx: '>= 1.0', p99VsNginx: '<= 1.5' };
  console.log('\nL7, 1 KiB responses, keep-alive, one proxy core, wrk -t1 -c%d -d%ds, median of %d rounds', connections, duration, rounds);
  console.log('proxy            req/s      p99 ms   TLS handshakes/s');
  for (const r of results) console.log(`${r.name.padEnd(16)} ${String(r.keepAliveRps).padStart(7)} ${r.p99Ms.toFixed(2).padStart(10)} ${String(r.tlsHandshakesPerSec).padStart(12)}`);
  console.log('ratios (lbarray / baseline):', JSON.stringify(ratios), 'targets:', JSON.stringify(targets));
  const outDir = path.join(here, 'results');
  fs.mkdirSync(outDir, { recursive: true });
  const file = path.join(outDir, `l7-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  fs.writeFileSync(file, JSON.stringify({ date: new Date().toISOString(), cpus, proxyCpu, connections, duration, rounds, results, ratios, targets,
    samples: Object.fromEntries(samples) }, null, 2) + '\n');
  console.log(`written ${path.relative(process.cwd(), file)}`);
}

await main();
