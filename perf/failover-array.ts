// The array the failover benchmark kills and restarts, built as the demo builds it (engine/demo):
// the lab of examples/lab.yaml (1 client, its LB nodes, 3 back-ends), the demo's page server on
// each back-end, `lbarray run` on each node, and the demo's client (engine/demo/driver.ts) holding
// long-lived downloads and sending new requests while it polls every node's /status. Frames are
// captured at the switch with dumpcap (kernel timestamps, classic pcap).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readPcap, type Capture } from '../engine/capture/index.js';
import { adminEndpoint, loadConfig, type Config } from '../engine/config/index.js';
import { electedScheduler } from '../engine/demo/dashboard.js';
import type { DriverOptions, DriverSample } from '../engine/demo/driver.js';
import { arrayTopology, labUp, spawnIn, type Lab, type LabHost, type NsProcess } from '../engine/lab/index.js';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const tsx = (file: string): string[] => [process.execPath, '--import', 'tsx', path.join(root, file)];
/** The environment of the lab's processes: ours without a test runner's hooks (as the demo's). */
const childEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TAP') && k !== 'NODE_OPTIONS'));

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

let realtimeOffset: number | undefined;
/**
 * Microseconds since the epoch with sub-millisecond resolution: the clock of the kernel's packet
 * timestamps (CLOCK_REALTIME), read through performance.now() anchored at a tick of Date.now().
 */
export function realtimeUs(): number {
  if (realtimeOffset === undefined) {
    const start = Date.now();
    let now = start;
    while (now === start) now = Date.now(); // the edge of a millisecond: the anchor is exact to ~µs
    realtimeOffset = now - performance.now();
  }
  return (performance.now() + realtimeOffset) * 1000;
}

export interface ArrayOptions {
  configFile: string;
  streams: number;
  /** New requests per second (HTTP; HTTPS gets a fifth of it on top). */
  rate: number;
  /** How long the client may run in all. */
  seconds: number;
}

/** A node as the benchmark sees it: id, lab host, address (v4) and MAC. */
export interface ArrayNode { id: string; host: LabHost; address: string; mac: string }

export class FailoverArray {
  readonly processes = new Map<string, NsProcess>();
  private readonly samples: DriverSample[] = [];
  private driver: NsProcess | undefined;

  private constructor(readonly lab: Lab, readonly config: Config, readonly configFile: string, readonly nodes: ArrayNode[], readonly dir: string) {}

  static async up(o: ArrayOptions): Promise<FailoverArray> {
    const config = loadConfig(o.configFile);
    const vip = { v4: config.vip.ipv4!, v6: config.vip.ipv6! };
    const lab = await labUp(arrayTopology({ clients: 1, lbNodes: config.nodes.length, backends: 3, vip }));
    const nodes = config.nodes.map((n, i) => ({ id: n.id, host: lab.lbNodes[i]!, address: lab.lbNodes[i]!.v4!, mac: lab.lbNodes[i]!.mac }));
    const array = new FailoverArray(lab, config, o.configFile, nodes, fs.mkdtempSync(path.join(os.tmpdir(), 'lbarray-failover-')));
    try {
      const ports = [...new Set(Object.values(config.pools ?? {}).flatMap((p) => p.servers.map((s) => s.port)))];
      await Promise.all(lab.backends.map((b) => lab.spawn(b.name, [...tsx('engine/demo/page-server.ts'), b.name, ...ports.map(String)], { env: childEnv })
        .waitFor(/^listening/m, 20_000)));
      for (const n of nodes) array.start(n.id);
      const http = config.services.find((s) => s.protocol === 'http')!;
      const https = config.services.find((s) => s.protocol === 'https')!;
      const driver: DriverOptions = {
        vip, httpPort: http.port, httpsPort: https.port, host: 'www.lab.test',
        admin: config.nodes.map((n) => ({ id: n.id, url: adminEndpoint(config, n).url })),
        rate: o.rate, streams: o.streams, streamSeconds: 600, seconds: o.seconds, tickMs: 250,
      };
      array.driver = lab.spawn(lab.clients[0]!.name, [...tsx('engine/demo/driver.ts'), JSON.stringify(driver)], { env: childEnv, maxOutput: 1 << 16 });
      let buffered = '';
      array.driver.child.stdout!.on('data', (d: Buffer) => {
        buffered += d.toString();
        for (let nl; (nl = buffered.indexOf('\n')) >= 0; buffered = buffered.slice(nl + 1)) {
          try { array.samples.push(JSON.parse(buffered.slice(0, nl)) as DriverSample); } catch { /* a partial line at exit */ }
        }
        if (array.samples.length > 4) array.samples.splice(0, array.samples.length - 4);
      });
    } catch (e) {
      await array.down();
      throw e;
    }
    return array;
  }

