// Failover time (issue #5's benchmark): in the lab of examples/lab.yaml (3 nodes, 100 ms adverts),
// with long-lived downloads and steady new requests through the VIP, SIGKILL the scheduler and
// time, on the wire at the switch (kernel timestamps, the kill read on the same clock), the new
// scheduler's first advert, gratuitous ARP and first forwarded client frame; count the downloads
// lost on the surviving nodes and the new requests that failed; restart the killed node, wait
// until the array is settled, next trial. Baseline in the same run, trial for trial: keepalived
// with the same interval and priorities in the same lab (its own VRID and address), SIGKILL of its
// master, time to the backup's first gratuitous ARP. Needs root.
//   node --import tsx perf/failover.ts [--trials 20] [--streams 50] [--rate 50] [--no-keepalived] [--out perf/results]
//     [--node-log FILE: every node's log lines around each trial, appended]
//     [--preempt: the config with election.preempt on, so each killed node returns and takes the role back under the same load]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { electedScheduler } from '../engine/demo/dashboard.js';
import type { DriverSample } from '../engine/demo/driver.js';
import { machine } from './forward-report.js';
import { FailoverArray, realtimeUs, root, sleep } from './failover-array.js';
import { breakdown, failedAround, failoverMarkdown, summarizeFailover, targets, type KeepalivedTrial, type LbTrial } from './failover-report.js';
import { takeover, wireEvents, type TakeoverQuery } from './failover-wire.js';
import { KeepalivedGroup } from './keepalived.js';
import { writeResults } from './results.js';

export interface FailoverOptions {
  trials: number;
  streams: number;
  rate: number;
  keepalived: boolean;
  configFile: string;
  /** How the report names the config (default: its path); --preempt names the original. */
  configLabel?: string;
  out: string;
}

/** keepalived's virtual address: a lab address that is not the array's VIP. */
const KEEPALIVED_ADDRESS = '198.18.0.250';
/** How long after the kill the capture waits at most for the new scheduler to forward. */
const CAPTURE_MS = 15_000;
const SETTLE_MS = 45_000;

const log = (line: string): void => { process.stderr.write(`${line}\n`); };

/** The capture filter: VRRP, ARP, and client frames to these addresses. */
function wireFilter(to: readonly string[], clients: readonly string[]): string {
  return `ip proto 112 or arp or ((${to.map((a) => `dst host ${a}`).join(' or ')}) and (${clients.map((a) => `src host ${a}`).join(' or ')}))`;
}

/** The first line of a node's JSON log at or after `sinceMs` whose message matches. */
function logLine(output: string, sinceMs: number, msg: RegExp): { time: number; ms?: number } | undefined {
  for (const line of output.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      // pino's time: epoch ms, or ISO text (the daemon's JSON format).
      const o = JSON.parse(line) as { time: number | string; msg?: string; ms?: number };
      const time = typeof o.time === 'number' ? o.time : Date.parse(o.time);
      if (time >= sinceMs && msg.test(o.msg ?? '')) return { time, ms: o.ms };
    } catch { /* a line cut by the output bound */ }
  }
  return undefined;
}

/**
 * Waits until a node other than `killed` logs "scheduler active" after the kill (it forwards from
 * then on), or `ms` pass; resolves with that node's id.
 */
async function untilActive(array: FailoverArray, killed: string, sinceMs: number, ms: number): Promise<string | null> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    for (const n of array.nodes) if (n.id !== killed && logLine(array.processes.get(n.id)!.output, sinceMs, /scheduler active/)) return n.id;
    await sleep(50);
  }
  return null;
}

/**
 * A copy of a YAML config with `preempt: false` turned on, in a temporary directory beside links to
 * everything next to the original (its certificates and keys are named relative to it).
 */
