// L7 benchmark: lbarray's L7 node against nginx (proxy_pass + upstream keepalive), HAProxy and
// node-http-proxy, in the same run, with the same back-end (nginx answering 1 KiB), the same
// load generator (wrk) and the same core count: each proxy pinned to one CPU with taskset and
// given one worker/thread (nginx worker_processes 1, HAProxy nbthread 1, lbarray one worker
// thread); wrk and the back-end on the other CPU. Like for like:
// - every proxy keeps its upstream connections alive and adds X-Forwarded-For,
//   X-Forwarded-Proto and Forwarded (lbarray always does);
// - TLS: the same ECDSA P-256 certificate, TLS 1.3 and X25519 everywhere (checked with
//   openssl s_client before measuring); "full" handshakes on a listener with tickets and
//   session cache off, "resumed" on one with tickets on (wrk resumes its sessions);
// - node-net-floor (perf/l7-net-floor.ts) pipes bytes with no HTTP at all: the least CPU per
//   request any proxy on Node's net module can use;
// - besides req/s, the CPU time the proxy process spent per request (/proc/PID/stat), which a
//   busy shared machine disturbs less than throughput; likewise per full TLS handshake.
//
//   node --import tsx perf/l7.ts [--duration 5] [--connections 64] [--rounds 3] [--only lbarray,nginx]
//     [--before DIR]   also run DIR/perf/l7-lbarray.ts as "lbarray-before" (an older tree), same run
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
import { freePort } from '../test/l7/fixtures/backends.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const opt = (name: string, dflt: string) => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1] : dflt; };
const duration = Number(opt('duration', '5'));
const connections = Number(opt('connections', '64'));
const before = opt('before', '');
const only = opt('only', `lbarray,${before === '' ? '' : 'lbarray-before,'}nginx,haproxy,node-http-proxy,node-net-floor`).split(',');
const rounds = Number(opt('rounds', '3'));
const cpus = os.availableParallelism();
const proxyCpu = String(cpus - 1);
const loadCpu = '0';
const clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }));

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lbarray-l7-bench-'));
const children: ChildProcess[] = [];
process.on('exit', () => { for (const c of children) c.kill('SIGKILL'); fs.rmSync(dir, { recursive: true, force: true }); });

