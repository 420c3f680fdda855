// Live L4 forwarding benchmark on veth, all in one run with the same C packet generator and the
// same path: generator (ns a) → veth → forwarder (ns mid, RX ring → MAC rewrite → TX) → veth → sink
// (ns b, which drops the frames at L2: their destination MAC is not its own).
//
// Forwarders, alternating round by round:
//   c      — perf/c/fwd.c, the minimal TPACKET_V3 forwarder (the baseline); c-frames: the same
//            with a TPACKET_V2 ring (fwd -2), the baseline of the addon's frames RX mode; c-busy:
//            that one busy polling (fwd -2 -p 200)
//   addon  — perf/forward-addon.ts: TypeScript fills the decisions, the addon rewrites and sends
//            (addon: its default, the virtio-net header; addon-csum: checksums done in C++;
//            addon-frames: the TPACKET_V2 frames RX ring, the latency mode; addon-busy: that
//            ring watched 200 µs before the thread sleeps, busyPollUs)
//   kernel — a Linux bridge in mid (the kernel forwarding on its own), optional
//   wire   — no forwarder: a veth straight from a to b, latency rounds only. Each forwarder's
//            latency minus the wire's in the same round is the latency it adds.
//
// CPUs (DESIGN.md): the forwarder runs on CPU 1; the generator and the softirq that fills the
// forwarder's ring (it runs on the sender's CPU) on CPU 0. The sink's receive work (an L2 drop)
// runs where the forwarder sends, on CPU 1, the same for every forwarder: steering it to CPU 0
// with RPS overflowed CPU 0's backlog queue, which the generator's frames share. For the kernel
// bridge, RPS moves the bridge's work onto CPU 1.
//
// Reported per forwarder: frames that reached the sink per second (min/median/max over rounds),
// ring drops (PACKET_STATISTICS) and the forwarder process's own CPU time per frame (all its
// threads, /proc/PID/task/*/schedstat). When the forwarder keeps up with the generator (no ring
// drops) pps is capped by the generator, and CPU per frame is the figure that tells them apart.
//
// mid's kernel drops the frames at netdev ingress (nftables), after the ring has seen them, as the
// scheduler does (DESIGN.md): its IP layer does no work on them. Not for the kernel bridge, which
// needs them.
//
//   node --import tsx perf/forward.ts [--rounds 5] [--seconds 2] [--rate 0] [--variants c,c-frames,c-busy,addon,addon-csum,addon-frames,addon-busy,kernel,wire] [--batch 256]
//     [--latency-rounds 3] [--latency-rate PPS] [--out perf/results]
// or from a harness: runForwardBenchmark({ rounds, seconds, ... }).
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { forwardingChain, labUp, type Lab } from '../engine/lab/index.js';
import type { NsProcess } from '../engine/lab/process.js';
import { buildCTools } from './c/build.js';
import { machine, markdown, type LatencySummary, type VariantSummary } from './forward-report.js';
import { summarize, type Summary } from './plot.js';
import { figures } from './plots.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Every path the benchmark knows, in its default order (the CLI's default too). */
export const VARIANT_NAMES = ['c', 'c-frames', 'c-busy', 'addon', 'addon-csum', 'addon-frames', 'addon-busy', 'kernel', 'wire'] as const;
export type VariantName = typeof VARIANT_NAMES[number];

export interface ForwardBenchmarkOptions {
  rounds?: number;
  seconds?: number;
  /** Generator rate in pps; 0 = flat out. */
  rate?: number;
  variants?: VariantName[];
  /** Latency rounds at half load (0: none); default 3. */
  latencyRounds?: number;
  /** Latency generator rate in pps; default half the lowest throughput seen. */
  latencyRate?: number;
  /** Frames per receive()/forward() crossing of the addon forwarder (and per sendmmsg of both). */
  batch?: number;
  /** Directory for forward.json, forward.md and forward.svg; undefined = don't write. */
  out?: string;
  log?: (line: string) => void;
}

// The sink's "MAC": nobody has it, so b drops every frame at L2 and sends nothing back.
const SINK_MAC = '02:00:00:00:00:fe';
const GEN_CPU = 0;
const FWD_CPU = 1;
const cpuMask = (cpu: number): string => (1 << cpu).toString(16);

export interface Sample {
  variant: VariantName;
  round: number;
  pps: number;
  generatorPps: number;
  sent: number;
  forwarded: number;
  ringDrops: number;
  cpuNsPerFrame: number;
}

