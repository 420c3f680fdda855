// Live L4 forwarding benchmark on veth, all in one run with the same C packet generator and the
// same path: generator (ns a) → veth → forwarder (ns mid, RX ring → MAC rewrite → TX) → veth → sink
// (ns b, which drops the frames at L2: their destination MAC is not its own).
//
// Forwarders, alternating round by round:
//   c      — perf/c/fwd.c, the minimal TPACKET_V3 forwarder (the baseline)
//   addon  — perf/forward-addon.ts: TypeScript fills the decisions, the addon rewrites and sends
//   kernel — a Linux bridge in mid (the kernel forwarding on its own), optional
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
//   node --import tsx perf/forward.ts [--rounds 5] [--seconds 2] [--rate 0] [--no-kernel] [--out perf/results]
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { forwardingChain, labUp, type Lab } from '../engine/lab/index.js';
import type { NsProcess } from '../engine/lab/process.js';
import { buildCTools } from './c/build.js';
import { machine, markdown, summarize, type Summary, type VariantSummary } from './forward-report.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    seconds: { type: 'string', default: '2' },
    rate: { type: 'string', default: '0' },
    'no-kernel': { type: 'boolean', default: false },
    out: { type: 'string', default: path.join(root, 'perf/results') },
  },
});
const rounds = Number(values.rounds);
const seconds = Number(values.seconds);
const rate = Number(values.rate);

// The sink's "MAC": nobody has it, so b drops every frame at L2 and sends nothing back.
const SINK_MAC = '02:00:00:00:00:fe';
const pinned = os.cpus().length >= 2;
const GEN_CPU = 0;
const FWD_CPU = 1;
const cpuMask = (cpu: number): string => (1 << cpu).toString(16);

interface Sample {
  variant: string;
  round: number;
  pps: number;
  generatorPps: number;
  sent: number;
  forwarded: number;
  ringDrops: number;
  cpuNsPerFrame: number;
}

interface Variant {
  name: 'c' | 'addon' | 'kernel';
  label: string;
  /** Destination MAC the generator uses. */
  dstMac(lab: Lab): string;
  /** Starts forwarding; returns the process (if any) to measure and stop. */
  start(lab: Lab): Promise<NsProcess | undefined>;
  /** Ring drops from the forwarder's final output line (after stop). */
  ringDrops(output: Record<string, number> | undefined): number;
  cleanup?(lab: Lab): Promise<void>;
}

const bins = await buildCTools();
const midIn = (lab: Lab): string => lab.host('mid').interfaces[0]!.mac;

async function startAndWait(p: NsProcess): Promise<NsProcess> {
  await p.waitFor(/"ready":true/, 20_000);
  return p;
}

const variants: Variant[] = [
  {
    name: 'c',
    label: 'C TPACKET_V3 forwarder (baseline)',
    dstMac: midIn,
    start: (lab) => startAndWait(lab.spawn('mid', [bins.fwd, '-i', 'eth0', '-o', 'eth1', '-d', SINK_MAC], { cpus: pinned ? [FWD_CPU] : undefined })),
    ringDrops: (o) => o?.rxDrops ?? NaN,
  },
  {
    name: 'addon',
    label: 'addon forwarder (TS decisions, one batch per crossing)',
    dstMac: midIn,
    start: (lab) => startAndWait(lab.spawn('mid', [process.execPath, '--import', 'tsx', path.join(root, 'perf/forward-addon.ts'),
      '--in', 'eth0', '--out', 'eth1', '--dst', SINK_MAC], { cpus: pinned ? [FWD_CPU] : undefined, cwd: root })),
    ringDrops: (o) => o?.rxDrops ?? NaN,
  },
  {
    name: 'kernel',
    label: 'kernel bridge in mid',
    dstMac: () => SINK_MAC,
    async start(lab) {
      await setRps(lab, 'mid', 'eth0', pinned ? FWD_CPU : GEN_CPU);
      await lab.exec('mid', ['sh', '-c', 'ip link add br0 type bridge && ip link set eth0 master br0 && ip link set eth1 master br0 && ip link set br0 up']);
      return undefined;
    },
    ringDrops: () => NaN,
    async cleanup(lab) {
      await lab.exec('mid', ['ip', 'link', 'del', 'br0']);
      await setRps(lab, 'mid', 'eth0', GEN_CPU);
    },
  },
];

async function setRps(lab: Lab, host: string, iface: string, cpu: number): Promise<void> {
  await lab.exec(host, ['sh', '-c', `echo ${cpuMask(cpu)} > /sys/class/net/${iface}/queues/rx-0/rps_cpus`]);
}