  node(id: string): ArrayNode {
    return this.nodes.find((n) => n.id === id)!;
  }

  /** `lbarray run` for node `id`, logging at info (the breakdown reads its role changes). */
  start(id: string): NsProcess {
    const p = this.lab.spawn(this.node(id).host.name, [...tsx('engine/cli/main.ts'), 'run', '--config', this.configFile, '--node', id, '--log-level', 'info'],
      { env: childEnv, cwd: root, maxOutput: 1 << 22 });
    this.processes.set(id, p);
    return p;
  }

  /** SIGKILL to the node's whole process group (the daemon and its worker threads' process). */
  kill(id: string): void {
    process.kill(-this.processes.get(id)!.pid, 'SIGKILL');
  }

  /** The client's latest sample (its counters and every node's /status). */
  get last(): DriverSample | undefined {
    return this.samples.at(-1);
  }

  /**
   * Waits until the array is settled: the load runs, every node answers, all name the same
   * scheduler and see every node up, over `polls` consecutive samples. Past `timeoutMs` (a loaded
   * machine: health checks and adverts late, the election flapping) it takes an agreed scheduler
   * without the full health view, `settled: false`; with none agreed by `2 × timeoutMs` it throws.
   */
  async settled(timeoutMs: number, polls = 2): Promise<{ scheduler: string; settled: boolean }> {
    const start = Date.now();
    let seen: DriverSample | undefined;
    let streak = 0;
    for (;;) {
      const s = this.last;
      const late = Date.now() - start > timeoutMs;
      if (s && s !== seen) {
        seen = s;
        const sched = electedScheduler(s);
        const allUp = s.statuses.every((x) => x.status && x.status.nodes.every((n) => n.up));
        streak = s.loadStart !== null && sched !== null && (allUp || late) ? streak + 1 : 0;
        if (streak >= polls) return { scheduler: sched!, settled: !late };
      }
      if (this.driver?.exitStatus) throw new Error(`the client stopped: ${this.driver.output.slice(-400)}`);
      if (Date.now() - start > 2 * timeoutMs) {
        const views = s?.statuses.map((x) => `${x.id}: ${x.error ?? `${x.status!.role}, scheduler ${x.status!.scheduler}, up ${x.status!.nodes.filter((n) => n.up).map((n) => n.id).join(' ')}`}`);
        const logs = path.join(os.tmpdir(), `lbarray-failover-nodes-${Date.now()}.log`);
        fs.writeFileSync(logs, [...this.processes].map(([id, p]) => `== ${id}\n${p.output.split('\n').slice(-60).join('\n')}`).join('\n'));
        throw new Error(`no scheduler agreed within ${2 * timeoutMs} ms (client at ${s?.t ?? '?'} s): ${views?.join('; ')}; the nodes' last log lines: ${logs}`);
      }
      await sleep(50);
    }
  }

  /** Starts dumpcap at the switch on the ports of these nodes; resolves once all capture. */
  async capture(ids: readonly string[], filter: string, name: string): Promise<SwitchCapture> {
    const files = ids.map((id) => path.join(this.dir, `${name}-${id}.pcap`));
    const procs = ids.map((id, i) => spawnIn(this.lab.switchNs!, ['dumpcap', '-i', this.node(id).host.interfaces[0]!.peerName, '-P', '-s', '200', '-f', filter, '-w', files[i]!]));
    await Promise.all(procs.map((p) => p.waitFor(/Capturing on/, 15_000)));
    return new SwitchCapture(procs, files);
  }

  async down(): Promise<void> {
    await this.driver?.stop();
    await this.lab.down();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

export class SwitchCapture {
  constructor(private readonly procs: NsProcess[], private readonly files: string[]) {}

  /** Stops dumpcap (SIGTERM: it closes its file) and reads what it caught. */
  async stop(): Promise<Capture[]> {
    await Promise.all(this.procs.map((p) => p.stop()));
    const captures = await Promise.all(this.files.map((f) => readPcap(f)));
    for (const f of this.files) fs.rmSync(f, { force: true });
    return captures;
  }
}
