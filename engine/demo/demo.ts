// `lbarray demo`: the whole array on this machine. Builds a lab (1 client, the config's LB nodes,
// 3 back-ends), starts a page server on each back-end and `lbarray run` on each node, drives
// HTTP and HTTPS load with long-lived downloads from the client, draws the dashboard, kills the
// scheduler part-way (SIGKILL) to show the takeover, brings it back, prints a summary and tears
// the lab down (on return, on error and on Ctrl-C).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { adminEndpoint, loadConfig, type Config } from '../config/index.js';
import { LbError } from '../errors.js';
import { arrayTopology, labUp, type Lab, type NsProcess } from '../lab/index.js';
import type { CliIo } from '../cli/io.js';
import { ClientCapture, type CaptureOptions } from './capture.js';
import { electedScheduler, renderDashboard, renderSummary, summarize, type DemoEvent, type DemoSummary, type Failover } from './dashboard.js';
import type { DriverOptions, DriverSample } from './driver.js';

export interface DemoOptions {
  seconds: number;
  io: CliIo;
  /** The array to run (default examples/lab.yaml). */
  configFile?: string;
  /** Redraw in place (a terminal) or print a frame every few seconds (a log). */
  tty?: boolean;
  /** Long-lived downloads held open (default 60). */
  streams?: number;
  /** Record the client's traffic with the VIP to a classic pcap file (engine/demo/capture.ts). */
  capture?: CaptureOptions;
  /** Keep each node's log (every run of it, at info: role changes, late VRRP timers) in DIR/<node>.log. */
  logDir?: string;
}

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, here.includes(`${path.sep}dist${path.sep}`) ? '../../..' : '../..');
const TICK_MS = 250;
/** How long the nodes may take to start and elect a scheduler before the demo gives up. */
const ELECTION_WAIT_S = 60;

/** argv that runs a module (path from engine/demo, no extension) as a script, compiled or from source as this one runs. */
function script(name: string): string[] {
  const compiled = import.meta.url.endsWith('.js');
  return compiled ? [process.execPath, path.join(here, `${name}.js`)] : [process.execPath, '--import', 'tsx', path.join(here, `${name}.ts`)];
}

/**
 * The environment of the lab's processes: ours without a test runner's hooks (TAP*, NODE_OPTIONS),
 * which would load the runner's loaders into every node and worker.
 */
const childEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TAP') && k !== 'NODE_OPTIONS'));