async function rxPackets(lab: Lab, host: string, iface: string): Promise<number> {
  const [link] = JSON.parse((await lab.exec(host, ['ip', '-s', '-j', 'link', 'show', iface])).stdout);
  return Number(link.stats64.rx.packets);
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

async function measure(lab: Lab, variant: Variant, round: number): Promise<Sample> {
  const fwd = await variant.start(lab);
  try {
    await new Promise((r) => setTimeout(r, 200)); // let a fresh Node forwarder settle (JIT) before timing
    const rx0 = await rxPackets(lab, 'b', 'eth0');
    const cpu0 = fwd ? await cpuNs(fwd.pid) : 0;
    const genArgs = [bins.pktgen, '-i', 'eth0', '-d', variant.dstMac(lab), '-D', '198.18.0.2', '-t', String(seconds), ...(rate > 0 ? ['-r', String(rate)] : [])];
    const gen = JSON.parse((await lab.exec('a', pinned ? ['taskset', '-c', String(GEN_CPU), ...genArgs] : genArgs, { timeoutMs: (seconds + 10) * 1000 })).stdout);
    await new Promise((r) => setTimeout(r, 100)); // the ring drains
    const cpu1 = fwd ? await cpuNs(fwd.pid) : 0;
    const rx1 = await rxPackets(lab, 'b', 'eth0');
    const out = fwd ? (await fwd.stop(), lastJson(fwd.output)) : undefined;
    const forwarded = rx1 - rx0;
    return {
      variant: variant.name,
      round,
      pps: forwarded / gen.seconds,
      generatorPps: gen.pps,
      sent: gen.sent,
      forwarded,
      ringDrops: variant.ringDrops(out),
      cpuNsPerFrame: fwd ? (cpu1 - cpu0) / Math.max(1, forwarded) : NaN,
    };
  } finally {
    await fwd?.stop();
    await variant.cleanup?.(lab);
  }
}

const active = variants.filter((v) => v.name !== 'kernel' || !values['no-kernel']);
const lab = await labUp(forwardingChain());
const samples: Sample[] = [];
const started = new Date().toISOString();
const info = machine();
try {
  await setRps(lab, 'mid', 'eth0', GEN_CPU);
  for (let round = 0; round < rounds; round++) {
    const order = active.map((_, i) => active[(i + round) % active.length]!); // alternate who goes first
    for (const v of order) {
      const s = await measure(lab, v, round);
      samples.push(s);
      console.log(`round ${round + 1}/${rounds} ${v.name.padEnd(6)} ${(s.pps / 1000).toFixed(0).padStart(6)} kpps  generator ${(s.generatorPps / 1000).toFixed(0)} kpps  ring drops ${s.ringDrops}  cpu ${s.cpuNsPerFrame.toFixed(0)} ns/frame`);
    }
  }
} finally {
  await lab.down();
}

const byVariant = (name: string): Sample[] => samples.filter((s) => s.variant === name);
const rows: VariantSummary[] = active.map((v) => {
  const s = byVariant(v.name);
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
const perRound = (f: (round: number) => number): Summary => summarize([...Array(rounds).keys()].map(f));
const pick = (name: string, round: number): Sample | undefined => samples.find((s) => s.variant === name && s.round === round);
const ratios: Record<string, Summary> = {
  'addon / C baseline, forwarded pps': perRound((r) => pick('addon', r)!.pps / pick('c', r)!.pps),
  'C baseline / addon, CPU per frame (capacity ratio)': perRound((r) => pick('c', r)!.cpuNsPerFrame / pick('addon', r)!.cpuNsPerFrame),
};
if (active.some((v) => v.name === 'kernel')) ratios['kernel bridge / C baseline, forwarded pps'] = perRound((r) => pick('kernel', r)!.pps / pick('c', r)!.pps);

const notes = [
  `64-byte frames (60 + FCS), IPv4/UDP, 1024 flows; ${rounds} rounds of ${seconds} s, forwarders alternating; generator ${rate > 0 ? `at ${rate} pps` : 'flat out'} (sendmmsg).`,
  pinned ? `Forwarder pinned to CPU ${FWD_CPU}; generator and ring-filling softirq on CPU ${GEN_CPU}; the sink's L2 drop runs on CPU ${FWD_CPU} for every forwarder (its cost is inside each forwarder's CPU per frame); the kernel bridge's receive work moved to CPU ${FWD_CPU} by RPS.` : 'Fewer than 2 CPUs: nothing pinned.',
  'Ring drops = PACKET_STATISTICS tp_drops of the forwarder\'s RX ring. With no ring drops the forwarder kept up and pps is the generator\'s; then the capacity ratio (CPU per frame) compares the forwarders.',
  'Shared, noisy machine: only same-run ratios are claims.',
];
const result = { benchmark: 'forward', started, machine: info, rounds, seconds, rate, samples, summary: rows, ratios, notes };
await fs.mkdir(values.out!, { recursive: true });
await fs.writeFile(path.join(values.out!, 'forward.json'), JSON.stringify(result, null, 2) + '\n');
const md = markdown('Live forwarding on veth, 64-byte frames', rows, ratios, notes, info);
await fs.writeFile(path.join(values.out!, 'forward.md'), md);
console.log('\n' + md);