async function waitPort(port: number): Promise<void> {
  for (let i = 0; i < 400; i++) {
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

/** CPU seconds a process has used (all threads), in user space and in the kernel. taskset execs, so the pid is the proxy's. */
function cpuSeconds(pid: number): { user: number; kernel: number } {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { user: Number(f[11]) / clockTicks, kernel: Number(f[12]) / clockTicks };
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

interface Endpoints { http: number; https: number; httpsFull: number }
interface Result {
  name: string; keepAliveRps: number; p99Ms: number; cpuUsPerRequest: number;
  /** The same CPU split: user space (the proxy's own code, its runtime) and the kernel (sockets, TCP on loopback). */
  userUsPerRequest: number; kernelUsPerRequest: number;
  /** p99 at a paced load every proxy sustains (see `paced`), and the rate it came to. */
  pacedP99Ms: number; pacedRps: number;
  /** Full TLS handshakes/s (tickets and session cache off), each with one request. */
  tlsHandshakesPerSec: number;
  /** Proxy CPU µs per full handshake (with its one request and the close). */
  tlsCpuUsPerHandshake: number;
  tlsResumedPerSec: number;
}

// Latency at a load below every proxy's capacity: at saturation wrk's p99 mostly restates
// throughput (Little's law: 64 connections over fewer requests/s wait longer), so the same
// proxies are also measured paced, each of `pacedConnections` connections waiting 1 ms after each
// response (wrk's delay() hook) before its next request: about 10 k req/s here, a quarter of
// nginx's saturated rate, which every proxy but node-http-proxy keeps up with. What is left is
// each proxy's own latency and its stalls.
const pacedConnections = 16;
const paceScript = path.join(dir, 'pace.lua');
fs.writeFileSync(paceScript, 'function delay()\n  return 1\nend\n');

function wrk(url: string, extra: string[] = [], clients = connections): { rps: number; p99Ms: number; requests: number } {
  const out = execFileSync('taskset', ['-c', loadCpu, 'wrk', '-t1', `-c${clients}`, `-d${duration}s`, '--latency', ...extra, url], { encoding: 'utf8' });
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0);
  const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? 0);
  const m = /\s99%\s+([\d.]+)(us|ms|s)\b/.exec(out);
  const p99Ms = m === null ? NaN : Number(m[1]) * (m[2] === 'us' ? 0.001 : m[2] === 's' ? 1000 : 1);
  if (/Non-2xx or 3xx responses/.test(out) || /Socket errors:.*(read|write|timeout) [1-9]/.test(out)) process.stderr.write(`wrk reported errors for ${url}:\n${out}\n`);
  return { rps, p99Ms, requests };
}

/** What a TLS listener negotiates with OpenSSL's client, and whether it resumes a session. */
function tlsFacts(port: number): { protocol: string; group: string; resumes: boolean } {
  const sess = path.join(dir, `sess-${port}.pem`);
  const client = (sessArgs: string[]) => {
    try {
      return execFileSync('taskset', ['-c', loadCpu, 'openssl', 's_client', '-connect', `127.0.0.1:${port}`, '-servername', 'bench.test', '-ign_eof', ...sessArgs],
        { input: 'GET / HTTP/1.1\r\nHost: bench.test\r\nConnection: close\r\n\r\n', encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'], timeout: 10_000 });
    } catch (e) { return String((e as { stdout?: string }).stdout ?? ''); }
  };
  const first = client(['-sess_out', sess]);
  const second = client(['-sess_in', sess]);
  return { protocol: /^(?:New|Reused), (\S+),/m.exec(first)?.[1] ?? '?', group: /Server Temp Key: (\w+)/.exec(first)?.[1] ?? '?', resumes: /^Reused,/m.test(second) };
}

const forwardingNginx = 'proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for; proxy_set_header X-Forwarded-Proto $scheme; proxy_set_header Forwarded "for=$remote_addr;proto=$scheme";';

async function main(): Promise<void> {
  const backendPort = await freePort();
  const backend = start(loadCpu, 'nginx', ['-c', nginxConf('backend', `server { listen 127.0.0.1:${backendPort}; keepalive_requests 1000000;
    location / { default_type text/plain; return 200 '${'x'.repeat(1023)}\n'; } }`)]);
  await waitPort(backendPort);

  const node = (name: string, script: string) => ({ name, launch: (e: Endpoints) => start(proxyCpu, process.execPath, ['--import', 'tsx', script,
    JSON.stringify({ ...e, backendPort, cert, key })]) });
  const runs: Array<{ name: string; launch: (e: Endpoints) => ChildProcess }> = [
    node('lbarray', path.join(here, 'l7-lbarray.ts')),
    ...(before === '' ? [] : [node('lbarray-before', path.join(path.resolve(before), 'perf', 'l7-lbarray.ts'))]),
    { name: 'nginx', launch: (e) => start(proxyCpu, 'nginx', ['-c', nginxConf('proxy', `upstream be { server 127.0.0.1:${backendPort}; keepalive 128; keepalive_requests 1000000; }
      ssl_certificate ${cert}; ssl_certificate_key ${key}; ssl_protocols TLSv1.2 TLSv1.3; keepalive_requests 1000000;
      proxy_http_version 1.1; proxy_set_header Connection ""; ${forwardingNginx}
      server { listen 127.0.0.1:${e.http}; listen 127.0.0.1:${e.https} ssl; location / { proxy_pass http://be; } }
      server { listen 127.0.0.1:${e.httpsFull} ssl; ssl_session_tickets off; ssl_session_cache off; location / { proxy_pass http://be; } }`)]) },
    { name: 'haproxy', launch: (e) => {
      const f = path.join(dir, 'haproxy.cfg');
      // cachesize 0: no session-ID cache anywhere, so the full listener resumes nothing; tickets on the other.
      fs.writeFileSync(f, `global\n  nbthread 1\n  maxconn 4000\n  tune.ssl.cachesize 0\ndefaults\n  mode http\n  timeout connect 5s\n  timeout client 30s\n  timeout server 30s\n  option http-keep-alive\n`
        + `frontend fe\n  bind 127.0.0.1:${e.http}\n  bind 127.0.0.1:${e.https} ssl crt ${dir}/combined.pem\n  bind 127.0.0.1:${e.httpsFull} ssl crt ${dir}/combined.pem no-tls-tickets\n`
        + `  option forwardfor\n  http-request set-header X-Forwarded-Proto https if { ssl_fc }\n  http-request set-header X-Forwarded-Proto http if !{ ssl_fc }\n`
        + `  http-request set-header Forwarded for=%[src];proto=%[req.hdr(x-forwarded-proto)]\n  default_backend be\n`
        + `backend be\n  http-reuse always\n  server s1 127.0.0.1:${backendPort}\n`);
      return start(proxyCpu, 'haproxy', ['-f', f, '-db']);
    } },
    node('node-http-proxy', path.join(here, 'l7-http-proxy.ts')),
    node('node-net-floor', path.join(here, 'l7-net-floor.ts')),
  ];

  // Every proxy runs from the start (idle ones cost nothing), so one measurement of each follows
  // another within seconds: several rounds, the order rotated each round, each metric measured
  // for all proxies back to back; each figure is the median over rounds. A burst of load from
  // elsewhere on a shared machine then hits every proxy alike.
  const samples = new Map<string, Result[]>();
  const tls: Record<string, { full: ReturnType<typeof tlsFacts>; resumed: ReturnType<typeof tlsFacts> }> = {};
  const chosen = runs.filter((x) => only.includes(x.name));
  const live: Array<{ name: string; e: Endpoints; child: ChildProcess }> = [];
  for (const r of chosen) {
    const e: Endpoints = { http: await freePort(), https: await freePort(), httpsFull: await freePort() };
    live.push({ name: r.name, e, child: r.launch(e) });
    for (const p of Object.values(e)) await waitPort(p);
    tls[r.name] = { full: tlsFacts(e.httpsFull), resumed: tlsFacts(e.https) };
    execFileSync('taskset', ['-c', loadCpu, 'wrk', '-t1', `-c${connections}`, '-d2s', `http://127.0.0.1:${e.http}/`]); // warm-up (JIT, upstream connections)
  }
  const load = [os.loadavg()[0]];
  for (let round = 0; round < rounds; round++) {
    const order = live.map((_, k) => live[(k + round) % live.length]);
    // wrk with the proxy's CPU µs per request (per handshake with Connection: close).
    const measured = (child: ChildProcess, url: string, extra: string[] = []) => {
      const cpu0 = cpuSeconds(child.pid!);
      const w = wrk(url, extra);
      const cpu1 = cpuSeconds(child.pid!);
      const perRequest = (s: number) => (s * 1e6) / Math.max(1, w.requests);
      const userUs = perRequest(cpu1.user - cpu0.user);
      const kernelUs = perRequest(cpu1.kernel - cpu0.kernel);
      return { ...w, cpuUs: userUs + kernelUs, userUs, kernelUs };
    };
    const ka = order.map(({ e, child }) => measured(child, `http://127.0.0.1:${e.http}/`));
    const paced = order.map(({ e }) => wrk(`http://127.0.0.1:${e.http}/`, ['-s', paceScript], pacedConnections));
    const full = order.map(({ e, child }) => measured(child, `https://127.0.0.1:${e.httpsFull}/`, ['-H', 'Connection: close']));
    const resumed = order.map(({ e }) => wrk(`https://127.0.0.1:${e.https}/`, ['-H', 'Connection: close']));
    order.forEach(({ name }, k) => {
      const res: Result = { name, keepAliveRps: Math.round(ka[k].rps), p99Ms: ka[k].p99Ms, cpuUsPerRequest: +ka[k].cpuUs.toFixed(1),
        userUsPerRequest: +ka[k].userUs.toFixed(1), kernelUsPerRequest: +ka[k].kernelUs.toFixed(1),
        pacedP99Ms: paced[k].p99Ms, pacedRps: Math.round(paced[k].rps),
        tlsHandshakesPerSec: Math.round(full[k].rps), tlsCpuUsPerHandshake: Math.round(full[k].cpuUs), tlsResumedPerSec: Math.round(resumed[k].rps) };
      samples.set(name, [...(samples.get(name) ?? []), res]);
      process.stderr.write(`round ${round + 1} ${name}: ${res.keepAliveRps} req/s, p99 ${res.p99Ms} ms, ${res.cpuUsPerRequest} CPU us/req `
        + `(user ${res.userUsPerRequest}, kernel ${res.kernelUsPerRequest}), `
        + `paced ${res.pacedRps} req/s p99 ${res.pacedP99Ms} ms, `
        + `TLS ${res.tlsHandshakesPerSec} full (${res.tlsCpuUsPerHandshake} CPU us each) / ${res.tlsResumedPerSec} resumed handshakes/s\n`);
    });
    process.stderr.write(`round ${round + 1} done, load average ${os.loadavg()[0].toFixed(1)}\n`);
  }
  for (const { child } of live) await stop(child);
  load.push(os.loadavg()[0]);
  const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
  const results: Result[] = chosen.map((r) => {
    const xs = samples.get(r.name)!;
    const med = (f: (x: Result) => number, digits: number) => +median(xs.map(f)).toFixed(digits);
    return { name: r.name, keepAliveRps: med((x) => x.keepAliveRps, 0), p99Ms: med((x) => x.p99Ms, 2), cpuUsPerRequest: med((x) => x.cpuUsPerRequest, 1),
      userUsPerRequest: med((x) => x.userUsPerRequest, 1), kernelUsPerRequest: med((x) => x.kernelUsPerRequest, 1),
      pacedP99Ms: med((x) => x.pacedP99Ms, 3), pacedRps: med((x) => x.pacedRps, 0),
      tlsHandshakesPerSec: med((x) => x.tlsHandshakesPerSec, 0), tlsCpuUsPerHandshake: med((x) => x.tlsCpuUsPerHandshake, 0),
      tlsResumedPerSec: med((x) => x.tlsResumedPerSec, 0) };
  });
  await stop(backend);

  const by = (n: string) => results.find((r) => r.name === n);
  // A ratio is the median of the per-round ratios: each pairs two measurements seconds apart,
  // so load that comes and goes over the run cancels out better than in a ratio of medians.
  const paired = (a: string, b: string, f: (x: Result) => number): number | undefined => {
    const xs = samples.get(a);
    const ys = samples.get(b);
    return xs === undefined || ys === undefined ? undefined : +median(xs.map((x, i) => f(x) / f(ys[i]))).toFixed(3);
  };
  const ratiosOf = (lb: string) => ({
    rpsVsNginx: paired(lb, 'nginx', (x) => x.keepAliveRps),
    rpsVsHaproxy: paired(lb, 'haproxy', (x) => x.keepAliveRps),
    rpsVsNodeHttpProxy: paired(lb, 'node-http-proxy', (x) => x.keepAliveRps),
    p99VsNginx: paired(lb, 'nginx', (x) => x.p99Ms),
    pacedP99VsNginx: paired(lb, 'nginx', (x) => x.pacedP99Ms),
    cpuPerRequestVsNginx: paired(lb, 'nginx', (x) => x.cpuUsPerRequest),
    userCpuPerRequestVsNginx: paired(lb, 'nginx', (x) => x.userUsPerRequest),
    kernelCpuPerRequestVsNginx: paired(lb, 'nginx', (x) => x.kernelUsPerRequest),
    tlsHandshakesVsNginx: paired(lb, 'nginx', (x) => x.tlsHandshakesPerSec),
    tlsCpuPerHandshakeVsNginx: paired(lb, 'nginx', (x) => x.tlsCpuUsPerHandshake),
    tlsResumedVsNginx: paired(lb, 'nginx', (x) => x.tlsResumedPerSec),
    rpsVsNetFloor: paired(lb, 'node-net-floor', (x) => x.keepAliveRps),
    cpuPerRequestVsNetFloor: paired(lb, 'node-net-floor', (x) => x.cpuUsPerRequest),
  });
  const lbs = results.filter((r) => r.name.startsWith('lbarray'));
  const ratios = by('lbarray') === undefined ? {} : ratiosOf('lbarray');
  const targets = { rpsVsNginx: '>= 1.0', rpsVsNodeHttpProxy: '>= 4.0', tlsHandshakesVsNginx: '>= 1.0', p99VsNginx: '<= 1.5' };
  console.log('\nL7, 1 KiB responses, keep-alive, one proxy core, wrk -t1 -c%d -d%ds, median of %d rounds; load average %s -> %s on %d CPUs',
    connections, duration, rounds, load[0].toFixed(1), load[1].toFixed(1), cpus);
  console.log(`proxy              req/s     p99 ms  CPU us/req (user + kernel)   TLS full/s  TLS resumed/s  CPU us/full handshake   paced (-c${pacedConnections}, 1 ms waits): req/s  p99 ms`);
  for (const r of results) {
    console.log(`${r.name.padEnd(16)} ${String(r.keepAliveRps).padStart(7)} ${r.p99Ms.toFixed(2).padStart(10)} ${r.cpuUsPerRequest.toFixed(1).padStart(11)}`
      + ` (${r.userUsPerRequest.toFixed(1).padStart(5)} + ${r.kernelUsPerRequest.toFixed(1).padStart(5)})`
      + ` ${String(r.tlsHandshakesPerSec).padStart(12)} ${String(r.tlsResumedPerSec).padStart(14)} ${String(r.tlsCpuUsPerHandshake).padStart(22)}`
      + ` ${String(r.pacedRps).padStart(38)} ${r.pacedP99Ms.toFixed(3).padStart(7)}`);
  }
  console.log('TLS as negotiated with openssl s_client (full listener / resumed listener):');
  for (const [name, t] of Object.entries(tls)) {
    console.log(`  ${name.padEnd(16)} ${t.full.protocol} ${t.full.group} resumes=${t.full.resumes} / ${t.resumed.protocol} ${t.resumed.group} resumes=${t.resumed.resumes}`);
  }
  const unlike = Object.entries(tls).filter(([, t]) => t.full.resumes || !t.resumed.resumes || t.full.protocol !== 'TLSv1.3' || t.resumed.protocol !== 'TLSv1.3'
    || t.full.group !== 'X25519' || t.resumed.group !== 'X25519');
  if (unlike.length > 0) console.log(`  NOT like for like: ${unlike.map(([n]) => n).join(', ')}`);
  for (const lb of lbs) console.log(`ratios (${lb.name} / baseline, median of per-round ratios):`, JSON.stringify(ratiosOf(lb.name)));
  const vsBefore = by('lbarray') === undefined || by('lbarray-before') === undefined ? undefined : {
    rps: paired('lbarray', 'lbarray-before', (x) => x.keepAliveRps), cpuPerRequest: paired('lbarray', 'lbarray-before', (x) => x.cpuUsPerRequest),
    p99: paired('lbarray', 'lbarray-before', (x) => x.p99Ms), pacedP99: paired('lbarray', 'lbarray-before', (x) => x.pacedP99Ms), tlsFull: paired('lbarray', 'lbarray-before', (x) => x.tlsHandshakesPerSec),
    tlsCpuPerHandshake: paired('lbarray', 'lbarray-before', (x) => x.tlsCpuUsPerHandshake),
    tlsResumed: paired('lbarray', 'lbarray-before', (x) => x.tlsResumedPerSec),
  };
  if (vsBefore !== undefined) console.log('lbarray / lbarray-before:', JSON.stringify(vsBefore));
  // How far any Node proxy can go: the byte pump against nginx, same rounds.
  const floorVsNginx = by('node-net-floor') === undefined || by('nginx') === undefined ? undefined : {
    rps: paired('node-net-floor', 'nginx', (x) => x.keepAliveRps), cpuPerRequest: paired('node-net-floor', 'nginx', (x) => x.cpuUsPerRequest),
    userCpuPerRequest: paired('node-net-floor', 'nginx', (x) => x.userUsPerRequest), kernelCpuPerRequest: paired('node-net-floor', 'nginx', (x) => x.kernelUsPerRequest),
    p99: paired('node-net-floor', 'nginx', (x) => x.p99Ms), pacedP99: paired('node-net-floor', 'nginx', (x) => x.pacedP99Ms),
  };
  if (floorVsNginx !== undefined) console.log('node-net-floor / nginx (no HTTP, one back-end connection per client):', JSON.stringify(floorVsNginx));
  console.log('targets:', JSON.stringify(targets));
  const outDir = path.join(here, 'results');
  fs.mkdirSync(outDir, { recursive: true });
  const file = path.join(outDir, `l7-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  fs.writeFileSync(file, JSON.stringify({ date: new Date().toISOString(), cpus, proxyCpu, loadCpu, loadAverage: load, connections, duration, rounds, results, ratios,
    ratiosPerVariant: Object.fromEntries(lbs.map((lb) => [lb.name, ratiosOf(lb.name)])), vsBefore, floorVsNginx, before: before === '' ? undefined : path.resolve(before), targets, tls, samples: Object.fromEntries(samples) }, null, 2) + '\n');
  console.log(`written ${path.relative(process.cwd(), file)}`);
}

await main();
