// Each benchmark's figure, made from its results JSON alone (perf/results/NAME.json): written by
// writeResults after a run, and again by `npm run bench -- plot` without rerunning anything.
import fs from 'node:fs';
import path from 'node:path';
import { barChart, summarize, type Bar, type Panel, type Summary } from './plot.js';

// Results files have one shape per benchmark, read here field by field.
type Json = Record<string, any>;

const point = (v: number): Summary => ({ min: v, median: v, max: v });
const bars = <T>(items: readonly T[], label: (x: T) => string, value: (x: T) => number): Bar[] => items.map((x) => ({ label: label(x), value: point(value(x)) }));

function forward(r: Json): string {
  const rows = r.summary as Array<{ label: string; pps: Summary; cpuNsPerFrame: Summary }>;
  const scaled = (s: Summary, k: number): Summary => ({ min: s.min * k, median: s.median * k, max: s.max * k });
  return barChart('Live forwarding on veth, 64-byte frames (median, min–max)', [
    { title: 'forwarded kpps', bars: rows.map((x) => ({ label: x.label, value: scaled(x.pps, 1 / 1000) })) },
    { title: 'forwarder CPU ns per frame (lower is better)', bars: rows.map((x) => ({ label: x.label, value: x.cpuNsPerFrame })) },
  ], `${r.rounds} rounds of ${r.seconds} s; ${r.started ?? r.date}`);
}

interface L7Row { name: string; keepAliveRps: number; p99Ms: number; tlsHandshakesPerSec: number; pacedP99Ms?: number; userUsPerRequest?: number }

/** The proxies' rows of l7.ts's printed table ("lbarray  15915  10.49  658"), for results that kept only the output. */
export function l7Rows(output: readonly string[]): L7Row[] {
  return output.flatMap((line) => {
    const m = /^(\S+)\s+(\d+)\s+([\d.]+)\s+(\d+)\s*$/.exec(line);
    return m ? [{ name: m[1]!, keepAliveRps: Number(m[2]), p99Ms: Number(m[3]), tlsHandshakesPerSec: Number(m[4]) }] : [];
  });
}

function l7(r: Json): string {
  const rows: L7Row[] = r.results ?? l7Rows(r.output ?? []);
  const samples = (r.samples ?? {}) as Record<string, L7Row[]>;
  const metric = (title: string, get: (x: L7Row) => number): Panel => ({
    title,
    bars: rows.map((x) => {
      const all = (samples[x.name] ?? []).map(get);
      return all.length > 0 ? { label: x.name, value: summarize(all), samples: all } : { label: x.name, value: point(get(x)) };
    }),
  });
  return barChart('L7 proxies, 1 KiB responses, one core (median of rounds)', [
    metric('keep-alive req/s', (x) => x.keepAliveRps),
    { ...metric('p99 ms at saturation, 64 connections (lower is better)', (x) => x.p99Ms), digits: 1 },
    // Older results have no paced phase.
    ...(rows.some((x) => x.pacedP99Ms !== undefined) ? [{ ...metric('p99 ms paced, 16 connections 1 ms apart (lower is better)', (x) => x.pacedP99Ms ?? NaN), digits: 2 }] : []),
    // Older results have no CPU split; the kernel's share is about the same for every proxy.
    ...(rows.some((x) => x.userUsPerRequest !== undefined) ? [{ ...metric('user-space CPU µs per keep-alive request (lower is better)', (x) => x.userUsPerRequest ?? NaN), digits: 1 }] : []),
    metric('TLS handshakes/s', (x) => x.tlsHandshakesPerSec),
  ], `wrk, same back-end and core; ${r.date}`);
}

function cdn(r: Json): string {
  const rewrite = (r.rewrite ?? []) as Array<{ name: string; mbps: number }>;
  // The no-parse plumbing runs 100× faster than any parser: on the same axis it flattens the rest.
  const plumbing = rewrite.filter((x) => /pass-through/.test(x.name));
  const cache = Object.entries((r.cache ?? {}) as Record<string, { rps: number }>);
  return barChart('CDN rewriting and page cache', [
    { title: 'HTML rewrite MB/s, one core', bars: bars(rewrite.filter((x) => !plumbing.includes(x)), (x) => x.name, (x) => x.mbps), digits: 1 },
    { title: 'page cache req/s, wrk', bars: bars(cache, ([k]) => k, ([, v]) => v.rps) },
  ], `${plumbing.map((x) => `${x.name}: ${Math.round(x.mbps)} MB/s (off this scale)`).join('; ')}; ${r.date}`);
}

function replay(r: Json): string {
  const ratio = (label: string, xs: number[]): Bar => ({ label, value: summarize(xs), samples: xs });
  return barChart('Replay: TypeScript decide + rewrite / the C++ loop, same frames', [{
    title: 'ratio per round (1 = as fast as C++)', digits: 3,
    bars: [ratio('frames/s, wall time', r.ratios ?? []), ratio('frames per CPU second', r.cpuRatios ?? [])],
  }], `${(r.ratios ?? []).length} alternating rounds; ${r.date}`);
}

function micro(r: Json): string {
  const scripts = Object.entries((r.scripts ?? {}) as Record<string, { cycles: Array<{ name: string; hz: number; rme: number }> }>);
  return barChart('Micro benchmarks (benchmark.js, ops/s, ± relative margin of error)', scripts.map(([file, s]) => ({
    title: file,
    bars: s.cycles.map((c) => ({ label: c.name, value: { min: c.hz * (1 - c.rme / 100), median: c.hz, max: c.hz * (1 + c.rme / 100) } })),
  })), String(r.date));
}

function failover(r: Json): string {
  const ms = (label: string, xs: number[]): Bar => ({ label, value: summarize(xs), samples: xs });
  const t = r.trials as Array<Record<string, number | null>>;
  const k = r.keepalived?.trials as Array<Record<string, number | null>> | undefined;
  const col = (rows: typeof t, key: string): number[] => rows.map((x) => x[key]).filter((v): v is number => typeof v === 'number');
  return barChart('Failover: SIGKILL of the scheduler to the first packet the new one forwards', [
    { title: 'ms from the kill, on the wire (dots: trials)', marker: { value: r.targets?.medianMs ?? 350, label: 'target median' }, bars: [
      ms('lbarray: first forwarded packet', col(t, 'forwardedMs')),
      ...(k ? [ms('keepalived: first gratuitous ARP (baseline)', col(k, 'garpMs'))] : []),
    ] },
    { title: 'lbarray, where the time goes (ms)', bars: [
      ms('kill → new master\'s first advert', col(t, 'advertMs')),
      ms('first advert → first gratuitous ARP', col(t, 'advertToGarpMs')),
      ms('first advert → first forwarded packet', col(t, 'advertToForwardMs')),
    ] },
  ], `${t.length} trials, a forwarded frame seen in ${col(t, 'forwardedMs').length}; lost connections ${r.lost?.connections ?? '?'}; ${r.date}`);
}

/** The figure of each benchmark that has one. */
export const figures: Record<string, (results: Json) => string> = { forward, l7, cdn, replay, micro, failover };

/** Writes NAME.svg beside NAME.json for each benchmark given (default: every results file with a figure); returns the files. */
export function plotResults(dir: string, names: readonly string[] = Object.keys(figures)): string[] {
  return names.flatMap((name) => {
    const json = path.join(dir, `${name}.json`);
    if (!figures[name] || !fs.existsSync(json)) return [];
    const file = path.join(dir, `${name}.svg`);
    fs.writeFileSync(file, figures[name]!(JSON.parse(fs.readFileSync(json, 'utf8')) as Json));
    return [file];
  });
}