function wait(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** The lab's LB nodes as processes: started, killed, restarted by id. */
class DemoNodes {
  readonly nodes = new Map<string, NsProcess>();
  /** Every process each node ran as, in order (a killed node's first run included). */
  private readonly runs: Array<{ id: string; process: NsProcess }> = [];
  /** `logLevel`: the nodes' (info shows every role change, for logs kept; warn otherwise). */
  constructor(private readonly lab: Lab, private readonly config: Config, private readonly configFile: string, private readonly logLevel: string) {}

  host(id: string): string {
    const i = this.config.nodes.findIndex((n) => n.id === id);
    return this.lab.lbNodes[i]!.name;
  }

  start(id: string): NsProcess {
    const p = this.lab.spawn(this.host(id), [...script('../cli/main'), 'run',
      '--config', this.configFile, '--node', id, '--log-level', this.logLevel], { env: childEnv });
    this.nodes.set(id, p);
    this.runs.push({ id, process: p });
    return p;
  }

  /** Writes DIR/<node>.log: what each run of the node printed, runs one after another. */
  keepLogs(dir: string): void {
    fs.mkdirSync(dir, { recursive: true });
    for (const id of this.nodes.keys()) {
      const text = this.runs.filter((r) => r.id === id).map((r, i) => `--- run ${i + 1} of ${id}\n${r.process.output}`).join('\n');
      fs.writeFileSync(path.join(dir, `${id}.log`), text);
    }
  }

  kill(id: string): void {
    const p = this.nodes.get(id);
    if (p) process.kill(-p.pid, 'SIGKILL');
  }
}

/** The demo; resolves with the exit code (130 after Ctrl-C). */
export async function runDemo(opts: DemoOptions): Promise<number> {
  const { summary, interrupted } = await demoArray(opts);
  opts.io.out(summary ? `\n${renderSummary(summary)}` : '\ninterrupted before the load started: nothing to sum up.\n');
  return interrupted ? 130 : 0;
}

/** Runs the demo and returns what happened (the tests read it). */
export async function demoArray(opts: DemoOptions): Promise<{ summary: DemoSummary | null; interrupted: boolean; prefix: string }> {
  const { io } = opts;
  const configFile = path.resolve(opts.configFile ?? path.join(root, 'examples/lab.yaml'));
  const config = loadConfig(configFile);
  if (!config.vip.ipv4 || !config.vip.ipv6) throw new LbError('ERR_DEMO_CONFIG', 'the demo needs a config with an IPv4 and an IPv6 VIP (examples/lab.yaml).');
  const http = config.services.find((s) => s.protocol === 'http');
  const tls = config.services.find((s) => s.protocol === 'https');
  if (!http || !tls) throw new LbError('ERR_DEMO_CONFIG', 'the demo needs an http and an https service in the config.');
  const vip = { v4: config.vip.ipv4, v6: config.vip.ipv6 };
  const tty = opts.tty ?? process.stdout.isTTY === true;

  io.out(`building the lab: 1 client, ${config.nodes.length} LB nodes, 3 back-ends (VIP ${vip.v4}, ${vip.v6})\n`);
  const lab = await labUp(arrayTopology({ clients: 1, lbNodes: config.nodes.length, backends: 3, vip }));
  let interrupted = false;
  let capture: ClientCapture | undefined;
  const onSigint = () => { interrupted = true; };
  process.once('SIGINT', onSigint);
  process.once('SIGTERM', onSigint); // a stop from outside tears the lab down too
  let array: DemoNodes | undefined;
  try {
    const ports = [...new Set(config.pools ? Object.values(config.pools).flatMap((p) => p.servers.map((s) => s.port)) : [8080])];
    await Promise.all(lab.backends.map((b) => lab.spawn(b.name, [...script('page-server'), b.name, ...ports.map(String)], { env: childEnv }).waitFor(/^listening/m, 15_000)));
    array = new DemoNodes(lab, config, configFile, opts.logDir ? 'info' : 'warn');
    for (const n of config.nodes) array.start(n.id);
    io.out(`started ${config.nodes.map((n) => n.id).join(', ')} (lbarray run); waiting for an election\n`);

    const driverOptions: DriverOptions = {
      vip, httpPort: http.port, httpsPort: tls.port, host: 'www.lab.test',
      admin: config.nodes.map((n) => ({ id: n.id, url: adminEndpoint(config, n).url })),
      rate: 100, streams: opts.streams ?? 60, streamSeconds: 20, seconds: opts.seconds + 5, tickMs: TICK_MS,
    };
    if (opts.capture) capture = await ClientCapture.start(lab, lab.clients[0]!.name, vip, opts.capture);
    const summary = await drive(lab, array, driverOptions, opts.seconds, tty, io, () => interrupted);
    return { summary, interrupted, prefix: lab.prefix };
  } finally {
    process.removeListener('SIGINT', onSigint);
    process.removeListener('SIGTERM', onSigint);
    if (capture) io.out(await capture.stop()); // before the lab goes: dumpcap closes its file cleanly
    if (opts.logDir && array) {
      array.keepLogs(opts.logDir);
      io.out(`node logs in ${opts.logDir}\n`);
    }
    const removed = await lab.down();
    io.out(`lab ${lab.prefix} removed (${removed.length} namespaces)\n`);
  }
}

async function drive(lab: Lab, array: DemoNodes, o: DriverOptions, seconds: number, tty: boolean, io: CliIo,
  interrupted: () => boolean): Promise<DemoSummary | null> {
  const driver = lab.spawn(lab.clients[0]!.name, [...script('driver'), JSON.stringify(o)], { maxOutput: 1 << 16, env: childEnv });
  const events: DemoEvent[] = [];
  const failovers: Failover[] = [];
  let last: DriverSample | undefined;
  let shown: DriverSample | undefined;
  let lastShownAt = 0;
  let killed: string | null = null;
  let restarted = false;
  /** The scheduler the nodes last agreed on, and when. */
  let agreed: string | null = null;
  let agreedAt = 0;
  let buffered = '';
  const samples: DriverSample[] = [];
  driver.child.stdout!.on('data', (d: Buffer) => {
    buffered += d.toString();
    let nl;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      try { samples.push(JSON.parse(line) as DriverSample); } catch { /* a partial line at exit */ }
    }
  });

  const deadline = Date.now() + (seconds + ELECTION_WAIT_S + 15) * 1000;
  while (Date.now() < deadline && !interrupted() && driver.exitStatus === undefined) {
    await wait(TICK_MS);
    const s = samples.at(-1);
    if (!s || s === last) continue;
    const before = last;
    last = s;
    const sched = electedScheduler(s);
    if (s.loadStart === null) {
      if (tty) io.out(`\x1b[H\x1b[2J${renderDashboard(s, before, events, seconds)}`);
      else if (Date.now() - lastShownAt >= 5000) {
        io.out(`${renderDashboard(s, undefined, events, seconds)}\n`);
        lastShownAt = Date.now();
      }
      continue;
    }
    if (events.length === 0) events.push({ t: s.loadStart, text: `${sched ?? '?'} is the scheduler; load running` });
    const t = s.t - s.loadStart;
    const pending = failovers.at(-1)?.to === null ? failovers.at(-1)! : null;
    if (killed === null && t >= seconds * 0.4 && sched) {
      killed = sched;
      array.kill(sched);
      events.push({ t: s.t, text: `SIGKILL ${sched} (the scheduler)` });
      failovers.push({ cause: 'kill', from: sched, to: null, seconds: null, at: s.t });
    } else if (pending && sched && sched !== pending.from) {
      pending.to = sched;
      pending.seconds = s.t - pending.at;
      events.push({ t: s.t, text: `${sched} took over (${pending.seconds.toFixed(2)} s after the kill, sampled every ${TICK_MS} ms)` });
    } else if (!pending && sched && agreed && sched !== agreed) {
      // A scheduler change the demo did not cause: the restarted node reclaiming the role
      // (preempt), or else a takeover nobody asked for (the scheduler's adverts went missing).
      const cause = restarted && sched === killed ? 'preempt' : 'unplanned';
      failovers.push({ cause, from: agreed, to: sched, seconds: s.t - agreedAt, at: agreedAt });
      events.push({ t: s.t, text: cause === 'preempt' ? `${sched} took the role back from ${agreed} (preempt)`
        : `${sched} took the role from ${agreed} (unplanned: ${agreed}'s adverts went missing)` });
    } else if (killed !== null && !restarted && t >= seconds * 0.7) {
      restarted = true;
      array.start(killed);
      events.push({ t: s.t, text: `${killed} restarted` });
    }
    if (sched) {
      agreed = sched;
      agreedAt = s.t;
    }
    if (tty) io.out(`\x1b[H\x1b[2J${renderDashboard(s, before, events, seconds)}`);
    else if (Date.now() - lastShownAt >= 5000) {
      io.out(`${renderDashboard(s, shown, events, seconds)}\n`);
      shown = s;
      lastShownAt = Date.now();
    }
    if (t >= seconds) break;
  }
  await driver.stop();
  // Ctrl-C before the load ran (during the election, say) is the operator's choice, not a failure.
  if (interrupted() && (last === undefined || last.loadStart === null)) return null;
  if (!last) throw new LbError('ERR_DEMO_NO_TRAFFIC', `the client never reported (driver output: ${driver.output.slice(-400)})`);
  if (last.loadStart === null) throw new LbError('ERR_DEMO_NO_SCHEDULER', 'no scheduler was elected: see the nodes\' logs with --log-level info.');
  if (!tty) io.out(renderDashboard(last, shown, events, seconds));
  return summarize(last, killed, failovers);
}
