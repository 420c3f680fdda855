// The one entry point of the benchmarks: `npm run bench -- <name> [options]`.
// Each sub-command delegates to the benchmark's own script or function (the scripts stay runnable
// alone), installs the Debian packages it needs when missing, and leaves JSON + Markdown under
// perf/results/. Every figure is a ratio against a baseline measured in the same run: the machines
// are shared and noisy.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { ensureDebian } from './debian.js';
import { runGate } from './gate/index.js';
import { replayBenchmark, replayDefaults } from './micro/scheduler-replay.js';
import { summarize } from './plot.js';
import { plotResults, figures } from './plots.js';
import { resultsDir, writeResults } from './results.js';

const here = path.dirname(fileURLToPath(import.meta.url));

/** Runs a perf script in its own Node (as its header documents), echoing and returning its stdout. */
function script(file: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, file), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    // Stopped (Ctrl-C, timeout), the harness stops its benchmark too: no orphan keeps loading the machine.
    const stop = (signal: NodeJS.Signals): void => { child.kill(signal); process.exit(128 + (signal === 'SIGINT' ? 2 : 15)); };
    process.once('SIGINT', stop).once('SIGTERM', stop);
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d; process.stdout.write(d); });
    child.on('error', reject);
    child.on('close', (code) => {
      process.off('SIGINT', stop).off('SIGTERM', stop);
      if (code === 0) resolve(out); else reject(new Error(`${file} exited with ${code}`));
    });
  });
}

const optNumber = (v: string | boolean | undefined): number | undefined => (typeof v === 'string' ? Number(v) : undefined);
const codeBlock = (out: string): string => '```\n' + out.trimEnd() + '\n```\n';

/** benchmark.js cycle lines: "NAME x 1,234 ops/sec ±0.5% (90 runs sampled)". */
function benchmarkLines(out: string): Array<{ name: string; hz: number; rme: number }> {
  return [...out.matchAll(/^(.+?) x ([\d,.]+) ops\/sec ±([\d.]+)%/gm)].map((m) => ({ name: m[1]!, hz: Number(m[2]!.replace(/,/g, '')), rme: Number(m[3]) }));
}

interface Command {
  about: string;
  baseline: string;
  usage: string;
  run(args: string[]): Promise<number>;
}