export interface LatencySample {
  variant: VariantName;
  round: number;
  rate: number;
  sent: number;
  /** Stamped frames the sink saw (the rest were lost or not stamped). */
  stamped: number;
  p50us: number;
  p99us: number;
  p999us: number;
  maxUs: number;
}

interface Variant {
  name: VariantName;
  label: string;
  /** Destination MAC the generator uses. */
  dstMac(lab: Lab): string;
  /** Starts forwarding; returns the process (if any) to measure and stop. */
  start(lab: Lab): Promise<NsProcess | undefined>;
  cleanup?(lab: Lab): Promise<void>;
  /** The generator's and the sink's interface: eth0 (through mid) unless the variant says. */
  iface?: string;
  /** Measured in the latency rounds only. */
  latencyOnly?: boolean;
}

async function setRps(lab: Lab, host: string, iface: string, cpu: number): Promise<void> {
  await lab.exec(host, ['sh', '-c', `echo ${cpuMask(cpu)} > /sys/class/net/${iface}/queues/rx-0/rps_cpus`]);
}

async function setIngressDrop(lab: Lab, on: boolean): Promise<void> {
  await lab.exec('mid', ['nft', on
    ? 'add table netdev lbbench; add chain netdev lbbench in { type filter hook ingress device eth0 priority 0; policy drop; }'
    : 'delete table netdev lbbench']);
}

/** CPU time (ns) of every thread of a process. */
async function cpuNs(pid: number): Promise<number> {
  const tasks = await fs.readdir(`/proc/${pid}/task`);
  let total = 0;
  for (const tid of tasks) {
    try {
      total += Number((await fs.readFile(`/proc/${pid}/task/${tid}/schedstat`, 'utf8')).split(' ')[0]);
    } catch {
      // thread exited meanwhile
    }
  }
  return total;
}

function lastJson(output: string): Record<string, number> | undefined {
  const lines = output.trim().split('\n').filter((l) => l.startsWith('{'));
  return lines.length > 0 ? JSON.parse(lines[lines.length - 1]!) : undefined;
}