function withPreempt(file: string): string {
  const text = fs.readFileSync(file, 'utf8');
  const on = text.replace(/^(\s*preempt:\s*)false\b/m, '$1true');
  if (on === text) throw new Error(`${file}: no "preempt: false" line to turn on`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lbarray-failover-config-'));
  const from = path.dirname(file);
  for (const entry of fs.readdirSync(from)) if (entry !== path.basename(file)) fs.symlinkSync(path.join(from, entry), path.join(dir, entry));
  const copy = path.join(dir, path.basename(file));
  fs.writeFileSync(copy, on);
  return copy;
}

/** --node-log: where each trial's node log lines go (null: nowhere). */
let nodeLog: string | null = null;

const fmt = (v: number | null): string => (v === null ? 'unseen' : `${v.toFixed(1)} ms`);
const failed = (s: DriverSample): number => s.http.failed + s.https.failed;
/** Failed requests by reason between two samples of the driver. */
function errorsSince(a: DriverSample, b: DriverSample): Record<string, number> {
  return Object.fromEntries(Object.entries(b.errors).map(([k, n]) => [k, n - (a.errors[k] ?? 0)]).filter(([, n]) => (n as number) > 0));
}
async function lbarrayTrial(array: FailoverArray, killed: string, since: DriverSample, query: Omit<TakeoverQuery, 'killUs' | 'killed' | 'macs'>): Promise<{ trial: LbTrial; end: DriverSample }> {
  const survivors = array.nodes.filter((n) => n.id !== killed);
  const capture = await array.capture(survivors.map((n) => n.id), wireFilter([query.vip.v4, query.vip.v6!], query.clients), `lbarray-${Date.now()}`);
  const atKill = array.last!;
  const killUs = realtimeUs();
  array.kill(killed);
  await untilActive(array, killed, Math.floor(killUs / 1000), CAPTURE_MS);
  await sleep(500); // the first frames it forwards reach the capture
  const events = wireEvents(await capture.stop());
  const macs = Object.fromEntries(survivors.map((n) => [n.address, n.mac]));
  const seen = takeover(events, { ...query, killUs, killed: array.node(killed).address, macs });
  const master = survivors.find((n) => n.address === seen.master);
  const killMs = killUs / 1000;
  const out = master ? array.processes.get(master.id)!.output : '';
  const masterLog = logLine(out, Math.floor(killMs), /→ master/);
  const activeLog = logLine(out, Math.floor(killMs), /scheduler active/);

  log(`  killed ${killed}: ${master?.id ?? '?'} advert ${fmt(seen.advertMs)}, GARP ${fmt(seen.garpMs)}, forwarded ${fmt(seen.forwardedMs)}; restarting ${killed}`);
  const beforeRestart = array.processes.get(killed)!.output;
  array.start(killed);
  const { settled } = await array.settled(SETTLE_MS);
  const end = array.last!;
  if (nodeLog) {
    const since = Math.floor(killUs / 1000) - 1000;
    const lines = (id: string, out: string) => out.split('\n').filter((l) => (logLine(l, since, /./) !== undefined)).map((l) => `${id} ${l}`);
    fs.appendFileSync(nodeLog, [`== trial: killed ${killed} at ${new Date(killUs / 1000).toISOString()}`,
      ...lines(`${killed}(killed)`, beforeRestart), ...array.nodes.flatMap((n) => lines(n.id, array.processes.get(n.id)!.output)), ''].join('\n'));
  }
  // From the kill to the end of the trial; and, apart, since the previous trial ended (no reset
  // falls between two windows): what was lost while no lbarray failover was under way.
  const resets = end.resets.slice(atKill.resets.length);
  const failures = failedAround(atKill, end, killMs);
  const trial: LbTrial = {
    killed, master: master?.id ?? null, advertMs: seen.advertMs, garpMs: seen.garpMs, forwardedMs: seen.forwardedMs,
    masterLogMs: masterLog ? masterLog.time - killMs : null, activeLogMs: activeLog ? activeLog.time - killMs : null, activationMs: activeLog?.ms ?? null,
    streamsOnSurvivors: survivors.reduce((n, x) => n + (atKill.streams[x.id]?.open ?? 0), 0),
    lost: resets.filter((r) => r.node !== killed).length, resetOnKilled: resets.filter((r) => r.node === killed).length,
    failedRequests: failures.after, failedInFlight: failures.inFlight, failedBy: errorsSince(atKill, end), failedSpanS: failures.spanS, settled,
    resetBeforeKill: atKill.resets.length - since.resets.length, failedBeforeKill: failed(atKill) - failed(since),
  };
  return { trial, end };
}

async function keepalivedTrial(array: FailoverArray, ka: KeepalivedGroup, vrid: number, clients: readonly string[]): Promise<KeepalivedTrial> {
  const master = await ka.settled(2 * SETTLE_MS);
  const killed = array.nodes.find((n) => n.host.name === master)!;
  const survivors = array.nodes.filter((n) => n !== killed);
  const capture = await array.capture(survivors.map((n) => n.id), wireFilter([KEEPALIVED_ADDRESS], clients), `keepalived-${Date.now()}`);
  const killUs = realtimeUs();
  await ka.kill(master);
  const deadline = Date.now() + CAPTURE_MS;
  while (Date.now() < deadline && !Object.entries(ka.states()).some(([h, s]) => h !== master && s === 'MASTER')) await sleep(50);
  await sleep(300);
  const seen = takeover(wireEvents(await capture.stop()), {
    killUs, vrid, killed: killed.address, macs: Object.fromEntries(survivors.map((n) => [n.address, n.mac])), vip: { v4: KEEPALIVED_ADDRESS }, clients,
  });
  await ka.restart(master);
  await ka.settled(2 * SETTLE_MS);
  return { killed: killed.id, master: survivors.find((n) => n.address === seen.master)?.id ?? null, advertMs: seen.advertMs, garpMs: seen.garpMs };
}

export async function runFailoverBenchmark(o: FailoverOptions): Promise<ReturnType<typeof summarizeFailover>> {
  const array = await FailoverArray.up({ configFile: o.configFile, streams: o.streams, rate: o.rate, seconds: o.trials * 120 + 300 });
  // Stopped from outside (Ctrl-C, the harness), the lab goes too.
  const onSignal = (): void => { void array.down().finally(() => process.exit(130)); };
  process.once('SIGINT', onSignal).once('SIGTERM', onSignal);
  const { config, lab } = array;
  const vrid = config.election.vrid;
  const clients = [lab.clients[0]!.v4!, lab.clients[0]!.v6!];
  let ka: KeepalivedGroup | null = null;
  const lb: LbTrial[] = [];
  const kaTrials: KeepalivedTrial[] = [];
  /** Why the run stopped before its last trial (the trials done are still written). */
  let stopped: string | null = null;
  try {
    if (o.keepalived) {
      ka = await KeepalivedGroup.up(lab, {
        vrid: vrid === 255 ? 254 : vrid + 1, address: KEEPALIVED_ADDRESS, advertIntervalMs: config.election.advertInterval, iface: array.nodes[0]!.host.iface,
        priorities: Object.fromEntries(config.nodes.map((n, i) => [array.nodes[i]!.host.name, n.priority])),
      }, array.dir);
    }
    let scheduler = (await array.settled(SETTLE_MS)).scheduler;
    let since = array.last!;
    log(`array settled: ${scheduler} is the scheduler; ${o.streams} downloads, ${o.rate} new requests/s`);
    for (let i = 0; i < o.trials; i++) {
      const r = await lbarrayTrial(array, scheduler, since, { vrid, vip: { v4: config.vip.ipv4!, v6: config.vip.ipv6! }, clients });
      lb.push(r.trial);
      since = r.end;
      scheduler = electedScheduler(r.end)!;
      const t = r.trial;
      let line = `trial ${i + 1}/${o.trials}: killed ${t.killed}, ${t.master ?? '?'} advert ${fmt(t.advertMs)}, GARP ${fmt(t.garpMs)}, forwarded ${fmt(t.forwardedMs)}; lost ${t.lost}, failed requests ${t.failedRequests}${t.failedSpanS ? ` (started ${t.failedSpanS[0]}–${t.failedSpanS[1]} s after the kill)` : ''}`
        + `, failed in flight at the kill ${t.failedInFlight}${t.failedRequests + t.failedInFlight > 0 ? ` (${Object.entries(t.failedBy ?? {}).map(([k, n]) => `${k} ${n}`).join(', ')})` : ''}`
        + `${t.settled ? '' : `; not settled within ${SETTLE_MS / 1000} s`}`;
      if (ka) {
        const k = await keepalivedTrial(array, ka, vrid === 255 ? 254 : vrid + 1, clients);
        kaTrials.push(k);
        line += `; keepalived GARP ${fmt(k.garpMs)}`;
      }
      log(line);
    }
  } catch (e) {
    if (lb.length === 0) throw e;
    stopped = (e as Error).message;
    log(`stopped after ${lb.length} trials: ${stopped}`);
  } finally {
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
    await ka?.down();
    await array.down();
  }
  const summary = summarizeFailover(lb, ka ? kaTrials : null);
  const m = machine();
  const notes = [
    `${o.trials} trials; ${o.streams} long-lived downloads (a 1 KiB chunk every 100 ms each) and ${o.rate} new HTTP requests/s plus ${o.rate / 5}/s HTTPS over fresh connections, half IPv4, half IPv6 (engine/demo/driver.ts); config ${o.configLabel ?? path.relative(root, o.configFile)} (advert interval ${config.election.advertInterval} ms, preempt ${config.election.preempt}).`,
    'The clock: dumpcap at the switch on the surviving nodes\' ports (kernel timestamps, CLOCK_REALTIME); the kill is read on the same clock just before kill(2). A forwarded frame is a client\'s frame to the VIP whose source MAC is the new master\'s.',
    `A trial ends once the killed node is back (restarted, preempt off: it rejoins as a node) and the array is settled again (every node up in every view, one scheduler; after ${SETTLE_MS / 1000} s without that, one agreed scheduler is enough and the trial is marked not settled); lost connections and failed requests are counted from the end of the previous trial to the end of this one.`,
    ...(ka ? [`keepalived ${'(Debian)'}: one instance per node, VRRPv3, VRID ${vrid === 255 ? 254 : vrid + 1}, address ${KEEPALIVED_ADDRESS}, the same priorities, advert_int ${config.election.advertInterval / 1000} s, nopreempt; one keepalived trial after each lbarray trial, while the array's load runs.`] : []),
    'Shared, noisy machine: the ratio against keepalived in the same run is the claim.',
    ...(stopped ? [`The run stopped after ${lb.length} of ${o.trials} trials: ${stopped}`] : []),
  ];
  const machineText = Object.entries(m).map(([k, v]) => `${k} ${Array.isArray(v) ? v.join(' ') : String(v)}`).join('; ');
  const md = failoverMarkdown(summary, lb, ka ? kaTrials : null, notes, machineText);
  const files = writeResults('failover', {
    options: { trials: o.trials, streams: o.streams, rate: o.rate, config: o.configLabel ?? path.relative(root, o.configFile), advertIntervalMs: config.election.advertInterval },
    targets, summary, lost: summary.lost, stopped, trials: lb.map((t) => ({ ...t, ...breakdown(t) })), keepalived: ka ? { trials: kaTrials } : null, notes,
  }, md, o.out);
  process.stdout.write(`\n${md}\nwritten ${files.map((f) => path.relative(process.cwd(), f)).join(', ')}\n`);
  return summary;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      trials: { type: 'string', default: '20' },
      streams: { type: 'string', default: '50' },
      rate: { type: 'string', default: '50' },
      'no-keepalived': { type: 'boolean', default: false },
      config: { type: 'string', default: path.join(root, 'examples/lab.yaml') },
      out: { type: 'string', default: path.join(root, 'perf/results') },
      'node-log': { type: 'string' },
      preempt: { type: 'boolean', default: false },
    },
  });
  const num = (name: 'trials' | 'streams' | 'rate', min: number): number => {
    const v = Number(values[name]);
    if (!Number.isInteger(v) || v < min) {
      process.stderr.write(`failover: --${name} must be an integer ≥ ${min}, not "${values[name]}"\n`);
      process.exit(2);
    }
    return v;
  };
  if (values['node-log']) nodeLog = path.resolve(values['node-log']);
  await runFailoverBenchmark({
    trials: num('trials', 1), streams: num('streams', 0), rate: num('rate', 1), keepalived: !values['no-keepalived'],
    configFile: values.preempt ? withPreempt(path.resolve(values.config!)) : path.resolve(values.config!), out: path.resolve(values.out!),
    ...(values.preempt ? { configLabel: `${path.relative(root, path.resolve(values.config!))} with preempt turned on (--preempt)` } : {}),
  });
}