const commands: Record<string, Command> = {
  micro: {
    about: 'benchmark.js micro benchmarks: checksum and MAC rewrite (addon vs plain JS), Maglev rebuild, flow-table routing, packet parse',
    baseline: 'plain JS doing the same work; the Maglev paper\'s pseudo-code run literally; a stateless Maglev pick; the decider\'s own parse and a naive DataView parse',
    usage: 'micro [--only checksum,scheduler,packet]',
    async run(args) {
      const { values } = parseArgs({ args, options: { only: { type: 'string' } } });
      // --only runs a subset (a quick check of one file); the names are the files' stems.
      const all = ['checksum', 'scheduler', 'packet'];
      const only = typeof values.only === 'string' ? values.only.split(',') : all;
      const unknown = only.filter((n) => !all.includes(n));
      if (unknown.length > 0) {
        console.error(`bench micro: unknown --only ${unknown.join(', ')} (known: ${all.join(', ')})`);
        return 2;
      }
      const outputs: Record<string, string> = {};
      for (const f of all.filter((n) => only.includes(n)).map((n) => `micro/${n}.bench.ts`)) outputs[f] = await script(f, []);
      const md = ['# Micro benchmarks', '', ...Object.entries(outputs).flatMap(([f, out]) => [`## perf/${f}`, '', codeBlock(out)])].join('\n');
      writeResults('micro', { scripts: Object.fromEntries(Object.entries(outputs).map(([f, out]) => [f, { cycles: benchmarkLines(out), output: out.split('\n') }])) }, md);
      return 0;
    },
  },
  replay: {
    about: 'offline replay (`lbarray replay`): the TypeScript decide + addon rewrite path over a capture or synthetic frames',
    baseline: 'the pure C++ loop doing the same work over the same frames (perf/micro/scheduler-replay-baseline.cc), alternating rounds',
    usage: `replay [--seconds ${replayDefaults.seconds}] [--rounds ${replayDefaults.rounds}] [--flows ${replayDefaults.flows}] [--frames ${replayDefaults.frames}] [--flow-capacity ${replayDefaults.flowCapacity}] [--capture captures/web-flows.pcap [--config examples/lab.yaml]]`,
    async run(args) {
      const { values } = parseArgs({ args, options: Object.fromEntries(['seconds', 'rounds', 'flows', 'frames', 'flow-capacity', 'capture', 'config'].map((k) => [k, { type: 'string' as const }])) });
      const num = (k: string, d: number): number => optNumber(values[k]) ?? d;
      const lines: string[] = [];
      const r = await replayBenchmark({ seconds: num('seconds', replayDefaults.seconds), rounds: num('rounds', replayDefaults.rounds), flows: num('flows', replayDefaults.flows),
        frames: num('frames', replayDefaults.frames), flowCapacity: num('flow-capacity', replayDefaults.flowCapacity),
        capture: values.capture as string | undefined, config: values.config as string | undefined }, (l) => { lines.push(l); console.log(l); });
      const row = (label: string, xs: number[]): string => { const s = summarize(xs); return `| ${label} | ${s.min.toFixed(3)} / **${s.median.toFixed(3)}** / ${s.max.toFixed(3)} |`; };
      writeResults('replay', r, ['# Replay: TypeScript decide + addon rewrite against the C++ loop, same frames', '',
        `| ratio, per round (${r.ratios.length} alternating rounds) | min / **median** / max |`, '| --- | --- |',
        row('TS pps / C++ pps (wall time)', r.ratios), row('TS / C++, frames per CPU second of the timed passes', r.cpuRatios), '',
        codeBlock(lines.join('\n')), '- Shared, noisy machine: only the same-run ratio is a claim.'].join('\n'));
      return r.sameDecisions ? 0 : 1;
    },
  },
  forward: {
    about: 'live L4 forwarding on veth (needs root: network namespaces), throughput, CPU per frame and latency at half load',
    baseline: 'the minimal C TPACKET_V3 forwarder (perf/c/fwd.c) and the kernel bridge, same generator, same path',
    usage: 'forward [--rounds 5] [--seconds 2] [--rate 0] [--variants c,c-frames,c-busy,addon,addon-csum,addon-frames,addon-busy,kernel,wire] [--batch 256] [--latency-rounds 3]',
    async run(args) {
      await ensureDebian(['iproute2', 'nftables', 'gcc']);
      await script('forward.ts', args);
      return 0;
    },
  },
  l7: {
    about: 'L7 proxy: keep-alive req/s, p99 and TLS handshakes/s on one core (needs Debian\'s wrk, nginx, haproxy)',
    baseline: 'nginx, HAProxy and node-http-proxy with the same back-end, load generator and core; a byte pump on Node\'s net module (no HTTP) as the floor of any Node proxy',
    usage: 'l7 [--duration 5] [--connections 64] [--rounds 3] [--only lbarray,nginx,haproxy,node-http-proxy,node-net-floor] [--before DIR]',
    async run(args) {
      await ensureDebian(['wrk', 'nginx', 'haproxy', 'openssl']);
      const out = await script('l7.ts', args); // writes perf/results/l7-<date>.json itself: its figures go into l7.json
      const written = /^written (\S+\.json)$/m.exec(out)?.[1];
      const detail = written ? JSON.parse(fs.readFileSync(written, 'utf8')) as Record<string, unknown> : {};
      writeResults('l7', { ...detail, output: out.split('\n') }, `# L7 against nginx, HAProxy, node-http-proxy and Node's net floor\n\n${codeBlock(out)}`);
      return 0;
    },
  },
  cdn: {
    about: 'CDN: HTML rewrite MB/s and page-cache req/s (needs Debian\'s wrk)',
    baseline: 'pass-through Transform, htmlparser2\'s tokenizer alone, lol-html; uncached pages through the same front',
    usage: 'cdn [--quick] [--rewrite-only | --cache-only]',
    async run(args) {
      await ensureDebian(['wrk']);
      const json = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'lbarray-cdn-')), 'cdn.json');
      const out = await script('cdn.ts', [...args, '--json', json]);
      writeResults('cdn', JSON.parse(fs.readFileSync(json, 'utf8')), `# CDN rewrite and cache\n${out}`); // cdn.ts prints Markdown tables
      fs.rmSync(path.dirname(json), { recursive: true, force: true });
      return 0;
    },
  },
  failover: {
    about: 'failover time: SIGKILL of the scheduler to the first packet the new one forwards, seen on the wire; connections lost (needs root and Debian\'s keepalived)',
    baseline: 'keepalived in the same lab, same advert interval and priorities: SIGKILL of its master to the backup\'s first gratuitous ARP, trial for trial',
    usage: 'failover [--trials 20] [--streams 50] [--rate 50] [--no-keepalived] [--preempt] [--node-log FILE]',
    async run(args) {
      await ensureDebian(['iproute2', 'nftables', 'keepalived', 'wireshark-common']);
      await script('failover.ts', args); // writes perf/results/failover.{json,md,svg}
      return 0;
    },
  },
  plot: {
    about: 'redraws perf/results/NAME.svg from NAME.json for the benchmarks named (default: every results file with a figure), without rerunning',
    baseline: 'nothing: it draws results already measured',
    usage: `plot [${Object.keys(figures).join(' ')}] [--dir perf/results]`,
    async run(args) {
      const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { dir: { type: 'string' } } });
      const unknown = positionals.filter((n) => !(n in figures));
      if (unknown.length > 0) {
        console.error(`bench plot: no figure for ${unknown.join(', ')} (known: ${Object.keys(figures).join(', ')})`);
        return 2;
      }
      const files = plotResults(values.dir ?? resultsDir, positionals.length > 0 ? positionals : undefined);
      for (const f of files) console.log(`written ${path.relative(process.cwd(), f)}`);
      if (files.length === 0) console.error(`bench plot: no results file to draw in ${values.dir ?? resultsDir}`);
      return files.length > 0 ? 0 : 1;
    },
  },
  gate: {
    about: 'CI regression gate: callgrind instruction counts of the C++ fast path and the TS / C++ replay ratio against perf/gate/baseline.json',
    baseline: 'the committed perf/gate/baseline.json (tolerance 10 % for instruction counts, 25 % for the ratio)',
    usage: 'gate [--update] [--rounds 15] [--seconds 0.1] [--slowdown N] [--out DIR]',
    async run(args) {
      await ensureDebian(['valgrind', 'g++']);
      const { values } = parseArgs({ args, options: { update: { type: 'boolean' }, rounds: { type: 'string' }, seconds: { type: 'string' }, slowdown: { type: 'string' }, out: { type: 'string' } } });
      const r = await runGate({ update: values.update, rounds: optNumber(values.rounds), seconds: optNumber(values.seconds), slowdown: optNumber(values.slowdown), out: values.out });
      return r.ok ? 0 : 1;
    },
  },
};

export function help(): string {
  return ['usage: npm run bench -- <name> [options]', '', ...Object.entries(commands).flatMap(([name, c]) => [
    `  ${name.padEnd(8)} ${c.about}`, `  ${''.padEnd(8)} against: ${c.baseline}`, `  ${''.padEnd(8)} npm run bench -- ${c.usage}`, '']),
  'Results: perf/results/<name>.json, .md and .svg. Update the gate\'s baseline: npm run bench -- gate --update'].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(help());
    return name === undefined ? 2 : 0;
  }
  const command = commands[name];
  if (command === undefined) {
    console.error(`bench: unknown benchmark "${name}"\n\n${help()}`);
    return 2;
  }
  return command.run(args);
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) process.exitCode = await main(process.argv.slice(2));