export async function runForwardBenchmark(options: ForwardBenchmarkOptions = {}): Promise<Record<string, unknown>> {
  const rounds = options.rounds ?? 5;
  const seconds = options.seconds ?? 2;
  const rate = options.rate ?? 0;
  const wanted: readonly VariantName[] = options.variants ?? VARIANT_NAMES;
  const batch = String(options.batch ?? 256);
  const log = options.log ?? console.log;
  const pinned = os.cpus().length >= 2;
  const bins = await buildCTools();
  const midIn = (lab: Lab): string => lab.host('mid').interfaces[0]!.mac;
  const onForwarderCpu = pinned ? { cpus: [FWD_CPU] } : {};
  const ready = async (p: NsProcess): Promise<NsProcess> => {
    await p.waitFor(/"ready":true/, 20_000);
    return p;
  };

  const variants: Variant[] = [
    ...([
      ['c', 'C TPACKET_V3 forwarder (baseline)', []],
      ['c-frames', 'C TPACKET_V2 forwarder (baseline of the frames RX mode)', ['-2']],
      ['c-busy', 'C TPACKET_V2 forwarder, busy polling 200 µs (baseline of the busy-poll mode)', ['-2', '-p', '200']],
    ] as const).map(([name, label, extra]): Variant => ({
      name,
      label,
      dstMac: midIn,
      start: (lab) => ready(lab.spawn('mid', [bins.fwd, '-i', 'eth0', '-o', 'eth1', '-d', SINK_MAC, '-b', batch, ...extra], onForwarderCpu)),
    })),
    ...([
      ['addon', 'addon forwarder, virtio-net header (addon default)', []],
      ['addon-csum', 'addon forwarder, checksums in C++ (no vnet header)', ['--vnet-hdr', 'off']],
      ['addon-frames', 'addon forwarder, TPACKET_V2 frames RX ring (latency mode)', ['--rx-mode', 'frames']],
      ['addon-busy', 'addon forwarder, frames RX ring, busy polling 200 µs', ['--rx-mode', 'frames', '--busy-poll', '200']],
    ] as const).map(([name, label, extra]): Variant => ({
      name,
      label,
      dstMac: midIn,
      start: (lab) => ready(lab.spawn('mid', [process.execPath, '--import', 'tsx', path.join(root, 'perf/forward-addon.ts'),
        '--in', 'eth0', '--out', 'eth1', '--dst', SINK_MAC, '--batch', batch, ...extra],
      { ...onForwarderCpu, cwd: root })),
    })),
    {
      name: 'kernel',
      label: 'kernel bridge in mid',
      dstMac: () => SINK_MAC,
      async start(lab) {
        await setIngressDrop(lab, false);
        await setRps(lab, 'mid', 'eth0', pinned ? FWD_CPU : GEN_CPU);
        await lab.exec('mid', ['sh', '-c', 'ip link add br0 type bridge && ip link set eth0 master br0 && ip link set eth1 master br0 && ip link set br0 up']);
        return undefined;
      },
      async cleanup(lab) {
        await lab.exec('mid', ['ip', 'link', 'del', 'br0']);
        await setRps(lab, 'mid', 'eth0', GEN_CPU);
        await setIngressDrop(lab, true);
      },
    },
    {
      name: 'wire',
      label: 'no forwarder (a veth from a straight to b)',
      dstMac: () => SINK_MAC,
      iface: 'eth1',
      latencyOnly: true,
      start: async () => undefined,
    },
  ];

  // Starts the variant's forwarder, lets it settle, runs `body`, and always stops and cleans up.
  async function withForwarder<T>(lab: Lab, variant: Variant, body: (fwd: NsProcess | undefined) => Promise<T>): Promise<T> {
    const fwd = await variant.start(lab);
    try {
      await new Promise((r) => setTimeout(r, 200)); // let a fresh Node forwarder settle before timing
      return await body(fwd);
    } finally {
      await fwd?.stop();
      await variant.cleanup?.(lab);
    }
  }

  async function generate(lab: Lab, variant: Variant, extra: string[]): Promise<{ sent: number; seconds: number; pps: number }> {
    const argv = [bins.pktgen, '-i', variant.iface ?? 'eth0', '-d', variant.dstMac(lab), '-D', '198.18.0.2', '-t', String(seconds), ...extra];
    const { stdout } = await lab.exec('a', pinned ? ['taskset', '-c', String(GEN_CPU), ...argv] : argv, { timeoutMs: (seconds + 10) * 1000 });
    return JSON.parse(stdout);
  }

  const measure = (lab: Lab, variant: Variant, round: number): Promise<Sample> => withForwarder(lab, variant, async (fwd) => {
    const rx0 = (await lab.linkStats('b')).rx.packets;
    const cpu0 = fwd ? await cpuNs(fwd.pid) : 0;
    const gen = await generate(lab, variant, rate > 0 ? ['-r', String(rate)] : []);
    await new Promise((r) => setTimeout(r, 100)); // the ring drains
    const cpu1 = fwd ? await cpuNs(fwd.pid) : 0;
    const rx1 = (await lab.linkStats('b')).rx.packets;
    const out = fwd ? (await fwd.stop(), lastJson(fwd.output)) : undefined;
    const forwarded = rx1 - rx0;
    return {
      variant: variant.name,
      round,
      pps: forwarded / gen.seconds,
      generatorPps: gen.pps,
      sent: gen.sent,
      forwarded,
      ringDrops: out?.rxDrops ?? NaN,
      cpuNsPerFrame: fwd ? (cpu1 - cpu0) / Math.max(1, forwarded) : NaN,
    };
  });

  // One-way latency at a fixed rate: pktgen stamps each frame, the sink in b compares with the
  // kernel's receive timestamp. Small generator batches, so bursts don't queue behind each other.
  // The forwarder first runs 1 s of the same traffic unmeasured: the steady state is what counts,
  // not V8 compiling the addon forwarder's loop on its one CPU (a 20-50 ms stall at its start).
  const measureLatency = (lab: Lab, variant: Variant, round: number, pps: number): Promise<LatencySample> => withForwarder(lab, variant, async () => {
    await generate(lab, variant, ['-b', '8', '-r', String(pps), '-t', '1']);
    const sink = lab.spawn('b', [bins.sink, '-i', variant.iface ?? 'eth0'], pinned ? { cpus: [GEN_CPU] } : {});
    try {
      await sink.waitFor(/"ready":true/);
      const gen = await generate(lab, variant, ['-T', '-b', '8', '-r', String(pps)]);
      await new Promise((r) => setTimeout(r, 100));
      await sink.stop();
      const out = lastJson(sink.output)!;
      return { variant: variant.name, round, rate: pps, sent: gen.sent, stamped: out.stamped!, p50us: out.p50us!, p99us: out.p99us!, p999us: out.p999us!, maxUs: out.maxUs! };
    } finally {
      await sink.stop();
    }
  });

  const active = variants.filter((v) => wanted.includes(v.name));
  const samples: Sample[] = [];
  const latency: LatencySample[] = [];
  const latencyRounds = options.latencyRounds ?? 3;
  let latencyRate = 0;
  const started = new Date().toISOString();
  const info = machine();
  const lab = await labUp(forwardingChain({ wire: wanted.includes('wire') }));
  try {
    await setRps(lab, 'mid', 'eth0', GEN_CPU);
    await setIngressDrop(lab, true);
    for (let round = 0; round < rounds; round++) {
      const forwarders = active.filter((v) => !v.latencyOnly);
      const order = forwarders.map((_, i) => forwarders[(i + round) % forwarders.length]!); // alternate who goes first
      for (const v of order) {
        const s = await measure(lab, v, round);
        samples.push(s);
        log(`round ${round + 1}/${rounds} ${v.name.padEnd(6)} ${(s.pps / 1000).toFixed(0).padStart(6)} kpps  generator ${(s.generatorPps / 1000).toFixed(0)} kpps  ring drops ${s.ringDrops}  cpu ${s.cpuNsPerFrame.toFixed(0)} ns/frame`);
      }
    }
    if (latencyRounds > 0) {
      // Half load: half the lowest rate any forwarder carried in the throughput rounds.
      latencyRate = options.latencyRate ?? Math.round(Math.min(...samples.map((x) => x.pps)) / 2 / 1000) * 1000;
      for (let round = 0; round < latencyRounds; round++) {
        const order = active.map((_, i) => active[(i + round) % active.length]!);
        for (const v of order) {
          const l = await measureLatency(lab, v, round, latencyRate);
          latency.push(l);
          log(`latency ${round + 1}/${latencyRounds} ${v.name.padEnd(6)} at ${(latencyRate / 1000).toFixed(0)} kpps: p50 ${l.p50us} µs  p99 ${l.p99us} µs  p99.9 ${l.p999us} µs  (${l.stamped}/${l.sent} frames)`);
        }
      }
    }
  } finally {
    await lab.down();
  }

  const rows: VariantSummary[] = active.filter((v) => !v.latencyOnly).map((v) => {
    const s = samples.filter((x) => x.variant === v.name);
    return {
      name: v.name,
      label: v.label,
      pps: summarize(s.map((x) => x.pps)),
      generatorPps: summarize(s.map((x) => x.generatorPps)),
      ringDrops: summarize(s.map((x) => x.ringDrops)),
      dropShare: summarize(s.map((x) => (x.sent - x.forwarded) / x.sent)),
      cpuNsPerFrame: summarize(s.map((x) => x.cpuNsPerFrame)),
    };
  });
  // Per round: a path's percentile less the wire's in the same round (rounds alternate, so each
  // pair ran minutes apart at most).
  const addedOverWire = (l: LatencySample[]): Pick<LatencySummary, 'addedP50us' | 'addedP99us'> => {
    const pairs = l.flatMap((x) => {
      const w = latency.find((y) => y.variant === 'wire' && y.round === x.round);
      return w ? [[x, w] as const] : [];
    });
    if (pairs.length === 0) return {};
    return { addedP50us: summarize(pairs.map(([x, w]) => x.p50us - w.p50us)), addedP99us: summarize(pairs.map(([x, w]) => x.p99us - w.p99us)) };
  };
  const latencyRows: LatencySummary[] = active.filter((v) => latency.some((l) => l.variant === v.name)).map((v) => {
    const l = latency.filter((x) => x.variant === v.name);
    return {
      name: v.name,
      label: v.label,
      rate: latencyRate,
      p50us: summarize(l.map((x) => x.p50us)),
      p99us: summarize(l.map((x) => x.p99us)),
      p999us: summarize(l.map((x) => x.p999us)),
      lostShare: summarize(l.map((x) => (x.sent - x.stamped) / x.sent)),
      ...(v.name === 'wire' ? {} : addedOverWire(l)),
    };
  });
  const pick = (name: VariantName, round: number): Sample | undefined => samples.find((s) => s.variant === name && s.round === round);
  const perRound = (a: VariantName, b: VariantName, f: (x: Sample, y: Sample) => number): Summary =>
    summarize([...Array(rounds).keys()].flatMap((r) => {
      const x = pick(a, r);
      const y = pick(b, r);
      return x && y ? [f(x, y)] : [];
    }));
  const ratios: Record<string, Summary> = {};
  const latencyPerRound = (a: VariantName, b: VariantName, f: (x: LatencySample) => number): Summary =>
    summarize([...Array(latencyRounds).keys()].flatMap((r) => {
      const x = latency.find((l) => l.variant === a && l.round === r);
      const y = latency.find((l) => l.variant === b && l.round === r);
      return x && y ? [f(x) / f(y)] : [];
    }));
  // Each addon variant against the C forwarder with the same RX ring kind.
  const baseNames: Record<string, string> = { c: 'C baseline', 'c-frames': 'C frames baseline', 'c-busy': 'C busy-poll baseline' };
  for (const [addon, c] of [['addon', 'c'], ['addon-csum', 'c'], ['addon-frames', 'c-frames'], ['addon-busy', 'c-busy']] as const) {
    if (!wanted.includes(c) || !wanted.includes(addon)) continue;
    const base = baseNames[c]!;
    ratios[`${addon} / ${base}, forwarded pps`] = perRound(addon, c, (x, y) => x.pps / y.pps);
    // A busy-polling forwarder spends its idle time spinning: its CPU per frame says nothing.
    if (c !== 'c-busy') ratios[`${base} / ${addon}, CPU per frame (capacity ratio)`] = perRound(c, addon, (x, y) => x.cpuNsPerFrame / y.cpuNsPerFrame);
    if (latencyRounds > 0) {
      ratios[`${addon} / ${base}, latency p50 at half load`] = latencyPerRound(addon, c, (x) => x.p50us);
      ratios[`${addon} / ${base}, latency p99 at half load`] = latencyPerRound(addon, c, (x) => x.p99us);
    }
  }
  if (wanted.includes('c') && wanted.includes('kernel')) ratios['kernel bridge / C baseline, forwarded pps'] = perRound('kernel', 'c', (x, y) => x.pps / y.pps);

  const notes = [
    `64-byte frames (60 + FCS), IPv4/UDP, 1024 flows; batches of ${batch} frames; ${rounds} rounds of ${seconds} s, forwarders alternating; generator ${rate > 0 ? `at ${rate} pps` : 'flat out'} (sendmmsg).`,
    pinned
      ? `Forwarder pinned to CPU ${FWD_CPU}; generator and the softirq filling the ring on CPU ${GEN_CPU}. The sink's L2 drop runs on CPU ${FWD_CPU} for every forwarder (inside each forwarder's CPU per frame). mid's kernel drops the frames at nftables netdev ingress after the ring saw them. The kernel bridge's receive work is moved to CPU ${FWD_CPU} by RPS.`
      : 'Fewer than 2 CPUs: nothing pinned.',
    'Ring drops = PACKET_STATISTICS tp_drops of the forwarder\'s RX ring. With no ring drops the forwarder kept up and pps is the generator\'s; then the capacity ratio (CPU per frame) is the figure that compares the forwarders.',
    ...(latencyRounds > 0 ? [`Latency: ${latencyRounds} rounds per forwarder at half load (added: less the wire's, no forwarder, in the same round), after 1 s of unmeasured warm-up traffic; generator batches of 8 stamped frames; sink (TPACKET_V3 ring in b, CPU ${GEN_CPU}) subtracts the send time from the kernel's receive timestamp; 100 ns histogram buckets (upper edges shown).`] : []),
    'Shared, noisy machine: only same-run ratios are claims.',
  ];
  const result = { benchmark: 'forward', started, machine: info, rounds, seconds, rate, batch: Number(batch), samples, summary: rows, ratios,
    latency: { rate: latencyRate, samples: latency, summary: latencyRows }, notes };
  const md = markdown('Live forwarding on veth, 64-byte frames', rows, ratios, notes, info, latencyRows);
  if (options.out) {
    await fs.mkdir(options.out, { recursive: true });
    await fs.writeFile(path.join(options.out, 'forward.json'), JSON.stringify(result, null, 2) + '\n');
    await fs.writeFile(path.join(options.out, 'forward.md'), md);
    await fs.writeFile(path.join(options.out, 'forward.svg'), figures.forward!(result));
  }
  log('\n' + md);
  return result;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string', default: '5' },
      seconds: { type: 'string', default: '2' },
      rate: { type: 'string', default: '0' },
      variants: { type: 'string', default: VARIANT_NAMES.join(',') },
      batch: { type: 'string', default: '256' },
      'latency-rounds': { type: 'string', default: '3' },
      'latency-rate': { type: 'string' },
      out: { type: 'string', default: path.join(root, 'perf/results') },
    },
  });
  await runForwardBenchmark({
    rounds: Number(values.rounds),
    seconds: Number(values.seconds),
    rate: Number(values.rate),
    variants: values.variants!.split(',') as VariantName[],
    batch: Number(values.batch),
    latencyRounds: Number(values['latency-rounds']),
    latencyRate: values['latency-rate'] === undefined ? undefined : Number(values['latency-rate']),
    out: values.out,
  });
}
